/**
 * RLP items located, not decoded: where an item starts, where its payload starts and where it
 * ends. Serving a chain copies raw items (headers, bodies, receipts) into replies, and reading
 * a 10 MiB list item by item must not build a tree of it first, as @ethereumjs/rlp's decode does.
 *
 * Every reader is strict as geth's rlp package is (ErrCanonSize, ErrValueTooLarge): a length
 * with leading zeros, a long form for a short length, a one-byte string that should stand for
 * itself, or an item running past its container is a RangeError.
 */

export interface RlpItem {
  /** A list (0xc0..0xff) or a byte string. */
  list: boolean;
  /** Offset of the item's first byte (its prefix). */
  start: number;
  /** Offset of its payload (after the prefix and length). */
  payload: number;
  /** Offset just past the item. */
  end: number;
}

function fail(what: string, at: number): never {
  throw new RangeError(`rlp: ${what} at offset ${at}`);
}

function longLength(b: Uint8Array, at: number, size: number, limit: number): number {
  if (at + size > limit) fail('length runs past the end', at);
  if (b[at] === 0) fail('length has leading zeros', at);
  let n = 0;
  for (let i = 0; i < size; i++) n = n * 256 + b[at + i]!;
  if (n < 56) fail('long form for a short length', at);
  return n;
}

/** The item at `offset`, which must end at or before `limit` (default: the end of `b`). */
export function rlpItemAt(b: Uint8Array, offset: number, limit = b.length): RlpItem {
  if (offset >= limit) fail('no item', offset);
  const p = b[offset]!;
  let payload: number;
  let size: number;
  let list = false;
  if (p < 0x80) return { list, start: offset, payload: offset, end: offset + 1 };
  if (p <= 0xb7) {
    payload = offset + 1;
    size = p - 0x80;
    if (size === 1 && payload < limit && b[payload]! < 0x80) fail('one-byte string not encoded as itself', offset);
  } else if (p <= 0xbf) {
    const ll = p - 0xb7;
    size = longLength(b, offset + 1, ll, limit);
    payload = offset + 1 + ll;
  } else if (p <= 0xf7) {
    list = true;
    payload = offset + 1;
    size = p - 0xc0;
  } else {
    list = true;
    const ll = p - 0xf7;
    size = longLength(b, offset + 1, ll, limit);
    payload = offset + 1 + ll;
  }
  const end = payload + size;
  if (end > limit) fail('item runs past its container', offset);
  return { list, start: offset, payload, end };
}

/** The items of the list `item` (a list located in `b`). */
export function rlpListItems(b: Uint8Array, item: RlpItem): RlpItem[] {
  if (!item.list) fail('expected a list', item.start);
  const out: RlpItem[] = [];
  for (let at = item.payload; at < item.end; ) {
    const it = rlpItemAt(b, at, item.end);
    out.push(it);
    at = it.end;
  }
  return out;
}

/** `b` must be exactly one list: its items. */
export function rlpSplitList(b: Uint8Array): RlpItem[] {
  const top = rlpItemAt(b, 0);
  if (top.end !== b.length) fail('trailing bytes after the item', top.end);
  return rlpListItems(b, top);
}

/** The bytes of an item, prefix included (a view, not a copy). */
export const rlpRaw = (b: Uint8Array, item: RlpItem): Uint8Array => b.subarray(item.start, item.end);

/** The payload of an item (a view, not a copy). */
export const rlpPayload = (b: Uint8Array, item: RlpItem): Uint8Array => b.subarray(item.payload, item.end);

/** The prefix of a list (0xc0 + ...) whose payload is `size` bytes. */
export function rlpListPrefix(size: number): Uint8Array {
  return lengthPrefix(0xc0, size);
}

/** The prefix of a byte string of `size` bytes (for strings of 2+ bytes or one byte >= 0x80). */
export function rlpStringPrefix(size: number): Uint8Array {
  return lengthPrefix(0x80, size);
}

function lengthPrefix(base: number, size: number): Uint8Array {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`rlp: bad length ${size}`);
  if (size < 56) return Uint8Array.of(base + size);
  const bytes: number[] = [];
  for (let n = size; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Uint8Array.of(base + 55 + bytes.length, ...bytes);
}

/** The size of a list whose payload is `size` bytes, prefix included. */
export const rlpListSize = (size: number): number => rlpListPrefix(size).length + size;

/** One list of already-encoded items. */
export function rlpList(items: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const it of items) size += it.length;
  const prefix = rlpListPrefix(size);
  const out = new Uint8Array(prefix.length + size);
  out.set(prefix, 0);
  let at = prefix.length;
  for (const it of items) {
    out.set(it, at);
    at += it.length;
  }
  return out;
}

/** A canonical RLP unsigned integer of up to 8 bytes from an item; undefined when it is not one. */
export function rlpUint64(b: Uint8Array, item: RlpItem): bigint | undefined {
  if (item.list) return undefined;
  const size = item.end - item.payload;
  if (size > 8 || (size > 0 && b[item.payload] === 0)) return undefined;
  let n = 0n;
  for (let i = item.payload; i < item.end; i++) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

/** The RLP encoding of an unsigned integer. */
export function rlpEncodeUint(n: bigint | number): Uint8Array {
  let v = BigInt(n);
  if (v < 0n) throw new RangeError('rlp: negative integer');
  if (v === 0n) return Uint8Array.of(0x80);
  if (v < 0x80n) return Uint8Array.of(Number(v));
  const bytes: number[] = [];
  for (; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
  return Uint8Array.of(0x80 + bytes.length, ...bytes);
}
