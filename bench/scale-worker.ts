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
import { once } from 'node:events';
import { Socket } from 'node:net';
import { Common, Mainnet } from '@ethereumjs/common';
import { Peer as RefPeerClass, RLPx, SNAP } from '@ethereumjs/devp2p';
import { dial, generatePrivateKey, hexToBytes, bytesToHex, listen, publicKeyOf, type Peer, type Server } from '../src/index.js';

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

/** The same capability on both libraries' peers: snap/1 (no Status exchange, no timers of its own). */
const SNAP_SPEC = { name: 'snap', version: 1, length: 8 } as const;
const CLIENT_ID = 'scale-bench';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The state of this process: one listening node (optional) and the peers it dialed.

/** Dial keys, generated before any baseline so they are not counted per peer. */
let keys: { priv: Uint8Array; id: Uint8Array }[] = [];

interface OursState {
  server?: Server;
  dialed: Peer[];
  rejected: number;
}
const ours: OursState = { dialed: [], rejected: 0 };

/** The reference's Peer, as far as we drive it. */
interface RefPeer {
  events: { once(ev: string, fn: (...args: unknown[]) => void): void; on(ev: string, fn: (...args: unknown[]) => void): void };
  _socket: Socket;
  _connected: boolean;
  _closed: boolean;
}
type RefPeerCtor = new (o: Record<string, unknown>) => RefPeer;
interface RefState {
  rlpx?: RLPx;
  common?: Common;
  dialed: RefPeer[];
  serverAdded: number;
  serverRemoved: number;
}
const ref: RefState = { dialed: [], serverAdded: 0, serverRemoved: 0 };
const refCommon = (): Common => (ref.common ??= new Common({ chain: Mainnet }));

// ---------------------------------------------------------------------------------------------
// Commands.

interface ListenArgs {
  pingInterval: number;
  maxPeers: number;
  /** Server's cap on handshakes in progress; undefined = the library default (ours: 50). */
  maxPendingHandshakes?: number;
}

async function cmdListen(a: ListenArgs): Promise<{ port: number; id: string }> {
  const privateKey = generatePrivateKey();
  if (impl === 'ours') {
    const server = await listen({
      privateKey,
      host: '127.0.0.1',
      port: 0,
      clientId: CLIENT_ID,
      maxPeers: a.maxPeers,
      ...(a.maxPendingHandshakes !== undefined ? { maxPendingHandshakes: a.maxPendingHandshakes } : {}),
      pingInterval: a.pingInterval,
      protocols: [SNAP_SPEC],
    });
    server.on('rejected', () => ours.rejected++);
    ours.server = server;
    return { port: server.address.port, id: bytesToHex(server.publicKey) };
  }
  // The reference node: its RLPx class, no discovery, maxPeers raised. Its ping interval is
  // fixed at 15 s (PING_INTERVAL in its peer.js); `timeout` is its ping (and connect) timeout.
  const rlpx = new RLPx(privateKey, {
    clientId: new TextEncoder().encode(CLIENT_ID),
    capabilities: [SNAP.snap],
    common: refCommon(),
    listenPort: null,
    dpt: null,
    maxPeers: a.maxPeers,
    timeout: 10_000,
  });
  rlpx.events.on('peer:added', () => ref.serverAdded++);
  rlpx.events.on('peer:removed', () => ref.serverRemoved++);
  rlpx.events.on('peer:error', () => {});
  rlpx.events.on('error', () => {});
  const server = rlpx['_server']!;
  const listening = once(server, 'listening');
  rlpx.listen(0, '127.0.0.1');
  await listening;
  ref.rlpx = rlpx;
  return { port: (server.address() as { port: number }).port, id: bytesToHex(rlpx.id) };
}

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

async function dialOurs(a: ConnectArgs, i: number, remoteId: Uint8Array): Promise<void> {
  const peer = await dial(
    { id: remoteId, host: a.host, port: a.port },
    { privateKey: keys[i]!.priv, clientId: CLIENT_ID, pingInterval: a.pingInterval, protocols: [SNAP_SPEC], connectTimeout: 5_000 },
  );
  // No per-peer listener of ours here: it would be counted in the peer's heap.
  ours.dialed.push(peer);
}

/** What the reference's RLPx.connect() does for one peer, with this peer's own key. */
async function dialRef(a: ConnectArgs, i: number, remoteId: Uint8Array): Promise<void> {
  const socket = new Socket();
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.setTimeout(5_000, () => reject(new Error('connect timeout')));
      socket.connect(a.port, a.host, () => resolve());
    });
  } catch (err) {
    socket.destroy();
    throw err;
  }
  socket.setTimeout(0);
  socket.removeAllListeners('error');
  const Ctor = RefPeerClass as unknown as RefPeerCtor;
  const peer = new Ctor({
    socket,
    remoteId,
    privateKey: keys[i]!.priv,
    id: keys[i]!.id,
    timeout: 10_000,
    clientId: new TextEncoder().encode(CLIENT_ID),
    capabilities: [SNAP.snap],
    common: refCommon(),
    port: null,
  });
  peer.events.on('error', () => {});
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no Hello within 10 s')), 10_000);
      peer.events.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
      peer.events.once('close', () => {
        clearTimeout(t);
        reject(new Error('closed before Hello'));
      });
      // A socket closed before the Hello exchange gets no 'close' from its Peer.
      socket.once('close', () => {
        clearTimeout(t);
        reject(new Error('socket closed before Hello'));
      });
    });
  } catch (err) {
    socket.destroy();
    throw err;
  }
  ref.dialed.push(peer);
}

async function cmdConnect(
  a: ConnectArgs,
): Promise<{ ms: number; cpuMs: number; connected: number; retries: number; failed: number; firstError?: string; marks: { n: number; ms: number; cpuMs: number }[] }> {
  const remoteId = hexToBytes(a.id);
  const one = impl === 'ours' ? dialOurs : dialRef;
  let next = a.from;
  const end = a.from + a.count;
  let retries = 0;
  let failed = 0;
  let connected = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  /** Elapsed and CPU time at every tenth of the way, to show whether the rate holds up as peers accumulate. */
  const marks: { n: number; ms: number; cpuMs: number }[] = [];
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
          await one(a, i, remoteId);
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

export interface MemSample {
  heapUsed: number;
  heapTotal: number;
  rss: number;
  external: number;
  arrayBuffers: number;
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

/** Every peer of ours in this process: the ones it dialed and the ones its server accepted. */
function allOurs(): Peer[] {
  return [...ours.dialed, ...(ours.server ? ours.server.peers.values() : [])];
}

async function cmdWaitPings(a: { minReceived: number; timeoutMs: number }): Promise<{ peers: number; ready: number; ms: number }> {
  const started = performance.now();
  for (;;) {
    const peers = allOurs();
    const ready = peers.filter((p) => p.rtt.received >= a.minReceived).length;
    const ms = performance.now() - started;
    if (ready === peers.length || ms > a.timeoutMs) return { peers: peers.length, ready, ms };
    await sleep(100);
  }
}

let idle: { cpu: NodeJS.CpuUsage; t: number; rtt: Map<Peer, { received: number; missed: number }> } | undefined;

function rttTable(): Map<Peer, { received: number; missed: number }> {
  const m = new Map<Peer, { received: number; missed: number }>();
  for (const p of allOurs()) {
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

function cmdStats(): Record<string, number> {
  if (impl === 'ours') {
    return {
      dialed: ours.dialed.length,
      dialedClosed: ours.dialed.filter((p) => p.isClosing).length,
      serverPeers: ours.server?.peers.size ?? 0,
      serverRejected: ours.rejected,
    };
  }
  return {
    dialed: ref.dialed.length,
    dialedClosed: ref.dialed.filter((p) => p._closed).length,
    serverPeers: ref.rlpx?.getPeers().length ?? 0,
    serverAdded: ref.serverAdded,
    serverRemoved: ref.serverRemoved,
  };
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
  listen: cmdListen,
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

process.send({ id: 0, ok: true, result: { ready: true, impl, pid: process.pid, nofile: Number(process.env.SCALE_NOFILE ?? NaN) } });
