/**
 * A listening node: accepts RLPx connections, runs Peers, and enforces the peer table's
 * limits (too many peers 0x04, already connected 0x05, self 0x0a, pending handshakes capped).
 */
import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { NetworkError } from '../errors.js';
import { DisconnectReason, reasonName } from '../reasons.js';
import { checkInteger } from '../options.js';
import { bytesToHex } from '../crypto/bytes.js';
import { publicKeyOf } from '../crypto/secp256k1.js';
import { checkConnectionOptions, RlpxConnection, type ConnectionOptions } from '../wire/connection.js';
import { dial, type DialOptions } from './dial.js';
import { formatEnode, parseEnode, type Enode } from './enode.js';
import { checkPeerOptions, Peer, type PeerOptions } from './peer.js';
import { encodeDisconnect } from './disconnect.js';
import { DISCONNECT_FLUSH_MS, P2PCode } from './p2p.js';

export interface ListenOptions extends PeerOptions, Omit<ConnectionOptions, 'signal'> {
  host?: string;
  port?: number;
  maxPeers?: number;
  maxPendingHandshakes?: number;
  signal?: AbortSignal;
}

interface ServerLimits {
  host: string;
  port: number;
  maxPeers: number;
  maxPendingHandshakes: number;
}

export const SERVER_DEFAULTS: Readonly<ServerLimits> = Object.freeze({
  host: '127.0.0.1',
  port: 30303,
  maxPeers: 50,
  maxPendingHandshakes: 50,
});

export interface ServerEvents {
  /** A peer passed Hello and the table's checks. */
  peer: [peer: Peer];
  /** A connection that never became a peer, and why. */
  rejected: [info: { remote: string; error: Error }];
  close: [];
}

export class Server extends EventEmitter<ServerEvents> {
  readonly publicKey: Uint8Array;
  /** Running peers by hex public key. */
  readonly peers = new Map<string, Peer>();
  readonly #net: NetServer;
  readonly #opts: ListenOptions & ServerLimits;
  readonly #sockets = new Set<Socket>();
  #address: AddressInfo | undefined;
  #peerOpts: PeerOptions | undefined;
  #pending = 0;
  #closing: Promise<void> | undefined;

  /** @internal use listen() */
  constructor(net: NetServer, opts: ListenOptions & ServerLimits) {
    super();
    this.#net = net;
    this.#opts = opts;
    this.publicKey = publicKeyOf(opts.privateKey);
    net.on('connection', (socket) => this.#onConnection(socket));
    // Accept failures (EMFILE at 10,000 peers, say) must not become uncaught exceptions.
    net.on('error', (error) => this.emit('rejected', { remote: 'accept', error }));
    // Kept, because node forgets the address once the listener is closed.
    net.on('listening', () => (this.#address = net.address() as AddressInfo));
  }

  get address(): AddressInfo {
    if (!this.#address) throw new Error('server is not listening yet');
    return this.#address;
  }

  get enode(): string {
    const a = this.address;
    return formatEnode({ id: this.publicKey, host: a.address, port: a.port });
  }

  /** Handshakes and Hellos in progress. */
  get pendingHandshakes(): number {
    return this.#pending;
  }

  /** Dial a node with this server's key and options; the peer joins this server's table. */
  async dial(target: string | Enode, options: Partial<DialOptions> = {}): Promise<Peer> {
    const node = typeof target === 'string' ? parseEnode(target) : target;
    const id = bytesToHex(node.id);
    if (this.peers.has(id)) throw new NetworkError(`already connected to ${id.slice(0, 16)}…`);
    const peer = await dial(node, { ...this.#opts, listenPort: this.address.port, ...options });
    if (!this.#admit(peer)) throw new NetworkError(`peer refused: ${peer.closeInfo?.name ?? 'closed'}`);
    return peer;
  }

  #onConnection(socket: Socket): void {
    socket.on('error', ignore); // handled by whoever owns it next; never let it crash us
    if (this.#closing || this.#pending >= this.#opts.maxPendingHandshakes) {
      const remote = remoteOf(socket);
      socket.destroy();
      this.emit('rejected', { remote, error: new NetworkError('too many pending handshakes') });
      return;
    }
    // Only connections still in their handshake are tracked here; peers live in this.peers.
    this.#sockets.add(socket);
    this.#pending++;
    void this.#accept(socket).finally(() => {
      this.#pending--;
      this.#sockets.delete(socket);
    });
  }

  /** Options every accepted Peer shares, built once (per-peer copies add up at 10,000 peers). */
  #peerOptions(): PeerOptions {
    return (this.#peerOpts ??= { ...this.#opts, listenPort: this.address.port });
  }

  async #accept(socket: Socket): Promise<void> {
    const remote = remoteOf(socket);
    let peer: Peer | undefined;
    let conn: RlpxConnection | undefined;
    try {
      conn = await RlpxConnection.accept(socket, this.#opts.privateKey, this.#opts);
      // Like geth's post-handshake checkpoint: refuse before Hello, with an uncompressed
      // Disconnect, which the dialer reads in place of our Hello.
      const refuse = this.#refusal(bytesToHex(conn.remotePublicKey));
      if (refuse !== undefined) {
        await refuseConnection(conn, refuse);
        this.emit('rejected', { remote, error: new NetworkError(`refused: ${reasonName(refuse)}`) });
        return;
      }
      peer = new Peer(conn, this.#peerOptions());
      await peer.ready;
    } catch (error) {
      if (peer) await peer.closed;
      else if (conn) conn.destroy();
      else socket.destroy();
      this.emit('rejected', { remote, error: error as Error });
      return;
    }
    this.#admit(peer);
  }

  /** The table's rules, in geth's order (postHandshakeChecks). */
  #refusal(id: string): DisconnectReason | undefined {
    if (this.#closing) return DisconnectReason.ClientQuitting;
    if (this.peers.size >= this.#opts.maxPeers) return DisconnectReason.TooManyPeers;
    if (this.peers.has(id)) return DisconnectReason.AlreadyConnected;
    if (id === bytesToHex(this.publicKey)) return DisconnectReason.ConnectedToSelf;
    return undefined;
  }

  /** Apply the table's rules again once Hello is done (the table may have changed meanwhile). */
  #admit(peer: Peer): boolean {
    const refuse = this.#refusal(peer.id);
    if (refuse !== undefined) {
      void peer.disconnect(refuse);
      this.emit('rejected', { remote: remoteOf(peer.connection.socket), error: new NetworkError(`refused: ${reasonName(refuse)}`) });
      return false;
    }
    if (peer.isClosing) {
      this.emit('rejected', { remote: remoteOf(peer.connection.socket), error: peer.closeInfo?.error ?? new NetworkError(`closed: ${peer.closeInfo?.name}`) });
      return false;
    }
    this.peers.set(peer.id, peer);
    void peer.closed.then(() => {
      if (this.peers.get(peer.id) === peer) this.peers.delete(peer.id);
    });
    this.emit('peer', peer);
    return true;
  }

  /** Stop listening, send 0x08 to every peer, and wait for all sockets to close. */
  close(reason: DisconnectReason = DisconnectReason.ClientQuitting): Promise<void> {
    this.#closing ??= (async () => {
      const stopped = new Promise<void>((r) => this.#net.close(() => r()));
      await Promise.all([...this.peers.values()].map((p) => p.disconnect(reason)));
      for (const s of this.#sockets) s.destroy();
      await stopped;
      this.emit('close');
    })();
    return this.#closing;
  }
}

const ignore = (): void => {};
const remoteOf = (s: Socket): string => `${s.remoteAddress}:${s.remotePort}`;

/** Send Disconnect on a connection that never gets a Peer, then close it (at most 1 s). */
async function refuseConnection(conn: RlpxConnection, reason: DisconnectReason): Promise<void> {
  const flushed = conn.send(P2PCode.Disconnect, encodeDisconnect(reason)).catch(() => {});
  await Promise.race([flushed, new Promise((r) => setTimeout(r, DISCONNECT_FLUSH_MS).unref())]);
  conn.destroy();
}

/** Start listening; resolves once the port is bound. */
export async function listen(options: ListenOptions): Promise<Server> {
  checkPeerOptions(options);
  checkConnectionOptions(options);
  options.signal?.throwIfAborted();
  const opts = { ...SERVER_DEFAULTS, ...options };
  checkInteger('maxPeers', opts.maxPeers);
  checkInteger('maxPendingHandshakes', opts.maxPendingHandshakes);
  checkInteger('port', opts.port, 0, 65535);
  const net = createServer({ noDelay: true });
  const server = new Server(net, opts);
  await new Promise<void>((resolve, reject) => {
    net.once('error', reject);
    net.listen(opts.port, opts.host, () => {
      net.off('error', reject);
      resolve();
    });
  });
  const signal = options.signal;
  if (signal) {
    const onAbort = (): void => void server.close();
    signal.addEventListener('abort', onAbort, { once: true });
    server.once('close', () => signal.removeEventListener('abort', onAbort));
    if (signal.aborted) onAbort();
  }
  return server;
}
