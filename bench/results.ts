/** The results of one benchmark run: what bench/run.ts fills in and bench/report.ts renders. */
import type { Measurement } from './measure.js';
import type { GethResults } from './geth-types.js';
import type { ScaleResults } from './scale-types.js';

/** The parts of the benchmark a run can select with --only. */
export const SECTIONS = ['frames', 'handshake', 'scale', 'geth'] as const;
export type Section = (typeof SECTIONS)[number];

export interface Meta {
  date: string;
  node: string;
  v8: string;
  platform: string;
  arch: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  /** 1-minute load average at the start and at the end: other work on the machine skews the figures. */
  loadAverage: { start: number; end: number };
  backends: { keccak: string; secp256k1: string };
  reference: string;
  mode: 'full' | 'quick';
  warmupMs: number;
  budgetMs: number;
  samples: number;
  /** Wall time of the whole run, filled in at the end. */
  totalSeconds: number;
  /** The sections run (all by default; --only picks some). */
  sections: Section[];
}

export interface Row {
  /** Stable id for tools: "frames/64", "handshakes". */
  key: string;
  label: string;
  unit: 'MB/s' | 'handshakes/s';
  /** Headline figures, in `unit`. */
  ours: number;
  reference: number;
  ratio: number;
  /** Minimum ratio asked for, if any. */
  target: number | null;
  met: boolean | null;
  /** Raw counts: calls (frames or handshakes) per second, per-sample rates, totals. */
  detail: { ours: Measurement; reference: Measurement };
}

export interface Results {
  meta: Meta;
  rows: Row[];
  checks: {
    /** Every library's opened bodies matched their inputs at every size (the run aborts otherwise). */
    framesVerified: boolean;
    /** Ours ⇄ reference handshake and frames, both ways: "passed" or "FAILED: …". */
    interop: string;
  };
  /** Many idle peers on loopback (bench/scale.ts), when that section ran. */
  scale?: ScaleResults;
  /** The same echo work against geth's own p2p stack (bench/geth.ts), when that section ran. */
  geth?: GethResults;
}

export function makeRow(
  key: string,
  label: string,
  unit: Row['unit'],
  ours: { value: number; m: Measurement },
  reference: { value: number; m: Measurement },
  target: number | null,
): Row {
  const ratio = ours.value / reference.value;
  return {
    key,
    label,
    unit,
    ours: ours.value,
    reference: reference.value,
    ratio,
    target,
    met: target === null ? null : ratio >= target,
    detail: { ours: ours.m, reference: reference.m },
  };
}
