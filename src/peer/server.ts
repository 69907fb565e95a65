/**
 * A listening node: accepts RLPx connections, runs Peers, and enforces the peer table's
 * limits (too many peers 0x04, already connected 0x05, self 0x0a, pending handshakes capped).
 */
import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { ClosedError, RefusedError } from '../errors.js';
import { DisconnectReason, reasonName } from '../reasons.js';
import { listenConfig, type DialOptions, type ListenConfig, type ListenOptions } from '../options.js';
import { bytesToHex } from '../crypto/bytes.js';
import { RlpxConnection } from '../wire/connection.js';
import { dial } from './dial.js';
import { formatEnode, parseEnode, type Enode } from './enode.js';
import { Peer } from './peer.js';
import { closeConnection } from './disconnect.js';
import { exchangeHello, type HelloConfig } from './protocol-handshake.js';

export type { ListenOptions } from '../options.js';

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
  /** Checked once by listen(); every peer of this server shares it. */
  readonly #config: ListenConfig;
  /** What server.dial() passes on: the listen options, with our port as listenPort. */
  readonly #dialDefaults: ListenOptions;
  readonly #sockets = new Set<Socket>();
  #address: AddressInfo | undefined;
  /** Our Hello settings, with the bound port as listenPort. */
  #hello: HelloConfig;
  #pending = 0;
  #closing: Promise<void> | undefined;

  /** Servers come from listen(). */
  constructor(net: NetServer, config: ListenConfig, options: ListenOptions) {
    super();
    this.#net = net;
    this.#config = config;
    this.#dialDefaults = options;
    this.#hello = config.hello;
    this.publicKey = config.hello.localId;
    net.on('connection', (socket) => this.#onConnection(socket));
    // Accept failures (EMFILE at 10,000 peers, say) must not become uncaught exceptions.
    net.on('error', (error) => this.emit('rejected', { remote: 'accept', error }));
    // Kept, because node forgets the address once the listener is closed.
    net.on('listening', () => {
      this.#address = net.address() as AddressInfo;
      this.#hello = Object.freeze({ ...config.hello, listenPort: this.#address.port });
    });
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
    if (this.peers.has(id)) throw new RefusedError(`already connected to ${id.slice(0, 16)}…`, { reason: DisconnectReason.AlreadyConnected });
    const peer = await dial(node, { ...this.#dialDefaults, listenPort: this.address.port, ...options });
    if (!this.#admit(peer)) throw new RefusedError(`peer refused: ${peer.closeInfo?.name ?? 'closed'}`, { reason: peer.closeInfo?.reason as DisconnectReason });
    return peer;
  }

  #onConnection(socket: Socket): void {
    socket.on('error', ignore); // handled by whoever owns it next; never let it crash us
    if (this.#closing || this.#pending >= this.#config.server.maxPendingHandshakes) {
      const remote = remoteOf(socket);
      socket.destroy();
      this.emit('rejected', { remote, error: new RefusedError('too many pending handshakes') });
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

  async #accept(socket: Socket): Promise<void> {
    const remote = remoteOf(socket);
    const config = this.#config;
    let peer: Peer;
    try {
      const conn = await RlpxConnection.accept(socket, config.privateKey, config.connection);
      // Like geth's post-handshake checkpoint: refuse before Hello, with an uncompressed
      // Disconnect, which the dialer reads in place of our Hello.
      const refuse = this.#refusal(bytesToHex(conn.remotePublicKey));
      if (refuse !== undefined) {
        await new Promise<void>((resolve) => {
          closeConnection(conn, refuse, true);
          if (conn.ended) resolve();
          else conn.socket.once('close', () => resolve());
        });
        this.emit('rejected', { remote, error: new RefusedError(`refused: ${reasonName(refuse)}`, { reason: refuse }) });
        return;
      }
      const session = await exchangeHello(conn, this.#hello, config.peer.maxMessageSize);
      peer = new Peer(conn, session, config.protocols, config.peer);
    } catch (error) {
      this.emit('rejected', { remote, error: error as Error });
      return;
    }
    this.#admit(peer);
  }

  /** The table's rules, in geth's order (postHandshakeChecks). */
  #refusal(id: string): DisconnectReason | undefined {
    if (this.#closing) return DisconnectReason.ClientQuitting;
    if (this.peers.size >= this.#config.server.maxPeers) return DisconnectReason.TooManyPeers;
    if (this.peers.has(id)) return DisconnectReason.AlreadyConnected;
    if (id === bytesToHex(this.publicKey)) return DisconnectReason.ConnectedToSelf;
    return undefined;
  }

  /** Apply the table's rules again once Hello is done (the table may have changed meanwhile). */
  #admit(peer: Peer): boolean {
    const refuse = this.#refusal(peer.id);
    if (refuse !== undefined) {
      void peer.disconnect(refuse);
      this.emit('rejected', { remote: remoteOf(peer.connection.socket), error: new RefusedError(`refused: ${reasonName(refuse)}`, { reason: refuse }) });
      return false;
    }
    if (peer.isClosing) {
      this.emit('rejected', { remote: remoteOf(peer.connection.socket), error: peer.closeInfo?.error ?? new ClosedError(`closed: ${peer.closeInfo?.name}`) });
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

/** Start listening; resolves once the port is bound. */
export async function listen(options: ListenOptions): Promise<Server> {
  const config = listenConfig(options);
  options.signal?.throwIfAborted();
  const net = createServer({ noDelay: true });
  const server = new Server(net, config, options);
  await new Promise<void>((resolve, reject) => {
    net.once('error', reject);
    net.listen(config.server.port, config.server.host, () => {
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
