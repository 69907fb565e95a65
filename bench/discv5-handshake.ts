/**
 * discv5 handshakes per second: our endpoint (`rlpx listen --discovery v5`, the CLI) against
 * geth's (`devp2p discv5 listen`), driven in one run by the same Go driver (bench/geth-peer
 * `v5hsload`, go-ethereum's v5wire codec). A handshake is a fresh session: a new identity and a
 * new source address (127.64.0.0/10) each time sends a PING, gets WHOAREYOU, sends the handshake
 * message carrying the PING and gets the PONG. --c handshakes in flight, --n per repetition after
 * --warmup untimed ones, best of --reps.
 *
 *   npx tsx bench/discv5-handshake.ts [--n 2000] [--c 16] [--reps 3] [--warmup 2000] [--built] [--cpu-prof DIR]
 *   npm run bench -- --only discv5-handshake [the same flags]   (the same, from bench/run.ts)
 *
 * --built runs our endpoint from dist/ (`npm run build` first); --cpu-prof writes a V8 profile
 * of our endpoint into DIR and prints its top entries (bench/profile-top.ts).
 *
 * Prints handshakes/s (best repetition) for each, their ratio (ours / geth; the target is
 * >= 0.7), and each server's CPU per handshake (utime + stime from /proc/PID/stat over all timed
 * repetitions), then one JSON line with the same figures.
 */
import { execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gethBinaries } from '../test/helpers/geth.js';
import { profileTop } from './profile-top.js';

const OPTIONS = {
  n: { type: 'string', default: '2000' },
  c: { type: 'string', default: '16' },
  reps: { type: 'string', default: '3' },
  warmup: { type: 'string', default: '2000' },
  built: { type: 'boolean', default: false },
  'cpu-prof': { type: 'string' },
  only: { type: 'string' },
} as const;
type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];
const ROOT = path.resolve(import.meta.dirname, '..');

interface Load {
  perSec: number[];
  serverCpuUs: number[];
  handshakes: number;
  failed: number;
}

/** Start a server and wait for the line that carries its record. */
async function startServer(cmd: string, args: string[]): Promise<{ proc: ChildProcessByStdio<null, Readable, Readable>; enr: string }> {
  const proc = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  for await (const line of createInterface({ input: proc.stdout })) {
    const m = /(enr:[A-Za-z0-9_-]+)/.exec(line);
    if (m) return { proc, enr: m[1]! };
  }
  throw new Error(`${cmd} ${args.join(' ')} printed no record: ${stderr.trim().split('\n').pop() ?? ''}`);
}

function stop(proc: ChildProcessByStdio<null, Readable, Readable>): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve();
    proc.on('exit', () => resolve());
    proc.kill('SIGINT');
    setTimeout(() => proc.kill('SIGKILL'), 10_000).unref();
  });
}

function drive(values: Values, driver: string, enr: string, pid: number): Load {
  const args = ['v5hsload', '-enode', enr, '-n', values.n!, '-c', values.c!, '-reps', values.reps!, '-warmup', values.warmup!, '-pid', String(pid)];
  const out = execFileSync(driver, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 });
  return JSON.parse(out.trim().split('\n').pop()!) as Load;
}

/** `npm run bench -- --only discv5-handshake [flags]`, or this file run alone with the same flags. */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: OPTIONS });
  const driver = execFileSync('bash', [path.join(ROOT, 'scripts', 'build-geth-peer.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const bin = gethBinaries();
  if (!bin) throw new Error('needs geth: bash scripts/build-geth.sh');

  const profDir = values['cpu-prof'] && path.resolve(values['cpu-prof']);
  if (profDir) mkdirSync(profDir, { recursive: true });
  const nodeArgs = [...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []), ...(values.built ? ['dist/cli/main.js'] : ['--import', 'tsx', 'src/cli/main.ts'])];
  const ours = await startServer(process.execPath, [...nodeArgs, 'listen', '--host', '127.0.0.1', '--port', '0', '--discovery', 'v5', '--json']);
  const oursPid = ours.proc.pid!;
  let oursLoad: Load;
  try {
    oursLoad = drive(values, driver, ours.enr, oursPid);
  } finally {
    await stop(ours.proc);
  }

  const geth = await startServer(bin.devp2p, ['--verbosity', '1', 'discv5', 'listen', '--addr', '127.0.0.1:0']);
  let gethLoad: Load;
  try {
    gethLoad = drive(values, driver, geth.enr, geth.proc.pid!);
  } finally {
    await stop(geth.proc);
  }

  const n = Number(values.n);
  const summary = (l: Load): { perSec: number; cpuUsPerHandshake: number; failed: number } => ({
    perSec: Math.max(...l.perSec),
    cpuUsPerHandshake: l.serverCpuUs.reduce((a, b) => a + b, 0) / (n * l.perSec.length),
    failed: l.failed,
  });
  const o = summary(oursLoad);
  const g = summary(gethLoad);
  const line = (name: string, s: typeof o, all: number[]): string =>
    `${name.padEnd(38)} ${s.perSec.toFixed(0).padStart(6)} handshakes/s (best of ${all.map((x) => x.toFixed(0)).join(', ')}), server CPU ${s.cpuUsPerHandshake.toFixed(0)} µs per handshake${s.failed ? `, ${s.failed} lost` : ''}`;
  console.log(`discv5 handshakes, ${values.c} in flight, ${values.n} per repetition after ${values.warmup} warm-up, driver: geth-peer v5hsload (go-ethereum v5wire)`);
  console.log(line(`rlpx listen --discovery v5${values.built ? ' (dist)' : ' (tsx)'}`, o, oursLoad.perSec));
  console.log(line(`devp2p discv5 listen (${bin.version})`, g, gethLoad.perSec));
  console.log(`ratio ours/geth: ${(o.perSec / g.perSec).toFixed(2)}× handshakes/s (target >= 0.7), ${(o.cpuUsPerHandshake / g.cpuUsPerHandshake).toFixed(2)}× CPU per handshake`);
  console.log(JSON.stringify({ ours: o, geth: g, ratio: o.perSec / g.perSec, cpuRatio: o.cpuUsPerHandshake / g.cpuUsPerHandshake }));
  if (profDir) {
    // The main thread's profile (thread 0) of the endpoint we ran, not tsx's loader thread.
    const file = readdirSync(profDir).filter((f) => f.endsWith(".cpuprofile") && f.includes(`.${oursPid}.0.`)).pop();
    if (file) {
      const { totalMs, top } = profileTop(path.join(profDir, file), 15);
      console.log(`profile of our endpoint ${path.join(profDir, file)}: ${totalMs.toFixed(0)} ms sampled`);
      for (const t of top) console.log(`${t.selfMs.toFixed(1).padStart(9)} ms ${(t.share * 100).toFixed(1).padStart(5)} %  ${t.name}`);
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main(process.argv.slice(2));
