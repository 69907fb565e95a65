/**
 * Reading the RLP of eth messages: bounded decoding and canonical fields. Each reader returns
 * undefined for a bad value, so every message reports it with its own named error.
 */
import { RLP } from '@ethereumjs/rlp';
import { bytesToHex } from '../crypto/bytes.js';

/** A canonical uint64 (no leading zero byte, at most 8 bytes), as geth's decoder insists. */
export function uint64(v: unknown): bigint | undefined {
  if (!(v instanceof Uint8Array) || v.length > 8 || (v.length > 0 && v[0] === 0)) return undefined;
  return v.length === 0 ? 0n : BigInt('0x' + bytesToHex(v));
}

/** A byte string of exactly `size` bytes, copied out of the decoder's buffer. */
export function fixedBytes(v: unknown, size: number): Uint8Array | undefined {
  return v instanceof Uint8Array && v.length === size ? new Uint8Array(v) : undefined;
}

export const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0);

/**
 * Decode an RLP list. The caller must have bounded `payload`: @ethereumjs/rlp's decode costs
 * O(depth x size) and allocates per item.
 */
export function decodeList(payload: Uint8Array): { list: unknown[] } | { error: unknown } {
  try {
    const v = RLP.decode(payload);
    return Array.isArray(v) ? { list: v } : { error: new Error('not a list') };
  } catch (error) {
    return { error };
  }
}
