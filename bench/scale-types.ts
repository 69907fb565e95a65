/** The scale section's configuration and results: what bench/scale.ts measures and bench/report-scale.ts shows. */
import type { Loader } from './scale-child.js';

/** Memory of one child process, after forced GC. */
export interface MemSample {
  heapUsed: number;
  heapTotal: number;
  rss: number;
  external: number;
  arrayBuffers: number;
}


/** CPU and ping loops of one child process over the idle window. */
export interface IdleResult {
  seconds: number;
  userMs: number;
  systemMs: number;
  /** CPU time used per wall second, as a fraction of one core. */
  coreFraction: number;
  peersAtStart: number;
  peersAtEnd: number;
  /** Peers whose rtt.received grew over the window. */
  advanced: number;
  /** Sum over peers of rtt.missed at the end. */
  missed: number;
  /** Pongs received over the window, all peers. */
  pongs: number;
  /** Fewest Pongs one peer received over the window. */
  minPongs: number;
}


export interface ScaleConfig {
  /** Peers for the memory and connect-time figures (1,000; --quick 200). */
  peers: number;
  /** Connections made and kept before the baseline, so JIT code and caches are not counted per peer. */
  warmup: number;
  /** Peers for the large idle run (10,000; --quick 1,000). */
  bigPeers: number;
  /** Dials in flight at once. */
  concurrency: number;
  /** Our ping interval in the memory runs: short, so every loop has run before the heap is measured. */
  memPingMs: number;
  /** Our ping interval in the large idle run. */
  idlePingMs: number;
  /** Length of the idle CPU window. */
  idleWindowMs: number;
  /** Run the reference too. */
  reference: boolean;
  /**
   * How the children run our TypeScript: 'compiled' (default) transpiles src/ and the worker
   * with the TypeScript compiler, as `npm run build` does, and runs plain node; 'tsx' runs them
   * under tsx, whose esbuild `keepNames` gives closures a `name` property (and a property
   * store), so per-peer heap reads higher than in a build.
   */
  loader: Loader;
}

export const SCALE_FULL: ScaleConfig = {
  peers: 1_000,
  warmup: 16,
  bigPeers: 10_000,
  concurrency: 50,
  memPingMs: 1_000,
  idlePingMs: 5_000,
  idleWindowMs: 15_000,
  reference: true,
  loader: 'compiled',
};

export const SCALE_QUICK: ScaleConfig = {
  peers: 200,
  warmup: 8,
  bigPeers: 1_000,
  concurrency: 50,
  memPingMs: 1_000,
  idlePingMs: 1_000,
  idleWindowMs: 3_000,
  reference: true,
  loader: 'compiled',
};

/** A dialer child's answer to `connect`. */
export interface ConnectReply {
  ms: number;
  /** CPU the dialing process used meanwhile. */
  cpuMs: number;
  /** Elapsed and CPU ms at every tenth of the way, to show whether the rate holds up as peers accumulate. */
  marks: { n: number; ms: number; cpuMs: number }[];
  connected: number;
  retries: number;
  failed: number;
  firstError?: string;
}

export interface ConnectFigures {
  peers: number;
  ms: number;
  /** CPU time of the dialing process while connecting (both ends, in the one-process runs). */
  cpuMs: number;
  /** CPU time of the listening process meanwhile (two-process runs). */
  listenerCpuMs?: number;
  /** Dialer's elapsed and CPU ms at every tenth of the peers. */
  marks: { n: number; ms: number; cpuMs: number }[];
  perSecond: number;
  retries: number;
  failed: number;
  firstError?: string;
  concurrency: number;
}

export interface MemFigures {
  /** Peers (or connections) the delta is divided by. */
  peers: number;
  heapPerPeer: number;
  rssPerPeer: number;
  externalPerPeer: number;
  before: MemSample;
  after: MemSample;
}

export interface PingCheck {
  /** Peers whose ping loop had received at least one Pong when the heap was measured. */
  ready: number;
  peers: number;
}

/** One scenario at 1,000 peers. */
export interface MemScenario {
  connect: ConnectFigures;
  /** Both ends in one process: the delta covers both Peer objects of each connection. */
  oneProcess?: MemFigures;
  /** Two processes: the dialer's and the listener's process, each holding one end of each connection. */
  dialer?: MemFigures;
  server?: MemFigures;
  pings?: PingCheck;
  load: [number, number];
}

export interface BigScenario {
  connect: ConnectFigures;
  dialer: MemFigures;
  server: MemFigures;
  pings: PingCheck;
  pingIntervalMs: number;
  idle: { dialer: IdleResult; server: IdleResult };
  load: [number, number];
}

export interface ScaleResults {
  config: ScaleConfig;
  /** Open-file limit the children ran with, and what it was raised from. */
  nofile: { effective: number; soft: string; hard: string };
  ours: { oneProcess?: MemScenario; twoProcess?: MemScenario; big?: BigScenario };
  reference: { oneProcess?: MemScenario; twoProcess?: MemScenario };
  errors: string[];
  seconds: number;
}
