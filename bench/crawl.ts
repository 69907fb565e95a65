/**
 * The crawl benchmark: nodes per second for a crawl of 1,000 and 5,000 local listeners held
 * by four other processes (test/helpers/listener-farm.ts), with the crawler's RSS. Target:
 * 1,000 nodes within 3 s. No dial rate limit (--rate 0), the default concurrency of 200.
 *
 *   npm run bench -- --only crawl [--quick] [--json]    (--quick: 1,000 nodes only)
 */
import os from 'node:os';
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

export async function crawlBenchMain(argv: string[]): Promise<void> {
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
