/** Small byte helpers shared by every layer. Uint8Array only; Buffer never leaks out. */

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * `size` bytes that the caller overwrites in full at once, for output that lives briefly (a
 * frame on its way to the socket): from Node's Buffer pool below 4 KiB, so no backing store of
 * its own (a Uint8Array over 64 bytes gets one, about 0.4 µs). The bytes start uninitialised,
 * and a view kept long pins its 8 KiB pool slab: copy what is kept.
 */
export function scratchBytes(size: number): Uint8Array {
  const b = Buffer.allocUnsafe(size);
  return new Uint8Array(b.buffer, b.byteOffset, size);
}

export function xorBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== b.length) throw new RangeError(`xorBytes: lengths differ (${a.length} vs ${b.length})`);
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** Constant-time comparison for MACs and tags. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function hexToBytes(hex: string): Uint8Array {
  if (typeof hex !== 'string') throw new TypeError(`hexToBytes: expected string, got ${typeof hex}`);
  const s = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (s.length % 2 !== 0) throw new RangeError(`hexToBytes: odd length ${s.length}`);
  if (!/^[0-9a-fA-F]*$/.test(s)) throw new RangeError('hexToBytes: not a hex string');
  return new Uint8Array(Buffer.from(s, 'hex'));
}

/**
 * Lower-case hex. Bare by default, as node ids and keys are written in enode URLs and by
 * devp2p tools; `{ prefixed: true }` adds the `0x` that JSON-RPC and our JSON output put on
 * hashes. hexToBytes reads both.
 */
export function bytesToHex(bytes: Uint8Array, options?: { prefixed?: boolean }): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
  return options?.prefixed ? `0x${hex}` : hex;
}

/** A view of `bytes` as a Buffer without copying, for node:crypto and node:net calls. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name}: expected Uint8Array, got ${typeof value}`);
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name}: expected ${length} bytes, got ${value.length}`);
  }
}
