/**
 * The eth fetch benchmark: blocks 1..600 of the ethtest chain with their bodies and receipts,
 * every item verified, fetched from one geth by our client (bench/eth-fetch-peer.ts, compiled)
 * and by a Go client on go-ethereum's eth packet types (bench/geth-peer fetch), each in its own
 * process, `reps` times on one session. Target: ours within 1.5x the Go client's time.
 *
 *   npm run bench -- --only eth-fetch [--reps N] [--json]
 */
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { compiled, ROOT } from './compile.js';
import { gethBinaries } from '../test/helpers/geth.js';
import { ETHTEST_BLOCKS, startChainGeth } from '../test/helpers/geth-chain.js';

const TARGET_RATIO = 1.5;

interface FetchRun {
  ms: number[];
  cpuUs: number;
  blocks: number;
  receipts: number;
  maxRssKb: number;
  heapPeakBytes?: number;
}

function runOne(cmd: string, args: string[]): Promise<FetchRun> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), 300_000);
    p.on('exit', (code) => {
      clearTimeout(t);
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as FetchRun);
      else reject(new Error(`${path.basename(cmd)} ${args[0] ?? ''}: exit ${code}: ${err.trim().split('\n').pop() ?? ''}`));
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { only: { type: 'string' }, reps: { type: 'string', default: '3' }, json: { type: 'boolean' } }, strict: false });
  const reps = String(values.reps ?? '3');
  const bin = gethBinaries();
  if (!bin) throw new Error('geth is not built: run scripts/build-geth.sh');
  const gethPeer = execFileSync('bash', [path.join(ROOT, 'scripts', 'build-geth-peer.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const geth = await startChainGeth(bin, { verbosity: 2 });
  try {
    const to = String(ETHTEST_BLOCKS);
    const go = await runOne(gethPeer, ['fetch', '-enode', geth.enode, '-to', to, '-reps', reps]);
    const ours = await runOne(process.execPath, [compiled('eth-fetch-peer.ts'), '--enode', geth.enode, '--to', to, '--reps', reps]);
    const perRep = (r: FetchRun): number => r.blocks / r.ms.length;
    const row = (name: string, r: FetchRun): Record<string, unknown> => ({
      client: name,
      medianMs: Math.round(median(r.ms) * 10) / 10,
      cpuUsPerBlock: Math.round(r.cpuUs / r.blocks),
      blocksPerRep: perRep(r),
      receiptsPerRep: r.receipts / r.ms.length,
      maxRssMiB: Math.round(r.maxRssKb / 102.4) / 10,
      heapPeakMiB: r.heapPeakBytes === undefined ? null : Math.round(r.heapPeakBytes / 2 ** 20 * 10) / 10,
    });
    const ratio = median(ours.ms) / median(go.ms);
    const result = { reps: Number(reps), rows: [row('go-ethereum (eth packet types)', go), row('rlpx (EthClient)', ours)], ratio: Math.round(ratio * 100) / 100, target: TARGET_RATIO, met: ratio <= TARGET_RATIO };
    if (values.json) console.log(JSON.stringify(result));
    else {
      console.log(`eth fetch: blocks 1..${to} + bodies + receipts, verified, ${reps} reps on one session each`);
      console.table(result.rows);
      console.log(`ours / Go (median time): ${result.ratio}x, target <= ${TARGET_RATIO}x: ${result.met ? 'met' : 'NOT met'}`);
    }
    if (!result.met) process.exitCode = 1;
  } finally {
    await geth.stop();
  }
}
