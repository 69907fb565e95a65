/**
 * What one idle peer of ours costs on the heap, object by object: heap snapshots of a dialer
 * process before and after it connects N peers to a listener in another process, diffed and
 * summarized by constructor (self sizes; an object's property and element backing stores are
 * charged to its constructor as "Name [props]" / "Name [elements]").
 *
 *   npx tsx bench/heap-census.ts [--peers 1000] [--side dialer|listener] [--top 40] [--ping 1000] [--keep] [--tsx]
 *
 * Loopback only; both children are killed at the end, on error too. Snapshots go to a temp
 * directory and are deleted (kept with --keep).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs as parseArgv } from 'node:util';
import { ChildGroup, type Loader } from './scale-child.js';

interface Args {
  peers: number;
  side: 'dialer' | 'listener';
  top: number;
  ping: number;
  /** Keep the snapshots (their paths are printed) instead of deleting them. */
  keep: boolean;
  loader: Loader;
}

function parseArgs(argv: string[]): Args {
  const { values: v } = parseArgv({
    args: argv,
    options: {
      peers: { type: 'string', default: '1000' },
      side: { type: 'string', default: 'dialer' },
      top: { type: 'string', default: '40' },
      ping: { type: 'string', default: '1000' },
      keep: { type: 'boolean', default: false },
      tsx: { type: 'boolean', default: false },
    },
  });
  const count = (name: string, value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} takes a positive integer, got "${value}"`);
    return n;
  };
  if (v.side !== 'dialer' && v.side !== 'listener') throw new Error(`--side takes dialer or listener, got "${v.side}"`);
  return { peers: count('peers', v.peers), side: v.side, top: count('top', v.top), ping: count('ping', v.ping), keep: v.keep, loader: v.tsx ? 'tsx' : 'compiled' };
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

interface Census {
  bytes: Map<string, number>;
  count: Map<string, number>;
  total: number;
}

/** Self sizes by constructor / kind, with backing stores charged to their owner. */
function census(file: string): Census {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const nf = s.snapshot.meta.node_fields;
  const ef = s.snapshot.meta.edge_fields;
  const nodeTypes = s.snapshot.meta.node_types[0];
  const edgeTypes = s.snapshot.meta.edge_types[0];
  const N = nf.length;
  const E = ef.length;
  const iType = nf.indexOf('type');
  const iName = nf.indexOf('name');
  const iSize = nf.indexOf('self_size');
  const iEdges = nf.indexOf('edge_count');
  const eType = ef.indexOf('type');
  const eName = ef.indexOf('name_or_index');
  const eTo = ef.indexOf('to_node');
  const nodeCount = s.nodes.length / N;

  const kind = (n: number): string => {
    const t = nodeTypes[s.nodes[n * N + iType]!]!;
    const name = s.strings[s.nodes[n * N + iName]!]!;
    switch (t) {
      case 'object':
        return name;
      case 'closure':
        return `closure ${name || '(anonymous)'}`;
      case 'string':
      case 'concatenated string':
      case 'sliced string':
        return '(string)';
      case 'number':
        return '(heap number)';
      case 'code':
        return `(code) ${name}`;
      default:
        return `(${t}) ${name}`;
    }
  };

  // Owner of each property / element backing store.
  const owner = new Int32Array(nodeCount).fill(-1);
  let e = 0;
  for (let n = 0; n < nodeCount; n++) {
    const count = s.nodes[n * N + iEdges]!;
    for (let k = 0; k < count; k++, e += E) {
      const et = edgeTypes[s.edges[e + eType]!];
      if (et !== 'internal') continue;
      const label = s.strings[s.edges[e + eName]!];
      if (label !== 'properties' && label !== 'elements') continue;
      const to = s.edges[e + eTo]! / N;
      owner[to] = n;
    }
  }

  const bytes = new Map<string, number>();
  const countMap = new Map<string, number>();
  let total = 0;
  for (let n = 0; n < nodeCount; n++) {
    const size = s.nodes[n * N + iSize]!;
    let key = kind(n);
    const o = owner[n]!;
    if (o >= 0) {
      const name = s.strings[s.nodes[n * N + iName]!]!;
      key = `${kind(o)} [${name.includes('elements') ? 'elements' : 'props'}]`;
    }
    bytes.set(key, (bytes.get(key) ?? 0) + size);
    countMap.set(key, (countMap.get(key) ?? 0) + 1);
    total += size;
  }
  return { bytes, count: countMap, total };
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rlpx-census-'));
  const group = new ChildGroup(180_000, a.loader);
  try {
    const listener = await group.start('ours', 'listener');
    const dialer = await group.start('ours', 'dialer');
    const warmup = 16;
    const addr = await listener.call<{ port: number; id: string }>('listen', { pingInterval: a.ping, maxPeers: a.peers + warmup + 100 });
    await dialer.call('keys', { n: a.peers + warmup });
    const base = { host: '127.0.0.1', port: addr.port, id: addr.id, concurrency: 50, pingInterval: a.ping, maxRetries: 20 };
    await dialer.call('connect', { ...base, from: 0, count: warmup });
    const target = a.side === 'dialer' ? dialer : listener;
    await new Promise((r) => setTimeout(r, 500));
    type Mem = { heapUsed: number };
    const mem0 = await Promise.all([dialer.call<Mem>('mem', {}, 120_000), listener.call<Mem>('mem', {}, 120_000)]);
    const before = await target.call<{ path: string }>('heapSnapshot', { path: path.join(dir, 'before.heapsnapshot') }, 120_000);
    const c = await dialer.call<{ connected: number }>('connect', { ...base, from: warmup, count: a.peers }, 120_000);
    const timeoutMs = a.ping * 3 + 3_000;
    await target.call('waitPings', { minReceived: 1, timeoutMs }, timeoutMs + 5_000);
    const mem1 = await Promise.all([dialer.call<Mem>('mem', {}, 120_000), listener.call<Mem>('mem', {}, 120_000)]);
    const after = await target.call<{ path: string }>('heapSnapshot', { path: path.join(dir, 'after.heapsnapshot') }, 120_000);
    await group.stop();

    const b = census(before.path);
    const f = census(after.path);
    const n = c.connected;
    const keys = new Set([...b.bytes.keys(), ...f.bytes.keys()]);
    const diff = [...keys]
      .map((k) => ({
        k,
        bytes: ((f.bytes.get(k) ?? 0) - (b.bytes.get(k) ?? 0)) / n,
        count: ((f.count.get(k) ?? 0) - (b.count.get(k) ?? 0)) / n,
      }))
      .sort((x, y) => y.bytes - x.bytes);
    const totalPerPeer = (f.total - b.total) / n;
    console.log(`heap census, ${a.side} process, ${n} peers (ping every ${a.ping} ms), ${a.loader === 'tsx' ? 'under tsx' : 'compiled'}, node ${process.version}`);
    const heapKiB = (i: number): string => ((mem1[i]!.heapUsed - mem0[i]!.heapUsed) / n / 1024).toFixed(2);
    console.log(`V8 heapUsed after forced GC: ${heapKiB(0)} KiB per peer in the dialer, ${heapKiB(1)} KiB in the listener`);
    // What V8's heap holds for a peer, without native state (backing stores, OpenSSL and libuv
    // wrappers) and without JIT code compiled meanwhile: steadier than heapUsed across runs.
    const js = diff.filter((d) => !/^\((native|synthetic|code)\)/.test(d.k)).reduce((t, d) => t + d.bytes, 0);
    console.log(`snapshot self sizes: ${(totalPerPeer / 1024).toFixed(2)} KiB per peer in total, ${(js / 1024).toFixed(2)} KiB of JS objects (no native state, no code)\n`);
    console.log(`${'bytes/peer'.padStart(10)}  ${'objs/peer'.padStart(9)}  ${'share'.padStart(6)}  what`);
    for (const d of diff.slice(0, a.top)) {
      console.log(`${d.bytes.toFixed(0).padStart(10)}  ${d.count.toFixed(2).padStart(9)}  ${((d.bytes / totalPerPeer) * 100).toFixed(1).padStart(5)}%  ${d.k}`);
    }
    const rest = diff.slice(a.top).reduce((s, d) => s + d.bytes, 0);
    console.log(`${rest.toFixed(0).padStart(10)}  ${''.padStart(9)}  ${((rest / totalPerPeer) * 100).toFixed(1).padStart(5)}%  (everything else)`);
  } finally {
    await group.close();
    if (a.keep) console.log(`snapshots kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
