/**
 * A strict, lazy RLP reader over byte views, and the list builder for pre-encoded items.
 *
 * eth replies reach 10 MiB. @ethereumjs/rlp decodes a whole payload at once, in O(depth x
 * size), allocating per item. Here the outer list is only split: each item is a view (no
 * copy) read one at a time, so a caller can count, bound and hash items before decoding any
 * (as geth's rlp.RawList). Encodings geth refuses are refused here too: a single byte below
 * 0x80 wrapped as a string, a long form for a short length, a length with leading zeros.
 */
import { MessageError } from './errors.js';

/** One RLP item, as views into the buffer it was read from. */
export interface RlpView {
  readonly list: boolean;
  /** The whole item: prefix and content. */
  readonly raw: Uint8Array;
  /** The content: a string's bytes, or a list's concatenated items. */
  readonly content: Uint8Array;
}

const bad = (what: string): never => {
  throw new MessageError('rlp', what);
};

/**
 * Items readItem() may still read in the current budget scope (withItemBudget). Decoding is
 * synchronous, so one module-wide counter serves every scope; outside any scope it is unbounded.
 */
let itemsLeft = Infinity;
let budget = { max: Infinity, what: '' };

/**
 * Run `decode` allowing it to read at most `max` RLP items (nested scopes take the smaller
 * budget). Every item read becomes at least one object, and a decoded item costs the heap
 * 60-120 bytes (measured: bench/decode-budget.ts), so this bounds the memory one message can
 * take whatever its shape; more is a MessageError 'size' (0x10).
 */
export function withItemBudget<T>(max: number, what: string, decode: () => T): T {
  const [savedLeft, saved] = [itemsLeft, budget];
  if (max < itemsLeft) [itemsLeft, budget] = [max, { max, what }];
  const start = itemsLeft;
  try {
    return decode();
  } finally {
    // What an inner scope used counts against the outer one too.
    [itemsLeft, budget] = [savedLeft - (start - itemsLeft), saved];
  }
}

/** The item starting at `pos` of `buf`, and where the next one starts. */
export function readItem(buf: Uint8Array, pos: number): { item: RlpView; end: number } {
  if (pos >= buf.length) bad('unexpected end of input');
  if (--itemsLeft < 0) {
    itemsLeft = 0;
    throw new MessageError('size', `${budget.what} has more than the ${budget.max} RLP items one message may decode`);
  }
  const b = buf[pos]!;
  if (b < 0x80) return { item: { list: false, raw: buf.subarray(pos, pos + 1), content: buf.subarray(pos, pos + 1) }, end: pos + 1 };
  const list = b >= 0xc0;
  const base = list ? 0xc0 : 0x80;
  let start: number;
  let len: number;
  if (b - base < 56) {
    len = b - base;
    start = pos + 1;
    if (!list && len === 1 && start < buf.length && buf[start]! < 0x80) bad('single byte below 0x80 encoded as a string');
  } else {
    const ll = b - base - 55;
    if (pos + 1 + ll > buf.length) bad('length runs past the end of input');
    if (buf[pos + 1] === 0) bad('length with a leading zero byte');
    len = 0;
    for (let i = 0; i < ll; i++) len = len * 256 + buf[pos + 1 + i]!;
    if (len < 56) bad('long form for a length below 56');
    start = pos + 1 + ll;
  }
  const end = start + len;
  if (end > buf.length) bad(`item of ${len} bytes runs past the end of input`);
  return { item: { list, raw: buf.subarray(pos, end), content: buf.subarray(start, end) }, end };
}

/** `buf` as exactly one item (nothing after it). */
export function readOne(buf: Uint8Array): RlpView {
  const { item, end } = readItem(buf, 0);
  if (end !== buf.length) bad(`${buf.length - end} bytes after the item`);
  return item;
}

/** The items of a list, one at a time. */
export function* iterate(v: RlpView): Generator<RlpView> {
  if (!v.list) bad('expected a list, got a string');
  const c = v.content;
  let pos = 0;
  while (pos < c.length) {
    const { item, end } = readItem(c, pos);
    pos = end;
    yield item;
  }
}

/**
 * The items of a list, at most `max` of them (more is an error before any is kept). For
 * small, fixed-shape lists; replies go through iterate() with the caller's own bound.
 */
export function listItems(v: RlpView, max: number, what = 'list'): RlpView[] {
  const out: RlpView[] = [];
  for (const item of iterate(v)) {
    if (out.length === max) bad(`${what} has more than ${max} items`);
    out.push(item);
  }
  return out;
}

/** The items of a list of exactly `min`..`max` elements. */
export function fields(v: RlpView, min: number, max: number, what: string): RlpView[] {
  const out = listItems(v, max, what);
  if (out.length < min) bad(`${what} has ${out.length} items, needs ${min}`);
  return out;
}

/** A string's bytes. */
export function str(v: RlpView, what: string): Uint8Array {
  if (v.list) bad(`${what}: expected a string, got a list`);
  return v.content;
}

/** A string of exactly `n` bytes. */
export function fixed(v: RlpView, n: number, what: string): Uint8Array {
  const s = str(v, what);
  if (s.length !== n) bad(`${what}: ${s.length} bytes, expected ${n}`);
  return s;
}

/** A canonical unsigned integer of at most `maxBytes` bytes (no leading zero byte). */
export function uint(v: RlpView, maxBytes: number, what: string): bigint {
  const s = str(v, what);
  if (s.length > maxBytes) bad(`${what}: ${s.length} bytes, above ${maxBytes}`);
  if (s.length > 0 && s[0] === 0) bad(`${what}: integer with a leading zero byte`);
  let n = 0n;
  if (s.length <= 6) {
    let x = 0;
    for (const b of s) x = x * 256 + b;
    return BigInt(x);
  }
  for (const b of s) n = (n << 8n) | BigInt(b);
  return n;
}

export const u64 = (v: RlpView, what: string): bigint => uint(v, 8, what);
export const u256 = (v: RlpView, what: string): bigint => uint(v, 32, what);

/** A uint64 that fits a JS number safely (types, small counts). */
export function smallUint(v: RlpView, what: string): number {
  const n = uint(v, 8, what);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) bad(`${what}: ${n} is too large`);
  return Number(n);
}

/** A boolean as Go's rlp decoder reads one: 0x80 false, 0x01 true, nothing else. */
export function bool(v: RlpView, what: string): boolean {
  const s = str(v, what);
  if (s.length === 0) return false;
  if (s.length === 1 && s[0] === 1) return true;
  return bad(`${what}: not a boolean`);
}

/** The RLP prefix of a string or list whose content is `len` bytes. */
function prefix(len: number, base: 0x80 | 0xc0): Uint8Array {
  if (len < 56) return Uint8Array.of(base + len);
  const bytes: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Uint8Array.of(base + 55 + bytes.length, ...bytes);
}

/** An RLP list of already-encoded items. */
export function encodeRawList(items: readonly Uint8Array[]): Uint8Array {
  let len = 0;
  for (const i of items) len += i.length;
  const p = prefix(len, 0xc0);
  const out = new Uint8Array(p.length + len);
  out.set(p, 0);
  let at = p.length;
  for (const i of items) {
    out.set(i, at);
    at += i.length;
  }
  return out;
}

/** An RLP string of `bytes`. */
export function encodeString(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 1 && bytes[0]! < 0x80) return bytes.slice();
  const p = prefix(bytes.length, 0x80);
  const out = new Uint8Array(p.length + bytes.length);
  out.set(p, 0);
  out.set(bytes, p.length);
  return out;
}
