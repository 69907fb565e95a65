/**
 * The shared timer wheel: an entry is called at its time (never early, at most a step late
 * when the machine is not busy), then as it says; entries started at different times keep
 * their own phase; a removed entry is never called again, also when another entry of the
 * same step removes it; wheels of different periods run side by side.
 */
import { describe, expect, it } from 'vitest';
import { wheelFor, type WheelEntry } from '../../src/wire/timer-wheel.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An entry that asks to be called every `every` ms and records when it was. */
function periodic(every: number): WheelEntry & { at: number[] } {
  const at: number[] = [];
  return { at, wheelSlot: -1, wheelTick: (now) => (at.push(performance.now()), now + every) };
}

describe('timer wheel', () => {
  it('calls each entry once per period, from its own start', async () => {
    const a = periodic(80);
    const t0 = performance.now();
    wheelFor(80).add(a, t0 + 80);
    await sleep(200);
    const b = periodic(80);
    const t1 = performance.now();
    wheelFor(80).add(b, t1 + 80);
    const c = periodic(30);
    wheelFor(30).add(c, performance.now() + 30);
    await sleep(700);
    for (const [e, p] of [[a, 80], [b, 80], [c, 30]] as const) wheelFor(p).remove(e);
    const end = performance.now();
    /** The most calls a period allows between `from` and the end (the first may be a step early). */
    const most = (from: number, p: number): number => Math.floor((end - from + p / 16) / p);
    // A first call may come up to one step (80/16 ms) early: the slot a whole period ahead is the one about to run.
    expect(a.at[0]! - t0).toBeGreaterThanOrEqual(80 - 5 - 3);
    expect(b.at[0]! - t1).toBeGreaterThanOrEqual(80 - 5 - 3);
    expect(a.at.length).toBeGreaterThanOrEqual(6);
    expect(a.at.length).toBeLessThanOrEqual(most(t0, 80));
    expect(b.at.length).toBeLessThanOrEqual(most(t1, 80));
    expect(c.at.length).toBeGreaterThanOrEqual(10);
    expect(c.at.length).toBeLessThanOrEqual(most(t1, 30));
    for (const [e, p] of [[a, 80], [b, 80], [c, 30]] as const) for (let i = 1; i < e.at.length; i++) expect(e.at[i]! - e.at[i - 1]!).toBeGreaterThan(p / 2); // once per turn (a late call shortens the next gap: steps keep to their grid)
    const counts = [a, b, c].map((e) => e.at.length);
    await sleep(200);
    expect([a, b, c].map((e) => e.at.length)).toEqual(counts); // removed: no more calls
  });

  it('a deadline moved later is looked at again, and fires once it has passed', async () => {
    let since = performance.now();
    const fired: number[] = [];
    const e: WheelEntry = {
      wheelSlot: -1,
      wheelTick: (now) => (now < since + 100 ? since + 100 : (fired.push(now - since), -1)),
    };
    wheelFor(100).add(e, since + 100);
    for (let i = 0; i < 4; i++) {
      await sleep(50);
      since = performance.now(); // refreshed, as a frame arriving refreshes the read deadline
    }
    expect(fired).toEqual([]);
    await sleep(300);
    expect(fired.length).toBe(1);
    expect(fired[0]!).toBeGreaterThanOrEqual(100);
    expect(e.wheelSlot).toBe(-1);
  });

  it('an entry removed by another of the same step is not called', async () => {
    const called: string[] = [];
    const y: WheelEntry = { wheelSlot: -1, wheelTick: (now) => (called.push('y'), now + 25) };
    const x: WheelEntry = { wheelSlot: -1, wheelTick: (now) => (called.push('x'), wheelFor(25).remove(y), now + 25) };
    const at = performance.now() + 25;
    wheelFor(25).add(x, at);
    wheelFor(25).add(y, at);
    await sleep(90);
    wheelFor(25).remove(x);
    expect(called.length).toBeGreaterThan(0);
    expect(called.every((c) => c === 'x')).toBe(true);
  });
});
