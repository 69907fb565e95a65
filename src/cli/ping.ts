/**
 * rlpx ping <enode>: the L7 health check as a command. Dial, handshake, Hello, (eth Status),
 * N Pings at an interval, Disconnect 0x08. Exit 0 healthy, 1 unhealthy, 2 no session.
 */
import { parseArgs } from 'node:util';
import { HandshakeError, NetworkError, RlpxError, TimeoutError } from '../errors.js';
import { DisconnectReason, reasonName } from '../reasons.js';
import { bytesToHex } from '../crypto/bytes.js';
import { StatusError } from '../eth/errors.js';
import { ethStatusResponder, type EthHandshake } from '../eth/protocol.js';
import { dial } from '../peer/dial.js';
import { formatEnode, parseEnode, EnodeError, type Enode } from '../peer/enode.js';
import type { CloseInfo, Peer } from '../peer/peer.js';
import { CHAIN_OPTIONS, Exit, STATUS_DELAY, KEY_OPTIONS, UsageError, intOption, loadChain, loadKey, ms, round, summarize } from './common.js';

export const PING_USAGE = `usage: rlpx ping <enode> [--count N] [--interval MS] [--timeout MS] [--key HEX | --key-file FILE] [--json] [--eth [--chain NAME | --genesis FILE [--network-id N]]]`;

interface PingResult {
  ok: boolean;
  enode: string;
  remote: { id: string; clientId: string; version: number; caps: string[] } | null;
  /** The remote's eth Status; null when it runs no eth or sent none. */
  eth: EthReport | null;
  sent: number;
  received: number;
  lost: number;
  rtt_ms: { min: number | null; median: number | null; max: number | null; mean: number | null; jitter: number | null };
  disconnect: { reason: number; name: string; by: 'local' | 'remote' } | null;
  error: string | null;
}

interface EthReport {
  version: number;
  networkId: number;
  genesis: string;
  forkId: { hash: string; next: number };
  earliestBlock: number;
  latestBlock: number;
  latestBlockHash: string;
  fork: EthHandshake['fork'];
}

const hex = (b: Uint8Array): string => `0x${bytesToHex(b)}`;

function ethReport({ status: s, fork }: EthHandshake): EthReport {
  return {
    version: s.version,
    networkId: Number(s.networkId),
    genesis: hex(s.genesisHash),
    forkId: { hash: hex(s.forkId.hash), next: Number(s.forkId.next) },
    earliestBlock: Number(s.earliestBlock),
    latestBlock: Number(s.latestBlock),
    latestBlockHash: hex(s.latestBlockHash),
    fork,
  };
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** What to fix, for errors that end a ping before a session exists. */
function hint(err: unknown): string {
  if (err instanceof HandshakeError) return ' (is the node id in the enode right? the node could not read our auth)';
  if (err instanceof TimeoutError) return ' (the node did not answer in time; is it overloaded or behind a firewall?)';
  if (err instanceof NetworkError) return ' (is the node running and listening on that host and port?)';
  if (err instanceof RlpxError && err.reason === DisconnectReason.UselessPeer) return ' (the node does not run eth; drop --eth)';
  if (err instanceof StatusError && ['network', 'genesis', 'forkid'].includes(err.check)) return ' (the node is alive but on another chain or fork than --chain/--genesis)';
  return '';
}

export async function pingCommand(argv: string[], out: (line: string) => void, signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      count: { type: 'string' },
      interval: { type: 'string' },
      timeout: { type: 'string' },
      ...KEY_OPTIONS,
      json: { type: 'boolean', default: false },
      eth: { type: 'boolean', default: false },
      ...CHAIN_OPTIONS,
    },
  });
  if (positionals.length !== 1) throw new UsageError(`expected one enode URL\n${PING_USAGE}`);
  const count = intOption(values.count, 'count', 3, 1);
  const interval = intOption(values.interval, 'interval', 1000);
  const timeout = intOption(values.timeout, 'timeout', 5000, 1);
  const privateKey = loadKey(values);
  const chain = loadChain(values);
  // A chain is only of use with the eth handshake: asking for one asks for that.
  const wantEth = values.eth || chain !== undefined;
  let node: Enode;
  try {
    node = parseEnode(positionals[0]!);
  } catch (err) {
    throw new UsageError(err instanceof EnodeError ? err.message : String(err));
  }
  const result: PingResult = {
    ok: false,
    enode: formatEnode(node),
    remote: null,
    eth: null,
    sent: 0,
    received: 0,
    lost: 0,
    rtt_ms: { min: null, median: null, max: null, mean: null, jitter: null },
    disconnect: null,
    error: null,
  };
  const human = (line: string): void => {
    if (!values.json) out(line);
  };
  const finish = (code: number): number => {
    if (values.json) out(JSON.stringify(result));
    return code;
  };

  // eth is always offered, so a node that runs eth keeps us while we ping; --eth requires it.
  // Without --eth a node that runs eth but sends no Status (another rlpx tool) is still pinged.
  // With a chain we speak first and check the remote against it; without one we mirror it.
  const eth = ethStatusResponder({ ...(chain ? { chain, statusDelay: STATUS_DELAY } : {}), timeout: wantEth ? timeout : Math.min(timeout, 1_000), disconnectOnTimeout: wantEth });
  let peer: Peer;
  try {
    peer = await dial(node, {
      privateKey,
      protocols: eth.protocols,
      requireSharedProtocol: wantEth,
      pingInterval: 0,
      healthMode: 'geth',
      handshakeTimeout: timeout,
      helloTimeout: timeout,
      connectTimeout: timeout,
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    result.error = `${(err as Error).message}${hint(err)}`;
    if (values.json) out(JSON.stringify(result));
    else process.stderr.write(`rlpx ping: ${result.error}\n`);
    return Exit.Error;
  }

  const hello = peer.remoteHello!;
  result.remote = {
    id: bytesToHex(peer.remotePublicKey),
    clientId: hello.clientId,
    version: hello.version,
    caps: hello.capabilities.map((c) => `${c.name}/${c.version}`),
  };
  human(`connected to ${result.enode}`);
  human(`  client    ${hello.clientId}`);
  human(`  p2p       v${hello.version}`);
  human(`  caps      ${result.remote.caps.join(', ') || '(none)'}`);
  human(`  node id   ${result.remote.id}`);

  let closedBy: CloseInfo | undefined;
  void peer.closed.then((c) => (closedBy = c));
  if (peer.protocol('eth')) {
    try {
      result.eth = ethReport(await eth.status(peer));
    } catch (err) {
      // A Status on another chain is still reported: it says where the node is.
      if (err instanceof StatusError && err.status) result.eth = ethReport({ status: err.status, fork: err.fork?.verdict ?? 'unchecked' });
      if (wantEth) result.error = `${(err as Error).message}${hint(err)}`;
      else human(`  eth       no Status from the node; pinging without it`);
    }
    const e = result.eth;
    if (e) {
      human(`  eth       v${e.version}, network ${e.networkId}, genesis ${e.genesis.slice(0, 18)}…, fork id ${e.forkId.hash}/${e.forkId.next}: ${e.fork}`);
      human(`  blocks    ${e.earliestBlock}..${e.latestBlock}, latest ${e.latestBlockHash}`);
    }
    if (result.error) human(`  error     ${result.error}`);
  }

  const rtts: number[] = [];
  // Ctrl-C stops the pinging; we still leave with 0x08 and print what we have.
  let interrupted = false;
  const onStop = (): void => void (interrupted = true);
  signal?.addEventListener('abort', onStop, { once: true });
  for (let i = 0; i < count && !peer.isClosing && !interrupted; i++) {
    if (i > 0) await abortableSleep(interval, signal);
    if (peer.isClosing || interrupted) break;
    result.sent++;
    try {
      const rtt = await peer.ping({ signal: AbortSignal.timeout(timeout) });
      rtts.push(rtt);
      human(`pong ${i + 1}/${count}: rtt=${ms(rtt)}`);
    } catch (err) {
      const why = (err as Error).name === 'TimeoutError' ? `no pong within ${timeout} ms` : (err as Error).message;
      human(`ping ${i + 1}/${count}: lost (${why})`);
    }
  }
  signal?.removeEventListener('abort', onStop);
  if (!peer.isClosing) await peer.disconnect(DisconnectReason.ClientQuitting);
  const info = closedBy ?? (await peer.closed);

  const s = summarize(result.sent, rtts);
  result.sent = count; // pings never sent because the peer left count as lost
  result.received = s.received;
  result.lost = count - s.received;
  result.rtt_ms = { min: round(s.min), median: round(s.median), max: round(s.max), mean: round(s.mean), jitter: round(s.jitter) };
  result.disconnect = { reason: info.reason, name: reasonName(info.reason), by: info.initiator };
  const remoteLeft = info.initiator === 'remote';
  if (remoteLeft) result.error ??= `disconnected by the remote: ${reasonName(info.reason)}`;
  result.ok = result.lost === 0 && !remoteLeft;

  human(`--- ${result.enode.slice(0, 30)}… ping statistics ---`);
  human(`${result.sent} sent, ${result.received} received, ${result.lost} lost`);
  if (s.received > 0) human(`rtt min/median/max/mean/jitter = ${[s.min, s.median, s.max, s.mean, s.jitter].map((v) => v!.toFixed(3)).join('/')} ms`);
  human(`disconnect: ${result.disconnect.name} (0x${info.reason.toString(16).padStart(2, '0')}) by ${info.initiator}`);
  return finish(result.ok ? Exit.Ok : Exit.Unhealthy);
}
