/** The scale section's rows and notes for the report (bench/report.ts renders them). */
import { WANT_NOFILE } from './scale-child.js';
import type { BigScenario, ConnectFigures, IdleResult, MemFigures, MemScenario, ScaleResults } from './scale-types.js';
import { TARGETS } from './targets.js';

/** One row: label, ours, reference, ratio, target. */
interface ScaleRow {
  label: string;
  ours: string;
  reference: string;
  ratio: string;
  target: string;
}

export const SCALE_HEAD = ['scale (loopback)', 'ours', 'reference', 'ours/ref', 'target'];

const kib = (b: number): string => `${(b / 1024).toFixed(b >= 100 * 1024 ? 0 : 2)} KiB`;
const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const pct = (f: number): string => `${(f * 100).toFixed(f >= 0.1 ? 1 : 2)} %`;
const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
const na = '—';

function memCell(m: MemFigures | undefined, peersPerUnit: number): string {
  if (!m) return 'n/a';
  return `${kib(m.heapPerPeer / peersPerUnit)} heap, ${kib(m.rssPerPeer / peersPerUnit)} RSS, ${kib(m.externalPerPeer / peersPerUnit)} ext.`;
}

function heapRow(label: string, o: MemFigures | undefined, r: MemFigures | undefined, peersPerUnit: number): ScaleRow {
  const ratio = o && r ? o.heapPerPeer / r.heapPerPeer : NaN;
  let target = na;
  if (o) {
    const perPeer = o.heapPerPeer / peersPerUnit;
    const parts = [`≤5 KiB ${verdict(perPeer <= TARGETS.heapPerPeer)}`];
    if (!Number.isNaN(ratio)) parts.push(`≤½ ref ${verdict(ratio <= TARGETS.heapVsReference)}`);
    target = parts.join(', ');
  }
  return { label, ours: memCell(o, peersPerUnit), reference: memCell(r, peersPerUnit), ratio: Number.isNaN(ratio) ? na : `${ratio.toFixed(2)}×`, target };
}

function connectCell(c: ConnectFigures | undefined): string {
  if (!c) return 'n/a';
  const cpu =
    c.listenerCpuMs === undefined
      ? `CPU ${(c.cpuMs / c.peers).toFixed(2)} ms/conn.`
      : `CPU ${(c.cpuMs / c.peers).toFixed(2)} + ${(c.listenerCpuMs / c.peers).toFixed(2)} ms/conn.`;
  const extra = [c.retries ? `${c.retries} retried` : '', c.failed ? `${c.failed} FAILED` : ''].filter(Boolean).join(', ');
  return `${secs(c.ms)} (${int(c.perSecond)}/s, ${cpu}${extra ? `, ${extra}` : ''})`;
}

function connectRow(label: string, o: ConnectFigures | undefined, r: ConnectFigures | undefined, targetMs: number | null): ScaleRow {
  const ratio = o && r ? r.ms / o.ms : NaN;
  let target = na;
  if (o && targetMs !== null) {
    const scaled = (o.ms * 1000) / o.peers; // per 1,000 peers
    target = `1,000 in <${secs(targetMs)}: ${verdict(scaled < targetMs && o.failed === 0)}`;
  }
  return { label, ours: connectCell(o), reference: connectCell(r), ratio: Number.isNaN(ratio) ? na : `${ratio.toFixed(1)}× faster`, target };
}

function scaleRows(s: ScaleResults): ScaleRow[] {
  const c = s.config;
  const rows: ScaleRow[] = [];
  const o1 = s.ours.oneProcess;
  const o2 = s.ours.twoProcess;
  const r1 = s.reference.oneProcess;
  const r2 = s.reference.twoProcess;
  rows.push(heapRow(`${int(c.peers)} idle peers, one process: per Peer (connection ÷ 2)`, o1?.oneProcess, r1?.oneProcess, 2));
  rows.push(heapRow(`${int(c.peers)} idle peers, two processes: dialer process, per Peer`, o2?.dialer, r2?.dialer, 1));
  rows.push(heapRow(`${int(c.peers)} idle peers, two processes: listener process, per Peer`, o2?.server, r2?.server, 1));
  rows.push(connectRow(`connect ${int(c.peers)} peers, two processes (cap 50 pending)`, o2?.connect, r2?.connect, TARGETS.connect1k));
  rows.push(connectRow(`connect ${int(c.peers)} peers, one process (cap 50 pending)`, o1?.connect, r1?.connect, TARGETS.connect1k));
  const b = s.ours.big;
  if (b) {
    const n = int(c.bigPeers);
    rows.push(connectRow(`connect ${n} peers, two processes (cap 50 pending)`, b.connect, undefined, null));
    rows.push(heapRow(`${n} idle peers: dialer process, per Peer`, b.dialer, undefined, 1));
    rows.push(heapRow(`${n} idle peers: listener process, per Peer`, b.server, undefined, 1));
    const di = b.idle.dialer;
    const si = b.idle.server;
    for (const [side, i] of [['dialer', di], ['listener', si]] as const) {
      rows.push({
        label: `${n} idle peers: CPU, ${side} process (ping every ${b.pingIntervalMs / 1000} s)`,
        ours: `${pct(i.coreFraction)} of a core (${int(i.userMs)} ms user + ${int(i.systemMs)} ms sys in ${i.seconds.toFixed(1)} s)`,
        reference: 'not run',
        ratio: na,
        target: `<1 %: ${verdict(i.coreFraction < TARGETS.idleCore)}`,
      });
    }
    const ok = (i: IdleResult): boolean => i.advanced === i.peersAtStart && i.peersAtEnd === i.peersAtStart && i.missed === 0;
    rows.push({
      label: `${n} idle peers: every ping loop got Pongs in the window, none missed`,
      ours: `dialer ${int(di.advanced)}/${int(di.peersAtStart)} (min ${di.minPongs} Pongs/peer, ${di.missed} missed), listener ${int(si.advanced)}/${int(si.peersAtStart)} (min ${si.minPongs}, ${si.missed} missed)`,
      reference: 'not run',
      ratio: na,
      target: verdict(ok(di) && ok(si)),
    });
  }
  return rows;
}

/** The scale table's body, in SCALE_HEAD's columns. */
export function scaleCells(s: ScaleResults): string[][] {
  return scaleRows(s).map((r) => [r.label, r.ours, r.reference, r.ratio, r.target]);
}

export function scaleNotes(s: ScaleResults): string[] {
  const c = s.config;
  const notes: string[] = [];
  const eff = Number.isFinite(s.nofile.effective) ? String(s.nofile.effective) : '?';
  notes.push(
    `Scale: each figure from fresh child processes (node --expose-gc, heap measured after forced GC, before and after connecting, divided by the peers connected); ${c.warmup} warm-up connections are made before the baseline and not counted.`,
    `Scale: file-descriptor limit: each child is started as \`bash -c 'ulimit -n ${WANT_NOFILE} || ulimit -n <hard limit>; exec node …'\` and ran with ${eff} (shell soft limit ${s.nofile.soft}, hard ${s.nofile.hard}); loopback 127.0.0.1 only; ${c.concurrency} dials in flight, refused dials retried.`,
    `Scale: ours pings every ${c.memPingMs / 1000} s in the memory runs, and the heap is measured once every loop (both ends) has had a Pong; the reference's ping interval is fixed at 15 s (its peer.js), so its loops have not fired yet when its heap is measured. Both run snap/1 as their one capability; the reference dialers are its Peer class driven as its RLPx.connect() does (one RLPx instance per dial key would add its 25,000-entry LRU cache per peer), its listener is its RLPx with maxPeers raised.`,
    `Scale: heap = V8 heapUsed (JS objects, including a few hundred KiB of JIT code compiled meanwhile, noticeable per peer at ${int(c.peers)} peers, negligible at ${int(c.bigPeers)}); "ext." = V8 external memory (Buffer and other off-heap backing stores); RSS also counts native state (OpenSSL cipher contexts, keccak sponges, libuv handles) and heap pages V8 reserved but has not filled, so it is coarse at ${int(c.peers)} peers. Kernel socket buffers are in none of them.`,
  );
  const b = s.ours.big;
  if (b) {
    const d = b.idle.dialer;
    const perPeerSecond = ((d.userMs + d.systemMs) * 1000) / d.seconds / d.peersAtStart; // µs CPU per peer per second
    const at15 = perPeerSecond * (b.pingIntervalMs / 15_000) * d.peersAtStart / 1e6;
    notes.push(
      `Scale: ${int(c.bigPeers)} peers: every peer pings every ${b.pingIntervalMs / 1000} s from both ends, so each process seals ${int((2 * d.peersAtStart * 1000) / b.pingIntervalMs)} and opens as many frames per second (its Pings and Pongs, and the other side's); dialer CPU is ${perPeerSecond.toFixed(2)} µs per peer per second, ${((perPeerSecond * b.pingIntervalMs) / 1000 / 4).toFixed(1)} µs per frame sealed or opened (syscalls, timers and GC included) — about ${pct(at15)} of a core at the default 15 s interval if all of it is ping work.`,
    );
  }
  const loads = [s.ours.oneProcess, s.ours.twoProcess, s.reference.oneProcess, s.reference.twoProcess, s.ours.big]
    .filter((x): x is MemScenario | BigScenario => x !== undefined)
    .map((x) => `${x.load[0].toFixed(2)}→${x.load[1].toFixed(2)}`);
  notes.push(`Scale: 1-minute load average per scenario (start→end): ${loads.join(', ')}; the scale part took ${s.seconds.toFixed(1)} s.`);
  for (const e of s.errors) notes.push(`Scale: ERROR ${e}`);
  return notes;
}
