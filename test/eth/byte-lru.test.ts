import { describe, expect, it } from 'vitest';
import { ByteLru } from '../../src/eth/byte-lru.js';

const bytes = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill);

describe('ByteLru', () => {
  it('keeps at most its budget, evicting the least recently used first', () => {
    const c = new ByteLru<string>(800);
    for (const k of ['a', 'b', 'c', 'd']) c.set(k, bytes(100));
    expect(c.get('a')).toBeDefined(); // a is now the most recent
    for (const k of ['e', 'f', 'g', 'h', 'i']) c.set(k, bytes(100));
    expect(c.bytes).toBeLessThanOrEqual(800);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBeDefined();
    expect(c.get('i')).toBeDefined();
  });

  it('does not keep an item above an eighth of the budget; through() loads once', async () => {
    const c = new ByteLru<number>(800);
    c.set(1, bytes(101));
    expect(c.get(1)).toBeUndefined();
    let loads = 0;
    const load = async (): Promise<Uint8Array> => (loads++, bytes(10));
    await c.through(2, load);
    await c.through(2, load);
    expect(loads).toBe(1);
    expect(() => new ByteLru(-1)).toThrow(RangeError);
  });
});
