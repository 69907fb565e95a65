/**
 * The crawl benchmark: nodes per second for a crawl of 1,000 and 5,000 local listeners held
 * by four other processes (test/helpers/listener-farm.ts), with the crawler's RSS. Target:
 * 1,000 nodes within 3 s. No dial rate limit (--rate 0), the default concurrency of 200.
 *
 *   npm run bench -- --only crawl [--quick] [--json]    (--quick: 1,000 nodes only)
 *
 * With --cli: `rlpx crawl --nodes FILE --rate 0` from dist/ (`npm run build` first) as a child
 * process, as users run it, against 1,000 and 10,000 listeners; its peak RSS (VmHWM) at each and
 * the growth between them. Targets: ≤ 150 MiB at 10,000 nodes, growth ≤ 30 MiB.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { watchPeakRss } from './peak-rss.js';
import { crawl, CRAWL_DEFAULTS } from '../src/crawl/crawl.js';
import { startListenerFarm } from '../test/helpers/listener-farm.js';

const PROCESSES = 4;
const TARGET_SECONDS_1000 = 3;

export interface CrawlBenchRow {
  nodes: number;
  seconds: number;
  nodesPerSecond: number;
  failed: number;
  /** The crawler's peak RSS during the crawl, and before it started, MiB. */
  rssPeakMiB: number;
  rssBeforeMiB: number;
  /** The listener processes' RSS after the crawl, MiB each. */
  farmRssMiB: number[];
  loadAverage: number;
}

const mib = (b: number): number => Math.round((b / 2 ** 20) * 10) / 10;

async function one(nodes: number, progress: (m: string) => void): Promise<CrawlBenchRow> {
  progress(`crawl: starting ${nodes} listeners in ${PROCESSES} processes`);
  const farm = await startListenerFarm(nodes, PROCESSES);
  try {
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    let failed = 0;
    const t0 = performance.now();
    for await (const r of crawl(farm.enodes, { rate: 0, timeout: 30_000 })) if (r.outcome !== 'reachable' || r.error) failed++;
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const stats = await farm.stats();
    return {
      nodes, seconds: Math.round(seconds * 1000) / 1000, nodesPerSecond: Math.round(nodes / seconds), failed,
      rssPeakMiB: mib(peak), rssBeforeMiB: mib(rssBefore), farmRssMiB: stats.map((s) => mib(s.rss)), loadAverage: os.loadavg()[0]!,
    };
  } finally {
    await farm.close();
  }
}

export interface CliCrawlRow {
  nodes: number;
  /** JSON lines written, and those not reachable. */
  lines: number;
  failed: number;
  /** The CLI's peak RSS (VmHWM), MiB. */
  rssPeakMiB: number;
}

const CLI_TARGET_MIB_10K = 150;
const CLI_TARGET_GROWTH_MIB = 30;

/** `node dist/cli/main.js crawl --nodes FILE` against `nodes` listeners. */
async function cliOne(nodes: number, progress: (m: string) => void): Promise<CliCrawlRow> {
  progress(`crawl --cli: starting ${nodes} listeners in ${PROCESSES} processes`);
  const farm = await startListenerFarm(nodes, PROCESSES);
  const dir = mkdtempSync(join(os.tmpdir(), 'rlpx-crawl-bench-'));
  try {
    const list = join(dir, 'enodes.txt');
    writeFileSync(list, farm.enodes.join('\n') + '\n');
    const child = spawn(process.execPath, ['dist/cli/main.js', 'crawl', '--nodes', list, '--rate', '0', '--timeout', '30000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const peak = watchPeakRss(child.pid!);
    let lines = 0;
    let failed = 0;
    createInterface({ input: child.stdout }).on('line', (l) => {
      if (!l.startsWith('{')) return;
      lines++;
      if (!l.includes('"outcome":"reachable"') || !l.includes('"error":null')) failed++;
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    const rssPeakMiB = peak.stop();
    if (code !== 0) throw new Error(`rlpx crawl exited ${code}: ${stderr.slice(-2000)}`);
    return { nodes, lines, failed, rssPeakMiB };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await farm.close();
  }
}

async function cliMain(argv: string[], progress: (m: string) => void): Promise<void> {
  const rows: CliCrawlRow[] = [];
  for (const n of [1_000, 10_000]) rows.push(await cliOne(n, progress));
  const growth = Math.round((rows[1]!.rssPeakMiB - rows[0]!.rssPeakMiB) * 10) / 10;
  console.log(`crawl, CLI from dist/ (node ${process.version}): ${PROCESSES} listener processes, concurrency ${CRAWL_DEFAULTS.concurrency}, no rate limit`);
  console.log('| nodes | lines | failed | peak RSS (VmHWM) | target |');
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const target = r.nodes === 10_000 ? `≤${CLI_TARGET_MIB_10K} MiB ${r.rssPeakMiB <= CLI_TARGET_MIB_10K ? 'met' : 'missed'}` : '—';
    console.log(`| ${r.nodes.toLocaleString('en')} | ${r.lines} | ${r.failed} | ${r.rssPeakMiB} MiB | ${target} |`);
  }
  console.log(`growth 1,000 → 10,000 nodes: ${growth} MiB (target ≤${CLI_TARGET_GROWTH_MIB} MiB ${growth <= CLI_TARGET_GROWTH_MIB ? 'met' : 'missed'})`);
  if (argv.includes('--json')) console.log(JSON.stringify({ crawlCli: rows, growthMiB: growth }));
  if (rows.some((r) => r.failed > 0 || r.lines !== r.nodes)) process.exitCode = 1;
}

export async function crawlBenchMain(argv: string[]): Promise<void> {
  if (argv.includes('--cli')) return cliMain(argv, (m) => void process.stderr.write(`${m}\n`));
  const quick = argv.includes('--quick');
  const progress = (m: string): void => void process.stderr.write(`${m}\n`);
  const rows: CrawlBenchRow[] = [];
  for (const n of quick ? [1_000] : [1_000, 5_000]) rows.push(await one(n, progress));
  console.log(`crawl: ${os.cpus().length} cores, ${PROCESSES} listener processes, concurrency ${CRAWL_DEFAULTS.concurrency}, no rate limit`);
  console.log('| nodes | time | nodes/s | failed | crawler RSS peak (before) | listener RSS each | 1-min load | target |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const target = r.nodes === 1_000 ? `≤${TARGET_SECONDS_1000} s ${r.seconds <= TARGET_SECONDS_1000 ? 'met' : 'missed'}` : '—';
    console.log(`| ${r.nodes.toLocaleString('en')} | ${r.seconds.toFixed(2)} s | ${r.nodesPerSecond.toLocaleString('en')} | ${r.failed} | ${r.rssPeakMiB} MiB (${r.rssBeforeMiB}) | ${r.farmRssMiB.join(' / ')} MiB | ${r.loadAverage.toFixed(1)} | ${target} |`);
  }
  if (argv.includes('--json')) console.log(JSON.stringify({ crawl: rows }));
  if (rows.some((r) => r.failed > 0)) process.exitCode = 1;
}
