/**
 * Churn soak: many short-lived peers against one Server in this process, then a check that
 * nothing was left behind. Each cycle dials the server (TCP, RLPx handshake, Hello), sends
 * one Ping and waits for its Pong, and disconnects. CONCURRENCY cycles run at a time.
 *
 * After WARMUP cycles the baseline is taken: heap after GC, a census of our objects, open
 * file descriptors, active resources. At the end the same figures must be back:
 *   - the heap after GC within 10 % of the baseline, not counting V8's compiled code (see
 *     below);
 *   - no more live Peers, connections, sockets, frame codecs or timers than at the baseline
 *     (counted in a heap snapshot);
 *   - no more open fds than at the baseline (/proc/self/fd);
 *   - no more active handles or ref'd timers of any kind than at the baseline
 *     (process.getActiveResourcesInfo());
 *   - server.peers.size === 0 and server.pendingHandshakes === 0;
 *   - every cycle succeeded and the server rejected nothing.
 * Then the server is closed and fds and resources must be back to what they were before it
 * was started.
 *
 * Why the heap check leaves out compiled code: 100 cycles do not finish V8's tiering, so
 * process.memoryUsage().heapUsed goes on growing for thousands of cycles, by ~0.9 MiB (10-15 %
 * of a 7.5 MiB heap) in the first 1,000 and far more slowly after. Heap snapshots taken after
 * 100, 1,000 and 4,000 cycles put that growth in nodes of type "code" (machine code, deopt
 * data, relocation info, source position tables) and none in objects of ours. So the check
 * uses the snapshot's total without "code" nodes, and heapUsed is printed beside it.
 *
 *   npm run soak                       (node --expose-gc --import tsx test/soak/churn.ts)
 *   SOAK_CYCLES=5000 SOAK_CONCURRENCY=20 npm run soak
 *
 * Exits 1 when a check fails, 2 when it cannot run (no --expose-gc).
 */
import { readdirSync } from 'node:fs';
import { getHeapSnapshot } from 'node:v8';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import { listen, type Server } from '../../src/peer/server.js';
import { dial } from '../../src/peer/dial.js';

const CYCLES = intEnv('SOAK_CYCLES', 1_000);
const WARMUP = intEnv('SOAK_WARMUP', 100);
const CONCURRENCY = intEnv('SOAK_CONCURRENCY', 10);
const HEAP_TOLERANCE = 0.1;

function intEnv(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  return n;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('churn: global.gc is missing; run with node --expose-gc (npm run soak does)');
  process.exit(2);
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function heapUsedAfterGc(): Promise<number> {
  // Several rounds: finalizers and weak callbacks free more on the next one.
  for (let i = 0; i < 5; i++) {
    gc!();
    await tick();
  }
  return process.memoryUsage().heapUsed;
}

/** Our objects whose instances must not outlive a cycle; counted in a heap snapshot. */
const CENSUS = [
  'Peer',
  'ProtocolChannel',
  'RlpxConnection',
  'FrameReader',
  'FrameSealer',
  'HashMac',
  'HandshakeState',
  'RttStats',
  'Socket',
  'TCP',
  'Timeout',
] as const;

interface Census {
  /** Live instances of the CENSUS classes. */
  objects: Record<string, number>;
  /** Self sizes of all heap snapshot nodes, and of those that are not V8 code. */
  total: number;
  nonCode: number;
}

/** A heap snapshot (V8 collects garbage before taking it), summarised. */
async function census(): Promise<Census> {
  const chunks: string[] = [];
  for await (const c of getHeapSnapshot()) chunks.push(typeof c === 'string' ? c : (c as Buffer).toString('utf8'));
  const snap = JSON.parse(chunks.join('')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const step = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const wanted = new Set<string>(CENSUS);
  const objects: Record<string, number> = Object.fromEntries(CENSUS.map((k) => [k, 0]));
  let total = 0;
  let nonCode = 0;
  for (let i = 0; i < snap.nodes.length; i += step) {
    const type = types[snap.nodes[i + iType]!];
    const size = snap.nodes[i + iSize]!;
    total += size;
    if (type !== 'code') nonCode += size;
    if (type !== 'object') continue;
    const name = snap.strings[snap.nodes[i + iName]!]!;
    if (wanted.has(name)) objects[name]!++;
  }
  return { objects, total, nonCode };
}

function openFds(): number {
  // The directory's own fd is in the listing every time, so counts compare.
  return readdirSync('/proc/self/fd').length;
}

function resources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

/** Kinds that have more instances in `now` than in `base`. */
function excess(base: Record<string, number>, now: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(now)) if (n > (base[k] ?? 0)) out[k] = n - (base[k] ?? 0);
  return out;
}

const fmtMiB = (b: number): string => `${(b / 1024 / 1024).toFixed(2)} MiB`;
const pct = (f: number): string => `${f >= 0 ? '+' : ''}${(f * 100).toFixed(1)} %`;
const fmtRes = (r: Record<string, number>): string =>
  Object.entries(r)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, n]) => `${k}=${n}`)
    .join(' ') || '(none)';

/** One cycle: connect, handshake, Hello, Ping/Pong, Disconnect; returns the round-trip time. */
async function cycle(server: Server): Promise<number> {
  const peer = await dial(server.enode, {
    privateKey: generatePrivateKey(),
    clientId: 'churn/1',
    pingInterval: 0,
    connectTimeout: 5_000,
  });
  try {
    return await peer.ping();
  } finally {
    await peer.disconnect();
  }
}

const failures: unknown[] = [];

/** Run `count` cycles, CONCURRENCY at a time. */
async function churn(server: Server, count: number): Promise<void> {
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      started++;
      try {
        await cycle(server);
      } catch (err) {
        failures.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
}

/** Wait until the server side of every cycle is gone too. */
async function settled(server: Server, what: string): Promise<void> {
  const end = Date.now() + 5_000;
  while (server.peers.size > 0 || server.pendingHandshakes > 0) {
    if (Date.now() > end) {
      console.error(`churn: ${what}: ${server.peers.size} peers, ${server.pendingHandshakes} pending after 5 s`);
      return;
    }
    await sleep(10);
  }
  // Sockets close a tick or two after the peer table empties.
  await sleep(50);
}

async function main(): Promise<number> {
  const fdsAtStart = openFds();
  const resAtStart = resources();
  // One snapshot before anything is measured: what taking the first one leaves behind
  // (compiled census code, profiler state) is then in every figure alike.
  await census();

  const server = await listen({ privateKey: generatePrivateKey(), port: 0, clientId: 'churn-server/1', pingInterval: 0 });
  let rejected = 0;
  server.on('rejected', ({ error }) => {
    rejected++;
    if (rejected <= 5) console.error(`churn: server rejected a connection: ${error.name}: ${error.message}`);
  });

  const warmup = Math.min(WARMUP, CYCLES);
  const t0 = performance.now();
  await churn(server, warmup);
  await settled(server, 'after warm-up');
  const usedBase = await heapUsedAfterGc();
  const base = await census();
  const fdsBase = openFds();
  const resBase = resources();

  const t1 = performance.now();
  await churn(server, CYCLES - warmup);
  const t2 = performance.now();
  await settled(server, 'at the end');
  const usedEnd = await heapUsedAfterGc();
  const end = await census();
  const fdsEnd = openFds();
  const resEnd = resources();
  const peersEnd = server.peers.size;
  const pendingEnd = server.pendingHandshakes;

  await server.close();
  await sleep(50);
  const fdsClosed = openFds();
  const resClosed = resources();

  const heapDelta = (end.nonCode - base.nonCode) / base.nonCode;
  const usedDelta = (usedEnd - usedBase) / usedBase;
  const measured = CYCLES - warmup;
  const checks: Array<[string, boolean, string]> = [
    ['every cycle succeeded', failures.length === 0, `${failures.length} failed`],
    ['server rejected nothing', rejected === 0, `${rejected} rejected`],
    [
      `heap without code within ${HEAP_TOLERANCE * 100} % of post-warm-up`,
      heapDelta <= HEAP_TOLERANCE,
      `${fmtMiB(base.nonCode)} -> ${fmtMiB(end.nonCode)} (${pct(heapDelta)})`,
    ],
    ['no objects of ours retained', Object.keys(excess(base.objects, end.objects)).length === 0, `excess: ${fmtRes(excess(base.objects, end.objects))}`],
    ['no fds left open', fdsEnd <= fdsBase, `${fdsBase} -> ${fdsEnd}`],
    ['no handles/timers left', Object.keys(excess(resBase, resEnd)).length === 0, `excess: ${fmtRes(excess(resBase, resEnd))}`],
    ['server.peers.size === 0', peersEnd === 0, String(peersEnd)],
    ['server.pendingHandshakes === 0', pendingEnd === 0, String(pendingEnd)],
    ['fds back to pre-server count after close()', fdsClosed <= fdsAtStart, `${fdsAtStart} -> ${fdsClosed}`],
    [
      'resources back to pre-server after close()',
      Object.keys(excess(resAtStart, resClosed)).length === 0,
      `excess: ${fmtRes(excess(resAtStart, resClosed))}`,
    ],
  ];

  const total = (t2 - t0) / 1000;
  console.log('churn soak');
  console.log(`  cycles         ${CYCLES} (warm-up ${warmup}, measured ${measured}), concurrency ${CONCURRENCY}`);
  console.log(`  time           ${total.toFixed(2)} s total, ${((t2 - t1) / 1000).toFixed(2)} s measured`);
  console.log(`  cycles/s       ${(CYCLES / total).toFixed(0)} overall, ${(measured / ((t2 - t1) / 1000)).toFixed(0)} measured`);
  console.log(`  heap (gc'd)    heapUsed ${fmtMiB(usedBase)} after warm-up -> ${fmtMiB(usedEnd)} at the end (${pct(usedDelta)})`);
  console.log(`                 snapshot total ${fmtMiB(base.total)} -> ${fmtMiB(end.total)}, of which code ${fmtMiB(base.total - base.nonCode)} -> ${fmtMiB(end.total - end.nonCode)}`);
  console.log(`                 snapshot without code ${fmtMiB(base.nonCode)} -> ${fmtMiB(end.nonCode)} (${pct(heapDelta)})`);
  console.log(`  objects        after warm-up: ${fmtRes(base.objects)}`);
  console.log(`                 at the end:    ${fmtRes(end.objects)}`);
  console.log(`  fds            ${fdsAtStart} before listen, ${fdsBase} after warm-up, ${fdsEnd} at the end, ${fdsClosed} after close()`);
  console.log(`  resources      before listen: ${fmtRes(resAtStart)}`);
  console.log(`                 after warm-up: ${fmtRes(resBase)}`);
  console.log(`                 at the end:    ${fmtRes(resEnd)}`);
  console.log(`                 after close(): ${fmtRes(resClosed)}`);
  console.log(`  server         peers ${peersEnd}, pending handshakes ${pendingEnd}, rejected ${rejected}`);
  let failed = 0;
  for (const [name, ok, detail] of checks) {
    console.log(`  ${ok ? 'ok  ' : 'FAIL'}  ${name}: ${detail}`);
    if (!ok) failed++;
  }
  for (const err of failures.slice(0, 5)) console.error('  cycle error:', (err as Error)?.stack ?? err);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error('churn: crashed:', err);
    process.exitCode = 1;
  },
);
