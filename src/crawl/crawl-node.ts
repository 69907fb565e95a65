/**
 * One node of a crawl: TCP connect, RLPx handshake, Hello, then the eth Status (when eth is
 * shared) and one Ping side by side, then Disconnect 0x08. Never rejects: whatever happens
 * becomes fields of the NodeResult.
 */
import { bytesToHex } from '../crypto/bytes.js';
import { TimeoutError } from '../errors.js';
import { StatusError } from '../eth/status.js';
import type { EthHandshake, EthResponder } from '../eth/protocol.js';
import type { DialConfig } from '../options.js';
import { connectRlpx, startPeer } from '../peer/dial.js';
import type { Hello } from '../peer/hello.js';
import type { CloseInfo, Peer } from '../peer/peer.js';
import { DisconnectReason, reasonName } from '../reasons.js';
import { ethReport as probeEthReport } from '../probe/report.js';
import { checkServes } from '../probe/serves.js';
import { parseClientId } from './client-id.js';
import type { Enr } from '../discovery/enr.js';
import { CRAWL_SCHEMA_VERSION, isTooManyPeers, nodeError, type CrawlStage, type EnrReport, type EthReport, type HelloReport, type NodeResult } from './result.js';
import type { DialTarget } from './seeds.js';
import { closeJson } from '../peer/json.js';

export interface NodeContext {
  config: DialConfig;
  eth: EthResponder;
  /** The per-node deadline, ms. */
  timeout: number;
  /** The crawl's own signal: aborting it ends every node at once. */
  signal: AbortSignal;
}

const hex = (b: Uint8Array): string => `0x${bytesToHex(b)}`;
const round = (v: number): number => Math.round(v * 1000) / 1000;

function helloReport(h: Hello): HelloReport {
  // The parts only: the raw string is clientId already.
  const { raw: _raw, ...client } = parseClientId(h.clientId) ?? { raw: '' };
  return {
    clientId: h.clientId,
    client: 'name' in client ? client : null,
    p2pVersion: h.version,
    caps: h.capabilities.map((c) => `${c.name}/${c.version}`),
    listenPort: h.listenPort,
  };
}

/** The probe's eth report with the verdict's detail, in the schema's field order. */
function ethReport(h: EthHandshake): EthReport {
  const { earliestBlock, latestBlock, latestBlockHash, serves, servesReason, ...head } = probeEthReport(h);
  return { ...head, forkDetail: h.forkDetail ?? null, earliestBlock, latestBlock, latestBlockHash, serves, servesReason };
}

function enrReport(enr: Enr): EnrReport {
  const eth = enr.eth;
  return { seq: Number(enr.seq), udp: enr.tcpEndpoint?.udp ?? null, forkId: eth ? { hash: hex(eth.forkHash), next: Number(eth.forkNext) } : null };
}

/** Checks that say where a node is rather than that it misbehaved: its Status is still its word. */
const CHAIN_CHECKS = new Set(['network', 'genesis', 'forkid']);

/**
 * One node: its endpoint, then each of its alternates in turn while the one before could not
 * be reached (failed at TCP connect or in the RLPx handshake), each within the node deadline;
 * one result, the last endpoint's. A target with `dialEvery` (a node discovery found at several
 * addresses) is dialed at each address once, one after the other, one result each.
 */
export async function crawlNode(target: DialTarget, ctx: NodeContext): Promise<NodeResult[]> {
  if (target.dialEvery) {
    const all = [target, ...(target.alternates ?? [])];
    const out: NodeResult[] = [];
    for (const [index, ep] of all.entries()) {
      const address = { from: ep.from ?? 'enr', index, of: all.length };
      out.push(await crawlEndpoint({ ...target, enode: ep.enode, host: ep.host, port: ep.port }, ctx, address));
    }
    return out;
  }
  let r = await crawlEndpoint(target, ctx);
  for (const ep of target.alternates ?? []) {
    if (ctx.signal.aborted || r.outcome !== 'failed' || (r.error?.stage !== 'tcp' && r.error?.stage !== 'rlpx')) break;
    r = await crawlEndpoint({ ...target, enode: ep.enode, host: ep.host, port: ep.port }, ctx);
  }
  return [r];
}

async function crawlEndpoint(target: DialTarget, ctx: NodeContext, address?: NodeResult['address']): Promise<NodeResult> {
  const started = performance.now();
  const r: NodeResult = {
    schema: CRAWL_SCHEMA_VERSION,
    id: target.id,
    publicKey: bytesToHex(target.publicKey),
    enode: target.enode,
    host: target.host,
    port: target.port,
    ...(address ? { address } : {}),
    sources: target.sources,
    enr: target.enr ? enrReport(target.enr) : null,
    ...(target.firstSeen !== undefined ? { firstSeen: target.firstSeen } : {}),
    startedAt: new Date().toISOString(),
    durationMs: 0,
    outcome: 'failed',
    hello: null,
    eth: null,
    rttMs: null,
    disconnect: null,
    error: null,
  };
  const ac = new AbortController();
  const signal = ac.signal;
  const deadline = setTimeout(() => ac.abort(new TimeoutError(`node deadline of ${ctx.timeout} ms passed`, { deadline: 'probe' })), ctx.timeout);
  const stop = (): void => ac.abort(ctx.signal.reason);
  if (ctx.signal.aborted) stop();
  else ctx.signal.addEventListener('abort', stop, { once: true });

  let stage: CrawlStage = 'tcp';
  let peer: Peer | undefined;
  try {
    const conn = await connectRlpx({ id: target.publicKey, host: target.host, port: target.port }, ctx.config, signal, () => (stage = 'rlpx'));
    stage = 'hello';
    peer = await startPeer(conn, ctx.config, signal);
  } catch (err) {
    const e = signal.aborted ? signal.reason : err;
    if (isTooManyPeers(e)) {
      r.outcome = 'full';
      r.disconnect = { reason: DisconnectReason.TooManyPeers, name: reasonName(DisconnectReason.TooManyPeers), by: 'remote' };
    } else {
      r.error = nodeError(e, stage);
    }
  }

  if (peer) {
    r.outcome = 'reachable';
    r.hello = helloReport(peer.remoteHello);
    // The Status and the Ping go together: a node answers a Ping while it reads our Status.
    const ping = peer.ping({ signal }).then((rtt) => (r.rttMs = round(rtt)));
    const status = peer.protocol('eth') ? ctx.eth.status(peer, { signal }) : undefined;
    const [pinged, eth] = await Promise.allSettled([ping, status]);
    const closed = peer.closeInfo;
    if (eth.status === 'fulfilled' && eth.value) {
      r.eth = ethReport(eth.value);
      // The data-level check: does the node serve the head it announces?
      if (!peer.isClosing) await checkServes(ctx.eth, peer, r.eth, { signal, timeout: ctx.timeout });
    } else if (eth.status === 'rejected') {
      const err = eth.reason as unknown;
      if (err instanceof StatusError && err.status) {
        const fork = CHAIN_CHECKS.has(err.check) ? 'incompatible' : (err.fork?.verdict ?? 'unchecked');
        r.eth = ethReport({ status: err.status, fork, forkDetail: err.message });
      }
      if (!(err instanceof StatusError && CHAIN_CHECKS.has(err.check))) r.error = failure(err, 'eth', signal, closed);
    }
    // A Ping lost because the node is on another chain (and so closed) is no fault of the node.
    if (pinged.status === 'rejected' && !r.error && !(r.eth?.fork === 'incompatible' && closed?.initiator === 'local')) {
      r.error = failure(pinged.reason, 'ping', signal, closed);
    }
    if (!peer.isClosing) await peer.disconnect(DisconnectReason.ClientQuitting, { signal: ctx.signal }).catch(() => {});
    const info = await peer.closed;
    r.disconnect = closeJson(info);
    if (info.initiator === 'remote' && r.error && r.error.class !== 'timeout') {
      // What failed under a remote Disconnect failed because of it: say so, with its reason.
      r.error = { ...r.error, class: 'disconnected', message: `disconnected by the remote (${info.name}): ${r.error.message}`, remoteReason: info.reason };
    }
    // Some clients send Hello and then "too many peers": just as full.
    if (info.initiator === 'remote' && info.reason === DisconnectReason.TooManyPeers) {
      r.outcome = 'full';
      r.error = null;
    }
  }
  clearTimeout(deadline);
  ctx.signal.removeEventListener('abort', stop);
  r.durationMs = round(performance.now() - started);
  return r;
}

/** A step's error, or, when the session ended under it, what ended the session. */
function failure(err: unknown, stage: CrawlStage, signal: AbortSignal, closed: CloseInfo | undefined): ReturnType<typeof nodeError> {
  if (signal.aborted) return nodeError(signal.reason, stage);
  if (closed?.error && closed.initiator === 'remote') return nodeError(closed.error, stage);
  return nodeError(err, stage);
}
