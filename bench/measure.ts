/** A time-budgeted loop: warm up, then count calls over a few equal samples. */

export interface MeasureOptions {
  /** Time spent calling fn before counting, so the JIT has settled. */
  warmupMs: number;
  /** Time spent counting, split into `samples` equal slices. */
  budgetMs: number;
  samples: number;
}

export interface Measurement {
  /** Median over the samples of calls per second: the headline figure. */
  opsPerSec: number;
  /** Calls per second of each sample, in order. */
  samples: number[];
  /** Calls counted and seconds spent, over all samples. */
  ops: number;
  seconds: number;
}

const now = (): bigint => process.hrtime.bigint();

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Call fn in batches that grow until a batch takes about a millisecond, so reading the
 * clock costs nothing next to the work, and stop each sample once its slice is spent.
 */
export function measure(fn: () => void, options: MeasureOptions): Measurement {
  let batch = 1;
  const run = (ns: bigint): { ops: number; ns: bigint } => {
    const start = now();
    let ops = 0;
    for (;;) {
      const t0 = now();
      for (let i = 0; i < batch; i++) fn();
      const t1 = now();
      ops += batch;
      if (t1 - start >= ns) return { ops, ns: t1 - start };
      if (t1 - t0 < 1_000_000n) batch *= 2;
    }
  };

  run(BigInt(Math.round(options.warmupMs * 1e6)));
  const slice = BigInt(Math.round((options.budgetMs / options.samples) * 1e6));
  const samples: number[] = [];
  let ops = 0;
  let ns = 0n;
  for (let i = 0; i < options.samples; i++) {
    const r = run(slice);
    samples.push(r.ops / (Number(r.ns) / 1e9));
    ops += r.ops;
    ns += r.ns;
  }
  return { opsPerSec: median(samples), samples, ops, seconds: Number(ns) / 1e9 };
}
