/** RLP integers as devp2p reads them: canonical (no leading zero bytes) and bounded. */

/**
 * The value of a decoded RLP byte string read as an unsigned integer, or undefined when it is
 * not a byte string, has a leading zero byte (geth: ErrCanonInt), or is longer than maxBytes.
 * Up to 6 bytes the value is exact; geth reads versions as uint64, so 7 and 8 bytes are
 * accepted for fields that are only compared (a version that large is rounded, never refused).
 */
export function canonicalUint(v: unknown, maxBytes: number): number | undefined {
  if (!(v instanceof Uint8Array) || v.length > maxBytes || (v.length > 0 && v[0] === 0)) return undefined;
  if (v.length <= 6) {
    let n = 0;
    for (const b of v) n = n * 256 + b;
    return n;
  }
  // Exact first, then one rounding (byte-by-byte float arithmetic would round at every step).
  let big = 0n;
  for (const b of v) big = (big << 8n) | BigInt(b);
  return Number(big);
}
