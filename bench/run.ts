/**
 * RLPx benchmarks, this project against @ethereumjs/devp2p and against geth's own p2p stack, in
 * one run on one machine.
 *
 *   npm run bench                 full run (~1.5 s per figure per library after warm-up, then
 *                                 the scale section: 1,000 and 10,000 peers, then the geth
 *                                 section, which builds bench/geth-peer with Go the first time;
 *                                 a few minutes in all)
 *   npm run bench -- --quick      smoke run (~0.3 s per figure, 200 / 1,000 peers)
 *   npm run bench -- --only geth               one section, or several: --only frames,handshake
 *   npm run bench -- --only discv5-handshake   discv5 handshakes/s, ours vs devp2p discv5 listen
 *   npm run bench -- --only discv5-sim --protocol both   crawls of a simulated v4+v5 network
 *                                 (flags of their own: see bench/discv5-handshake.ts, discv5-sim.ts)
 *   npm run bench -- --json       also print the results as one JSON object on the last line
 *   npm run bench -- --report     also write bench/REPORT.md
 *   npm run bench -- --scale-tsx  run the scale children under tsx instead of compiled (see compile.ts)
 *   npm run bench -- --node 24    the same run under another Node: an executable, its directory or
 *                                 a version pinned in scripts/node-versions.sh; repeat it to run
 *                                 under several, one after the other (--node "$(command -v node)"
 *                                 --node 24), with a part per Node in the tables and REPORT.md;
 *                                 RLPX_BENCH_NODE=24,22 does the same (see other-node.ts)
 *
 * Progress goes to stderr; the tables (and JSON) to stdout. SCALE_PROFILE_DIR and GETH_PROFILE_DIR
 * write CPU profiles of the scale and geth sections (see scale.ts, geth.ts).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs as parseArgv } from 'node:util';
import { generatePrivateKey, publicKeyOf } from '../src/index.js';
import { keccakBackend, secp256k1Backend } from '../src/codec.js';
import { benchFrames, FRAME_SIZES, sizeLabel } from './frames.js';
import { benchHandshakes } from './handshake.js';
import { interopCheck, type Keys } from './interop.js';
import type { MeasureOptions } from './measure.js';
import { oursSubject } from './ours.js';
import { referenceSubject, referenceVersion } from './reference.js';
import { consoleAcrossNodes, consoleTable, describeRun, footnotes, markdownReport, markdownReportNodes } from './report.js';
import { execUnder, resolveNode, runUnder, takeNodeArgs } from './other-node.js';
import { makeRow, SECTIONS, type Results, type Row, type Section } from './results.js';
import { benchGeth } from './geth.js';
import { GETH_FULL, GETH_QUICK } from './geth-types.js';
import { benchScale } from './scale.js';
import { SCALE_FULL, SCALE_QUICK } from './scale-types.js';
import { TARGETS } from './targets.js';

const USAGE = `usage: tsx bench/run.ts [--quick] [--json] [--report] [--only ${SECTIONS.join('|')}[,…]] [--scale-tsx] [--node NODE]…`;

interface Flags {
  quick: boolean;
  json: boolean;
  report: boolean;
  sections: Section[];
  scaleTsx: boolean;
}

function parseSections(value: string | undefined): Section[] {
  const names = (value ?? '').split(',').map((s) => (s.trim() === 'handshakes' ? 'handshake' : s.trim()));
  const bad = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
  if (names.length === 0 || bad.length > 0) {
    console.error(`--only takes ${SECTIONS.join(', ')} (comma-separated), got "${value ?? ''}"\n${USAGE}`);
    process.exit(2);
  }
  return SECTIONS.filter((s) => names.includes(s));
}

function parseArgs(argv: string[]): Flags {
  let parsed;
  try {
    parsed = parseArgv({
      args: argv,
      options: {
        quick: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        report: { type: 'boolean', default: false },
        'scale-tsx': { type: 'boolean', default: false },
        only: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    process.exit(2);
  }
  if (parsed.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return {
    quick: parsed.quick,
    json: parsed.json,
    report: parsed.report,
    scaleTsx: parsed['scale-tsx'],
    sections: parsed.only === undefined ? [...SECTIONS] : parseSections(parsed.only),
  };
}

const progress = (msg: string): void => void process.stderr.write(`${msg}\n`);

async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  const flags = parseArgs(argv);
  const run = (s: Section): boolean => flags.sections.includes(s);
  const options: MeasureOptions = flags.quick
    ? { warmupMs: 100, budgetMs: 300, samples: 3 }
    : { warmupMs: 300, budgetMs: 1500, samples: 5 };

  // The same static keys for both libraries; node ids are the 64-byte x ‖ y public keys.
  const keyA = generatePrivateKey();
  const keyB = generatePrivateKey();
  const keys: Keys = { keyA, idA: publicKeyOf(keyA), keyB, idB: publicKeyOf(keyB) };
  const ours = oursSubject(keys);
  const reference = referenceSubject(keys);

  const results: Results = {
    meta: {
      date: new Date().toISOString(),
      node: process.version,
      v8: process.versions.v8,
      platform: `${os.platform()} ${os.release()}`,
      arch: os.arch(),
      cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
      cores: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      loadAverage: { start: os.loadavg()[0]!, end: -1 },
      backends: { keccak: keccakBackend, secp256k1: secp256k1Backend },
      reference: referenceVersion(),
      mode: flags.quick ? 'quick' : 'full',
      ...options,
      totalSeconds: 0,
      sections: flags.sections,
    },
    rows: [],
    checks: { framesVerified: false, interop: 'not run' },
  };
  progress(describeRun(results).join('\n'));

  if (run('frames') || run('handshake')) {
    try {
      interopCheck(keys);
      results.checks.interop = 'passed';
    } catch (err) {
      results.checks.interop = `FAILED: ${err instanceof Error ? err.message : String(err)}`;
      progress(`warning: ours ⇄ reference interop ${results.checks.interop}`);
    }
  }

  const rows: Row[] = [];
  for (const size of run('frames') ? FRAME_SIZES : []) {
    progress(`frames ${sizeLabel(size)}: ours…`);
    const o = benchFrames(ours, size, options);
    progress(`frames ${sizeLabel(size)}: reference…`);
    const r = benchFrames(reference, size, options);
    rows.push(
      makeRow(
        `frames/${size}`,
        `frame seal+open ${sizeLabel(size)}`,
        'MB/s',
        { value: o.mbPerSec, m: o },
        { value: r.mbPerSec, m: r },
        TARGETS.frames[size] ?? null,
      ),
    );
  }
  results.checks.framesVerified = run('frames');

  if (run('handshake')) {
    progress('handshakes: ours…');
    const ho = benchHandshakes(ours, options);
    progress('handshakes: reference…');
    const hr = benchHandshakes(reference, options);
    rows.push(
      makeRow(
        'handshakes',
        'handshake (both sides)',
        'handshakes/s',
        { value: ho.opsPerSec, m: ho },
        { value: hr.opsPerSec, m: hr },
        TARGETS.handshakes,
      ),
    );
  }
  results.rows = rows;

  if (run('scale')) {
    const cfg = { ...(flags.quick ? SCALE_QUICK : SCALE_FULL), loader: flags.scaleTsx ? ('tsx' as const) : ('compiled' as const) };
    results.scale = await benchScale(cfg, progress);
  }
  if (run('geth')) results.geth = await benchGeth(flags.quick ? GETH_QUICK : GETH_FULL, progress);
  results.meta.totalSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  results.meta.loadAverage.end = os.loadavg()[0]!;

  console.log(describeRun(results).join('\n'));
  console.log('');
  console.log(consoleTable(results));
  console.log('');
  console.log(footnotes(results).join('\n'));

  if (flags.report) {
    const url = new URL('./REPORT.md', import.meta.url);
    writeFileSync(url, markdownReport(results));
    console.log(`wrote ${url.pathname}`);
  }
  if (flags.json) console.log(JSON.stringify(results));
  if ((results.scale?.errors.length ?? 0) + (results.geth?.errors.length ?? 0) > 0) process.exitCode = 1;
}

/**
 * --node: the run under each Node given, one after the other, as children (other-node.ts); this
 * process only prints the figures side by side and writes the report and JSON.
 */
async function underNodes(specs: string[], args: string[], alone: boolean): Promise<void> {
  const started = process.hrtime.bigint();
  let nodes: string[];
  try {
    nodes = specs.map(resolveNode);
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    process.exit(2);
  }
  if (alone) {
    for (const node of nodes) {
      progress(`=== under ${node}`);
      const code = execUnder(node, args);
      if (code !== 0) process.exitCode = code;
    }
    return;
  }
  const report = args.includes('--report');
  const json = args.includes('--json');
  const childArgs = args.filter((a) => a !== '--report' && a !== '--json');
  const runs: Results[] = [];
  for (const node of nodes) {
    progress(`=== under ${node}`);
    runs.push(await runUnder(node, childArgs));
  }
  const across = runs.length > 1 ? consoleAcrossNodes(runs) : '';
  if (across) console.log(`\n${across}`);
  if (report) {
    const url = new URL('./REPORT.md', import.meta.url);
    writeFileSync(url, markdownReportNodes(runs, specs, Number(process.hrtime.bigint() - started) / 1e9));
    console.log(`wrote ${url.pathname}`);
  }
  if (json) console.log(JSON.stringify(runs));
  if (runs.some((r) => (r.scale?.errors.length ?? 0) + (r.geth?.errors.length ?? 0) > 0)) process.exitCode = 1;
}

let picked: { nodes: string[]; rest: string[] };
try {
  picked = takeNodeArgs(process.argv.slice(2));
} catch (err) {
  console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  process.exit(2);
}
const argv = picked.rest;
// Benchmarks that are programs of their own, each run alone by --only NAME: the crawl
// (bench/crawl.ts), the exporter (bench/exporter.ts), the eth fetch (bench/eth-fetch.ts), and
// discv5 against geth (bench/discv5-handshake.ts, bench/discv5-sim.ts), with their own flags and tables.
const alone = (name: string): boolean => argv.includes(`--only=${name}`) || argv.some((a, i) => a === '--only' && argv[i + 1] === name);
(picked.nodes.length > 0
  ? underNodes(picked.nodes, argv, alone('crawl') || alone('exporter') || alone('eth-fetch') || alone('discv5-handshake') || alone('discv5-sim'))
  : alone('crawl')
    ? import('./crawl.js').then((m) => m.crawlBenchMain(argv))
    : alone('exporter')
      ? import('./exporter.js').then((m) => m.main(argv))
      : alone('eth-fetch')
        ? import('./eth-fetch.js').then((m) => m.main(argv))
      : alone('discv5-handshake')
        ? import('./discv5-handshake.js').then((m) => m.main(argv))
      : alone('discv5-sim')
        ? import('./discv5-sim.js').then((m) => m.main(argv))
      : main()
).catch((err) => {
  console.error(err);
  process.exit(1);
});
