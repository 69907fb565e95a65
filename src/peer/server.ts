/**
 * A listening node: accepts RLPx connections, runs Peers, and enforces the peer table's
 * limits (too many peers 0x04, already connected 0x05, self 0x0a, pending handshakes capped).
 */
import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { ListenError, RefusedError } from '../errors.js';
import { checkReason, DisconnectReason, reasonName } from '../reasons.js';
import { abortable, checkSignal } from '../abort.js';
import { DIAL_KEYS, dialConfig, listenConfig, type DialOptions, type ListenConfig, type ListenOptions } from '../options.js';
import { bytesToHex } from '../crypto/bytes.js';
import { RlpxConnection } from '../wire/connection.js';
import { connectRlpx, dialTarget, startPeer } from './dial.js';
import { formatEnode, type Enode } from './enode.js';
import { InboundThrottle } from './inbound-throttle.js';
import { closeErrorOf, Peer, watchClose } from './peer.js';
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
  /** Hex of publicKey, for the self check of every connection (made once: it showed in the served handshake's profile). */
  readonly #selfId: string;
  /** Running peers by hex public key. */
  readonly peers = new Map<string, Peer>();
  readonly #net: NetServer;
  /** Checked once by listen(); every peer of this server shares it. */
  readonly #config: ListenConfig;
  /** What server.dial() passes on: the listen options, with our port as listenPort. */
  readonly #options: ListenOptions;
  readonly #throttle: InboundThrottle;
  /** Inbound handshakes (and Hellos) in progress: each socket and its accept. */
  readonly #handshaking = new Map<Socket, Promise<void>>();
  /** Connections beyond maxPendingHandshakes, waiting unread for a slot. */
  readonly #backlog: Socket[] = [];
  #address: AddressInfo | undefined;
  /** Our Hello settings, with the bound port as listenPort. */
  #hello: HelloConfig;
  #closing: Promise<void> | undefined;

  /** Servers come from listen(). */
  constructor(net: NetServer, config: ListenConfig, options: ListenOptions) {
    super();
    this.#net = net;
    this.#config = config;
    this.#options = options;
    this.#throttle = new InboundThrottle(config.server.throttle);
    this.#hello = config.hello;
    this.publicKey = config.hello.localId;
    this.#selfId = bytesToHex(this.publicKey);
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
    return this.#handshaking.size;
  }

  /** Connections waiting unread for a handshake slot. */
  get backlog(): number {
    return this.#backlog.length;
  }

  /**
   * Dial a node with this server's key and options; the peer joins this server's table. The
   * table's rules (full 0x04, duplicate 0x05, self 0x0a) run right after the RLPx handshake,
   * before Hello, as for inbound connections (geth: postHandshakeChecks).
   */
  async dial(target: string | Enode, options: Partial<DialOptions> = {}): Promise<Peer> {
    const node = dialTarget(target);
    const id = bytesToHex(node.id);
    if (this.peers.has(id)) throw new RefusedError(`already connected to ${id.slice(0, 16)}…`, { reason: DisconnectReason.AlreadyConnected });
    // The listen options that a dial takes too (not host, port, maxPeers, ...), then the call's own.
    const shared = Object.fromEntries(Object.entries(this.#options).filter(([k]) => DIAL_KEYS.has(k) && k !== 'signal'));
    const config = dialConfig({ ...shared, listenPort: this.address.port, ...options } as DialOptions);
    const conn = await connectRlpx(node, config, options.signal);
    const refuse = this.#refusal(bytesToHex(conn.remotePublicKey));
    if (refuse !== undefined) {
      await refuseConnection(conn, refuse);
      throw new RefusedError(`refused: ${reasonName(refuse)}`, { reason: refuse });
    }
    const peer = await startPeer(conn, config, options.signal);
    const refused = this.#admit(peer);
    if (refused) throw refused;
    return peer;
  }

  #onConnection(socket: Socket): void {
    socket.on('error', ignore); // handled by whoever owns it next; never let it crash us
    const remote = remoteOf(socket);
    const refused = this.#closing ? 'server is closing' : this.#throttle.check(socket.remoteAddress);
    if (refused !== undefined) return this.#reject(socket, remote, new RefusedError(refused));
    if (this.#handshaking.size < this.#config.server.maxPendingHandshakes) return this.#start(socket);
    // Node cannot stop accept(2) on a listening socket, so the nearest to geth's "stop
    // accepting" is to leave the connection unread, as in a kernel backlog, until a slot frees.
    if (this.#backlog.length >= this.#config.server.maxPendingHandshakes) {
      return this.#reject(socket, remote, new RefusedError('too many pending handshakes'));
    }
    socket.pause();
    this.#backlog.push(socket);
    socket.once('close', () => {
      const i = this.#backlog.indexOf(socket);
      if (i >= 0) this.#backlog.splice(i, 1);
    });
  }

  #reject(socket: Socket, remote: string, error: RefusedError): void {
    socket.destroy();
    this.emit('rejected', { remote, error });
  }

  /** Run one inbound handshake in a pending slot; the next waiting connection takes the slot after. */
  #start(socket: Socket): void {
    const accepting = this.#accept(socket).finally(() => {
      this.#handshaking.delete(socket);
      const next = this.#backlog.shift();
      if (next && !this.#closing) this.#start(next);
    });
    this.#handshaking.set(socket, accepting);
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
        await refuseConnection(conn, refuse);
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
    if (id === this.#selfId) return DisconnectReason.ConnectedToSelf;
    return undefined;
  }

  /**
   * Apply the table's rules again once Hello is done (the table may have changed meanwhile).
   * Returns the error of a peer that is not admitted, after its 'rejected' event.
   */
  #admit(peer: Peer): Error | undefined {
    const remote = remoteOf(peer.connection.socket);
    // Closed already (the remote's Disconnect came with its Hello, say): its own error, so a
    // remote refusal is the remote's DisconnectedError here as on dial().
    if (peer.closeInfo) return this.#rejectPeer(remote, closeErrorOf(peer.closeInfo));
    const refuse = this.#refusal(peer.id);
    if (refuse !== undefined) {
      void peer.disconnect(refuse);
      return this.#rejectPeer(remote, new RefusedError(`refused: ${reasonName(refuse)}`, { reason: refuse }));
    }
    this.peers.set(peer.id, peer);
    watchClose(peer, forget, this.peers);
    this.emit('peer', peer);
    return undefined;
  }

  #rejectPeer(remote: string, error: Error): Error {
    this.emit('rejected', { remote, error });
    return error;
  }

  /**
   * Stop listening, send `reason` (default 0x08, "client quitting", as geth's Server.Stop) to
   * every peer, and wait for every socket to close. Every 'rejected' and peer 'close' event
   * has fired when it resolves. Aborting `signal` stops the wait: what is left is destroyed at
   * once and the promise rejects with the signal's reason.
   */
  close(reason: DisconnectReason = DisconnectReason.ClientQuitting, options: { signal?: AbortSignal } = {}): Promise<void> {
    checkReason(reason, 'server.close');
    checkSignal(options.signal);
    this.#closing ??= (async () => {
      const stopped = new Promise<void>((r) => this.#net.close(() => r()));
      for (const s of this.#backlog.splice(0)) s.destroy();
      for (const s of this.#handshaking.keys()) s.destroy();
      const peers = [...this.peers.values()];
      await Promise.all([...peers.map((p) => p.disconnect(reason)), ...this.#handshaking.values()]);
      await stopped;
      this.emit('close');
    })();
    return abortable(this.#closing, options.signal, () => {
      for (const p of this.peers.values()) p.destroy();
      for (const s of this.#handshaking.keys()) s.destroy();
    });
  }

  /** `await using server = await listen(...)`: close (0x08) when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

const ignore = (): void => {};

/** A closed peer leaves the table (if it is still the one under its id). */
function forget(peer: Peer, peers: Map<string, Peer>): void {
  const id = peer.id;
  if (peers.get(id) === peer) peers.delete(id);
}
const remoteOf = (s: Socket): string => `${s.remoteAddress}:${s.remotePort}`;

/** Send Disconnect on a connection that never gets a Peer; resolves once its socket is gone. */
function refuseConnection(conn: RlpxConnection, reason: DisconnectReason): Promise<void> {
  return new Promise<void>((resolve) => {
    if (conn.ended) return resolve();
    conn.socket.once('close', () => resolve());
    closeConnection(conn, reason, true);
  });
}

/** Start listening; resolves once the port is bound. */
export async function listen(options: ListenOptions): Promise<Server> {
  const config = listenConfig(options);
  options.signal?.throwIfAborted();
  const net = createServer({ noDelay: true });
  const server = new Server(net, config, options);
  await new Promise<void>((resolve, reject) => {
    const { host, port } = config.server;
    const onError = (err: NodeJS.ErrnoException): void => reject(new ListenError(`${host.includes(':') ? `[${host}]` : host}:${port}`, err));
    net.once('error', onError);
    net.listen(port, host, () => {
      net.off('error', onError);
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
