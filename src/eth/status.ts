/**
 * A minimal, optional eth subprotocol: enough of eth/69+ for a node to keep us as a peer.
 * It advertises the versions geth v1.17 offers, reads the remote Status, checks it, and
 * answers with a Status that matches the remote chain. Every other eth message is ignored.
 * It is not a sync implementation: it serves no headers, bodies or transactions.
 *
 *   Status (0x00, eth/69+) = [version, networkId, genesisHash, [forkHash(4), forkNext],
 *                             earliestBlock, latestBlock, latestBlockHash]
 */
import { RLP } from '@ethereumjs/rlp';
import { ClosedError, ProtocolError, TimeoutError } from '../errors.js';
import { DisconnectReason } from '../reasons.js';
import { ethConfig, type EthOptions } from '../options.js';
import { bytesToHex, equalBytes } from '../crypto/bytes.js';
import type { ProtocolChannel } from '../peer/channel.js';
import type { Peer, Protocol } from '../peer/peer.js';

export const ETH_STATUS_CODE = 0x00;
/**
 * Largest Status payload decoded: about 20 times any Status geth sends. It bounds the work of
 * @ethereumjs/rlp's decode, which is O(depth x size) and allocates per item, so a 16 MiB
 * Status of nested or one-byte items would block the event loop for seconds and use GiBs.
 */
export const MAX_STATUS_SIZE = 4096;
/** eth versions and their message-code counts, as geth v1.17 offers them. */
export const ETH_VERSIONS: ReadonlyArray<{ version: number; length: number }> = [
  { version: 69, length: 18 },
  { version: 70, length: 18 },
  { version: 71, length: 20 },
  { version: 72, length: 22 },
];

export interface ForkId {
  hash: Uint8Array;
  next: bigint;
}

export interface EthStatus {
  version: number;
  networkId: bigint;
  genesisHash: Uint8Array;
  forkId: ForkId;
  earliestBlock: bigint;
  latestBlock: bigint;
  latestBlockHash: Uint8Array;
}

function toBigInt(v: unknown, what: string): bigint {
  if (!(v instanceof Uint8Array)) throw new ProtocolError(`eth status: ${what} is not an integer`, { reason: DisconnectReason.SubprotocolError });
  if (v.length > 8 || (v.length > 0 && v[0] === 0)) {
    throw new ProtocolError(`eth status: ${what} is not a canonical uint64`, { reason: DisconnectReason.SubprotocolError });
  }
  return v.length === 0 ? 0n : BigInt('0x' + bytesToHex(v));
}

function hash(v: unknown, size: number, what: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== size) {
    throw new ProtocolError(`eth status: ${what} is not ${size} bytes`, { reason: DisconnectReason.SubprotocolError });
  }
  return new Uint8Array(v);
}

export function encodeStatus(s: EthStatus): Uint8Array {
  return RLP.encode([
    s.version,
    s.networkId,
    s.genesisHash,
    [s.forkId.hash, s.forkId.next],
    s.earliestBlock,
    s.latestBlock,
    s.latestBlockHash,
  ]);
}

export function decodeStatus(payload: Uint8Array): EthStatus {
  if (payload.length > MAX_STATUS_SIZE) {
    throw new ProtocolError(`eth status: ${payload.length} bytes exceeds the ${MAX_STATUS_SIZE}-byte limit`, {
      reason: DisconnectReason.SubprotocolError,
    });
  }
  let v: unknown;
  try {
    v = RLP.decode(payload);
  } catch (err) {
    throw new ProtocolError('eth status: not valid RLP', { cause: err, reason: DisconnectReason.SubprotocolError });
  }
  if (!Array.isArray(v) || v.length < 7 || !Array.isArray(v[3]) || v[3].length < 2) {
    throw new ProtocolError('eth status: not an eth/69 Status list', { reason: DisconnectReason.SubprotocolError });
  }
  const fork = v[3] as unknown[];
  return {
    version: Number(toBigInt(v[0], 'version')),
    networkId: toBigInt(v[1], 'networkId'),
    genesisHash: hash(v[2], 32, 'genesisHash'),
    forkId: { hash: hash(fork[0], 4, 'forkId hash'), next: toBigInt(fork[1], 'forkId next') },
    earliestBlock: toBigInt(v[4], 'earliestBlock'),
    latestBlock: toBigInt(v[5], 'latestBlock'),
    latestBlockHash: hash(v[6], 32, 'latestBlockHash'),
  };
}

/**
 * `timeout` (default 5 s) is how long to wait for the remote Status. `disconnectOnTimeout`
 * (default true) disconnects (0x0b) a peer whose Status does not come in time; two
 * responders only answer, so between two of ours neither speaks first: tools that may meet
 * one another (ping, listen, monitor) set it false and only stop waiting.
 */
export interface EthResponderOptions extends EthOptions {
  /** Refuse remotes on another network or chain (closed with 0x10). */
  networkId?: bigint;
  genesisHash?: Uint8Array;
}

export interface EthResponder {
  /** Pass these in PeerOptions.protocols (or ListenOptions/DialOptions). */
  protocols: Protocol[];
  /** The remote Status of a peer, once exchanged; rejects if the peer closes first. */
  status(peer: Peer): Promise<EthStatus>;
}

interface Exchange {
  promise: Promise<EthStatus>;
  resolve(s: EthStatus): void;
  reject(e: Error): void;
}

export function ethStatusResponder(options: EthResponderOptions = {}): EthResponder {
  const config = ethConfig(options);
  // One exchange per running eth channel; a peer runs at most one.
  const exchanges = new WeakMap<ProtocolChannel, Exchange>();
  const exchangeOf = (channel: ProtocolChannel): Exchange => {
    let x = exchanges.get(channel);
    if (!x) {
      let resolve!: (s: EthStatus) => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<EthStatus>((res, rej) => ((resolve = res), (reject = rej)));
      promise.catch(() => {});
      x = { promise, resolve, reject };
      exchanges.set(channel, x);
    }
    return x;
  };

  const run = (channel: ProtocolChannel, peer: Peer): void => {
    const exchange = exchangeOf(channel);
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      if (config.disconnectOnTimeout) void peer.disconnect(DisconnectReason.ReadTimeout);
      else exchange.reject(new TimeoutError(`no eth Status within ${config.timeout} ms`));
    }, config.timeout);
    timer.unref();
    void peer.closed.then((info) => {
      clearTimeout(timer);
      exchange.reject(info.error ?? new ClosedError(`peer closed: ${info.name}`));
    });
    channel.on('message', (code, payload) => {
      if (done) return; // everything after Status is ignored: we are a health probe, not a node
      if (code !== ETH_STATUS_CODE) {
        throw new ProtocolError(`eth: first message has code 0x${code.toString(16)}, not Status`, {
          reason: DisconnectReason.SubprotocolError,
        });
      }
      const remote = decodeStatus(payload);
      const mismatch =
        remote.version !== channel.version
          ? `version ${remote.version} != ${channel.version}`
          : options.networkId !== undefined && remote.networkId !== options.networkId
            ? `network ${remote.networkId} != ${options.networkId}`
            : options.genesisHash && !equalBytes(remote.genesisHash, options.genesisHash)
              ? 'genesis hash differs'
              : undefined;
      if (mismatch) throw new ProtocolError(`eth status: ${mismatch}`, { reason: DisconnectReason.SubprotocolError });
      done = true;
      clearTimeout(timer);
      // Mirror the remote chain so its checks (network, genesis, fork id, block range) pass.
      channel.send(ETH_STATUS_CODE, encodeStatus({ ...remote, version: channel.version })).catch(() => {});
      exchange.resolve(remote);
    });
  };

  return {
    protocols: ETH_VERSIONS.map(({ version, length }) => ({ name: 'eth', version, length, run })),
    status(peer) {
      // Peers are past Hello: a peer without an eth channel will never send a Status.
      const channel = peer.protocol('eth');
      if (!channel) return Promise.reject(new ProtocolError('peer does not run eth', { reason: DisconnectReason.UselessPeer }));
      return exchangeOf(channel).promise;
    },
  };
}
