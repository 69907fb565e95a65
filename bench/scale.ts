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
 * Every figure comes from fresh child processes (bench/scale-worker.ts, driven through
 * bench/scale-child.ts) run with --expose-gc, so neither the parent's earlier benchmarks nor
 * the other library share their heap.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { ChildGroup, type Impl, type ScaleChild } from './scale-child.js';
import type { BigScenario, ConnectFigures, ConnectReply, IdleResult, MemFigures, MemSample, MemScenario, PingCheck, ScaleConfig, ScaleResults } from './scale-types.js';

const load1 = (): number => os.loadavg()[0]!;
/** Forced GCs over 10,000 peers' heap, in a process that is also serving their pings, take long on a loaded machine. */
const MEM_TIMEOUT_MS = 180_000;
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
async function waitServerPeers(server: ScaleChild, n: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await server.call<{ serverPeers: number }>('stats');
    if (s.serverPeers >= n || Date.now() > deadline) return s.serverPeers;
    await sleep(50);
  }
}

/** SCALE_PROFILE_DIR: CPU-profile both processes of the 10,000-peer run (the profiler's cost is in the figures then). */
async function profile(children: ScaleChild[], action: 'start' | 'stop', phase: string): Promise<void> {
  const dir = process.env.SCALE_PROFILE_DIR;
  if (!dir) return;
  await Promise.all(
    children.map((c, i) => c.call('profile', { action, path: path.join(dir, `${phase}-${i === 0 ? 'dialer' : 'listener'}.cpuprofile`) })),
  );
}

interface Setup {
  impl: Impl;
  /** The listener in its own process. */
  split: boolean;
  peers: number;
  pingMs: number;
  /** Wait for every loop (both ends) to have had a Pong before the heap is measured (ours only). */
  waitPings: boolean;
  /** CPU-profile the connect phase (SCALE_PROFILE_DIR). */
  profile: boolean;
}

interface Connected {
  dialer: ScaleChild;
  server: ScaleChild;
  connect: ConnectFigures;
  /** Dialer process (both ends when not split), and the listener process when split. */
  dialerMem: MemFigures;
  serverMem?: MemFigures;
  pings?: PingCheck;
}

/**
 * What every scenario does: start the children, listen, make the dial keys and the warm-up
 * connections, take the memory baseline, connect `peers` peers, wait for the listener to admit
 * them (and, for ours, for every ping loop's first Pong), and take the memory after.
 */
async function connectPeers(group: ChildGroup, s: Setup, cfg: ScaleConfig, progress: (m: string) => void): Promise<Connected> {
  const name = s.impl === 'ours' ? 'ours' : 'reference';
  const what = `scale: ${name}, ${s.peers.toLocaleString('en-US')} peers, ${s.split ? 'two processes' : 'one process'}`;
  const dialer = await group.start(s.impl, `${name} ${s.split ? 'dialer' : 'node'}`);
  const server = s.split ? await group.start(s.impl, `${name} listener`) : dialer;
  const total = s.peers + cfg.warmup;
  const addr = await server.call<{ port: number; id: string }>('listen', { pingInterval: s.pingMs, maxPeers: total + 100 });
  await dialer.call('keys', { n: total }, 120_000);
  const base = { host: '127.0.0.1', port: addr.port, id: addr.id, concurrency: cfg.concurrency, pingInterval: s.pingMs, maxRetries: 20 };
  const warm = await dialer.call<ConnectReply>('connect', { ...base, from: 0, count: cfg.warmup });
  if (warm.failed) throw new Error(`${name}: warm-up dials failed: ${warm.firstError}`);
  await waitServerPeers(server, cfg.warmup, 5_000);

  const before = await dialer.call<MemSample>('mem', {}, MEM_TIMEOUT_MS);
  const beforeServer = s.split ? await server.call<MemSample>('mem', {}, MEM_TIMEOUT_MS) : undefined;
  progress(`${what}: connecting…`);
  if (s.profile) await profile([dialer, server], 'start', 'connect');
  const cpu0 = s.split ? await server.call<{ ms: number }>('cpu') : undefined;
  const c = await dialer.call<ConnectReply>('connect', { ...base, from: cfg.warmup, count: s.peers }, 180_000);
  const cpu1 = s.split ? await server.call<{ ms: number }>('cpu') : undefined;
  if (s.profile) await profile([dialer, server], 'stop', 'connect');
  const admitted = await waitServerPeers(server, total, 15_000);
  if (admitted < total - c.failed) progress(`${what}: warning: listener admitted ${admitted} of ${total} peers`);

  let pings: PingCheck | undefined;
  if (s.waitPings) {
    progress(`${what}: waiting for every ping loop's first Pong…`);
    const timeoutMs = s.pingMs * 3 + 5_000;
    const args = { minReceived: 1, timeoutMs };
    const d = await dialer.call<{ peers: number; ready: number }>('waitPings', args, timeoutMs + 5_000);
    const sv = s.split ? await server.call<{ peers: number; ready: number }>('waitPings', args, timeoutMs + 5_000) : undefined;
    pings = { ready: d.ready + (sv?.ready ?? 0), peers: d.peers + (sv?.peers ?? 0) };
  }
  const after = await dialer.call<MemSample>('mem', {}, MEM_TIMEOUT_MS);
  const afterServer = s.split ? await server.call<MemSample>('mem', {}, MEM_TIMEOUT_MS) : undefined;
  return {
    dialer,
    server,
    connect: connectFigures(c, cfg.concurrency, cpu1 && cpu0 ? cpu1.ms - cpu0.ms : undefined),
    dialerMem: memFigures(before, after, c.connected),
    ...(beforeServer && afterServer ? { serverMem: memFigures(beforeServer, afterServer, c.connected) } : {}),
    ...(pings ? { pings } : {}),
  };
}

/** 1,000 peers, both ends in one process or the listener in its own: connect time and heap per peer. */
async function memScenario(impl: Impl, split: boolean, cfg: ScaleConfig, group: ChildGroup, progress: (m: string) => void): Promise<MemScenario> {
  const load0 = load1();
  const setup = { impl, split, peers: cfg.peers, pingMs: cfg.memPingMs, waitPings: impl === 'ours', profile: false };
  const r = await connectPeers(group, setup, cfg, progress);
  const s: MemScenario = { connect: r.connect, load: [load0, load1()] };
  if (split) {
    s.dialer = r.dialerMem;
    s.server = r.serverMem!;
  } else {
    s.oneProcess = r.dialerMem;
  }
  if (r.pings) s.pings = r.pings;
  return s;
}

/** 10,000 idle peers of ours, listener and dialers in two processes, then an idle window. */
async function bigScenario(cfg: ScaleConfig, group: ChildGroup, progress: (m: string) => void): Promise<BigScenario> {
  const load0 = load1();
  const setup = { impl: 'ours' as const, split: true, peers: cfg.bigPeers, pingMs: cfg.idlePingMs, waitPings: true, profile: true };
  const r = await connectPeers(group, setup, cfg, progress);
  const children = [r.dialer, r.server];
  progress(`scale: ours, ${cfg.bigPeers} peers: idle for ${(cfg.idleWindowMs / 1000).toFixed(0)} s, ping interval ${cfg.idlePingMs / 1000} s…`);
  await profile(children, 'start', 'idle');
  await Promise.all(children.map((c) => c.call('idleStart')));
  await sleep(cfg.idleWindowMs);
  const [dialer, server] = await Promise.all(children.map((c) => c.call<IdleResult>('idleEnd')));
  await profile(children, 'stop', 'idle');
  if (process.env.SCALE_PROFILE_DIR) progress(`scale: CPU profiles (connect, idle window) written to ${process.env.SCALE_PROFILE_DIR}`);
  return {
    connect: r.connect,
    dialer: r.dialerMem,
    server: r.serverMem!,
    pings: r.pings!,
    pingIntervalMs: cfg.idlePingMs,
    idle: { dialer: dialer!, server: server! },
    load: [load0, load1()],
  };
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
  /** One scenario in its own children, which go at its end whatever happens; a failure is recorded, not thrown. */
  const attempt = async (what: string, lifetimeMs: number, fn: (group: ChildGroup) => Promise<void>): Promise<void> => {
    const group = new ChildGroup(lifetimeMs, cfg.loader);
    try {
      await fn(group);
      await group.stop();
      if (Number.isFinite(group.nofile)) results.nofile.effective = group.nofile;
    } catch (err) {
      const msg = `${what}: ${err instanceof Error ? err.message : String(err)}`;
      results.errors.push(msg);
      progress(`scale: FAILED ${msg}`);
    } finally {
      await group.close();
    }
  };

  const impls: Impl[] = cfg.reference ? ['ours', 'ref'] : ['ours'];
  for (const impl of impls) {
    const side = impl === 'ours' ? results.ours : results.reference;
    const name = impl === 'ours' ? 'ours' : 'reference';
    await attempt(`${name}, one process`, 180_000, async (g) => void (side.oneProcess = await memScenario(impl, false, cfg, g, progress)));
    await attempt(`${name}, two processes`, 180_000, async (g) => void (side.twoProcess = await memScenario(impl, true, cfg, g, progress)));
  }
  if (cfg.bigPeers > 0) {
    await attempt(`ours, ${cfg.bigPeers} peers`, 240_000, async (g) => void (results.ours.big = await bigScenario(cfg, g, progress)));
  }
  results.seconds = (performance.now() - started) / 1000;
  return results;
}
