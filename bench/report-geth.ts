/** The geth section's tables and notes for the report (bench/report.ts renders them). */
import os from 'node:os';
import path from 'node:path';
import { sizeLabel } from './frames.js';
import { PAIRS, type GethCell, type GethResults, type HandshakeRow, type Impl, type PairKey } from './geth-types.js';

export const GETH_HEAD = ['same work (best of 3)', 'geth⇄geth', 'geth drives ours', 'ours drives geth', 'ours⇄ours', 'ours/geth'];
export const GETH_HS_HEAD = ['served handshakes + Hello (geth dialer)', 'geth', 'ours', 'ours/geth'];
export const GETH_HS_CPU_HEAD = ['CPU per served handshake + Hello (most in flight)', 'geth', 'ours', 'ours/geth'];
export const GETH_CPU_HEAD = ['CPU per ping round trip (64 B ping-pong)', 'geth', 'ours', 'ours/geth'];
export const GETH_FLOOR_HEAD = ['over the runtime\'s plain TCP echo (best of 3)', 'Go floor', 'geth⇄geth', 'geth over floor', 'Node floor', 'ours⇄ours', 'ours over floor', 'ours/geth over floor'];

const ms = (x: number): string => (x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`);
const ratio = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');

export function gethCells(g: GethResults): string[][] {
  return g.rows.map((r) => {
    const base = r.cells['geth-geth']?.best ?? NaN;
    const cell = (k: PairKey): string => {
      const c = r.cells[k];
      if (!c) return 'FAILED';
      return k === 'geth-geth' ? ms(c.best) : `${ms(c.best)} (${ratio(c.best / base)})`;
    };
    const label = `${r.n.toLocaleString('en-US')} × ${sizeLabel(r.size)} ${r.mode === 'stream' ? 'streamed' : 'ping-pong'}`;
    return [label, ...PAIRS.map((p) => cell(p.key)), ratio((r.cells['ours-ours']?.best ?? NaN) / base)];
  });
}

const best = (xs: number[] | undefined): number => (xs && xs.length > 0 ? Math.max(...xs) : NaN);

export function gethHandshakeCells(g: GethResults): string[][] {
  return g.handshakes.map((h) => {
    const gs = best(h.perSec.geth);
    const os = best(h.perSec.ours);
    const f = (x: number): string => (Number.isFinite(x) ? `${Math.round(x).toLocaleString('en-US')} /s` : 'FAILED');
    return [`${h.concurrency} in flight, ${h.n.toLocaleString('en-US')} per repetition`, f(gs), f(os), ratio(os / gs)];
  });
}

/**
 * ms of CPU per served handshake at the highest concurrency: the server, the Go dialer against
 * it, and both. On two cores both processes share the machine, so "both" bounds the rate.
 */
export function gethHandshakeCpuCells(g: GethResults): string[][] {
  const row = g.handshakes.reduce<HandshakeRow | undefined>((a, h) => (!a || h.concurrency > a.concurrency ? h : a), undefined);
  if (!row) return [];
  const per = (impl: Impl, side: 'serverUs' | 'dialerUs'): number => {
    const c = row.cpu[impl];
    const us = c?.[side];
    return c && us !== undefined ? us / c.handshakes / 1000 : NaN;
  };
  const cpuMs = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)} ms` : 'n/a');
  const lines: [string, number, number][] = [
    [`server (${row.concurrency} in flight)`, per('geth', 'serverUs'), per('ours', 'serverUs')],
    ['Go dialer against it', per('geth', 'dialerUs'), per('ours', 'dialerUs')],
    ['both', per('geth', 'serverUs') + per('geth', 'dialerUs'), per('ours', 'serverUs') + per('ours', 'dialerUs')],
  ];
  return lines.map(([label, geth, ours]) => [label, cpuMs(geth), cpuMs(ours), ratio(ours / geth)]);
}

/** µs of CPU per round trip on each side, from the 64 B ping-pong row's same-implementation pairs. */
export function gethCpuCells(g: GethResults): string[][] {
  const row = g.rows.find((r) => r.mode === 'pingpong' && r.size === 64);
  if (!row) return [];
  const per = (c: GethCell | undefined, side: 'driverCpuUs' | 'echoCpuUs'): number => (c ? c[side] / c.requests : NaN);
  const us = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(1)} µs` : 'FAILED');
  const gg = row.cells['geth-geth'];
  const oo = row.cells['ours-ours'];
  const lines: [string, number, number][] = [
    ['driving process (sends, checks the echo)', per(gg, 'driverCpuUs'), per(oo, 'driverCpuUs')],
    ['echoing process', per(gg, 'echoCpuUs'), per(oo, 'echoCpuUs')],
    ['both', per(gg, 'driverCpuUs') + per(gg, 'echoCpuUs'), per(oo, 'driverCpuUs') + per(oo, 'echoCpuUs')],
  ];
  return lines.map(([label, geth, ours]) => [label, us(geth), us(ours), ratio(ours / geth)]);
}

/**
 * Each stack over its own runtime's floor: the plain TCP echo's time for the same work, and the
 * stack's time above it per message (µs): the cost of RLPx and the peer, not of the runtime.
 */
export function gethFloorCells(g: GethResults): string[][] {
  return g.floor.map((f) => {
    const row = g.rows.find((r) => r.size === f.size && r.n === f.n && r.mode === f.mode);
    const over = (stack: number | undefined, floor: number | undefined): number => (stack === undefined || floor === undefined ? NaN : ((stack - floor) * 1000) / f.n);
    const us = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(1)} µs` : '—');
    const t = (x: number | undefined): string => (x === undefined ? 'FAILED' : ms(x));
    const goFloor = f.cells.geth?.best;
    const nodeFloor = f.cells.ours?.best;
    const gg = row?.cells['geth-geth']?.best;
    const oo = row?.cells['ours-ours']?.best;
    const label = `${f.n.toLocaleString('en-US')} × ${sizeLabel(f.size)} ${f.mode === 'stream' ? 'streamed' : 'ping-pong'}`;
    return [label, t(goFloor), t(gg), us(over(gg, goFloor)), t(nodeFloor), t(oo), us(over(oo, nodeFloor)), ratio(over(oo, nodeFloor) / over(gg, goFloor))];
  });
}

export function gethNotes(g: GethResults): string[] {
  const notes = [
    `geth: bench/geth-peer (go-ethereum v1.17.5's p2p.Server and p2p/rlpx as a library; ${g.build.binary.replace(os.homedir(), '~') || 'not built'}; scripts/build-geth-peer.sh took ${g.build.seconds.toFixed(1)} s in this run, cached by a hash of its Go sources). Ours: bench/echo-peer.ts through listen()/dial() and a { name: 'bench', version: 1, length: 2, run(channel) } protocol, compiled, plain node. One listener process per implementation; one driver process per cell.`,
    'geth: each cell is the wall time of the same work (N requests of the size, code 0, each echoed as code 1 and checked byte for byte; random payloads, so snappy compresses nothing), best of 3 repetitions on one session after an untimed warm-up of N/10; in parentheses, and in the last column for ours⇄ours, the time over geth⇄geth time (above 1×: slower than geth). Ping-pong: one request outstanding. Streamed: sender and receiver concurrent. Our echo awaits each send() before the next, as a user would write it.',
    'geth: handshakes: the Go dialer (p2p/rlpx: TCP, RLPx handshake, its Hello out, the server\'s Hello in, close; a fresh key each) against each server; best of 3; ours/geth is the ratio of the rates (below 1×: ours serves fewer).',
    'geth: CPU per served handshake: the server\'s CPU (from /proc/PID/stat, 10 ms ticks, read before and after the load; n/a without /proc) and the Go dialer\'s (getrusage, key generation left out), over every handshake of the load, warm-up included. Both processes share the machine\'s cores, so the rate cannot exceed cores ÷ "both".',
    'geth: over the floor: the same work over a plain TCP echo with no RLPx (Go: bench/geth-peer tcplisten / tcpdrive; Node: bench/tcp-echo.ts; each runtime driving its own echo, TCP_NODELAY, best of 3 after N/10 warm-up), and each stack\'s time above its own runtime\'s floor per message: what RLPx and the peer cost, not the runtime. The last column is ours over geth on that measure.',
    'geth: CPU per round trip: each process\'s own CPU time (process.cpuUsage, Go getrusage) over its session (warm-up included: first request to last echo on the driver, first request to session end on the echo side), divided by the requests of the session.',
  ];
  for (const p of g.profiles) {
    const top = p.top.map((t) => `${t.name} ${t.selfMs.toFixed(0)} ms (${(t.share * 100).toFixed(1)} %)`).join('; ');
    notes.push(`geth: node --cpu-prof (GETH_PROFILE_DIR) of ${p.what} (${p.totalMs.toFixed(0)} ms of samples, ${path.basename(p.file)}): top self time ${top}.`);
  }
  for (const e of g.errors) notes.push(`geth: ERROR ${e}`);
  return notes;
}
