/**
 * Dialing: TCP connect, RLPx handshake as initiator, Hello. Resolves with a running Peer.
 * The RLPx and Hello phases are exported on their own, so that a server can check its table
 * between them and a probe or crawler can say which phase failed.
 */
import { connect, type Socket } from 'node:net';
import { NetworkError, RlpxError, TimeoutError } from '../errors.js';
import { DisconnectReason } from '../reasons.js';
import { dialConfig, type DialConfig, type DialOptions } from '../options.js';

export type { DialOptions } from '../options.js';
import { RlpxConnection } from '../wire/connection.js';
import { isValidPublicKey } from '../crypto/secp256k1.js';
import { EnodeError, parseEnode, type Enode } from './enode.js';
import { closeErrorOf, Peer } from './peer.js';
import { exchangeHello } from './protocol-handshake.js';

function connectSocket(host: string, port: number, config: DialConfig, signal?: AbortSignal): Promise<Socket> {
  const timeout = config.connectTimeout;
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, ...(config.localAddress ? { localAddress: config.localAddress } : {}) });
    const cleanup = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off('connect', onConnect);
    };
    const onError = (err: Error): void => {
      cleanup();
      socket.destroy();
      reject(new NetworkError(`connect to ${host}:${port} failed: ${err.message}`, { cause: err }));
    };
    const onAbort = (): void => {
      cleanup();
      socket.destroy();
      reject(signal!.reason);
    };
    const onConnect = (): void => {
      cleanup();
      resolve(socket);
    };
    const timer = setTimeout(() => {
      cleanup();
      socket.destroy();
      reject(new TimeoutError(`connect to ${host}:${port} timed out after ${timeout} ms`, { reason: DisconnectReason.NetworkError, deadline: 'connect' }));
    }, timeout);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once('connect', onConnect);
  });
}

/** The dial's target, parsed and checked before any socket exists. */
export function dialTarget(target: string | Enode): Enode {
  const node = typeof target === 'string' ? parseEnode(target) : target;
  if (!isValidPublicKey(node.id)) throw new EnodeError('node id is not a 64-byte point on secp256k1');
  return node;
}

/**
 * TCP connect and the RLPx handshake: the first of a dial's two phases, so a Server can check
 * its table before Hello (as geth does). `connected` runs between the TCP connect and the
 * handshake, for callers that time or name the phases.
 */
export async function connectRlpx(node: Enode, config: DialConfig, signal?: AbortSignal, connected?: () => void): Promise<RlpxConnection> {
  signal?.throwIfAborted();
  const socket = await connectSocket(node.host, node.port, config, signal);
  connected?.();
  return rethrow(RlpxConnection.initiate(socket, config.privateKey, node.id, config.connection, { signal }), signal);
}

export async function startPeer(conn: RlpxConnection, config: DialConfig, signal?: AbortSignal): Promise<Peer> {
  const session = await rethrow(exchangeHello(conn, config.hello, config.peer.maxMessageSize, signal), signal);
  return new Peer(conn, session, config.protocols, config.peer);
}

/** An aborted dial rejects with the signal's reason; anything else as a typed error. */
async function rethrow<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw err instanceof RlpxError ? err : new NetworkError(String(err), { cause: err });
  }
}

/**
 * Dial a node and run a Peer with it; resolves once both Hellos are exchanged and checked.
 * A peer the remote closed at once (its Disconnect came with its Hello) rejects the dial with
 * the remote's DisconnectedError, as a Server reports it in 'rejected'. A peer our own code
 * closed at once (a protocol's run() threw) is still delivered, with its 'close' to come.
 */
export async function dial(target: string | Enode, options: DialOptions): Promise<Peer> {
  // Everything that can be refused is refused before a socket exists.
  const node = dialTarget(target);
  const config = dialConfig(options);
  const peer = await startPeer(await connectRlpx(node, config, options.signal), config, options.signal);
  if (peer.closeInfo?.initiator === 'remote') throw closeErrorOf(peer.closeInfo);
  return peer;
}
