/**
 * One L7 probe of one node, shared by `rlpx ping` and `rlpx exporter`: TCP connect, RLPx
 * handshake, Hello, the eth Status (awaited only when required), the "serves" check (asks for
 * the header of the latest block the Status names), N Pings, Disconnect 0x08.
 * It never throws: every outcome is a ProbeResult with phase timings and a step log.
 *
 * A node that completes the RLPx handshake and then sends Disconnect 0x04 (too many peers)
 * is alive and answering: `full` is set, and `success` follows the caller's `fullOk`.
 */
import { bytesToHex } from '../crypto/bytes.js';
import { StatusError } from '../eth/status.js';
import { ethStatusResponder, type EthHandshake } from '../eth/protocol.js';
import { DisconnectedError, TimeoutError } from '../errors.js';
import { dialConfig } from '../options.js';
import { connectRlpx, dialTarget, startPeer } from '../peer/dial.js';
import { formatEnode, type Enode } from '../peer/enode.js';
import type { HealthMode } from '../peer/health.js';
import type { Peer } from '../peer/peer.js';
import { DisconnectReason, reasonName } from '../reasons.js';
import type { Chain } from '../eth/chain.js';
import { ethReport, hint, type EthReport } from './report.js';
import { checkServes } from './serves.js';

export const PHASES = ['connect', 'handshake', 'hello', 'status', 'headers', 'ping'] as const;
export type Phase = (typeof PHASES)[number];

export interface ProbeSettings {
  privateKey: Uint8Array;
  count: number;
  /** ms between Pings. */
  interval: number;
  /** Each phase's deadline, and each Pong's, ms. */
  timeout: number;
  /** The whole probe's deadline, ms: past it the probe stops where it is and fails. */
  deadline: number;
  health: HealthMode;
  /** Fail unless the node runs eth and its Status passes; otherwise a Status is only reported. */
  requireEth: boolean;
  /**
   * With requireEth: after the Status, ask for the header of the latest block it names
   * (GetBlockHeaders [latestHash, 1, 0, 0]) and fail unless exactly that header comes back
   * within `timeout` (default true).
   */
  serves?: boolean;
  /** Check the remote Status against this chain (we then speak first, after a short wait). */
  chain?: Chain | undefined;
  fullOk: boolean;
  /** Stops the probe as the deadline does (a client gone). */
  signal?: AbortSignal | undefined;
  /** Stops the pinging only: the probe still leaves with 0x08 and reports (Ctrl-C in `rlpx ping`). */
  stopPings?: AbortSignal | undefined;
  /** Called once the session is up (after Hello, and the Status when required; before the serves check). */
  onSession?: (result: ProbeResult) => void;
  /** Called after each Ping: its RTT in ms, or why it was lost. */
  onPing?: (index: number, rtt: number | undefined, why?: string) => void;
}

export interface ProbeResult {
  success: boolean;
  /** A session was made, or a full node answered with 0x04: the node is alive at L7. */
  alive: boolean;
  /** The remote said "too many peers" (0x04) after the RLPx handshake. */
  full: boolean;
  target: string;
  enode: string | null;
  /** ms spent in each phase reached. */
  phases: Partial<Record<Phase, number>>;
  durationMs: number;
  deadlineMs: number;
  /** The deadline (or the caller's signal) ended the probe. */
  aborted: boolean;
  remote: { id: string; clientId: string; version: number; caps: string[] } | null;
  eth: EthReport | null;
  sent: number;
  received: number;
  rtts: number[];
  disconnect: { reason: number; name: string; by: 'local' | 'remote' } | null;
  error: string | null;
  /** Where the probe stopped on an error: 'enode' for a target that is no valid enode. */
  failedPhase: Phase | 'enode' | null;
  /** What happened, one line per step, each with its time since the start. */
  log: string[];
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

export async function probe(target: string | Enode, s: ProbeSettings): Promise<ProbeResult> {
  const t0 = performance.now();
  const since = (): string => `${(performance.now() - t0).toFixed(1).padStart(7)} ms`;
  const r: ProbeResult = {
    success: false,
    alive: false,
    full: false,
    target: typeof target === 'string' ? target : formatEnode(target),
    enode: null,
    phases: {},
    durationMs: 0,
    deadlineMs: s.deadline,
    aborted: false,
    remote: null,
    eth: null,
    sent: 0,
    received: 0,
    rtts: [],
    disconnect: null,
    error: null,
    failedPhase: null,
    log: [],
  };
  const log = (line: string): void => void r.log.push(`${since()}  ${line}`);
  const stop = new AbortController();
  const deadlineTimer = setTimeout(() => stop.abort(new TimeoutError(`probe deadline of ${s.deadline} ms passed`, { deadline: 'probe' })), s.deadline);
  const onCaller = (): void => stop.abort(s.signal!.reason);
  if (s.signal?.aborted) onCaller();
  s.signal?.addEventListener('abort', onCaller, { once: true });
  // Before the pinging, stopping the pings stops the probe: there is no session to leave yet.
  const onStopPings = (): void => void (phase === 'ping' || stop.abort(new Error('interrupted')));
  s.stopPings?.addEventListener('abort', onStopPings, { once: true });
  const signal = stop.signal;
  let phase: Phase | 'enode' = 'enode';
  let mark = performance.now();
  const enter = (next: Phase): void => {
    phase = next;
    mark = performance.now();
  };
  const leave = (): void => void (r.phases[phase as Phase] = performance.now() - mark);
  const fail = (err: unknown): void => {
    if (signal.aborted) r.aborted = true;
    const e = signal.aborted ? signal.reason : err;
    const msg = `${(e as Error)?.message ?? String(e)}${hint(e)}`;
    r.error ??= msg;
    r.failedPhase ??= phase;
    log(`${phase} failed: ${msg}`);
  };

  let peer: Peer | undefined;
  try {
    const node = dialTarget(target);
    r.enode = formatEnode(node);
    log(`target ${r.enode}; deadline ${s.deadline} ms, phase timeout ${s.timeout} ms`);
    // eth is always offered, so a node that runs eth keeps us while we ping. Without a chain
    // we mirror the remote Status; with one we speak first, after a short wait to hear theirs.
    const eth = ethStatusResponder({ ...(s.chain ? { chain: s.chain, statusDelay: Math.min(250, s.timeout) } : {}), timeout: s.timeout, disconnectOnTimeout: s.requireEth });
    const config = dialConfig({
      privateKey: s.privateKey,
      protocols: eth.protocols,
      requireSharedProtocol: s.requireEth,
      pingInterval: 0,
      // Pongs are awaited here, each with its own deadline; the peer itself never times out.
      healthMode: 'geth',
      handshakeTimeout: s.timeout,
      helloTimeout: s.timeout,
      connectTimeout: s.timeout,
    });

    enter('connect');
    log(`connect to ${node.host}:${node.port}`);
    const conn = await connectRlpx(node, config, signal, () => {
      leave();
      enter('handshake');
      log('connected; RLPx handshake (auth, ack)');
    });
    leave();
    enter('hello');
    log('handshake done; Hello');
    try {
      peer = await startPeer(conn, config, signal);
    } catch (err) {
      if (err instanceof DisconnectedError) {
        // The remote read our auth and answered in the session: it is up, whatever it says.
        leave();
        r.alive = true;
        r.disconnect = { reason: err.remoteReason, name: reasonName(err.reason), by: 'remote' };
        if (err.remoteReason === DisconnectReason.TooManyPeers) r.full = true;
      }
      throw err;
    }
    leave();
    r.alive = true;
    const hello = peer.remoteHello;
    r.remote = { id: bytesToHex(peer.remotePublicKey), clientId: hello.clientId, version: hello.version, caps: hello.capabilities.map((c) => `${c.name}/${c.version}`) };
    log(`Hello: ${hello.clientId}, p2p v${hello.version}, caps ${r.remote.caps.join(' ') || '(none)'}`);

    const p = peer;
    const onStatus = (h: EthHandshake): void => {
      r.eth = ethReport(h);
      log(`eth Status: v${r.eth.version}, network ${r.eth.networkId}, latest block ${r.eth.latestBlock}, fork ${r.eth.fork}`);
    };
    const onStatusError = (err: unknown): void => {
      // A Status on another chain is still reported: it says where the node is.
      if (err instanceof StatusError && err.status) r.eth = ethReport({ status: err.status, fork: err.fork?.verdict ?? 'unchecked' });
    };
    if (s.requireEth) {
      enter('status');
      log('waiting for the eth Status');
      try {
        onStatus(await eth.status(p, { signal }));
      } catch (err) {
        onStatusError(err);
        throw err;
      }
      leave();
      s.onSession?.(r);
      if (s.serves ?? true) {
        enter('headers');
        log(`GetBlockHeaders [${r.eth!.latestBlockHash}, 1, 0, 0]`);
        await checkServes(eth, p, r.eth!, { signal, timeout: s.timeout });
        if (signal.aborted) throw signal.reason;
        leave();
        log(r.eth!.serves ? 'serves: the header of its latest block came back' : `serves: false (${r.eth!.servesReason})`);
      }
    } else if (p.protocol('eth')) {
      // Not required: reported if it comes while we ping, never waited for.
      eth.status(p, { signal }).then(onStatus, onStatusError);
    }
    if (!s.requireEth) s.onSession?.(r);
    enter('ping');
    const pingsOver = s.stopPings ? AbortSignal.any([signal, s.stopPings]) : signal;
    for (let i = 0; i < s.count && !p.isClosing && !pingsOver.aborted; i++) {
      if (i > 0) await sleep(s.interval, pingsOver);
      if (p.isClosing || pingsOver.aborted) break;
      r.sent++;
      try {
        const rtt = await p.ping({ signal: AbortSignal.any([signal, AbortSignal.timeout(s.timeout)]) });
        r.rtts.push(rtt);
        log(`pong ${i + 1}/${s.count}: ${rtt.toFixed(3)} ms`);
        s.onPing?.(i, rtt);
      } catch (err) {
        if (signal.aborted) break;
        const why = (err as Error).name === 'TimeoutError' ? `no pong within ${s.timeout} ms` : (err as Error).message;
        log(`ping ${i + 1}/${s.count}: lost (${why})`);
        s.onPing?.(i, undefined, why);
      }
    }
    leave();
    if (signal.aborted) throw signal.reason;
    r.received = r.rtts.length;
    if (!p.isClosing) {
      log('Disconnect 0x08 (client quitting)');
      await p.disconnect(DisconnectReason.ClientQuitting, { signal });
    }
    const info = await p.closed;
    r.disconnect = { reason: info.reason, name: reasonName(info.reason), by: info.initiator };
    if (info.initiator === 'remote' && r.eth?.serves !== false) {
      if (info.reason === DisconnectReason.TooManyPeers) r.full = true;
      r.error ??= `disconnected by the remote: ${reasonName(info.reason)}`;
    }
    log(`closed: ${r.disconnect.name} (0x${info.reason.toString(16).padStart(2, '0')}) by ${info.initiator}`);
    const lost = s.count - r.received;
    if (s.health === 'l7' && lost > 0) r.error ??= `${lost} of ${s.count} pings got no pong`;
    r.success = info.initiator === 'local' && (s.health === 'geth' || lost === 0);
    if (r.eth?.serves === false) {
      r.success = false;
      r.error = `the node does not serve its own head: ${r.eth.servesReason}`;
    }
  } catch (err) {
    fail(err);
    if (peer && !peer.isClosing) peer.destroy();
    const info = peer?.closeInfo;
    if (info) r.disconnect ??= { reason: info.reason, name: reasonName(info.reason), by: info.initiator };
  } finally {
    clearTimeout(deadlineTimer);
    s.signal?.removeEventListener('abort', onCaller);
    s.stopPings?.removeEventListener('abort', onStopPings);
  }
  r.received = r.rtts.length;
  if (r.full) {
    r.success = s.fullOk;
    log(`the node is full (too many peers): alive; ${s.fullOk ? 'success, as full counts as healthy' : 'failure, as full does not count as healthy'}`);
  }
  r.durationMs = performance.now() - t0;
  log(`${r.success ? 'probe succeeded' : 'probe failed'} in ${r.durationMs.toFixed(1)} ms${r.error && !r.success ? `: ${r.error}` : ''}`);
  return r;
}

