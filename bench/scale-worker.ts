/**
 * A child process for the scale benchmarks (bench/scale.ts). It holds many peers of one
 * library (`ours` or `ref`), as a listening node, as dialers, or both, and answers commands
 * from the parent over the IPC channel: listen, keys, connect, mem, waitPings, idleStart,
 * idleEnd, stats, exit.
 *
 *   node --expose-gc --import tsx bench/scale-worker.ts ours|ref
 *
 * Run with --expose-gc: `mem` measures the heap after forced collections. The process ends
 * itself when the parent goes away, on `exit`, or after its lifetime cap, whichever is first.
 */
import { generatePrivateKey, hexToBytes, publicKeyOf, type Peer } from '../src/index.js';
import { scaleNode } from './scale-nodes.js';
import type { ConnectReply, IdleResult, MemSample } from './scale-types.js';

type Impl = 'ours' | 'ref';
const impl = process.argv[2] as Impl;
if (impl !== 'ours' && impl !== 'ref') throw new Error(`usage: scale-worker.ts ours|ref (got ${process.argv[2]})`);
if (!process.send) throw new Error('scale-worker must be started with an IPC channel');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('scale-worker must run with --expose-gc');

/** Hard cap on this process's life, whatever the parent does. */
const LIFETIME_MS = Number(process.env.SCALE_WORKER_LIFETIME_MS ?? 300_000);
setTimeout(() => {
  process.stderr.write(`scale-worker(${impl}): lifetime of ${LIFETIME_MS} ms reached, exiting\n`);
  process.exit(3);
}, LIFETIME_MS).unref();
process.on('disconnect', () => process.exit(0));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const node = scaleNode(impl);

/** Dial keys, generated before any baseline so they are not counted per peer. */
let keys: { priv: Uint8Array; id: Uint8Array }[] = [];

// ---------------------------------------------------------------------------------------------
// Commands.

function cmdKeys(a: { n: number }): { n: number } {
  keys = Array.from({ length: a.n }, () => {
    const priv = generatePrivateKey();
    return { priv, id: publicKeyOf(priv) };
  });
  return { n: keys.length };
}

interface ConnectArgs {
  host: string;
  port: number;
  /** Hex node id of the listening node. */
  id: string;
  /** Use keys[from, from + count). */
  from: number;
  count: number;
  /** Dials in flight at once. */
  concurrency: number;
  /** Ping interval of the dialed peers (ours; the reference's is fixed at 15 s). */
  pingInterval: number;
  /** A dial refused (e.g. over the server's pending-handshake cap) is retried this many times. */
  maxRetries: number;
}

async function cmdConnect(a: ConnectArgs): Promise<ConnectReply> {
  const remoteId = hexToBytes(a.id);
  const to = { host: a.host, port: a.port, id: remoteId, pingInterval: a.pingInterval };
  let next = a.from;
  const end = a.from + a.count;
  let retries = 0;
  let failed = 0;
  let connected = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const marks: ConnectReply['marks'] = [];
  const step = Math.max(1, Math.round(a.count / 10));
  const mark = (): void => {
    const c = process.cpuUsage(cpu0);
    marks.push({ n: connected, ms: Math.round(performance.now() - started), cpuMs: Math.round((c.user + c.system) / 1000) });
  };
  const lane = async (): Promise<void> => {
    while (next < end) {
      const i = next++;
      for (let attempt = 0; ; attempt++) {
        try {
          await node.dial(to, keys[i]!);
          if (++connected % step === 0) mark();
          break;
        } catch (err) {
          firstError ??= err instanceof Error ? err.message : String(err);
          if (attempt >= a.maxRetries) {
            failed++;
            break;
          }
          retries++;
          await sleep(Math.min(50, 2 ** attempt));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(a.concurrency, a.count)) }, lane));
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, connected, retries, failed, marks, ...(firstError !== undefined ? { firstError } : {}) };
}

async function memOnce(): Promise<MemSample> {
  // Several passes, with turns of the event loop between them, so weak callbacks and
  // finalizers run and what is left is what the peers hold.
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, heapTotal: m.heapTotal, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers };
}

/**
 * The heap after forced GC, three times 150 ms apart; the sample with the least heap wins.
 * The live set can only be inflated by transient state (a ping in flight, a write being
 * flushed), so the minimum is the steady state.
 */
async function cmdMem(): Promise<MemSample> {
  let best = await memOnce();
  for (let i = 0; i < 2; i++) {
    await sleep(150);
    const m = await memOnce();
    if (m.heapUsed < best.heapUsed) best = m;
  }
  return best;
}

async function cmdWaitPings(a: { minReceived: number; timeoutMs: number }): Promise<{ peers: number; ready: number }> {
  const started = performance.now();
  for (;;) {
    const peers = node.ourPeers();
    const ready = peers.filter((p) => p.rtt.received >= a.minReceived).length;
    const ms = performance.now() - started;
    if (ready === peers.length || ms > a.timeoutMs) return { peers: peers.length, ready };
    await sleep(100);
  }
}

let idle: { cpu: NodeJS.CpuUsage; t: number; rtt: Map<Peer, { received: number; missed: number }> } | undefined;

function rttTable(): Map<Peer, { received: number; missed: number }> {
  const m = new Map<Peer, { received: number; missed: number }>();
  for (const p of node.ourPeers()) {
    const { received, missed } = p.rtt;
    m.set(p, { received, missed });
  }
  return m;
}

function cmdIdleStart(): { peers: number } {
  // The snapshots are taken outside the measured window.
  const rtt = rttTable();
  idle = { rtt, t: performance.now(), cpu: process.cpuUsage() };
  return { peers: rtt.size };
}

function cmdIdleEnd(): IdleResult {
  if (!idle) throw new Error('idleEnd without idleStart');
  const cpu = process.cpuUsage(idle.cpu);
  const seconds = (performance.now() - idle.t) / 1000;
  const end = rttTable();
  let advanced = 0;
  let missed = 0;
  let pongs = 0;
  let minPongs = Infinity;
  for (const [p, before] of idle.rtt) {
    const after = end.get(p);
    if (!after) {
      minPongs = 0;
      continue;
    }
    const got = after.received - before.received;
    if (got > 0) advanced++;
    pongs += got;
    minPongs = Math.min(minPongs, got);
    missed += after.missed;
  }
  const r: IdleResult = {
    seconds,
    userMs: cpu.user / 1000,
    systemMs: cpu.system / 1000,
    coreFraction: (cpu.user + cpu.system) / 1e6 / seconds,
    peersAtStart: idle.rtt.size,
    peersAtEnd: end.size,
    advanced,
    missed,
    pongs,
    minPongs: Number.isFinite(minPongs) ? minPongs : 0,
  };
  idle = undefined;
  return r;
}

function cmdStats(): { serverPeers: number } {
  return { serverPeers: node.serverPeers() };
}

/** CPU used by this process so far, ms. */
function cmdCpu(): { ms: number } {
  const c = process.cpuUsage();
  return { ms: (c.user + c.system) / 1000 };
}

let profiler: import('node:inspector').Session | undefined;

/** CPU profile of a window: `start`, then `stop` writes it (a .cpuprofile for Chrome DevTools) to `path`. */
async function cmdProfile(a: { action: 'start' | 'stop'; path?: string }): Promise<{ path?: string }> {
  const inspector = await import('node:inspector');
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) => profiler!.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  if (a.action === 'start') {
    profiler = new inspector.Session();
    profiler.connect();
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 200 });
    await post('Profiler.start');
    return {};
  }
  if (!profiler) throw new Error('profile stop without start');
  const { profile } = (await post('Profiler.stop')) as { profile: unknown };
  profiler.disconnect();
  profiler = undefined;
  const { writeFileSync } = await import('node:fs');
  writeFileSync(a.path!, JSON.stringify(profile));
  return { path: a.path! };
}

/** Write a heap snapshot (for offline analysis); returns its path. */
async function cmdHeapSnapshot(a: { path: string }): Promise<{ path: string }> {
  const v8 = await import('node:v8');
  gc!();
  return { path: v8.writeHeapSnapshot(a.path) };
}

// ---------------------------------------------------------------------------------------------
// The command loop.

const commands: Record<string, (args: never) => unknown> = {
  listen: (a: { pingInterval: number; maxPeers: number }) => node.listen(a),
  keys: cmdKeys,
  connect: cmdConnect,
  mem: cmdMem,
  waitPings: cmdWaitPings,
  idleStart: cmdIdleStart,
  idleEnd: cmdIdleEnd,
  stats: cmdStats,
  cpu: cmdCpu,
  profile: cmdProfile,
  heapSnapshot: cmdHeapSnapshot,
  exit: () => {
    setImmediate(() => process.exit(0));
    return {};
  },
};

process.on('message', (msg: { id: number; cmd: string; args?: unknown }) => {
  const fn = commands[msg.cmd];
  void (async () => {
    try {
      if (!fn) throw new Error(`unknown command ${msg.cmd}`);
      const result = await fn(msg.args as never);
      process.send!({ id: msg.id, ok: true, result });
    } catch (err) {
      process.send!({ id: msg.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  })();
});

// Stray errors from thousands of sockets must not end the run unreported.
process.on('uncaughtException', (err) => {
  process.stderr.write(`scale-worker(${impl}): uncaught ${err.stack ?? err}\n`);
  process.exit(4);
});

process.send({ id: 0, ok: true, result: { nofile: Number(process.env.SCALE_NOFILE ?? NaN) } });
