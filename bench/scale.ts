/**
 * Scale benchmarks: many idle peers on loopback, ours against @ethereumjs/devp2p.
 *
 *   1. Heap and RSS per idle peer at 1,000 peers with ping loops running: (a) both ends in one
 *      process, (b) the listening node in one child process and the dialers in another.
 *   2. Time to connect 1,000 peers (TCP + handshake + Hello), the listening node's cap on
 *      pending handshakes left at its default (ours: 50; the reference has none).
 *   3. 10,000 idle peers (ours only): connect time, heap per peer, CPU per second while idle,
 *      and every ping loop checked to keep receiving Pongs with none missed.
 *
 * Every figure comes from fresh child processes (bench/scale-worker.ts) run with --expose-gc,
 * so neither the parent's earlier benchmarks nor the other library share their heap. The
 * children are started through bash, which raises the open-file limit first (10,000 sockets
 * need more than the common default of 1,024), and are killed at the end, on error too.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { IdleResult, MemSample } from './scale-worker.js';

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
  loader: 'compiled' | 'tsx';
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

/** Open-file limit asked for in the children. */
const WANT_NOFILE = 65_536;

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

// ---------------------------------------------------------------------------------------------
// Child processes.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKER_TS = fileURLToPath(new URL('./scale-worker.ts', import.meta.url));
/** Inside node_modules, so the compiled worker resolves the project's dependencies. */
const BUILD_DIR = path.join(ROOT, 'node_modules', '.cache', 'rlpx-bench');

/**
 * Transpile src/ and the worker into BUILD_DIR with the project's compiler options (what
 * `npm run build` emits, without the type check, which `npm run typecheck` does). Returns the
 * worker's path. A fraction of a second.
 */
export function compileWorker(): string {
  const base = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
  const { options } = ts.convertCompilerOptionsFromJson({ ...base.compilerOptions, declaration: false, sourceMap: false }, ROOT);
  options.module = ts.ModuleKind.ESNext; // the package is "type": "module": NodeNext emits ESM here too
  const files = (readdirSync(path.join(ROOT, 'src'), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join('src', f));
  files.push(path.relative(ROOT, WORKER_TS));
  for (const rel of files) {
    const out = ts.transpileModule(readFileSync(path.join(ROOT, rel), 'utf8'), { compilerOptions: options, fileName: rel });
    const dest = path.join(BUILD_DIR, rel.replace(/\.ts$/, '.js'));
    mkdirSync(path.dirname(dest), { recursive: true });
    writeFileSync(dest, out.outputText);
  }
  // node_modules is a package-scope boundary: say that these files are ES modules.
  writeFileSync(path.join(BUILD_DIR, 'package.json'), '{ "type": "module", "private": true }\n');
  return path.join(BUILD_DIR, 'bench', 'scale-worker.js');
}

let compiled: string | undefined;

type Impl = 'ours' | 'ref';

export class Worker {
  readonly proc: ChildProcess;
  readonly label: string;
  #next = 1;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  #exit: string | undefined;

  private constructor(proc: ChildProcess, label: string) {
    this.proc = proc;
    this.label = label;
    proc.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${label}: ${m.error}`));
    });
    proc.on('exit', (code, signal) => {
      this.#exit = `${label} exited (${signal ?? code})`;
      for (const p of this.#pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(this.#exit));
      }
      this.#pending.clear();
    });
    proc.on('error', (err) => {
      for (const p of this.#pending.values()) {
        clearTimeout(p.timer);
        p.reject(err);
      }
      this.#pending.clear();
    });
  }

  /** Start one worker: bash raises the file limit, then execs node (so proc.pid is node's). */
  static async start(impl: Impl, label: string, lifetimeMs: number, loader: ScaleConfig['loader'] = 'compiled'): Promise<{ worker: Worker; nofile: number }> {
    const script = `ulimit -n ${WANT_NOFILE} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; export SCALE_NOFILE="$(ulimit -n)"; exec "$0" "$@"`;
    const entry = loader === 'tsx' ? ['--import', 'tsx', WORKER_TS] : [(compiled ??= compileWorker())];
    // SCALE_NODE_ARGS: extra node flags for the children, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p".
    const extra = (process.env.SCALE_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
    const proc = spawn('bash', ['-c', script, process.execPath, '--expose-gc', ...extra, ...entry, impl], {
      cwd: ROOT,
      stdio: ['ignore', 2, 2, 'ipc'],
      env: { ...process.env, SCALE_WORKER_LIFETIME_MS: String(lifetimeMs) },
    });
    const worker = new Worker(proc, label);
    const hello = await worker.#await<{ nofile: number }>(0, 20_000, 'start');
    return { worker, nofile: hello.nofile };
  }

  #await<T>(id: number, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#exit) return reject(new Error(this.#exit));
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.label}: ${what} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
    });
  }

  call<T>(cmd: string, args: unknown = {}, timeoutMs = 60_000): Promise<T> {
    const id = this.#next++;
    const p = this.#await<T>(id, timeoutMs, cmd);
    this.proc.send({ id, cmd, args });
    return p;
  }

  /** Ask it to exit and wait for it (so profiles asked for with SCALE_NODE_ARGS get written); kill it after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.#exited()) return;
    const gone = new Promise<void>((r) => this.proc.once('exit', () => r()));
    try {
      this.proc.send({ id: this.#next++, cmd: 'exit', args: {} });
    } catch {
      // channel already closed
    }
    await Promise.race([gone, new Promise((r) => setTimeout(r, graceMs).unref())]);
    await this.kill();
  }

  /** Kill it (by its own pid, nothing broader) and wait, briefly, for it to go. */
  async kill(): Promise<void> {
    if (this.#exited()) return;
    const gone = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.kill('SIGKILL');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 2_000).unref())]);
  }

  #exited(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

const load1 = (): number => os.loadavg()[0]!;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function memFigures(before: MemSample, after: MemSample, peers: number): MemFigures {
  return {
    peers,
    heapPerPeer: (after.heapUsed - before.heapUsed) / peers,
    rssPerPeer: (after.rss - before.rss) / peers,
    externalPerPeer: (after.external - before.external) / peers,
    before,
    after,
  };
}

interface ConnectReply {
  ms: number;
  /** CPU the dialing process used meanwhile. */
  cpuMs: number;
  marks: { n: number; ms: number; cpuMs: number }[];
  connected: number;
  retries: number;
  failed: number;
  firstError?: string;
}

function connectFigures(r: ConnectReply, concurrency: number, listenerCpuMs?: number): ConnectFigures {
  return {
    peers: r.connected,
    ms: r.ms,
    cpuMs: r.cpuMs,
    marks: r.marks,
    ...(listenerCpuMs !== undefined ? { listenerCpuMs } : {}),
    perSecond: r.connected / (r.ms / 1000),
    retries: r.retries,
    failed: r.failed,
    concurrency,
    ...(r.firstError !== undefined ? { firstError: r.firstError } : {}),
  };
}

/** Wait until the listening side has admitted `n` peers (its side of Hello may finish a little after the dialer's). */
async function waitServerPeers(server: Worker, n: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await server.call<{ serverPeers: number }>('stats');
    if (s.serverPeers >= n || Date.now() > deadline) return s.serverPeers;
    await sleep(50);
  }
}

class Session {
  readonly workers: Worker[] = [];
  nofile = NaN;
  constructor(
    readonly lifetimeMs: number,
    readonly loader: ScaleConfig['loader'],
  ) {}
  async start(impl: Impl, label: string): Promise<Worker> {
    const { worker, nofile } = await Worker.start(impl, label, this.lifetimeMs, this.loader);
    this.workers.push(worker);
    this.nofile = nofile;
    return worker;
  }
  /** Orderly end: every worker exits by itself, or is killed after a grace period. */
  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
  }
  /** Whatever happened: kill what is left. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.kill()));
  }
}

/**
 * 1,000 peers, both ends in one process (`split` false) or the listener in its own process
 * (`split` true). Returns connect time and heap per peer.
 */
async function memScenario(impl: Impl, split: boolean, cfg: ScaleConfig, progress: (m: string) => void): Promise<{ s: MemScenario; nofile: number }> {
  const load0 = load1();
  const session = new Session(180_000, cfg.loader);
  try {
    const name = impl === 'ours' ? 'ours' : 'reference';
    const dialer = await session.start(impl, `${name} ${split ? 'dialer' : 'node'}`);
    const server = split ? await session.start(impl, `${name} listener`) : dialer;
    const n = cfg.peers;
    const total = n + cfg.warmup;
    const addr = await server.call<{ port: number; id: string }>('listen', { pingInterval: cfg.memPingMs, maxPeers: total + 100 });
    await dialer.call('keys', { n: total });
    const base = { host: '127.0.0.1', port: addr.port, id: addr.id, concurrency: cfg.concurrency, pingInterval: cfg.memPingMs, maxRetries: 20 };
    const warm = await dialer.call<ConnectReply>('connect', { ...base, from: 0, count: cfg.warmup });
    if (warm.failed) throw new Error(`${name}: warm-up dials failed: ${warm.firstError}`);
    await waitServerPeers(server, cfg.warmup, 5_000);

    const before = await dialer.call<MemSample>('mem');
    const beforeServer = split ? await server.call<MemSample>('mem') : undefined;
    progress(`scale: ${name}, ${split ? 'two processes' : 'one process'}: connecting ${n} peers…`);
    const cpu0 = split ? await server.call<{ ms: number }>('cpu') : undefined;
    const c = await dialer.call<ConnectReply>('connect', { ...base, from: cfg.warmup, count: n }, 120_000);
    const cpu1 = split ? await server.call<{ ms: number }>('cpu') : undefined;
    const admitted = await waitServerPeers(server, total, 10_000);
    if (admitted < total - c.failed) progress(`scale: warning: listener admitted ${admitted} of ${total} peers`);

    let pings: PingCheck | undefined;
    if (impl === 'ours') {
      // Every loop (both ends) has sent a Ping and had its Pong before the heap is measured.
      const timeoutMs = cfg.memPingMs * 3 + 2_000;
      const d = await dialer.call<{ peers: number; ready: number }>('waitPings', { minReceived: 1, timeoutMs }, timeoutMs + 5_000);
      const sv = split ? await server.call<{ peers: number; ready: number }>('waitPings', { minReceived: 1, timeoutMs }, timeoutMs + 5_000) : undefined;
      pings = { ready: d.ready + (sv?.ready ?? 0), peers: d.peers + (sv?.peers ?? 0) };
    }
    const after = await dialer.call<MemSample>('mem');
    const afterServer = split ? await server.call<MemSample>('mem') : undefined;
    const connect = connectFigures(c, cfg.concurrency, cpu1 && cpu0 ? cpu1.ms - cpu0.ms : undefined);
    const s: MemScenario = { connect, load: [load0, load1()] };
    if (split) {
      s.dialer = memFigures(before, after, c.connected);
      s.server = memFigures(beforeServer!, afterServer!, c.connected);
    } else {
      s.oneProcess = memFigures(before, after, c.connected);
    }
    if (pings) s.pings = pings;
    await session.stop();
    return { s, nofile: session.nofile };
  } finally {
    await session.close();
  }
}

/** 10,000 idle peers of ours: listener process and dialer process. */
async function bigScenario(cfg: ScaleConfig, progress: (m: string) => void): Promise<{ s: BigScenario; nofile: number }> {
  const load0 = load1();
  const session = new Session(240_000, cfg.loader);
  try {
    const server = await session.start('ours', 'ours listener (big)');
    const dialer = await session.start('ours', 'ours dialer (big)');
    const n = cfg.bigPeers;
    const total = n + cfg.warmup;
    const addr = await server.call<{ port: number; id: string }>('listen', { pingInterval: cfg.idlePingMs, maxPeers: total + 100 });
    await dialer.call('keys', { n: total }, 120_000);
    const base = { host: '127.0.0.1', port: addr.port, id: addr.id, concurrency: cfg.concurrency, pingInterval: cfg.idlePingMs, maxRetries: 20 };
    const warm = await dialer.call<ConnectReply>('connect', { ...base, from: 0, count: cfg.warmup });
    if (warm.failed) throw new Error(`ours: warm-up dials failed: ${warm.firstError}`);
    await waitServerPeers(server, cfg.warmup, 5_000);
    const before = await dialer.call<MemSample>('mem');
    const beforeServer = await server.call<MemSample>('mem');

    progress(`scale: ours, ${n} peers: connecting…`);
    const profileDir = process.env.SCALE_PROFILE_DIR;
    if (profileDir) await Promise.all([dialer.call('profile', { action: 'start' }), server.call('profile', { action: 'start' })]);
    const cpu0 = await server.call<{ ms: number }>('cpu');
    const c = await dialer.call<ConnectReply>('connect', { ...base, from: cfg.warmup, count: n }, 180_000);
    const cpu1 = await server.call<{ ms: number }>('cpu');
    if (profileDir) {
      await Promise.all([
        dialer.call('profile', { action: 'stop', path: path.join(profileDir, 'connect-dialer.cpuprofile') }),
        server.call('profile', { action: 'stop', path: path.join(profileDir, 'connect-listener.cpuprofile') }),
      ]);
    }
    await waitServerPeers(server, total, 15_000);
    // Every loop has run at least once before the idle window: then the window sees steady state.
    progress(`scale: ours, ${n} peers: waiting for every ping loop's first Pong…`);
    const timeoutMs = cfg.idlePingMs * 2 + 5_000;
    const d = await dialer.call<{ peers: number; ready: number }>('waitPings', { minReceived: 1, timeoutMs }, timeoutMs + 5_000);
    const sv = await server.call<{ peers: number; ready: number }>('waitPings', { minReceived: 1, timeoutMs }, timeoutMs + 5_000);
    const after = await dialer.call<MemSample>('mem');
    const afterServer = await server.call<MemSample>('mem');

    progress(`scale: ours, ${n} peers: idle for ${(cfg.idleWindowMs / 1000).toFixed(0)} s, ping interval ${cfg.idlePingMs / 1000} s…`);
    // SCALE_PROFILE_DIR: CPU-profile both processes while connecting and over the idle window
    // (the profiler's own cost is in the figures then).
    if (profileDir) await Promise.all([dialer.call('profile', { action: 'start' }), server.call('profile', { action: 'start' })]);
    await Promise.all([dialer.call('idleStart'), server.call('idleStart')]);
    await sleep(cfg.idleWindowMs);
    const [idleDialer, idleServer] = await Promise.all([dialer.call<IdleResult>('idleEnd'), server.call<IdleResult>('idleEnd')]);
    if (profileDir) {
      await Promise.all([
        dialer.call('profile', { action: 'stop', path: path.join(profileDir, 'idle-dialer.cpuprofile') }),
        server.call('profile', { action: 'stop', path: path.join(profileDir, 'idle-listener.cpuprofile') }),
      ]);
      progress(`scale: CPU profiles (connect, idle window) written to ${profileDir}`);
    }
    const s: BigScenario = {
      connect: connectFigures(c, cfg.concurrency, cpu1.ms - cpu0.ms),
      dialer: memFigures(before, after, c.connected),
      server: memFigures(beforeServer, afterServer, c.connected),
      pings: { ready: d.ready + sv.ready, peers: d.peers + sv.peers },
      pingIntervalMs: cfg.idlePingMs,
      idle: { dialer: idleDialer, server: idleServer },
      load: [load0, load1()],
    };
    await session.stop();
    return { s, nofile: session.nofile };
  } finally {
    await session.close();
  }
}

function shellLimit(flag: '-Sn' | '-Hn'): string {
  try {
    return execFileSync('bash', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

export async function benchScale(cfg: ScaleConfig, progress: (m: string) => void): Promise<ScaleResults> {
  const started = performance.now();
  const results: ScaleResults = {
    config: cfg,
    nofile: { effective: NaN, soft: shellLimit('-Sn'), hard: shellLimit('-Hn') },
    ours: {},
    reference: {},
    errors: [],
    seconds: 0,
  };
  const attempt = async (what: string, fn: () => Promise<{ nofile: number }>): Promise<void> => {
    try {
      const { nofile } = await fn();
      if (Number.isFinite(nofile)) results.nofile.effective = nofile;
    } catch (err) {
      const msg = `${what}: ${err instanceof Error ? err.message : String(err)}`;
      results.errors.push(msg);
      progress(`scale: FAILED ${msg}`);
    }
  };

  progress(`scale: ours, one process, ${cfg.peers} peers…`);
  await attempt('ours, one process', async () => {
    const r = await memScenario('ours', false, cfg, progress);
    results.ours.oneProcess = r.s;
    return r;
  });
  await attempt('ours, two processes', async () => {
    const r = await memScenario('ours', true, cfg, progress);
    results.ours.twoProcess = r.s;
    return r;
  });
  if (cfg.reference) {
    await attempt('reference, one process', async () => {
      const r = await memScenario('ref', false, cfg, progress);
      results.reference.oneProcess = r.s;
      return r;
    });
    await attempt('reference, two processes', async () => {
      const r = await memScenario('ref', true, cfg, progress);
      results.reference.twoProcess = r.s;
      return r;
    });
  }
  if (cfg.bigPeers > 0) {
    await attempt(`ours, ${cfg.bigPeers} peers`, async () => {
      const r = await bigScenario(cfg, progress);
      results.ours.big = r.s;
      return r;
    });
  }
  results.seconds = (performance.now() - started) / 1000;
  return results;
}

// ---------------------------------------------------------------------------------------------
// Rows for the report.

/** Targets from the issue. */
export const SCALE_TARGETS = {
  /** Heap per idle Peer, bytes, and at most this fraction of the reference's. */
  heapPerPeer: 5 * 1024,
  heapVsReference: 0.5,
  /** 1,000 peers connected within, ms. */
  connect1k: 2_000,
  /** CPU while idle, fraction of one core, at 10,000 peers. */
  idleCore: 0.01,
};

export interface ScaleRow {
  label: string;
  ours: string;
  reference: string;
  ratio: string;
  target: string;
}

const kib = (b: number): string => `${(b / 1024).toFixed(b >= 100 * 1024 ? 0 : 2)} KiB`;
const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const pct = (f: number): string => `${(f * 100).toFixed(f >= 0.1 ? 1 : 2)} %`;
const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
const na = '—';

function memCell(m: MemFigures | undefined, peersPerUnit: number): string {
  if (!m) return 'n/a';
  return `${kib(m.heapPerPeer / peersPerUnit)} heap, ${kib(m.rssPerPeer / peersPerUnit)} RSS, ${kib(m.externalPerPeer / peersPerUnit)} ext.`;
}

function heapRow(label: string, o: MemFigures | undefined, r: MemFigures | undefined, peersPerUnit: number): ScaleRow {
  const ratio = o && r ? o.heapPerPeer / r.heapPerPeer : NaN;
  let target = na;
  if (o) {
    const perPeer = o.heapPerPeer / peersPerUnit;
    const parts = [`≤5 KiB ${verdict(perPeer <= SCALE_TARGETS.heapPerPeer)}`];
    if (!Number.isNaN(ratio)) parts.push(`≤½ ref ${verdict(ratio <= SCALE_TARGETS.heapVsReference)}`);
    target = parts.join(', ');
  }
  return { label, ours: memCell(o, peersPerUnit), reference: memCell(r, peersPerUnit), ratio: Number.isNaN(ratio) ? na : `${ratio.toFixed(2)}×`, target };
}

function connectCell(c: ConnectFigures | undefined): string {
  if (!c) return 'n/a';
  const cpu =
    c.listenerCpuMs === undefined
      ? `CPU ${(c.cpuMs / c.peers).toFixed(2)} ms/conn.`
      : `CPU ${(c.cpuMs / c.peers).toFixed(2)} + ${(c.listenerCpuMs / c.peers).toFixed(2)} ms/conn.`;
  const extra = [c.retries ? `${c.retries} retried` : '', c.failed ? `${c.failed} FAILED` : ''].filter(Boolean).join(', ');
  return `${secs(c.ms)} (${int(c.perSecond)}/s, ${cpu}${extra ? `, ${extra}` : ''})`;
}

function connectRow(label: string, o: ConnectFigures | undefined, r: ConnectFigures | undefined, targetMs: number | null): ScaleRow {
  const ratio = o && r ? r.ms / o.ms : NaN;
  let target = na;
  if (o && targetMs !== null) {
    const scaled = (o.ms * 1000) / o.peers; // per 1,000 peers
    target = `1,000 in <${secs(targetMs)}: ${verdict(scaled < targetMs && o.failed === 0)}`;
  }
  return { label, ours: connectCell(o), reference: connectCell(r), ratio: Number.isNaN(ratio) ? na : `${ratio.toFixed(1)}× faster`, target };
}

export function scaleRows(s: ScaleResults): ScaleRow[] {
  const c = s.config;
  const rows: ScaleRow[] = [];
  const o1 = s.ours.oneProcess;
  const o2 = s.ours.twoProcess;
  const r1 = s.reference.oneProcess;
  const r2 = s.reference.twoProcess;
  rows.push(heapRow(`${int(c.peers)} idle peers, one process: per Peer (connection ÷ 2)`, o1?.oneProcess, r1?.oneProcess, 2));
  rows.push(heapRow(`${int(c.peers)} idle peers, two processes: dialer process, per Peer`, o2?.dialer, r2?.dialer, 1));
  rows.push(heapRow(`${int(c.peers)} idle peers, two processes: listener process, per Peer`, o2?.server, r2?.server, 1));
  rows.push(connectRow(`connect ${int(c.peers)} peers, two processes (cap 50 pending)`, o2?.connect, r2?.connect, SCALE_TARGETS.connect1k));
  rows.push(connectRow(`connect ${int(c.peers)} peers, one process (cap 50 pending)`, o1?.connect, r1?.connect, SCALE_TARGETS.connect1k));
  const b = s.ours.big;
  if (b) {
    const n = int(c.bigPeers);
    rows.push(connectRow(`connect ${n} peers, two processes (cap 50 pending)`, b.connect, undefined, null));
    rows.push(heapRow(`${n} idle peers: dialer process, per Peer`, b.dialer, undefined, 1));
    rows.push(heapRow(`${n} idle peers: listener process, per Peer`, b.server, undefined, 1));
    const di = b.idle.dialer;
    const si = b.idle.server;
    rows.push({
      label: `${n} idle peers: CPU, dialer process (ping every ${b.pingIntervalMs / 1000} s)`,
      ours: `${pct(di.coreFraction)} of a core (${int(di.userMs)} ms user + ${int(di.systemMs)} ms sys in ${di.seconds.toFixed(1)} s)`,
      reference: 'not run',
      ratio: na,
      target: `<1 %: ${verdict(di.coreFraction < SCALE_TARGETS.idleCore)}`,
    });
    rows.push({
      label: `${n} idle peers: CPU, listener process (ping every ${b.pingIntervalMs / 1000} s)`,
      ours: `${pct(si.coreFraction)} of a core (${int(si.userMs)} ms user + ${int(si.systemMs)} ms sys in ${si.seconds.toFixed(1)} s)`,
      reference: 'not run',
      ratio: na,
      target: `<1 %: ${verdict(si.coreFraction < SCALE_TARGETS.idleCore)}`,
    });
    const ok = (i: IdleResult): boolean => i.advanced === i.peersAtStart && i.peersAtEnd === i.peersAtStart && i.missed === 0;
    rows.push({
      label: `${n} idle peers: every ping loop got Pongs in the window, none missed`,
      ours: `dialer ${int(di.advanced)}/${int(di.peersAtStart)} (min ${di.minPongs} Pongs/peer, ${di.missed} missed), listener ${int(si.advanced)}/${int(si.peersAtStart)} (min ${si.minPongs}, ${si.missed} missed)`,
      reference: 'not run',
      ratio: na,
      target: verdict(ok(di) && ok(si)),
    });
  }
  return rows;
}

export function scaleNotes(s: ScaleResults): string[] {
  const c = s.config;
  const notes: string[] = [];
  const eff = Number.isFinite(s.nofile.effective) ? String(s.nofile.effective) : '?';
  notes.push(
    `Scale: each figure from fresh child processes (node --expose-gc, heap measured after forced GC, before and after connecting, divided by the peers connected); ${c.warmup} warm-up connections are made before the baseline and not counted.`,
    `Scale: file-descriptor limit: each child is started as \`bash -c 'ulimit -n ${WANT_NOFILE} || ulimit -n <hard limit>; exec node …'\` and ran with ${eff} (shell soft limit ${s.nofile.soft}, hard ${s.nofile.hard}); loopback 127.0.0.1 only; ${c.concurrency} dials in flight, refused dials retried.`,
    `Scale: ours pings every ${c.memPingMs / 1000} s in the memory runs, and the heap is measured once every loop (both ends) has had a Pong; the reference's ping interval is fixed at 15 s (its peer.js), so its loops have not fired yet when its heap is measured. Both run snap/1 as their one capability; the reference dialers are its Peer class driven as its RLPx.connect() does (one RLPx instance per dial key would add its 25,000-entry LRU cache per peer), its listener is its RLPx with maxPeers raised.`,
    `Scale: heap = V8 heapUsed (JS objects, including a few hundred KiB of JIT code compiled meanwhile, noticeable per peer at ${int(c.peers)} peers, negligible at ${int(c.bigPeers)}); "ext." = V8 external memory (Buffer and other off-heap backing stores); RSS also counts native state (OpenSSL cipher contexts, keccak sponges, libuv handles) and heap pages V8 reserved but has not filled, so it is coarse at ${int(c.peers)} peers. Kernel socket buffers are in none of them.`,
  );
  const b = s.ours.big;
  if (b) {
    const d = b.idle.dialer;
    const perPeerSecond = ((d.userMs + d.systemMs) * 1000) / d.seconds / d.peersAtStart; // µs CPU per peer per second
    const at15 = perPeerSecond * (b.pingIntervalMs / 15_000) * d.peersAtStart / 1e6;
    notes.push(
      `Scale: ${int(c.bigPeers)} peers: every peer pings every ${b.pingIntervalMs / 1000} s from both ends, so each process seals ${int((2 * d.peersAtStart * 1000) / b.pingIntervalMs)} and opens as many frames per second (its Pings and Pongs, and the other side's); dialer CPU is ${perPeerSecond.toFixed(2)} µs per peer per second, ${((perPeerSecond * b.pingIntervalMs) / 1000 / 4).toFixed(1)} µs per frame sealed or opened (syscalls, timers and GC included) — about ${pct(at15)} of a core at the default 15 s interval if all of it is ping work.`,
    );
  }
  const loads = [s.ours.oneProcess, s.ours.twoProcess, s.reference.oneProcess, s.reference.twoProcess, s.ours.big]
    .filter((x): x is MemScenario | BigScenario => x !== undefined)
    .map((x) => `${x.load[0].toFixed(2)}→${x.load[1].toFixed(2)}`);
  notes.push(`Scale: 1-minute load average per scenario (start→end): ${loads.join(', ')}; the scale part took ${s.seconds.toFixed(1)} s.`);
  for (const e of s.errors) notes.push(`Scale: ERROR ${e}`);
  return notes;
}
