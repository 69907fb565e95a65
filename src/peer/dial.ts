/**
 * Dialing: TCP connect, RLPx handshake as initiator, Hello. Resolves with a running Peer.
 */
import { connect, type Socket } from 'node:net';
import { NetworkError, RlpxError, TimeoutError } from '../errors.js';
import { DisconnectReason } from '../reasons.js';
import { checkInteger, MAX_TIMER_MS } from '../options.js';
import { checkConnectionOptions, RlpxConnection, type ConnectionOptions } from '../wire/connection.js';
import { isValidPublicKey } from '../crypto/secp256k1.js';
import { EnodeError, parseEnode, type Enode } from './enode.js';
import { checkPeerOptions, Peer, type PeerOptions } from './peer.js';

export interface DialOptions extends PeerOptions, Omit<ConnectionOptions, 'signal'> {
  /** TCP connect deadline, ms. */
  connectTimeout?: number;
  signal?: AbortSignal;
}

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
      reject(new TimeoutError(`connect to ${host}:${port} timed out after ${timeout} ms`, DisconnectReason.NetworkError));
    }, timeout);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once('connect', onConnect);
  });
}

/** Dial a node and run a Peer with it; resolves once both Hellos are exchanged. */
export async function dial(target: string | Enode, options: DialOptions): Promise<Peer> {
  const node = typeof target === 'string' ? parseEnode(target) : target;
  // Everything that can be refused is refused before a socket exists.
  if (!isValidPublicKey(node.id)) throw new EnodeError('node id is not a 64-byte point on secp256k1');
  checkPeerOptions(options);
  checkConnectionOptions(options);
  const connectTimeout = options.connectTimeout ?? 10_000;
  checkInteger('connectTimeout', connectTimeout, 1, MAX_TIMER_MS);
  const { signal } = options;
  signal?.throwIfAborted();
  const socket = await connectSocket(node.host, node.port, connectTimeout, signal);
  let conn: RlpxConnection;
  try {
    conn = await RlpxConnection.initiate(socket, options.privateKey, node.id, options);
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw err;
  }
  let peer: Peer;
  try {
    peer = new Peer(conn, options);
  } catch (err) {
    conn.destroy();
    throw err;
  }
  const onAbort = (): void => peer.destroy(new NetworkError('dial aborted', { cause: signal?.reason }));
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort(); // aborted while we were connecting and shaking hands
  try {
    await peer.ready;
    return peer;
  } catch (err) {
    await peer.closed;
    if (signal?.aborted) throw signal.reason;
    throw err instanceof RlpxError ? err : new NetworkError(String(err), { cause: err });
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
