/**
 * Serving rate: `rlpx listen --serve` against geth, both serving the ethtest chain (600 blocks,
 * receipts fetched from that geth with `rlpx fetch --receipts`), to the same clients:
 * - ours (EthClient) in this process, one request at a time: for each server and kind, items
 *   per second over a fixed window and the server's CPU per item (/proc utime+stime);
 * - the Go client on go-ethereum's eth packet types (bench/geth-peer fetch): blocks 1..600
 *   with bodies and receipts, verified, 3 times on one session; its time and the server's CPU.
 * At the end our server's peak RSS (VmHWM).
 *
 *   npx tsx bench/eth-serve.ts [seconds per figure, default 5]
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { generatePrivateKey } from '../src/crypto/secp256k1.js';
import { EthClient } from '../src/eth/client.js';
import { FileStore } from '../src/eth/file-store.js';
import { chainFromGenesis, genesisHeaderOf } from '../src/eth/genesis.js';
import { ethStatusResponder } from '../src/eth/protocol.js';
import { dial } from '../src/peer/dial.js';
import type { Peer } from '../src/peer/peer.js';
import { gethBinaries, gethPeerBinary } from '../test/helpers/geth.js';
import { startChainGeth } from '../test/helpers/geth-chain.js';
import { servedChainDir } from '../test/helpers/served-chain.js';

const SECONDS = Number(process.argv[2] ?? 5);
const TICK = 100; // clock ticks per second in /proc/<pid>/stat (getconf CLK_TCK)

/** CPU seconds used by a process so far. */
function cpuOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
}

interface Figure {
  server: string;
  kind: string;
  perSecond: number;
  cpuUsPerItem: number;
}

async function measure(server: string, pid: number, kind: string, once: () => Promise<number>): Promise<Figure> {
  for (let i = 0; i < 3; i++) await once(); // warm-up
  const cpu0 = cpuOf(pid);
  const t0 = performance.now();
  let items = 0;
  while (performance.now() - t0 < SECONDS * 1000) items += await once();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuOf(pid) - cpu0;
  return { server, kind, perSecond: items / seconds, cpuUsPerItem: (cpu * 1e6) / items };
}

async function main(): Promise<void> {
  const bin = gethBinaries();
  if (!bin) throw new Error('geth is needed: bash scripts/build-geth.sh');
  const geth = await startChainGeth(bin, { verbosity: 2 });
  const served = await servedChainDir(geth);
  const ours = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'listen', '--port', '0', '--serve', served.dir, '--genesis', served.genesis], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: ours.stdout! })[Symbol.asyncIterator]();
  const ourEnode = (await lines.next()).value as string;
  await lines.next(); // "serving ..."
  const text = readFileSync(served.genesis, 'utf8');
  const store = await FileStore.open(served.dir, { genesisHeader: genesisHeaderOf(JSON.parse(text) as Record<string, unknown>) });
  const chain = chainFromGenesis(text);
  const h = await store.head();
  const head = { earliestBlock: 0n, latestBlock: h.number, latestBlockHash: h.hash, time: h.time };
  const hashes = Array.from({ length: 600 }, (_, i) => store.hashAt(i + 1)!);
  const small = hashes.filter((_, i) => i + 1 !== 11); // block 11's receipts alone are over 10 MiB

  const figures: Figure[] = [];
  const peers: Peer[] = [];
  try {
    for (const [name, enode, pid] of [
      ['geth', geth.enode, gethProcessPid(geth.port)],
      ['ours', ourEnode, ours.pid!],
    ] as const) {
      const eth = ethStatusResponder({ chain, head: () => head });
      const client = new EthClient(eth);
      const peer = await dial(enode, { privateKey: generatePrivateKey(), pingInterval: 0, protocols: eth.protocols });
      peers.push(peer);
      await eth.status(peer);
      figures.push(await measure(name, pid, 'headers', async () => (await client.getBlockHeaders(peer, { origin: 0, amount: 601 })).length));
      figures.push(await measure(name, pid, 'bodies', async () => (await client.getBlockBodies(peer, hashes)).length));
      figures.push(await measure(name, pid, 'receipt lists', async () => (await client.getReceipts(peer, small)).length));
    }
    const goClient = gethPeerBinary();
    const goRuns: Array<{ server: string; ms: number; cpuMsPerBlock: number }> = [];
    if (goClient) {
      for (const [name, enode, pid] of [
        ['geth', geth.enode, gethProcessPid(geth.port)],
        ['ours', ourEnode, ours.pid!],
      ] as const) {
        const cpu0 = cpuOf(pid);
        const out = execFileSync(goClient, ['fetch', '-enode', enode, '-to', '600', '-batch', '128', '-reps', '3'], { encoding: 'utf8', timeout: 300_000 });
        const run = JSON.parse(out.trim().split('\n').pop()!) as { ms: number[] };
        const best = Math.min(...run.ms);
        goRuns.push({ server: name, ms: best, cpuMsPerBlock: ((cpuOf(pid) - cpu0) * 1000) / (600 * run.ms.length) });
      }
    }
    const rss = readFileSync(`/proc/${ours.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/)?.[1];
    console.log(`| kind | geth items/s | ours items/s | ours/geth | geth CPU µs/item | ours CPU µs/item |`);
    console.log(`| --- | --- | --- | --- | --- | --- |`);
    for (const kind of ['headers', 'bodies', 'receipt lists']) {
      const g = figures.find((f) => f.server === 'geth' && f.kind === kind)!;
      const o = figures.find((f) => f.server === 'ours' && f.kind === kind)!;
      console.log(`| ${kind} | ${g.perSecond.toFixed(0)} | ${o.perSecond.toFixed(0)} | ${(o.perSecond / g.perSecond).toFixed(2)}× | ${g.cpuUsPerItem.toFixed(1)} | ${o.cpuUsPerItem.toFixed(1)} |`);
    }
    for (const r of goRuns) console.log(`Go client (geth-peer fetch, 600 blocks + bodies + receipts, best of 3) from ${r.server}: ${r.ms.toFixed(0)} ms, server CPU ${r.cpuMsPerBlock.toFixed(3)} ms/block`);
    if (goRuns.length === 2) console.log(`ours/geth serving rate to the Go client: ${(goRuns[0]!.ms / goRuns[1]!.ms).toFixed(2)}×`);
    console.log(`our server's peak RSS: ${rss ? (Number(rss) / 1024).toFixed(1) : '?'} MiB; ${SECONDS} s per figure, one request in flight, client: ours (EthClient) for both`);
  } finally {
    for (const p of peers) p.destroy();
    ours.kill('SIGTERM');
    await store.close();
    await geth.stop();
    served.cleanup();
  }
}

/** geth's pid: the process listening on its p2p port (from /proc/net/tcp and /proc/<pid>/fd). */
function gethProcessPid(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inode = ['/proc/net/tcp', '/proc/net/tcp6']
    .flatMap((f) => readFileSync(f, 'utf8').split('\n'))
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[1]?.endsWith(`:${hex}`) && f[3] === '0A')?.[9];
  if (!inode) throw new Error(`no listener on port ${port}`);
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) if (readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) return Number(pid);
    } catch {
      // not ours to read, or gone
    }
  }
  throw new Error(`no process owns the listener on port ${port}`);
}

await main();
