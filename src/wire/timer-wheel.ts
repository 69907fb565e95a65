/**
 * Timers of many connections that share one period (the ping interval, the read deadline) on
 * one timer: a wheel of up to 16 slots that turns once per period, one slot per step. Each
 * entry sits in the slot whose step comes first at or after the time it asked for, so it is
 * called at most one step (1/16 of the period) late; a time a whole period ahead goes to the
 * slot before, up to a step early (a deadline looks at the clock itself and asks again, so
 * deadlines are never early). Entries that start at
 * different times stay spread over the period, as timers of their own would be.
 *
 * A Timeout per connection (with its closure and its numbers) costs about 250 bytes of heap;
 * an entry in a wheel costs a set entry and a slot number. The timer is unref'd.
 */

/** Something a wheel calls when it is due. */
export interface WheelEntry {
  /** The slot it is in, -1 when in no wheel; kept by the wheel. */
  wheelSlot: number;
  /** It is due (`now` is performance.now()): return when it is due next, or -1 to leave the wheel. */
  wheelTick(now: number): number;
}

const MAX_SLOTS = 16;

export class TimerWheel {
  readonly #period: number;
  readonly #step: number;
  readonly #slots: Set<WheelEntry>[];
  #next = 0;
  #size = 0;
  #timer: NodeJS.Timeout | undefined;
  /** A step is scheduled or running (while one runs, entries may come and go). */
  #running = false;
  /** The slot whose step is running, -1 between steps. */
  #turning = -1;
  /** When the step of slot #next is due (performance.now() time); steps are timed from here, so they do not drift. */
  #due = 0;

  /** `period`: a positive integer, ms. */
  constructor(period: number) {
    const n = Math.min(MAX_SLOTS, period);
    this.#period = period;
    this.#step = period / n;
    this.#slots = Array.from({ length: n }, () => new Set<WheelEntry>());
  }

  /** Call `entry` at `at` (performance.now() time, at most one period from now), then as it says. */
  add(entry: WheelEntry, at: number): void {
    if (entry.wheelSlot >= 0) this.remove(entry);
    this.#size++;
    if (!this.#running) {
      this.#running = true;
      this.#due = performance.now() + this.#step;
      this.#timer = setTimeout(() => this.#turn(), this.#step);
      this.#timer.unref();
    }
    this.#place(entry, at);
  }

  remove(entry: WheelEntry): void {
    const slot = entry.wheelSlot;
    if (slot < 0) return;
    // An entry of the running step is no longer in its set, but still counted and still due.
    if (!this.#slots[slot]!.delete(entry) && slot !== this.#turning) return;
    entry.wheelSlot = -1;
    if (--this.#size === 0 && this.#turning < 0) this.#stop();
  }

  #place(entry: WheelEntry, at: number): void {
    const n = this.#slots.length;
    const ahead = Math.min(n - 1, Math.max(0, Math.ceil((at - this.#due) / this.#step)));
    const slot = (this.#next + ahead) % n;
    this.#slots[slot]!.add(entry);
    entry.wheelSlot = slot;
  }

  #stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#running = false;
    if (wheels.get(this.#period) === this) wheels.delete(this.#period);
  }

  #turn(): void {
    const n = this.#slots.length;
    const current = this.#next;
    this.#next = (current + 1) % n;
    // Steps a busy loop made late are not made up: the next is due one step from now at most.
    const now = performance.now();
    this.#due = Math.max(this.#due + this.#step, now);
    const set = this.#slots[current]!;
    this.#turning = current;
    if (set.size > 0) {
      const due = [...set];
      set.clear();
      for (const entry of due) {
        if (entry.wheelSlot !== current) continue; // removed by an earlier entry's call
        entry.wheelSlot = -1;
        this.#size--;
        let at = -1;
        try {
          at = entry.wheelTick(now);
        } catch (err) {
          // A bug of the caller's: thrown as a timer of its own would have, without stopping the wheel.
          process.nextTick(() => {
            throw err;
          });
        }
        if (at >= 0 && entry.wheelSlot < 0) {
          this.#size++;
          this.#place(entry, at);
        }
      }
    }
    this.#turning = -1;
    if (this.#size === 0) return this.#stop();
    this.#timer = setTimeout(() => this.#turn(), Math.max(0, this.#due - performance.now()));
    this.#timer.unref();
  }
}

const wheels = new Map<number, TimerWheel>();

/** The wheel of `period` ms (a positive integer), shared by every caller; it goes when empty. */
export function wheelFor(period: number): TimerWheel {
  let wheel = wheels.get(period);
  if (!wheel) wheels.set(period, (wheel = new TimerWheel(period)));
  return wheel;
}
