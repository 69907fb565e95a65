/** The one renderer of a run's results: console tables and bench/REPORT.md, every section. */
import { sizeLabel } from './frames.js';
import type { Measurement } from './measure.js';
import {
  GETH_CPU_HEAD,
  GETH_FLOOR_HEAD,
  GETH_HEAD,
  GETH_HS_CPU_HEAD,
  GETH_HS_HEAD,
  gethCells,
  gethCpuCells,
  gethFloorCells,
  gethHandshakeCells,
  gethHandshakeCpuCells,
  gethNotes,
} from './report-geth.js';
import { SCALE_HEAD, scaleCells, scaleNotes } from './report-scale.js';
import { SECTIONS, type Meta, type Results, type Row } from './results.js';

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

function textTable(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ');
  const rule = widths.map((w) => '-'.repeat(w)).join('-+-');
  return [line(head), rule, ...body.map(line)].join('\n');
}

interface Table {
  /** Section heading in the markdown report, if any. */
  title?: string;
  head: string[];
  body: string[][];
}

/** Every table of the sections that ran, in order. */
function tables(results: Results): Table[] {
  const t: Table[] = [];
  if (results.rows.length > 0) t.push({ head: HEAD, body: cells(results.rows) });
  if (results.scale) t.push({ title: 'Scale', head: SCALE_HEAD, body: scaleCells(results.scale) });
  const g = results.geth;
  if (g) {
    t.push({ title: 'Against geth v1.17.5 (go-ethereum p2p as a library)', head: GETH_HEAD, body: gethCells(g) });
    t.push({ head: GETH_HS_HEAD, body: gethHandshakeCells(g) });
    t.push({ head: GETH_HS_CPU_HEAD, body: gethHandshakeCpuCells(g) });
    t.push({ head: GETH_CPU_HEAD, body: gethCpuCells(g) });
    if (g.floor.length > 0) t.push({ head: GETH_FLOOR_HEAD, body: gethFloorCells(g) });
  }
  return t.filter((x) => x.body.length > 0);
}

export function consoleTable(results: Results): string {
  return tables(results)
    .map((t) => textTable(t.head, t.body))
    .join('\n\n');
}

function loads(m: Meta): string {
  const { start, end } = m.loadAverage;
  return end < 0 ? start.toFixed(2) : `${start.toFixed(2)} → ${end.toFixed(2)}`;
}

export function describeRun(results: Results): string[] {
  const m = results.meta;
  const lines = [
    `node ${m.node} (V8 ${m.v8}), ${m.platform}/${m.arch}, ${m.cpu} × ${m.cores}, ${m.memoryGiB} GiB, load average (1 min) ${loads(m)}`,
    `ours: keccak ${m.backends.keccak}, secp256k1 ${m.backends.secp256k1}`,
    `mode: ${m.mode}, sections: ${m.sections.join(', ')}`,
  ];
  if (m.sections.some((x) => x !== 'geth')) {
    lines.splice(2, 0, `reference: ${m.reference} (keccak and secp256k1 from ethereum-cryptography / @noble, AES and SHA-256 from node:crypto)`);
  }
  if (m.sections.includes('frames') || m.sections.includes('handshake')) {
    lines.push(`throughput: ${m.warmupMs} ms warm-up, then ${m.budgetMs} ms in ${m.samples} samples per figure (median shown)`);
  }
  const gc = results.geth?.config;
  if (gc) {
    const work = gc.workloads.map((w) => `${w.n.toLocaleString('en-US')} × ${sizeLabel(w.size)}`);
    lines.push(`geth: ${work.join(', ')} echoed, ping-pong and streamed; handshakes at ${gc.handshakes.map((h) => h.concurrency).join(' and ')} in flight; best of ${gc.reps}`);
  }
  const sc = results.scale?.config;
  if (sc) {
    lines.push(
      `scale: ${sc.peers.toLocaleString('en-US')} peers (memory, connect time), ${sc.bigPeers.toLocaleString('en-US')} peers (idle CPU, ping every ${sc.idlePingMs / 1000} s, ${sc.idleWindowMs / 1000} s window), children ${sc.loader === 'tsx' ? 'under tsx' : 'compiled with tsc options, plain node'}`,
    );
  }
  return lines;
}

export function footnotes(results: Results): string[] {
  const notes: string[] = [];
  if (results.rows.length > 0) {
    if (results.rows.some((r) => r.unit === 'MB/s')) {
      notes.push('Frames: MB/s = 10^6 body bytes per second; one frame = seal on the initiator, open (both MACs checked) on the recipient.');
    }
    if (results.rows.some((r) => r.unit === 'handshakes/s')) {
      notes.push('Handshakes: auth create+parse, ack create+parse, secrets and frame state on both sides; no sockets.');
    }
    notes.push(noiseLine(results.rows));
    const checks = [results.checks.framesVerified ? 'opened bodies equal inputs for both libraries at every size' : '', `ours ⇄ reference interop ${results.checks.interop}`];
    notes.push(`Checks: ${checks.filter(Boolean).join('; ')}.`);
  }
  if (results.scale) notes.push(...scaleNotes(results.scale));
  if (results.geth) notes.push(...gethNotes(results.geth));
  return notes;
}

function mdTable(head: string[], body: string[][]): string[] {
  const row = (r: string[]): string => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [row(head), `|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...body.map(row), ''];
}

/** The markdown of one run, below a heading of `level` (the report's title or a Node's part). */
function markdownRun(results: Results, level: string): string[] {
  return [
    ...describeRun(results).map((l) => `- ${l}`),
    '',
    ...tables(results).flatMap((t) => [...(t.title ? [`${level}# ${t.title}`, ''] : []), ...mdTable(t.head, t.body)]),
    ...footnotes(results).map((l) => `- ${l}`),
    '',
  ];
}

function command(m: Meta, nodes: readonly string[]): string {
  const only = m.sections.length < SECTIONS.length ? ` --only ${m.sections.join(',')}` : '';
  return `npm run bench -- --report${only}${nodes.map((n) => ` --node ${n}`).join('')}`;
}

export function markdownReport(results: Results): string {
  const m = results.meta;
  return [
    '# RLPx benchmark report',
    '',
    `Generated by \`${command(m, [])}\` on ${m.date}, in ${m.totalSeconds.toFixed(1)} s.`,
    '',
    ...markdownRun(results, '#'),
  ].join('\n');
}

/** "node v24.22.3 (V8 13.6.233.17-node.40)": what produced a run's figures. */
export const nodeLabel = (m: Meta): string => `node ${m.node} (V8 ${m.v8})`;

/** Our frame and handshake figures side by side, one column per Node, when more than one ran. */
export function acrossNodes(runs: readonly Results[]): { head: string[]; body: string[][] } {
  const keys = [...new Map(runs.flatMap((r) => r.rows.map((row) => [row.key, row.label] as const))).entries()];
  const head = ['ours', ...runs.map((r) => nodeLabel(r.meta))];
  const body = keys.map(([key, label]) => [
    label,
    ...runs.map((r) => {
      const row = r.rows.find((x) => x.key === key);
      return row ? cell(row, 'ours') : '—';
    }),
  ]);
  return { head, body };
}

export function consoleAcrossNodes(runs: readonly Results[]): string {
  const t = acrossNodes(runs);
  return t.body.length > 0 ? textTable(t.head, t.body) : '';
}

/**
 * The report of one benchmark run per Node (--node): a part per Node under a heading that
 * names it and its V8, after a table of our figures side by side.
 */
export function markdownReportNodes(runs: readonly Results[], nodes: readonly string[], totalSeconds: number): string {
  const m = runs[0]!.meta;
  const t = acrossNodes(runs);
  const across = runs.length > 1 && t.body.length > 0 ? ['## Ours across Node versions', '', ...mdTable(t.head, t.body)] : [];
  return [
    '# RLPx benchmark report',
    '',
    `Generated by \`${command(m, nodes)}\` on ${m.date}, in ${totalSeconds.toFixed(1)} s: the same benchmark once under each Node, one after the other; each part's figures come from the Node and V8 in its heading.`,
    '',
    ...across,
    ...runs.flatMap((r) => [`## ${nodeLabel(r.meta)}`, '', ...markdownRun(r, '##')]),
  ].join('\n');
}
