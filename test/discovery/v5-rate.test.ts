import { describe, expect, it } from 'vitest';
import { SourceRateLimit } from '../../src/discovery/v5-rate.js';

describe('SourceRateLimit', () => {
  it('allows a burst per source, then the rate', () => {
    let now = 0;
    const rl = new SourceRateLimit({ rate: 10, burst: 3, now: () => now });
    expect([1, 2, 3, 4].map(() => rl.take('a'))).toEqual([true, true, true, false]);
    expect(rl.take('b')).toBe(true);
    now += 100; // one token back at 10 per second
    expect([rl.take('a'), rl.take('a')]).toEqual([true, false]);
  });

  it('stays within maxSources under a spray of sources, forgetting the oldest first', () => {
    const rl = new SourceRateLimit({ rate: 1, burst: 1, maxSources: 64, now: () => 0 });
    expect(rl.take('first')).toBe(true);
    expect(rl.take('first')).toBe(false);
    for (let i = 0; i < 10_000; i++) {
      rl.take(`10.0.${i >> 8}.${i & 255}`);
      expect(rl.size).toBeLessThanOrEqual(64);
    }
    // Long forgotten: a fresh bucket. The latest source is still remembered as spent.
    expect(rl.take('first')).toBe(true);
    expect(rl.take('10.0.39.15')).toBe(false);
  });
});
