/**
 * The shared ping wheel: each loop ticks once per interval, loops started at different times
 * keep their own phase, a stopped loop never ticks again, and wheels of different intervals
 * run side by side.
 */
import { describe, expect, it } from 'vitest';
import { startPingLoop, stopPingLoop } from '../../src/peer/ping-wheel.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function loop(): { tick(): void; at: number[] } {
  const at: number[] = [];
  return { at, tick: () => at.push(performance.now()) };
}

describe('ping wheel', () => {
  it('ticks each loop once per interval, from one interval after it started', async () => {
    const a = loop();
    const t0 = performance.now();
    const slotA = startPingLoop(a, 80);
    await sleep(200);
    const b = loop();
    const t1 = performance.now();
    const slotB = startPingLoop(b, 80);
    const c = loop();
    const slotC = startPingLoop(c, 30);
    await sleep(700);
    stopPingLoop(a, 80, slotA);
    stopPingLoop(b, 80, slotB);
    stopPingLoop(c, 30, slotC);
    // The first tick between 15/16 and 1 interval after the start (timers may run late, never early).
    expect(a.at[0]! - t0).toBeGreaterThanOrEqual(80 * (15 / 16) - 2);
    expect(b.at[0]! - t1).toBeGreaterThanOrEqual(80 * (15 / 16) - 2);
    // About one tick per interval (a busy machine may skip a few steps, never add any).
    expect(a.at.length).toBeGreaterThanOrEqual(6);
    expect(a.at.length).toBeLessThanOrEqual(Math.floor(900 / 80) + 1);
    expect(b.at.length).toBeLessThanOrEqual(Math.floor(700 / 80) + 1);
    expect(c.at.length).toBeLessThanOrEqual(Math.floor(700 / 30) + 1);
    expect(c.at.length).toBeGreaterThanOrEqual(10);
    for (const l of [a, b, c]) for (let i = 1; i < l.at.length; i++) expect(l.at[i]! - l.at[i - 1]!).toBeGreaterThan(l === c ? 20 : 60);
    const counts = [a, b, c].map((l) => l.at.length);
    await sleep(200);
    expect([a, b, c].map((l) => l.at.length)).toEqual(counts); // stopped: no more ticks
  });

  it('a loop stopped by another loop of its slot, during the step, is not ticked', async () => {
    const ticked: string[] = [];
    let slotY = -1;
    const x = { tick: () => (ticked.push('x'), stopPingLoop(y, 25, slotY)) };
    const y = { tick: () => ticked.push('y') };
    const slotX = startPingLoop(x, 25);
    slotY = startPingLoop(y, 25);
    await sleep(80);
    stopPingLoop(x, 25, slotX);
    expect(ticked.length).toBeGreaterThan(0);
    expect(ticked.every((t) => t === 'x')).toBe(true);
  });
});
