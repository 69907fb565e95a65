/**
 * The benchmark under other Node versions: `--node NODE` (repeatable) or RLPX_BENCH_NODE (a
 * comma-separated list). NODE is a node executable, a directory holding one, or a name that
 * scripts/node-versions.sh pins ('24', '22'), fetched once into ~/.cache/rlpx.
 *
 * The run is repeated as a child `node --import tsx bench/run.ts ... --json` per Node, that Node
 * first on PATH, so that every process a section starts (scale children, echo peers: all spawned
 * with process.execPath) is that Node too and each figure comes from one V8. This process only
 * collects the children's results and writes the tables and the report, one part per Node.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Results } from './results.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const NODE_ENV = 'RLPX_BENCH_NODE';

/** The --node values in argv and the environment, and argv without them. */
export function takeNodeArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): { nodes: string[]; rest: string[] } {
  const nodes = (env[NODE_ENV] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--node') {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new RangeError('--node needs a value: a node executable, its directory, or a pinned version name (24, 22)');
      nodes.push(v);
    } else if (a.startsWith('--node=')) nodes.push(a.slice('--node='.length));
    else rest.push(a);
  }
  return { nodes, rest };
}

/** The node executable NODE names; throws with the reason when there is none. */
export function resolveNode(spec: string): string {
  let node: string;
  if (existsSync(spec)) node = statSync(spec).isDirectory() ? join(spec, 'node') : spec;
  else if (/^\d+(\.\d+)?$/.test(spec)) {
    // A pinned name: the script fetches it the first time and prints its bin dir.
    const bin = execFileSync('bash', [join(ROOT, 'scripts/node-versions.sh'), spec], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    node = join(bin, 'node');
  } else throw new RangeError(`--node ${spec}: no such file, and not a version name pinned in scripts/node-versions.sh`);
  execFileSync(node, ['--version'], { stdio: 'ignore' }); // throws if it does not run
  return realpathSync(node);
}

function childEnv(node: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env['PATH'] ?? ''}` };
  delete env[NODE_ENV];
  return env;
}

/** The benchmark (`args`, without --node) under `node`, its output as it is; its exit code. */
export function execUnder(node: string, args: readonly string[]): number {
  const r = spawnSync(node, ['--import', 'tsx', 'bench/run.ts', ...args], { cwd: ROOT, env: childEnv(node), stdio: 'inherit' });
  return r.status ?? 1;
}

/**
 * One run of the benchmark (`args`, without --node) under `node`: its tables pass through to
 * stdout and its progress to stderr as they come; resolves with its results.
 */
export function runUnder(node: string, args: readonly string[]): Promise<Results> {
  const child = spawn(node, ['--import', 'tsx', 'bench/run.ts', ...args, '--json'], { cwd: ROOT, env: childEnv(node), stdio: ['ignore', 'pipe', 'inherit'] });
  let last = '';
  // Every line but the last (the JSON) is shown; the last is held back until the next arrives.
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    if (last !== '') process.stdout.write(`${last}\n`);
    last = line;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      let results: Results | undefined;
      try {
        results = JSON.parse(last) as Results;
      } catch {
        if (last !== '') process.stdout.write(`${last}\n`);
      }
      if (results && code !== null && code <= 1) resolve(results); // 1: a section counted errors, results stand
      else reject(new Error(`the benchmark under ${node} exited ${code ?? signal} without results`));
    });
  });
}
