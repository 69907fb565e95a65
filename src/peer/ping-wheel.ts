/**
 * The ping loops of every Peer with the same interval, on one timer: a wheel of up to 16 slots
 * that turns once per interval, one slot per step. A peer joins the slot just run, so its first
 * Ping comes between 15/16 and 1 interval after it started, and one every interval after that;
 * peers that start at different times stay spread over the interval as their own timers were.
 *
 * A timer per peer (a Timeout, its closure and their numbers) cost about 250 bytes of heap per
 * idle peer; a wheel costs a set entry. The timer is unref'd, as each peer's was.
 */

/** What a wheel ticks: a peer's PingTracker. */
export interface PingLoop {
  tick(): void;
}

const MAX_SLOTS = 16;

class PingWheel {
  readonly #interval: number;
  readonly #slots: Set<PingLoop>[];
  #next = 0;
  #size = 0;
  #timer: NodeJS.Timeout | undefined;
  /** When the next step is due (performance.now() time): steps are timed from here, so they do not drift. */
  #due = 0;

  constructor(interval: number) {
    this.#interval = interval;
    this.#slots = Array.from({ length: Math.min(MAX_SLOTS, interval) }, () => new Set<PingLoop>());
  }

  /** Add a loop; returns its slot, for remove(). */
  add(loop: PingLoop): number {
    const n = this.#slots.length;
    const slot = (this.#next + n - 1) % n;
    this.#slots[slot]!.add(loop);
    if (this.#size++ === 0) {
      this.#due = performance.now();
      this.#schedule();
    }
    return slot;
  }

  remove(loop: PingLoop, slot: number): void {
    if (!this.#slots[slot]!.delete(loop)) return;
    if (--this.#size > 0) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    wheels.delete(this.#interval);
  }

  /** The next step, one slot's share of the interval after the last one was due. */
  #schedule(): void {
    this.#due += this.#interval / this.#slots.length;
    this.#timer = setTimeout(() => this.#step(), Math.max(0, this.#due - performance.now()));
    this.#timer.unref();
  }

  #step(): void {
    // Steps a busy loop made late are not made up: the next one is due a step from now at most.
    this.#due = Math.max(this.#due, performance.now() - this.#interval / this.#slots.length);
    this.#schedule();
    const slot = this.#slots[this.#next]!;
    this.#next = (this.#next + 1) % this.#slots.length;
    for (const loop of slot) loop.tick();
  }
}

const wheels = new Map<number, PingWheel>();

/** Start `loop`'s pings every `interval` ms (a positive integer); returns its slot for stopPingLoop. */
export function startPingLoop(loop: PingLoop, interval: number): number {
  let wheel = wheels.get(interval);
  if (!wheel) wheels.set(interval, (wheel = new PingWheel(interval)));
  return wheel.add(loop);
}

export function stopPingLoop(loop: PingLoop, interval: number, slot: number): void {
  wheels.get(interval)?.remove(loop, slot);
}
