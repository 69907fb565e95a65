/**
 * Snappy block format, as devp2p uses it after Hello. The codec is the `snappy` package
 * (napi-rs's binding of the Rust `snap` crate), as strict as geth's golang/snappy: short, long
 * or out-of-range input is an error. This module adds the check that keeps a "snappy bomb" harmless: the decoded length
 * a payload declares is read and capped before a single byte is decompressed.
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

export function snappyCompress(data: Uint8Array): Uint8Array {
  return compressSync(asBuffer(data));
}

export function snappyDecompress(data: Uint8Array, maxSize: number = MAX_DECODED_SIZE): Uint8Array {
  const declared = snappyDecodedLength(data);
  if (declared > maxSize) throw new SnappyError(`snappy: declared size ${declared} exceeds the ${maxSize}-byte limit`);
  // No snappy element decodes to more than 64/3 bytes per input byte (a 3-byte copy of 64),
  // so a larger declared size is corrupt: refuse it before the decoder allocates it.
  if (declared * 3 > (data.length - 1) * 64) {
    throw new SnappyError(`snappy: declared size ${declared} is more than ${data.length} bytes can decode to`);
  }
  let out: Uint8Array;
  try {
    out = uncompressSync(data, { asBuffer: true }) as Buffer;
  } catch (err) {
    throw new SnappyError(`snappy: corrupt input (${(err as Error).message})`, { cause: err });
  }
  if (out.length !== declared) throw new SnappyError('snappy: decoded length differs from the declared length');
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
