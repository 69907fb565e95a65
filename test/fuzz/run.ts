/**
 * The long fuzz run: every target of test/fuzz/targets/, 10^6 inputs each by default.
 *
 *   npm run fuzz                              10^6 inputs per decoder, random seed, 2 jobs
 *   npm run fuzz -- --runs 20000              smoke run
 *   npm run fuzz -- --seed=42 --only frame,snappy --jobs 1
 *   npm run fuzz -- --only hello --replay=<seed>:<path>    replay one failure, as printed
 *
 * Each decoder runs in batches of --batch inputs (fast-check runs, seeds derived from --seed);
 * a failing batch is shrunk to a minimal counterexample, printed, and the decoder goes on
 * with the next batch until --max-failures. Decoders are spread over --jobs worker processes.
 * Exits 1 if any property failed.
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { FrameReader, FrameSealer, MAX_FRAME_SIZE } from '../../src/wire/frame.js';
import { MAX_DECODED_SIZE, snappyCompress, snappyDecompress } from '../../src/wire/snappy.js';
import { freshSessionSecrets } from './fixtures.js';
import { CALL_BUDGET_MS, newStats, propertyOf, type AnyTarget } from './harness.js';
import { targets } from './targets/index.js';

const USAGE = `usage: tsx test/fuzz/run.ts [--runs N] [--seed=S] [--only a,b] [--jobs J] [--batch B] [--max-failures F] [--replay=SEED:PATH]
decoders: ${targets.map((t) => t.name).join(', ')}`;

interface Options {
  runs: number;
  seed: number;
  only: string[] | undefined;
  jobs: number;
  batch: number;
  maxFailures: number;
  replay: { seed: number; path: string } | undefined;
}

const OPTIONS = {
  runs: { type: 'string' },
  seed: { type: 'string' },
  only: { type: 'string' },
  jobs: { type: 'string' },
  batch: { type: 'string' },
  'max-failures': { type: 'string' },
  replay: { type: 'string' },
  worker: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function usageError(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function parsed(argv: string[]): ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'] {
  try {
    return parseArgs({ args: argv, options: OPTIONS }).values;
  } catch (err) {
    usageError((err as Error).message);
  }
}

function options(argv: string[]): Options {
  const values = parsed(argv);
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name: string, v: string | undefined, fallback: number, min: number): number => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min) usageError(`--${name} needs an integer >= ${min}, got ${v}`);
    return n;
  };
  let replay: Options['replay'];
  if (values.replay !== undefined) {
    const m = /^(-?\d+):([\d:]+)$/.exec(values.replay);
    if (!m) usageError('--replay needs SEED:PATH as printed by a failure');
    replay = { seed: Number(m[1]), path: m[2]! };
  }
  const o: Options = {
    runs: int('runs', values.runs, 1_000_000, 1),
    seed: int('seed', values.seed, (Date.now() ^ (process.pid << 16)) | 0, -(2 ** 31)) | 0,
    only: values.only?.split(',').filter(Boolean),
    jobs: int('jobs', values.jobs, Math.max(1, Math.min(2, os.availableParallelism())), 1),
    batch: int('batch', values.batch, 50_000, 1),
    maxFailures: int('max-failures', values['max-failures'], 3, 1),
    replay,
  };
  const unknown = o.only?.filter((n) => !targets.some((t) => t.name === n)) ?? [];
  if (unknown.length) usageError(`unknown decoder ${unknown.join(', ')}`);
  return o;
}

interface Failure {
  seed: number;
  path: string;
  counterexample: string;
  error: string;
}

interface TargetResult {
  name: string;
  runs: number;
  ms: number;
  failures: Failure[];
  /** Inputs per kind, shrinking runs included. */
  kinds: Record<string, number>;
  /** Inputs replayed after going over the time budget once (and passing the second time). */
  replays: number;
}

/** A seed per decoder and batch, so decoders and batches draw different inputs. */
function batchSeed(seed: number, name: string, batch: number): number {
  let h = 0x811c9dc5;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return (seed ^ h ^ Math.imul(batch + 1, 0x9e3779b1)) | 0;
}

function failureOf(d: fc.RunDetails<[{ kind: string }]>, seed: number): Failure {
  const err = d.errorInstance;
  return {
    seed,
    path: d.counterexamplePath ?? '',
    counterexample: fc.stringify(d.counterexample?.[0]),
    error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
  };
}

function runTarget(t: AnyTarget, o: Options): TargetResult {
  const stats = newStats();
  const failures: Failure[] = [];
  const t0 = performance.now();
  let runs = 0;
  if (o.replay) {
    const d = fc.check(propertyOf(t, stats), { seed: o.replay.seed, path: o.replay.path, numRuns: 1 });
    runs = 1;
    if (d.failed) failures.push(failureOf(d, o.replay.seed));
  } else {
    for (let b = 0; runs < o.runs && failures.length < o.maxFailures; b++) {
      const seed = batchSeed(o.seed, t.name, b);
      const n = Math.min(o.batch, o.runs - runs);
      const d = fc.check(propertyOf(t, stats), { seed, numRuns: n });
      runs += d.failed ? d.numRuns : n;
      if (d.failed) failures.push(failureOf(d, seed));
    }
  }
  return { name: t.name, runs, ms: performance.now() - t0, failures, kinds: Object.fromEntries(stats.kinds), replays: stats.replays };
}

function printResult(r: TargetResult): void {
  const us = (r.ms * 1000) / Math.max(1, r.runs);
  const kinds = Object.entries(r.kinds)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  console.log(
    `${r.name.padEnd(11)} ${String(r.runs).padStart(9)} inputs  ${String(r.failures.length).padStart(2)} failures  ${(r.ms / 1000).toFixed(1).padStart(7)} s  ${us.toFixed(1).padStart(6)} µs/input  budget replays ${r.replays}`,
  );
  console.log(`${''.padEnd(11)} kinds: ${kinds}`);
  for (const f of r.failures) {
    console.log(`  FAILURE ${r.name}: ${f.error}`);
    console.log(`    counterexample: ${f.counterexample.length > 2000 ? f.counterexample.slice(0, 2000) + '…' : f.counterexample}`);
    console.log(`    replay: npm run fuzz -- --only ${r.name} --replay=${f.seed}:${f.path}`);
  }
}

/**
 * What the largest legal inputs cost (not a fuzz property: see BOMBS in targets/snappy.ts):
 * ms, [fastest, slowest] of `tries`, each on a fresh input so allocation and page faults are
 * counted as in real life.
 */
function maximalInputCosts(tries = 3): Record<string, [number, number]> {
  const range = (fn: () => () => void): [number, number] => {
    const ms: number[] = [];
    for (let i = 0; i < tries; i++) {
      const call = fn();
      const t0 = performance.now();
      call();
      ms.push(performance.now() - t0);
    }
    return [Math.min(...ms), Math.max(...ms)];
  };
  const fullBomb = snappyCompress(new Uint8Array(MAX_DECODED_SIZE));
  const bigBody = new Uint8Array(MAX_FRAME_SIZE);
  return {
    [`snappyDecompress of a ${MAX_DECODED_SIZE}-byte payload (${fullBomb.length} bytes compressed)`]: range(() => () => snappyDecompress(fullBomb)),
    [`FrameReader.read of one ${MAX_FRAME_SIZE}-byte frame (MACs and decryption)`]: range(() => {
      const s = freshSessionSecrets();
      const reader = new FrameReader(s);
      reader.push(new FrameSealer(s).seal(bigBody));
      return () => reader.read();
    }),
  };
}

/** Run the selected targets over `jobs` worker processes, longest first, one target at a time each. */
async function runParallel(selected: AnyTarget[], o: Options): Promise<TargetResult[]> {
  const queue = [...selected].sort((a, b) => b.costHint - a.costHint); // longest first
  const results: TargetResult[] = [];
  const self = fileURLToPath(import.meta.url);
  const worker = async (): Promise<void> => {
    while (queue.length) {
      const t = queue.shift()!;
      // --seed=S: a negative seed must not read as an option.
      const args = ['--worker', '--only', t.name, '--runs', String(o.runs), `--seed=${o.seed}`, '--batch', String(o.batch), '--max-failures', String(o.maxFailures)];
      const result = await new Promise<TargetResult>((resolve, reject) => {
        const child = fork(self, args, { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        let got: TargetResult | undefined;
        child.on('message', (m) => (got = m as TargetResult));
        child.on('error', reject);
        child.on('exit', (code) => (got ? resolve(got) : reject(new Error(`worker for ${t.name} exited with ${code} and no result`))));
      });
      printResult(result);
      results.push(result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.jobs, selected.length) }, worker));
  return results;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const o = options(argv);
  const selected = targets.filter((t) => !o.only || o.only.includes(t.name));

  if (argv.includes('--worker')) {
    // One target, result to the parent over IPC.
    process.send!(runTarget(selected[0]!, o));
    return;
  }

  console.log(
    o.replay
      ? `replaying seed ${o.replay.seed} path ${o.replay.path} on ${selected.map((t) => t.name).join(', ')}`
      : `fuzzing ${selected.length} decoders, ${o.runs} inputs each, seed ${o.seed}, ${o.jobs} job(s), call budget ${CALL_BUDGET_MS} ms`,
  );
  if (!o.replay) {
    const cpu = selected.reduce((n, t) => n + t.costHint, 0) * o.runs * 1e-6;
    console.log(`estimate on an idle 2-core machine: ~${Math.ceil(cpu / Math.min(o.jobs, selected.length))} s wall (${Math.ceil(cpu)} s of runs)`);
  }
  const t0 = performance.now();
  let results: TargetResult[];
  if (o.jobs > 1 && selected.length > 1 && !o.replay) {
    results = await runParallel(selected, o);
  } else {
    results = [];
    for (const t of selected) {
      const r = runTarget(t, o);
      printResult(r);
      results.push(r);
    }
  }
  const total = (performance.now() - t0) / 1000;
  const failed = results.filter((r) => r.failures.length > 0);
  const inputs = results.reduce((n, r) => n + r.runs, 0);
  const cpu = results.reduce((n, r) => n + r.ms, 0) / 1000;
  console.log(`\n${inputs} inputs in ${total.toFixed(1)} s wall (${cpu.toFixed(1)} s in decoders' runs); ${failed.length ? `FAILED: ${failed.map((r) => r.name).join(', ')}` : 'no failures'}`);

  if (!o.replay && !o.only) {
    // Not a property: what the largest legal inputs cost, next to the per-call budget.
    console.log(`\nmaximal legal inputs (not fuzzed: linear in size, see BOMBS in targets/snappy.ts):`);
    for (const [what, [min, max]] of Object.entries(maximalInputCosts())) {
      console.log(`  ${min.toFixed(1).padStart(6)}-${max.toFixed(1)} ms  ${what}${max > CALL_BUDGET_MS ? `  (over the ${CALL_BUDGET_MS} ms budget)` : ''}`);
    }
  }
  process.exitCode = failed.length ? 1 : 0;
}

await main();
