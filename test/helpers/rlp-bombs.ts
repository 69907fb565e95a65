/** RLP that costs a decoder much per byte, for tests that a decoder refuses it at once. */

/** RLP list of n one-byte items: the costliest shape per byte for @ethereumjs/rlp's decode. */
export function wideList(n: number): Uint8Array {
  const out = new Uint8Array(4 + n).fill(0x01);
  out.set([0xfa, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  return out;
}

/** `depth` nested lists, [[[...[]...]]], as long-form lists all the way (3-byte headers). */
export function deepList(depth: number): Uint8Array {
  const out = new Uint8Array(depth * 4 + 1);
  for (let i = 0; i < depth; i++) {
    const len = out.length - (i + 1) * 4;
    out.set([0xfa, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff], i * 4);
  }
  out[out.length - 1] = 0xc0;
  return out;
}

/** Milliseconds `fn` takes, whether it returns or throws. */
export function elapsed(fn: () => unknown): number {
  const t0 = performance.now();
  try {
    fn();
  } catch {
    // only the time matters here
  }
  return performance.now() - t0;
}
