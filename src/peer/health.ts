/**
 * L7 health: round-trip times of Ping/Pong and what they say about a peer.
 * geth only notices whether a Ping could be written; we measure whether it was answered.
 */
import { TimeoutError } from '../errors.js';
import { wheelFor, type WheelEntry } from '../wire/timer-wheel.js';
import { emptyList, owned } from '../wire/empty-list.js';

export type HealthState = 'healthy' | 'late' | 'unresponsive';

export interface RttSnapshot {
  sent: number;
  received: number;
  /** Pings that got no Pong: timed out, or dropped from a full queue. */
  missed: number;
  /** All in milliseconds; undefined until the first Pong. */
  last?: number;
  min?: number;
  max?: number;
  mean?: number;
  /** Exponentially weighted mean, alpha 1/8 as TCP's SRTT. */
  ewma?: number;
  /** Smoothed mean deviation between consecutive samples (RFC 3550 style). */
  jitter?: number;
  /** Median of the most recent samples. */
  median?: number;
}

const WINDOW = 32;
/** Where each figure sits in RttStats' one array; the window of recent samples follows them. */
const LAST = 0;
const MIN = 1;
const MAX = 2;
const SUM = 3;
const EWMA = 4;
const JITTER = 5;
const RECENT = 6;

export class RttStats {
  sent = 0;
  received = 0;
  missed = 0;
  /**
   * The figures and the recent samples in one array, made at the first sample: idle peers that
   * were never measured cost nothing here, and measured ones no number objects per figure.
   */
  #f: Float64Array | undefined;
  #next = 0;

  record(rtt: number): void {
    this.received++;
    let f = this.#f;
    if (!f) {
      f = this.#f = new Float64Array(RECENT + WINDOW);
      f[MIN] = Infinity;
      f[MAX] = -Infinity;
      f[EWMA] = rtt;
      f[JITTER] = NaN;
    } else {
      const d = Math.abs(rtt - f[LAST]!);
      f[JITTER] = Number.isNaN(f[JITTER]!) ? d : f[JITTER]! + (d - f[JITTER]!) / 16;
      f[EWMA] = f[EWMA]! + (rtt - f[EWMA]!) / 8;
    }
    f[LAST] = rtt;
    f[MIN] = Math.min(f[MIN]!, rtt);
    f[MAX] = Math.max(f[MAX]!, rtt);
    f[SUM] = f[SUM]! + rtt;
    f[RECENT + (this.#next++ % WINDOW)] = rtt;
  }

  snapshot(): RttSnapshot {
    const s: RttSnapshot = { sent: this.sent, received: this.received, missed: this.missed };
    const f = this.#f;
    if (this.received === 0 || !f) return s;
    const recent = f.slice(RECENT, RECENT + Math.min(this.#next, WINDOW)).sort();
    const mid = recent.length >> 1;
    return {
      ...s,
      last: f[LAST]!,
      min: f[MIN]!,
      max: f[MAX]!,
      mean: f[SUM]! / this.received,
      ewma: f[EWMA]!,
      jitter: Number.isNaN(f[JITTER]!) ? 0 : f[JITTER]!,
      median: recent.length % 2 ? recent[mid]! : (recent[mid - 1]! + recent[mid]!) / 2,
    };
  }
}

export type HealthMode = 'l7' | 'geth';

export interface HealthEvent {
  state: HealthState;
  previous: HealthState;
  rtt: RttSnapshot;
}

/** What a PingTracker needs from its peer. */
export interface PingHost {
  /** Write one Ping; resolves once it has left for the kernel. */
  writePing(): Promise<void>;
  pong(rtt: number): void;
  health(event: HealthEvent): void;
  /** L7 mode: a Ping went unanswered past the deadline. */
  unresponsive(err: TimeoutError): void;
}

interface PendingPing {
  sentAt: number;
  /** Passed its deadline unanswered (geth mode keeps waiting for it, and counts it missed). */
  overdue?: boolean;
  resolve?: (rtt: number) => void;
  reject?: (err: Error) => void;
}

/** Pings sent and not yet answered, beyond which the oldest is dropped as missed (geth mode). */
const MAX_OUTSTANDING_PINGS = 16;

/**
 * The L7 health state machine. Pongs carry no id, so each is matched to the oldest outstanding
 * Ping; this is only sound because the remote answers every Ping in order, which is why our
 * own Peer never skips a Pong. A Ping is timed from when it leaves for the kernel, so a backlog
 * of our own writes is not blamed on the remote.
 */
export class PingTracker implements WheelEntry {
  readonly stats = new RttStats();
  #outstanding: PendingPing[] = emptyList(); // no Ping outstanding: the shared list
  #timer: NodeJS.Timeout | undefined;
  #state: HealthState = 'healthy';
  readonly #host: PingHost;
  readonly #mode: HealthMode;
  readonly #timeout: number;
  /** The ping loop's interval, 0 while it does not run; the loop runs on the shared wheel of its interval. */
  #interval = 0;
  wheelSlot = -1;

  constructor(host: PingHost, mode: HealthMode, pongTimeout: number) {
    this.#host = host;
    this.#mode = mode;
    this.#timeout = pongTimeout;
  }

  get state(): HealthState {
    return this.#state;
  }

  /** Ping every `interval` ms (the first one an interval from now) until stopLoop(). */
  startLoop(interval: number): void {
    this.#interval = interval;
    wheelFor(interval).add(this, performance.now() + interval);
  }

  stopLoop(): void {
    if (this.wheelSlot >= 0) wheelFor(this.#interval).remove(this);
    this.#interval = 0;
  }

  /** The wheel's call: one Ping of the loop, the next an interval later. */
  wheelTick(now: number): number {
    this.tick();
    return this.#interval > 0 ? now + this.#interval : -1; // stopped meanwhile: leave the wheel
  }

  /** Send a Ping from the ping loop: note lateness of the previous one first. */
  tick(): void {
    const oldest = this.#outstanding[0];
    if (oldest && this.#isLate(oldest)) this.#setState('late');
    this.send({ sentAt: 0 });
  }

  /** Send a Ping whose Pong someone waits for; resolves with its RTT in ms. */
  ping(signal?: AbortSignal): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const entry: PendingPing = { sentAt: 0 };
      const onAbort = (): void => {
        // Stays queued so later Pongs still match their Pings; only the caller stops waiting.
        entry.resolve = entry.reject = undefined;
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      entry.resolve = (rtt) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(rtt);
      };
      entry.reject = (err) => {
        signal?.removeEventListener('abort', onAbort);
        reject(err);
      };
      this.send(entry);
    });
  }

  send(entry: PendingPing): void {
    entry.sentAt = performance.now();
    (this.#outstanding = owned(this.#outstanding)).push(entry);
    this.stats.sent++;
    if (this.#outstanding.length > MAX_OUTSTANDING_PINGS) {
      const dropped = this.#outstanding.shift()!;
      if (!dropped.overdue) this.stats.missed++;
      dropped.reject?.(new TimeoutError('Ping dropped: too many outstanding', { deadline: 'pong' }));
    }
    this.#host.writePing().then(
      () => {
        // Queued behind our own writes? Time it from when it really left.
        if (!this.#outstanding.includes(entry) || entry.overdue) return;
        entry.sentAt = performance.now();
        if (this.#outstanding[0] === entry) this.#arm();
      },
      (err: Error) => {
        // Never sent: it cannot be answered, so it must not wait for (or steal) a Pong.
        const i = this.#outstanding.indexOf(entry);
        if (i >= 0) this.#outstanding.splice(i, 1);
        this.stats.sent--;
        entry.reject?.(err);
        this.#arm();
      },
    );
    if (!this.#timer) this.#arm();
  }

  /** A Pong arrived. */
  pong(): void {
    if (this.#outstanding.length === 0) return; // unsolicited: geth sends none, and they are harmless
    const entry = this.#outstanding.shift()!;
    if (this.#outstanding.length === 0) this.#outstanding = emptyList(); // release the array
    const rtt = performance.now() - entry.sentAt;
    this.stats.record(rtt);
    entry.resolve?.(rtt);
    this.#host.pong(rtt);
    this.#arm();
    const next = this.#outstanding[0];
    this.#setState(next && this.#isLate(next) ? 'late' : 'healthy');
  }

  /** Stop: every waiting caller gets the error `reason` makes (made only if someone waits). */
  stop(reason: () => Error): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#outstanding.length === 0) return;
    const err = reason();
    for (const p of this.#outstanding) p.reject?.(err);
    this.#outstanding = emptyList();
  }

  #isLate(p: PendingPing): boolean {
    return performance.now() - p.sentAt > this.#timeout / 2;
  }

  /** (Re)arm the deadline of the oldest Ping not yet overdue. */
  #arm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const oldest = this.#outstanding.find((p) => !p.overdue);
    if (!oldest) return;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, oldest.sentAt + this.#timeout - performance.now()));
    this.#timer.unref();
  }

  #expire(): void {
    this.#timer = undefined;
    const oldest = this.#outstanding.find((p) => !p.overdue);
    if (!oldest) return;
    const err = new TimeoutError(`no Pong within ${this.#timeout} ms`, { deadline: 'pong' });
    this.stats.missed++;
    if (this.#mode === 'l7') {
      this.#setState('unresponsive');
      this.#host.unresponsive(err);
      return;
    }
    // geth mode: a missing Pong is counted, never acted on.
    oldest.overdue = true;
    oldest.reject?.(err);
    oldest.resolve = oldest.reject = undefined;
    this.#setState('late');
    this.#arm();
  }

  #setState(state: HealthState): void {
    if (state === this.#state) return;
    const previous = this.#state;
    this.#state = state;
    this.#host.health({ state, previous, rtt: this.stats.snapshot() });
  }
}
