/** The results object, and its renderings: a console table and bench/REPORT.md. */
import type { Measurement } from './measure.js';

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

function num(n: number): string {
  const digits = n >= 100 ? 0 : n >= 10 ? 1 : 2;
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function perSecond(n: number): string {
  if (n >= 1e6) return `${num(n / 1e6)} M/s`;
  if (n >= 1e3) return `${num(n / 1e3)} k/s`;
  return `${num(n)}/s`;
}

function cell(row: Row, which: 'ours' | 'reference'): string {
  if (row.unit === 'MB/s') return `${num(row[which])} MB/s (${perSecond(row.detail[which].opsPerSec)} frames)`;
  return `${num(row[which])} hs/s`;
}

function targetCell(row: Row): string {
  if (row.target === null) return '—';
  return `≥${row.target}× ${row.met ? 'met' : 'MISSED'}`;
}

/** (max − min) / median of a measurement's samples, in percent. */
function spread(m: Measurement): number {
  return ((Math.max(...m.samples) - Math.min(...m.samples)) / m.opsPerSec) * 100;
}

const HEAD = ['benchmark', 'ours', 'reference', 'ratio ours/ref', 'target'];

function cells(rows: Row[]): string[][] {
  return rows.map((r) => [r.label, cell(r, 'ours'), cell(r, 'reference'), `${num(r.ratio)}×`, targetCell(r)]);
}

function noiseLine(rows: Row[]): string {
  const worst = rows
    .flatMap((r) => [
      { what: `${r.label} (ours)`, s: spread(r.detail.ours) },
      { what: `${r.label} (reference)`, s: spread(r.detail.reference) },
    ])
    .sort((a, b) => b.s - a.s)[0];
  return worst ? `Widest sample spread (max−min over median): ${worst.s.toFixed(0)}% — ${worst.what}.` : '';
}

export function consoleTable(results: Results): string {
  const body = cells(results.rows);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ');
  const rule = widths.map((w) => '-'.repeat(w)).join('-+-');
  return [line(HEAD), rule, ...body.map(line)].join('\n');
}

function loads(m: Meta): string {
  const { start, end } = m.loadAverage;
  return end < 0 ? start.toFixed(2) : `${start.toFixed(2)} → ${end.toFixed(2)}`;
}

export function describeRun(results: Results): string[] {
  const m = results.meta;
  return [
    `node ${m.node} (V8 ${m.v8}), ${m.platform}/${m.arch}, ${m.cpu} × ${m.cores}, ${m.memoryGiB} GiB, load ${loads(m)}`,
    `ours: keccak ${m.backends.keccak}, secp256k1 ${m.backends.secp256k1}`,
    `reference: ${m.reference} (keccak and secp256k1 from ethereum-cryptography / @noble, AES and SHA-256 from node:crypto)`,
    `mode: ${m.mode} — ${m.warmupMs} ms warm-up, then ${m.budgetMs} ms in ${m.samples} samples per figure (median shown)`,
  ];
}

export function footnotes(results: Results): string[] {
  return [
    'Frames: MB/s = 10^6 body bytes per second; one frame = seal on the initiator, open (both MACs checked) on the recipient.',
    'Handshakes: auth create+parse, ack create+parse, secrets and frame state on both sides; no sockets.',
    noiseLine(results.rows),
    `Checks: opened bodies equal inputs for both libraries at every size; ours ⇄ reference interop ${results.checks.interop}.`,
  ];
}

export function markdownReport(results: Results): string {
  const m = results.meta;
  const body = cells(results.rows);
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const row = (r: string[]): string => `| ${r.map(esc).join(' | ')} |`;
  return [
    '# RLPx benchmark report',
    '',
    `Generated by \`npm run bench -- --report\` on ${m.date}, in ${m.totalSeconds.toFixed(1)} s.`,
    '',
    ...describeRun(results).map((l) => `- ${l}`),
    '',
    row(HEAD),
    `|${HEAD.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...body.map(row),
    '',
    ...footnotes(results).map((l) => `- ${l}`),
    '',
  ].join('\n');
}
