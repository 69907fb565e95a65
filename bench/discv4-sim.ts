/**
 * discv4 at scale: a simulated network of our own discv4 nodes (default 1,000 in 4 child
 * processes, each on its own 127.0.0.x, a UDP port per node, tables filled with the network),
 * crawled by `rlpx crawl --discover v4` (the CLI, from src via tsx or from dist/) and by
 * `devp2p discv4 crawl`, one after the other, seeded with the same node.
 *
 *   npx tsx bench/discv4-sim.ts [--nodes 1000] [--children 4] [--built] [--skip-devp2p]
 *
 * --built runs the crawl from dist/ (`npm run build` first), as users run it: RSS without tsx.
 *
 * Prints: time to find 99 % for each crawler (ours from its JSON lines' arrival; devp2p's from
 * its 8-second progress log, so to the next 8 s), datagrams our crawler sent per node found
 * (counted at the receiving nodes), and our crawler's peak RSS (VmHWM).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { gethBinaries } from '../test/helpers/geth.js';
import { watchPeakRss } from './peak-rss.js';
import { received, startNetwork } from './sim-network.js';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '1000' }, children: { type: 'string', default: '4' }, built: { type: 'boolean', default: false }, 'skip-devp2p': { type: 'boolean', default: false } } });
const total = Number(values.nodes);
const nChildren = Number(values.children);
const dir = mkdtempSync(join(tmpdir(), 'rlpx-discv4-sim-'));

const { children, lines: enodes } = await startNetwork('bench/discv4-sim-child.ts', total, nChildren);
process.stderr.write(`network of ${enodes.length} nodes ready\n`);
const want = Math.ceil(enodes.length * 0.99);


// Ours.
const before = await received(children);
const t0 = performance.now();
const cliArgs = values.built ? ['dist/cli/main.js'] : ['--import', 'tsx', 'src/cli/main.ts'];
const crawl = spawn(process.execPath, [...cliArgs, 'crawl', enodes[0]!, '--discover', 'v4', '--discover-idle', '10', '--timeout', '1000', '--nodes-json', join(dir, 'ours.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
let lines = 0;
let ours99: number | undefined;
const peak = watchPeakRss(crawl.pid!);
createInterface({ input: crawl.stdout }).on('line', (l) => {
  if (l.startsWith('{') && ++lines === want) ours99 = (performance.now() - t0) / 1000;
});
let stderr = '';
crawl.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
await new Promise((r) => crawl.on('close', r));
const peakMiB = peak.stop();
const oursTotal = (performance.now() - t0) / 1000;
const sent = (await received(children)) - before;
const oursFound = Object.keys(JSON.parse(readFileSync(join(dir, 'ours.json'), 'utf8')) as object).length;

// devp2p's.
const bin = values['skip-devp2p'] ? undefined : gethBinaries();
let theirs99: number | undefined;
let theirsFound = 0;
if (bin) {
  const t1 = performance.now();
  const dev = spawn(bin.devp2p, ['--verbosity', '3', 'discv4', 'crawl', '--timeout', '90s', '--bootnodes', enodes[0]!, '--addr', '127.0.0.1:0', join(dir, 'theirs.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
  createInterface({ input: dev.stderr }).on('line', (l) => {
    const m = /added=(\d+)/.exec(l);
    if (m && Number(m[1]) >= want && theirs99 === undefined) theirs99 = (performance.now() - t1) / 1000;
  });
  await new Promise((r) => dev.on('close', r));
  theirsFound = Object.keys(JSON.parse(readFileSync(join(dir, 'theirs.json'), 'utf8')) as object).length;
}

for (const c of children) c.proc.stdin.end();
await Promise.all(children.map((c) => new Promise((r) => c.proc.on('close', r))));
rmSync(dir, { recursive: true, force: true });
const f = (x: number | undefined): string => (x === undefined ? '—' : `${x.toFixed(1)} s`);
console.log(`discv4 simulated network: ${enodes.length} nodes in ${nChildren} processes on 127.0.0.2-${nChildren + 1}`);
console.log(`rlpx crawl --discover v4${values.built ? ' (dist)' : ' (tsx)'}: ${oursFound} records, 99 % (${want}) in ${f(ours99)}, ended after ${f(oursTotal)} (idle 10 s), ${(sent / Math.max(oursFound, 1)).toFixed(1)} datagrams sent per node found, peak RSS ${peakMiB} MiB`);
console.log(bin ? `devp2p discv4 crawl:      ${theirsFound} records, 99 % in ${f(theirs99)} (8 s log granularity)` : 'devp2p discv4 crawl: skipped');
if (!ours99) console.log(stderr.split('\n').slice(-12).join('\n'));
