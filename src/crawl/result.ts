/**
 * One crawled node as the crawl reports it: the stable per-node schema (one JSON line each,
 * documented field by field in the README), its CSV form, and how an error is classed.
 */
import type { EthReport as ProbeEthReport } from '../probe/report.js';
import { DisconnectedError, EciesError, FrameError, HandshakeError, KeyError, NetworkError, ProtocolError, SnappyError, TimeoutError } from '../errors.js';
import { StatusError } from '../eth/status.js';
import { DisconnectReason } from '../reasons.js';
import type { ClientId } from './client-id.js';
import type { AddressSource } from './seeds.js';

/** Bumped only when a field changes meaning or type; new fields may appear without a bump. */
export const CRAWL_SCHEMA_VERSION = 1;

/** reachable: Hello received; full: refused with "too many peers" (0x04); failed: neither. */
export type NodeOutcome = 'reachable' | 'full' | 'failed';

/** Where a session was when it failed. */
export type CrawlStage = 'tcp' | 'rlpx' | 'hello' | 'eth' | 'ping';

export type ErrorClass =
  /** The TCP connection was refused (nothing listens there). */
  | 'refused'
  /** Any other TCP connect failure (unreachable host or network, reset). */
  | 'unreachable'
  /** The per-node deadline or a protocol timeout passed. */
  | 'timeout'
  /** The RLPx handshake failed: an auth/ack or the first frames we could not read. */
  | 'handshake'
  /** The remote sent Disconnect (with a reason other than 0x04) before the crawl was done. */
  | 'disconnected'
  /** The remote broke a rule of the base protocol (a bad Hello, a bad message, bad snappy). */
  | 'protocol'
  /** The eth Status could not be read or failed a check other than the chain's. */
  | 'status'
  /** The connection dropped after it was set up. */
  | 'network'
  /** The crawl was stopped while this node was in progress. */
  | 'aborted';

export interface NodeError {
  stage: CrawlStage;
  class: ErrorClass;
  /** The error's class name (TimeoutError, NetworkError, ...). */
  name: string;
  message: string;
  /** The remote's Disconnect reason, for class "disconnected". */
  remoteReason?: number;
}

export interface HelloReport {
  clientId: string;
  /** The client id's parts, or null when it is not of the usual Name/vX.Y.Z shape. */
  client: Omit<ClientId, 'raw'> | null;
  p2pVersion: number;
  /** "name/version", as sent. */
  caps: string[];
  listenPort: number;
}

/** The eth object of `rlpx ping --json` (its `fork` is against --chain, "unchecked" without one), plus: */
export interface EthReport extends ProbeEthReport {
  /** Which rule gave the verdict, or why the Status was refused. */
  forkDetail: string | null;
}

export interface EnrReport {
  seq: number;
  /** The record's UDP port for the endpoint dialed (discovery), null without one. */
  udp: number | null;
  /** Its `eth` entry (EIP-2124 fork ID as the node announces it), null without one. */
  forkId: { hash: string; next: number } | null;
}

export interface NodeResult {
  schema: number;
  /** keccak256 of the public key, hex (the node id of discovery and ENRs). */
  id: string;
  /** 64-byte public key, hex (the id in an enode URL). */
  publicKey: string;
  enode: string;
  host: string;
  port: number;
  /**
   * With node discovery: which of the node's addresses this line dialed (each is dialed once,
   * one line each): where it came from, its index and how many the node has.
   */
  address?: { from: AddressSource; index: number; of: number };
  /** Where the crawl learned of the node: "file:line" or enrtree:// URLs, first first. */
  sources: string[];
  /** The newest node record seen for the node (its endpoint is from the newest with one); null when only enode lines named it. */
  enr: EnrReport | null;
  /** With node discovery (`--discover v4`): ISO 8601 time it first heard of the node. */
  firstSeen?: string;
  /** ISO 8601 time of the dial. */
  startedAt: string;
  durationMs: number;
  outcome: NodeOutcome;
  hello: HelloReport | null;
  eth: EthReport | null;
  rttMs: number | null;
  /** How the session ended: our 0x08, or the remote's reason; null when none began. */
  disconnect: { reason: number; name: string; by: 'local' | 'remote' } | null;
  error: NodeError | null;
}

const CONNECT_REFUSED = new Set(['ECONNREFUSED']);

function causeCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } })?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/** The class of an error met at `stage`. */
export function classify(err: unknown, stage: CrawlStage): ErrorClass {
  if (err instanceof DisconnectedError) return 'disconnected';
  if (err instanceof TimeoutError || (err as Error)?.name === 'TimeoutError') return 'timeout';
  if ((err as Error)?.name === 'AbortError') return 'aborted';
  if (stage === 'tcp') return CONNECT_REFUSED.has(causeCode(err) ?? '') ? 'refused' : 'unreachable';
  if (err instanceof StatusError) return 'status';
  if (err instanceof HandshakeError || err instanceof EciesError || err instanceof KeyError || err instanceof FrameError) return 'handshake';
  if (stage === 'rlpx') return 'handshake';
  if (err instanceof SnappyError || err instanceof ProtocolError) return 'protocol';
  if (err instanceof NetworkError) return 'network';
  return 'protocol';
}

export function nodeError(err: unknown, stage: CrawlStage): NodeError {
  const e = err as Error;
  const out: NodeError = { stage, class: classify(err, stage), name: e?.name ?? 'Error', message: String(e?.message ?? err) };
  if (err instanceof DisconnectedError) out.remoteReason = err.remoteReason;
  return out;
}

/** A remote refusing us because it is full: reachable, only busy. */
export function isTooManyPeers(err: unknown): boolean {
  return err instanceof DisconnectedError && err.remoteReason === DisconnectReason.TooManyPeers;
}

/** CSV columns, in order; `id` is first so that --resume can read it without a CSV parser. */
export const CSV_COLUMNS = [
  'id', 'public_key', 'enode', 'host', 'port', 'outcome', 'started_at', 'duration_ms',
  'client_id', 'client_name', 'client_version', 'client_os', 'client_arch', 'client_lang', 'p2p_version', 'caps',
  'eth_version', 'network_id', 'genesis', 'fork_hash', 'fork_next', 'fork_verdict', 'earliest_block', 'latest_block', 'latest_block_hash',
  'rtt_ms', 'disconnect_reason', 'disconnect_name', 'disconnect_by', 'error_stage', 'error_class', 'error_name', 'error_message',
  'enr_seq', 'enr_fork_hash', 'enr_fork_next', 'sources', 'address_from',
] as const;

/** RFC 4180: quote a field holding a comma, quote or line break; double its quotes. */
function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvHeader(): string {
  return CSV_COLUMNS.join(',');
}

export function csvRow(r: NodeResult): string {
  const h = r.hello;
  const c = h?.client;
  const e = r.eth;
  const values: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    id: r.id, public_key: r.publicKey, enode: r.enode, host: r.host, port: r.port, outcome: r.outcome, started_at: r.startedAt, duration_ms: r.durationMs,
    client_id: h?.clientId, client_name: c?.name, client_version: c?.version, client_os: c?.os, client_arch: c?.arch, client_lang: c?.lang,
    p2p_version: h?.p2pVersion, caps: h?.caps.join(' '),
    eth_version: e?.version, network_id: e?.networkId, genesis: e?.genesis, fork_hash: e?.forkId.hash, fork_next: e?.forkId.next, fork_verdict: e?.fork,
    earliest_block: e?.earliestBlock, latest_block: e?.latestBlock, latest_block_hash: e?.latestBlockHash,
    rtt_ms: r.rttMs, disconnect_reason: r.disconnect?.reason, disconnect_name: r.disconnect?.name, disconnect_by: r.disconnect?.by,
    error_stage: r.error?.stage, error_class: r.error?.class, error_name: r.error?.name, error_message: r.error?.message,
    enr_seq: r.enr?.seq, enr_fork_hash: r.enr?.forkId?.hash, enr_fork_next: r.enr?.forkId?.next, sources: r.sources.join(' '),
    address_from: r.address?.from,
  };
  return CSV_COLUMNS.map((k) => csvField(values[k])).join(',');
}

/**
 * The node ids in an earlier crawl's output, JSON lines or CSV (for --resume). Lines that are
 * neither (a cut-off last line, the CSV header) are skipped.
 */
export function idsInOutput(text: string): Set<string> {
  const ids = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (t.startsWith('{')) {
      try {
        const id = (JSON.parse(t) as { id?: unknown }).id;
        if (typeof id === 'string' && /^[0-9a-f]{64}$/.test(id)) ids.add(id);
      } catch {
        // an interrupted write: that node is crawled again
      }
      continue;
    }
    const first = t.slice(0, t.indexOf(','));
    if (/^[0-9a-f]{64}$/.test(first)) ids.add(first);
  }
  return ids;
}
