/** RLP integers as devp2p reads them: canonical (no leading zero bytes) and bounded. */

/**
 * The value of a decoded RLP byte string read as an unsigned integer, or undefined when it is
 * not a byte string, has a leading zero byte (geth: ErrCanonInt), or is longer than maxBytes.
 * maxBytes is at most 6 so the value is exact in a JavaScript number.
 */
export function canonicalUint(v: unknown, maxBytes: number): number | undefined {
  if (!(v instanceof Uint8Array) || v.length > maxBytes || (v.length > 0 && v[0] === 0)) return undefined;
  let n = 0;
  for (const b of v) n = n * 256 + b;
  return n;
}
