/**
 * discv5 (and discv4) on a simulated network: our own nodes (default 1,000 in 4 child processes,
 * each on its own 127.0.0.x), every node running discv4 and discv5 on one UDP port with one table
 * filled with the network (bench/discv5-sim-child.ts). For each protocol asked, the same network
 * is crawled by `rlpx crawl --discover vN` (the CLI, from src via tsx or from dist/) and by
 * `devp2p discvN crawl`, one after the other, seeded with the same node.
 *
 *   npx tsx bench/discv5-sim.ts [--protocol v5|v4|both] [--nodes 1000] [--children 4] [--built] [--devp2p-timeout 90]
 *   npm run bench -- --only discv5-sim --protocol both        (the same, from bench/run.ts)
 *
 * --built runs our crawl from dist/ (`npm run build` first), as users run it: RSS without tsx.
 *
 * Prints, per protocol and crawler: records found, time to find 90 % and 99 % (ours from its JSON lines'
 * arrival; devp2p's from its 8-second progress log, so to the next 8 s), datagrams sent per node
 * found (counted where they arrive, at the simulated nodes; over the whole run, which for devp2p
 * is its --timeout, and until 99 % were found), and peak RSS (VmHWM); then the ratios
 * ours/devp2p, and one JSON line with every figure.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gethBinaries } from '../test/helpers/geth.js';
import { received, startNetwork, type SimChild } from './sim-network.js';

const OPTIONS = {
  protocol: { type: 'string', default: 'v5' },
  nodes: { type: 'string', default: '1000' },
  children: { type: 'string', default: '4' },
  built: { type: 'boolean', default: false },
  'devp2p-timeout': { type: 'string', default: '90' },
  only: { type: 'string' },
} as const;

/** The network: its children and each node's "enode enr" line. */
async function startSimNetwork(total: number, nChildren: number): Promise<{ children: SimChild[]; nodes: { enode: string; enr: string }[] }> {
  const { children, lines } = await startNetwork('bench/discv5-sim-child.ts', total, nChildren);
  return { children, nodes: lines.map((l) => ({ enode: l.split(' ')[0]!, enr: l.split(' ')[1]! })) };
}

interface CrawlFigures {
  found: number;
  t90?: number;
  t99?: number;
  seconds: number;
  datagramsPerNode: number;
  /** Datagrams sent until 99 % were found (devp2p's at its next progress line), per node found then. */
  datagramsPerNodeAt99?: number;
  peakRssMiB: number;
}

/**
 * Run one crawler to its end. `progress` sees every output line (stdout and stderr) and returns
 * the number of nodes found so far when the line tells it; `found` reads the result file.
 */
async function crawl(children: SimChild[], total: number, cmd: string, args: string[], progress: (line: string) => number | undefined, found: () => number): Promise<CrawlFigures> {
  const before = await received(children);
  const t0 = performance.now();
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const want = Math.ceil(total * 0.99);
  let t90: number | undefined;
  let t99: number | undefined;
  let at99: Promise<number> | undefined;
  let peakKb = 0;
  const rss = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // it has ended
    }
  }, 200);
  const tail: string[] = [];
  const onLine = (l: string): void => {
    tail.push(l);
    if (tail.length > 12) tail.shift();
    const n = progress(l);
    if (n !== undefined && n >= Math.ceil(total * 0.9) && t90 === undefined) t90 = (performance.now() - t0) / 1000;
    if (n !== undefined && n >= want && t99 === undefined) {
      t99 = (performance.now() - t0) / 1000;
      at99 = received(children).then((r) => (r - before) / n);
    }
  };
  createInterface({ input: proc.stdout }).on('line', onLine);
  createInterface({ input: proc.stderr }).on('line', onLine);
  const code = await new Promise((r) => proc.on('close', r));
  clearInterval(rss);
  const seconds = (performance.now() - t0) / 1000;
  const perNodeAt99 = await at99;
  const sent = (await received(children)) - before;
  let n = 0;
  try {
    n = found();
  } catch (err) {
    process.stderr.write(`${cmd} ${args.join(' ')}: exit ${String(code)}, no result (${(err as Error).message})\n${tail.join('\n')}\n`);
  }
  if (t99 === undefined) process.stderr.write(`${cmd} ${args[0] ?? ''}…: 99 % not reached; its last lines:\n${tail.join('\n')}\n`);
  return {
    found: n,
    ...(t90 !== undefined ? { t90 } : {}),
    ...(t99 !== undefined ? { t99 } : {}),
    seconds,
    datagramsPerNode: sent / Math.max(n, 1),
    ...(perNodeAt99 !== undefined ? { datagramsPerNodeAt99: perNodeAt99 } : {}),
    peakRssMiB: peakKb / 1024,
  };
}

const recordsIn = (file: string) => (): number => Object.keys(JSON.parse(readFileSync(file, 'utf8')) as object).length;

/** `npm run bench -- --only discv5-sim [flags]`, or this file run alone with the same flags. */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: OPTIONS });
  if (!['v4', 'v5', 'both'].includes(values.protocol)) throw new RangeError('--protocol: v4, v5 or both');
  const protocols = values.protocol === 'both' ? (['v4', 'v5'] as const) : [values.protocol as 'v4' | 'v5'];
  const bin = gethBinaries();
  if (!bin) throw new Error('needs devp2p: bash scripts/build-geth.sh');
  const dir = mkdtempSync(join(tmpdir(), 'rlpx-discv5-sim-'));
  const { children, nodes } = await startSimNetwork(Number(values.nodes), Number(values.children));
  process.stderr.write(`network of ${nodes.length} nodes (discv4 and discv5 on one port each) ready\n`);
  const want = Math.ceil(nodes.length * 0.99);
  const cli = values.built ? ['dist/cli/main.js'] : ['--import', 'tsx', 'src/cli/main.ts'];
  const results: Record<string, { ours: CrawlFigures; devp2p: CrawlFigures }> = {};
  try {
    for (const proto of protocols) {
      const seed = proto === 'v4' ? nodes[0]!.enode : nodes[0]!.enr;
      let lines = 0;
      const oursFile = join(dir, `ours-${proto}.json`);
      const ours = await crawl(children, nodes.length, process.execPath, [...cli, 'crawl', seed, '--discover', proto, '--discover-idle', '10', '--timeout', '1000', '--nodes-json', oursFile], (l) => (l.startsWith('{') ? ++lines : undefined), recordsIn(oursFile));
      const theirsFile = join(dir, `devp2p-${proto}.json`);
      const devp2pArgs = ['--verbosity', '3', `disc${proto}`, 'crawl', '--timeout', `${values['devp2p-timeout']}s`, '--bootnodes', seed, '--addr', '127.0.0.1:0', theirsFile];
      const devp2p = await crawl(children, nodes.length, bin.devp2p, devp2pArgs, (l) => {
        const m = /added=(\d+)/.exec(l);
        return m ? Number(m[1]) : undefined;
      }, recordsIn(theirsFile));
      results[proto] = { ours, devp2p };
    }
  } finally {
    // The children exit when their stdin ends, whatever happened here.
    for (const c of children) c.proc.stdin.end();
    await Promise.all(children.map((c) => new Promise((r) => (c.proc.exitCode !== null ? r(null) : c.proc.on('close', r)))));
    rmSync(dir, { recursive: true, force: true });
  }

  const s = (x: number | undefined): string => (x === undefined ? '—' : `${x.toFixed(1)} s`);
  const row = (name: string, f: CrawlFigures, note: string): string =>
    `${name.padEnd(30)} ${String(f.found).padStart(5)} records, 90 % in ${s(f.t90).padStart(7)}, 99 % (${want}) in ${s(f.t99).padStart(7)}${note}, ended after ${s(f.seconds)}, ${f.datagramsPerNode.toFixed(1)} datagrams per node found (${f.datagramsPerNodeAt99?.toFixed(1) ?? '—'} until 99 %), peak RSS ${f.peakRssMiB.toFixed(0)} MiB`;
  const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || b === 0 ? '—' : `${(a / b).toFixed(2)}×`);
  console.log(`simulated network: ${nodes.length} nodes in ${values.children} processes on 127.0.0.2-${Number(values.children) + 1}, each running discv4 and discv5 on one UDP port`);
  for (const [proto, { ours, devp2p }] of Object.entries(results)) {
    console.log(row(`rlpx crawl --discover ${proto}${values.built ? ' (dist)' : ' (tsx)'}`, ours, ''));
    console.log(row(`devp2p disc${proto} crawl`, devp2p, ' (8 s log steps)'));
    console.log(`  ours/devp2p ${proto}: time to 90 % ${ratio(ours.t90, devp2p.t90)}, to 99 % ${ratio(ours.t99, devp2p.t99)}, datagrams per node ${ratio(ours.datagramsPerNode, devp2p.datagramsPerNode)} (until 99 %: ${ratio(ours.datagramsPerNodeAt99, devp2p.datagramsPerNodeAt99)}), peak RSS ${ratio(ours.peakRssMiB, devp2p.peakRssMiB)}`);
  }
  console.log(JSON.stringify({ nodes: nodes.length, want, results }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main(process.argv.slice(2));
