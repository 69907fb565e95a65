/**
 * Snappy block format, as devp2p uses it after Hello. The codec is the `snappy` package
 * (napi-rs's binding of the Rust `snap` crate), as strict as geth's golang/snappy: short, long
 * or out-of-range input is an error. This module adds the check that keeps a "snappy bomb" harmless: the decoded length
 * a payload declares is read and capped before a single byte is decompressed.
 *
 * A fast path for blocks that are one literal, both ways (issue 24): a call into the codec
 * costs about 3.5 µs, most of a small message's snappy work, while a literal is a length and
 * a copy. Payloads of at most LITERAL_MAX bytes are sent as one literal (snappy itself does so
 * below 17 bytes; above that a match could save a few bytes of a message this small, which is
 * not worth the call). A block that is exactly one literal spanning its declared length is
 * read by copying it; anything else goes to the codec. test/wire/snappy-literal.test.ts and
 * the snappy-literal fuzz target check both against the `snappy` package.
 */
import { compressSync, uncompressSync } from 'snappy';
import { asBuffer } from '../crypto/bytes.js';
import { SnappyError } from '../errors.js';

/** The largest decoded payload we accept by default: what a frame's 24-bit size can carry. */
export const MAX_DECODED_SIZE = 0xffffff;

/** The decoded length a snappy block declares in its varint preamble. */
export function snappyDecodedLength(data: Uint8Array): number {
  let value = 0;
  for (let i = 0, shift = 0; i < 5; i++, shift += 7) {
    if (i >= data.length) throw new SnappyError('snappy: truncated length preamble');
    const b = data[i]!;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) {
      if (value > 0xffffffff) break;
      return value;
    }
  }
  throw new SnappyError('snappy: length preamble overflows 32 bits');
}

/** Payloads up to this size are compressed as one literal, without the codec. */
export const LITERAL_MAX = 64;

export function snappyCompress(data: Uint8Array): Uint8Array {
  const n = data.length;
  if (n === 0 || n > LITERAL_MAX) return compressSync(asBuffer(data));
  // varint(n) (one byte, n < 128) ‖ literal tag ((n - 1) << 2, n <= 60) or 60 then n - 1 ‖ data
  // From Node's pool: a typed array over 64 bytes would get a backing store of its own (~0.5 µs).
  const out = Buffer.allocUnsafe(literalBlockSize(n));
  writeLiteralBlock(data, out, 0);
  return out;
}

/** Bytes of snappyCompress's output for a payload of 1..LITERAL_MAX bytes (one literal). */
export function literalBlockSize(n: number): number {
  return (n > 60 ? 3 : 2) + n;
}

/** Write the one-literal block of `data` (1..LITERAL_MAX bytes) into `out` at `at`. */
export function writeLiteralBlock(data: Uint8Array, out: Uint8Array, at: number): void {
  const n = data.length;
  out[at] = n;
  if (n > 60) {
    out[at + 1] = 60 << 2;
    out[at + 2] = n - 1;
    out.set(data, at + 3);
  } else {
    out[at + 1] = (n - 1) << 2;
    out.set(data, at + 2);
  }
}

/**
 * Where the data of a block that is exactly one literal starts, given where its preamble
 * ends and the length it declares; -1 when the block is anything else (or declares 0).
 */
function singleLiteralAt(data: Uint8Array, at: number, declared: number): number {
  if (at >= data.length) return -1;
  const tag = data[at]!;
  if ((tag & 3) !== 0) return -1;
  let len = tag >>> 2;
  let start = at + 1;
  if (len >= 60) {
    const extra = len - 59; // 1..4 little-endian bytes of length - 1
    if (start + extra > data.length) return -1;
    len = 0;
    for (let i = extra - 1; i >= 0; i--) len = len * 256 + data[start + i]!;
    start += extra;
  }
  return len + 1 === declared && start + declared === data.length ? start : -1;
}

/** Bytes of the varint preamble (snappyDecodedLength has accepted it). */
function preambleSize(data: Uint8Array): number {
  let i = 0;
  while (data[i]! & 0x80) i++;
  return i + 1;
}

export function snappyDecompress(data: Uint8Array, maxSize: number = MAX_DECODED_SIZE): Uint8Array {
  const declared = snappyDecodedLength(data);
  if (declared > maxSize) throw new SnappyError(`snappy: declared size ${declared} exceeds the ${maxSize}-byte limit`);
  // No snappy element decodes to more than 64/3 bytes per input byte (a 3-byte copy of 64),
  // so a larger declared size is corrupt: refuse it before the decoder allocates it.
  if (declared * 3 > (data.length - 1) * 64) {
    throw new SnappyError(`snappy: declared size ${declared} is more than ${data.length} bytes can decode to`);
  }
  const literal = singleLiteralAt(data, preambleSize(data), declared);
  if (literal >= 0) return data.slice(literal);
  let out: Uint8Array;
  try {
    out = uncompressSync(data, { asBuffer: true }) as Buffer;
  } catch (err) {
    throw new SnappyError(`snappy: corrupt input (${(err as Error).message})`, { cause: err });
  }
  if (out.length !== declared) throw new SnappyError('snappy: decoded length differs from the declared length');
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
