/** The geth section's configuration and results: what bench/geth.ts measures and bench/report-geth.ts shows. */

/** Which process drives (sends the requests) and which echoes. */
export type Impl = 'geth' | 'ours';
export const PAIRS = [
  { key: 'geth-geth', driver: 'geth', echo: 'geth' },
  { key: 'geth-ours', driver: 'geth', echo: 'ours' },
  { key: 'ours-geth', driver: 'ours', echo: 'geth' },
  { key: 'ours-ours', driver: 'ours', echo: 'ours' },
] as const satisfies readonly { key: string; driver: Impl; echo: Impl }[];
export type PairKey = (typeof PAIRS)[number]['key'];

export interface GethConfig {
  /** Message sizes and how many messages make one repetition. */
  workloads: { size: number; n: number }[];
  /** Handshake-load runs: handshakes in flight, and how many make one repetition. */
  handshakes: { concurrency: number; n: number }[];
  /** Timed repetitions per figure; the best is shown. */
  reps: number;
}

export const GETH_FULL: GethConfig = {
  workloads: [
    { size: 64, n: 3_000 },
    { size: 1024, n: 3_000 },
    { size: 1024 * 1024, n: 60 },
  ],
  handshakes: [
    { concurrency: 1, n: 300 },
    { concurrency: 16, n: 1_000 },
  ],
  reps: 3,
};

/** A tenth of the work, for --quick. */
export const GETH_QUICK: GethConfig = {
  ...GETH_FULL,
  workloads: GETH_FULL.workloads.map((w) => ({ ...w, n: w.n / 10 })),
  handshakes: GETH_FULL.handshakes.map((h) => ({ ...h, n: h.n / 10 })),
};

/** One driver run: warm-up, then `reps` timed repetitions on one session. */
export interface GethCell {
  /** Wall time of each repetition, ms; the headline is the least. */
  ms: number[];
  best: number;
  /** CPU of the driving process and of the echoing process over the session (warm-up included), µs, and the requests it carried. */
  driverCpuUs: number;
  echoCpuUs: number;
  requests: number;
}

export interface GethRow {
  size: number;
  n: number;
  mode: 'pingpong' | 'stream';
  cells: Partial<Record<PairKey, GethCell>>;
}

export interface HandshakeRow {
  concurrency: number;
  n: number;
  /** Handshakes per second of each repetition, with the Go dialer against each server. */
  perSec: Partial<Record<Impl, number[]>>;
  /**
   * CPU over the whole load (warm-up included) of each server and of the Go dialer against it,
   * and the handshakes it covers. The server's is read from /proc, so Linux only.
   */
  cpu: Partial<Record<Impl, { serverUs: number | undefined; dialerUs: number; handshakes: number }>>;
}

/**
 * The runtime's floor: the same work over a plain TCP echo, no RLPx, each runtime driving its
 * own echo (Go: geth-peer tcplisten / tcpdrive; Node: bench/tcp-echo.ts).
 */
export interface FloorCell {
  ms: number[];
  best: number;
  driverCpuUs: number;
  /** The echo process's CPU over the run, from /proc (undefined without it). */
  echoCpuUs: number | undefined;
  requests: number;
}

export interface FloorRow {
  size: number;
  n: number;
  mode: 'pingpong' | 'stream';
  /** geth: Go's floor; ours: Node's. */
  cells: Partial<Record<Impl, FloorCell>>;
}

/** The top self-time entries of one CPU profile of our side. */
export interface ProfileTop {
  what: string;
  file: string;
  totalMs: number;
  top: { name: string; selfMs: number; share: number }[];
}

export interface GethResults {
  config: GethConfig;
  /** bench/geth-peer's binary, and how long scripts/build-geth-peer.sh took in this run (about 0 when cached). */
  build: { binary: string; seconds: number };
  rows: GethRow[];
  handshakes: HandshakeRow[];
  floor: FloorRow[];
  profiles: ProfileTop[];
  errors: string[];
  seconds: number;
}
