/**
 * Dialing: TCP connect, RLPx handshake as initiator, Hello. Resolves with a running Peer.
 */
import { connect, type Socket } from 'node:net';
import { NetworkError, RlpxError, TimeoutError } from '../errors.js';
import { DisconnectReason } from '../reasons.js';
import { dialConfig, type DialOptions } from '../options.js';

export type { DialOptions } from '../options.js';
import { RlpxConnection } from '../wire/connection.js';
import { isValidPublicKey } from '../crypto/secp256k1.js';
import { EnodeError, parseEnode, type Enode } from './enode.js';
import { Peer } from './peer.js';
import { exchangeHello } from './protocol-handshake.js';

function connectSocket(host: string, port: number, timeout: number, signal?: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
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
      reject(new TimeoutError(`connect to ${host}:${port} timed out after ${timeout} ms`, { reason: DisconnectReason.NetworkError }));
    }, timeout);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once('connect', onConnect);
  });
}

/** Dial a node and run a Peer with it; resolves once both Hellos are exchanged and checked. */
export async function dial(target: string | Enode, options: DialOptions): Promise<Peer> {
  const node = typeof target === 'string' ? parseEnode(target) : target;
  // Everything that can be refused is refused before a socket exists.
  if (!isValidPublicKey(node.id)) throw new EnodeError('node id is not a 64-byte point on secp256k1');
  const config = dialConfig(options);
  const { signal } = options;
  signal?.throwIfAborted();
  const socket = await connectSocket(node.host, node.port, config.connectTimeout, signal);
  try {
    const conn = await RlpxConnection.initiate(socket, config.privateKey, node.id, config.connection, { signal });
    const session = await exchangeHello(conn, config.hello, config.peer.maxMessageSize, signal);
    return new Peer(conn, session, config.protocols, config.peer);
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw err instanceof RlpxError ? err : new NetworkError(String(err), { cause: err });
  }
}
