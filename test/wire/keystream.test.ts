/**
 * The buffered CTR keystream (keystream.ts) against one plain OpenSSL AES-256-CTR pass over
 * the same bytes: pieces that end on, before and after its 512-byte block edges, pieces just
 * below, at and above the size that goes to the cipher directly, and a large piece while
 * more than it is left of the current block.
 */
import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Keystream } from '../../src/wire/keystream.js';
import { mulberry32, seededBytes } from '../helpers/bytes.js';

/** `hint(i)`, when given, is passed to reserve() before piece i (right, wrong or absurd: only a hint). */
function check(sizes: number[], seed: number, hint?: (i: number) => [number, number, number] | undefined): void {
  const key = seededBytes(32, seed);
  const pieces = sizes.map((n, i) => seededBytes(n, seed * 1000 + i));
  const ks = new Keystream(key);
  const total = sizes.reduce((a, b) => a + b, 0);
  // Written at an offset into a larger buffer, as frames are.
  const got = new Uint8Array(total + 7);
  let at = 7;
  pieces.forEach((p, i) => {
    const h = hint?.(i);
    if (h) ks.reserve(...h);
    ks.xorInto(p, got, at);
    at += p.length;
  });
  const all = new Uint8Array(total);
  let o = 0;
  for (const p of pieces) {
    all.set(p, o);
    o += p.length;
  }
  const want = createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(all);
  expect(Buffer.compare(got.subarray(7), want), `sizes ${sizes.join(',')}`).toBe(0);
}

describe('Keystream', () => {
  it('equals one CTR pass at the 4 KiB block edges and around the direct-cipher size', () => {
    check([4096], 1);
    check([4095, 1, 4096, 1, 4095], 2);
    check([16, 4080, 16, 4096 * 3], 3);
    check([511, 512, 513, 1, 4000, 600], 4); // 600 while fewer bytes are left of the block
    check([10, 100, 511, 3000, 2000, 0, 1 << 20, 5], 5); // a large piece with ~4 KiB left
    check([0, 0, 16, 0], 6);
  });

  it('equals one CTR pass for random piece sizes (frame-sized and a few large ones)', () => {
    const next = mulberry32(7);
    for (let round = 0; round < 20; round++) {
      const sizes = Array.from({ length: 60 }, (_, i) => (i % 17 === 5 ? 5000 + (next() % 20_000) : next() % 700));
      check(sizes, 100 + round);
    }
  });

  it('equals one CTR pass whatever reserve() is told, quiet or busy', () => {
    const next = mulberry32(11);
    for (let round = 0; round < 20; round++) {
      const sizes = Array.from({ length: 80 }, (_, i) => (i % 23 === 7 ? 600 + (next() % 3000) : next() % 200));
      // Frame-like hints (header, body, padding of the next pieces), then random ones, some huge.
      check(sizes, 300 + round, (i) => {
        const r = next() % 4;
        if (r === 0) return undefined;
        if (r === 1) return [sizes[i]!, sizes[i + 1] ?? 0, sizes[i + 2] ?? 0];
        return [next() % 64, next() % (r === 2 ? 600 : 1 << 20), next() % 16];
      });
    }
  });
});
