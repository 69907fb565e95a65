/**
 * The end-of-crawl census: outcomes (failures by error class), clients by name and version,
 * caps, networks, fork verdicts and the spread of latest blocks per network, plus the seed
 * problems met on the way. Fed one NodeResult at a time; printed as a plain-text table.
 */
import type { NodeResult } from './result.js';

export interface BlockSpread {
  nodes: number;
  min: number;
  median: number;
  max: number;
}

export interface CrawlSummaryData {
  nodes: number;
  reachable: number;
  full: number;
  failed: number;
  /** Failed nodes by error class; also reachable nodes whose Status or Ping failed, as "stage/class". */
  errors: Record<string, number>;
  clients: Record<string, number>;
  versions: Record<string, number>;
  caps: Record<string, number>;
  networks: Record<string, number>;
  forks: Record<string, number>;
  /** Latest blocks by network id. */
  latestBlocks: Record<string, BlockSpread>;
  /** Seed problems (malformed lines, DNS tree errors) by kind. */
  seedErrors: Record<string, number>;
  /** Records with no IP and TCP port. */
  undialable: number;
  rttMs: { min: number; median: number; max: number } | null;
}

const RANK = { reachable: 2, full: 1, failed: 0 } as const;

const bump = (m: Record<string, number>, key: string, by = 1): void => void (m[key] = (m[key] ?? 0) + by);

function median(sorted: number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export class CrawlSummary {
  readonly #d: CrawlSummaryData = {
    nodes: 0, reachable: 0, full: 0, failed: 0, errors: {}, clients: {}, versions: {}, caps: {}, networks: {}, forks: {}, latestBlocks: {}, seedErrors: {}, undialable: 0, rttMs: null,
  };
  readonly #blocks = new Map<string, number[]>();
  readonly #rtts: number[] = [];

  /**
   * A node dialed at several addresses (node discovery): its lines so far, until the last one;
   * then it counts once, by its best line (reachable, else full, else the first).
   */
  readonly #multi = new Map<string, NodeResult>();

  /** One line of the crawl; a node dialed at several addresses counts once, when its last line comes. */
  add(r: NodeResult): void {
    const a = r.address;
    if (!a || a.of <= 1) return this.#count(r);
    const best = this.#multi.get(r.id);
    const better = !best || RANK[r.outcome] > RANK[best.outcome] ? r : best;
    if (a.index < a.of - 1) {
      this.#multi.set(r.id, better);
      return;
    }
    this.#multi.delete(r.id);
    this.#count(better);
  }

  #count(r: NodeResult): void {
    const d = this.#d;
    d.nodes++;
    d[r.outcome]++;
    if (r.error) bump(d.errors, r.outcome === 'failed' ? r.error.class : `${r.error.stage}/${r.error.class}`);
    if (r.hello) {
      const c = r.hello.client;
      bump(d.clients, c ? c.name : '(unparsed)');
      if (c) bump(d.versions, `${c.name}/v${c.version}`);
      for (const cap of r.hello.caps) bump(d.caps, cap);
    }
    if (r.eth) {
      const net = String(r.eth.networkId);
      bump(d.networks, net);
      bump(d.forks, r.eth.fork);
      let list = this.#blocks.get(net);
      if (!list) this.#blocks.set(net, (list = []));
      list.push(Number(r.eth.latestBlock)); // a statistic: a double is close enough
    }
    if (r.rttMs !== null) this.#rtts.push(r.rttMs);
  }

  /** A seed problem, by its kind (a DnsTreeError's kind, "enode-line" for a SeedError). */
  seedError(kind: string): void {
    bump(this.#d.seedErrors, kind);
  }

  undialable(n: number): void {
    this.#d.undialable += n;
  }

  toJSON(): CrawlSummaryData {
    // A crawl stopped halfway through a node's addresses: that node by the lines it got.
    for (const r of this.#multi.values()) this.#count(r);
    this.#multi.clear();
    const latestBlocks: Record<string, BlockSpread> = {};
    for (const [net, list] of this.#blocks) {
      const s = [...list].sort((a, b) => a - b);
      latestBlocks[net] = { nodes: s.length, min: s[0]!, median: median(s), max: s[s.length - 1]! };
    }
    const r = [...this.#rtts].sort((a, b) => a - b);
    const rttMs = r.length ? { min: r[0]!, median: Math.round(median(r) * 1000) / 1000, max: r[r.length - 1]! } : null;
    return { ...structuredClone(this.#d), latestBlocks, rttMs };
  }

  /** The table, one line per row: section, key, count. */
  format(): string[] {
    const d = this.toJSON();
    const rows: [string, string, string][] = [];
    const pct = (n: number): string => (d.nodes ? `${((100 * n) / d.nodes).toFixed(1)}%` : '-');
    const row = (a: string, b: string, c: string | number): void => void rows.push([a, b, String(c)]);
    const section = (name: string, m: Record<string, number>): void => {
      const entries = Object.entries(m).sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
      if (entries.length === 0) row(name, '(none)', '');
      for (const [k, v] of entries) row(name, k, v);
    };
    row('nodes', 'dialed', d.nodes);
    row('', 'reachable', `${d.reachable}`.padStart(8) + `  ${pct(d.reachable)}`);
    row('', 'full (too many peers)', `${d.full}`.padStart(8) + `  ${pct(d.full)}`);
    row('', 'failed', `${d.failed}`.padStart(8) + `  ${pct(d.failed)}`);
    section('errors', d.errors);
    section('clients', d.clients);
    section('versions', d.versions);
    section('caps', d.caps);
    section('networks', d.networks);
    section('forks', d.forks);
    const spreads = Object.entries(d.latestBlocks);
    if (spreads.length === 0) row('latest', '(no eth Status)', '');
    for (const [net, s] of spreads) row('latest', `net ${net}: ${s.min}..${s.max} (median ${s.median})`, s.nodes);
    if (d.rttMs) row('rtt ms', `min ${d.rttMs.min} median ${d.rttMs.median} max ${d.rttMs.max}`, this.#rtts.length);
    section('seed errors', d.seedErrors);
    if (d.undialable) row('seeds', 'records without IP and TCP port', d.undialable);
    // Each column as wide as its widest cell (a long network id or client version included),
    // so the counts stay in one column.
    const wa = Math.max(12, ...rows.map((r) => r[0].length));
    const wb = Math.max(34, ...rows.map((r) => r[1].length));
    return rows.map(([a, b, c]) => `${a.padEnd(wa)} ${b.padEnd(wb)} ${c.padStart(8)}`);
  }
}
