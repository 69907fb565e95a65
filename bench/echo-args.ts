/**
 * The command line both echo programs share (bench/echo-peer.ts over RLPx, bench/tcp-echo.ts over
 * plain TCP): `listen`, or `drive` with the peer to reach (named by `target`), the request count,
 * size, mode, repetitions and warm-up, checked the same way for both so their figures compare.
 */
import { parseArgs } from 'node:util';

export interface DriveArgs {
  target: string;
  n: number;
  size: number;
  stream: boolean;
  reps: number;
  warmup: number;
}

/** 'listen', or the drive settings; throws `usage` when the arguments do not fit. */
export function echoArgs(argv: string[], target: 'addr' | 'enode', usage: string): 'listen' | DriveArgs {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      [target]: { type: 'string' },
      n: { type: 'string' },
      size: { type: 'string', default: '64' },
      mode: { type: 'string', default: 'pingpong' },
      reps: { type: 'string', default: '3' },
      warmup: { type: 'string' },
    },
  });
  if (positionals[0] === 'listen') return 'listen';
  const to = v[target];
  const n = Number(v['n']);
  const size = Number(v['size']);
  const reps = Number(v['reps']);
  const warmup = v['warmup'] === undefined ? Math.floor(n / 10) : Number(v['warmup']);
  const ok = (x: number, min: number): boolean => Number.isInteger(x) && x >= min;
  const mode = v['mode'];
  if (positionals[0] !== 'drive' || typeof to !== 'string' || !ok(n, 1) || !ok(size, 4) || !ok(reps, 1) || !ok(warmup, 0) || (mode !== 'pingpong' && mode !== 'stream')) {
    throw new Error(usage);
  }
  return { target: to, n, size, stream: mode === 'stream', reps, warmup };
}
