/**
 * A "raw" remote: an RlpxConnection driven by hand, so a test can play a misbehaving peer
 * (silent, no Pong, odd Hello, odd Disconnect) at the message level.
 *
 * The raw remote keeps its connection's snappy switch off and handles compression itself
 * (sends with an explicit `compress`, decodes received payloads by hand). That way what it
 * observes does not depend on the snappy code under test.
 */
import { connect, createServer, type Socket } from 'node:net';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { RlpxConnection } from '../../src/wire/connection.js';
import { connectionConfig } from '../../src/options.js';
import { snappyDecompress } from '../../src/wire/snappy.js';
import { decodeHello, encodeHello, type Hello } from '../../src/peer/hello.js';
import { decodeDisconnect } from '../../src/peer/disconnect.js';
import { formatEnode, parseEnode } from '../../src/peer/enode.js';
import { closeNet, HOST, listenNet, type Resources, waitUntil, within } from './loopback.js';

export interface RawMessage {
  code: number;
  /** Payload after our own snappy decoding (when the remote's Hello asked for it). */
  payload: Uint8Array;
  /** Bytes as they came off the wire, after the code. */
  wire: Uint8Array;
}

export interface RawDisconnect {
  reason: number | undefined;
  /** Whether the payload came snappy-compressed. */
  compressed: boolean;
  wire: Uint8Array;
}

export interface RawOptions {
  key?: Uint8Array;
  /** Our Hello: false sends none; otherwise fields override a valid default. */
  hello?: Partial<Hello> | false;
  /** A message sent (uncompressed) right after the RLPx handshake, before our Hello. */
  first?: { code: number; payload: Uint8Array };
  /** A message sent compressed in the same write as our Hello, as a refusal right after it. */
  afterHello?: { code: number; payload: Uint8Array };
  /** Answer Pings with Pongs. Default false: a peer that never answers. */
  answerPings?: boolean;
}

/**
 * Read a Disconnect payload without trusting a snappy switch: try it as plain RLP / bare byte
 * first, and only then as a snappy block.
 */
function readDisconnect(wire: Uint8Array): RawDisconnect {
  const plain = decodeDisconnect(wire);
  if (plain !== undefined) return { reason: plain, compressed: false, wire };
  try {
    return { reason: decodeDisconnect(snappyDecompress(wire)), compressed: true, wire };
  } catch {
    return { reason: undefined, compressed: false, wire };
  }
}

/** One hand-driven RLPx connection playing the remote side of a Peer. */
export class RawRemote {
  readonly conn: RlpxConnection;
  readonly key: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly received: RawMessage[] = [];
  /** The Hello the Peer sent us. */
  readonly hello: Promise<Hello>;
  /** The first Disconnect the Peer sent us. */
  readonly disconnect: Promise<RawDisconnect>;
  /** The socket is gone. */
  readonly ended: Promise<void>;
  pings = 0;
  #snappy = false;
  #onHello!: (h: Hello) => void;
  #onDisconnect!: (d: RawDisconnect) => void;
  #onEnded!: () => void;
  readonly #opts: RawOptions;

  constructor(conn: RlpxConnection, key: Uint8Array, opts: RawOptions) {
    this.conn = conn;
    this.key = key;
    this.publicKey = publicKeyOf(key);
    this.#opts = opts;
    this.hello = new Promise((r) => (this.#onHello = r));
    this.disconnect = new Promise((r) => (this.#onDisconnect = r));
    this.ended = new Promise((r) => (this.#onEnded = r));
    this.hello.catch(() => {});
    conn.start({
      message: (m) => this.#onMessage(m.code, m.payload),
      error: () => conn.destroy(),
      end: () => this.#onEnded(),
    });
    if (opts.first) void conn.send(opts.first.code, opts.first.payload, { compress: false }).catch(() => {});
    if (opts.hello !== false) {
      const hello: Hello = {
        version: 5,
        clientId: 'raw-remote',
        capabilities: [],
        listenPort: 0,
        nodeId: this.publicKey,
        ...opts.hello,
      };
      void conn.send(0x00, encodeHello(hello), { compress: false }).catch(() => {});
      // Same tick: sealed into the same socket write as the Hello.
      if (opts.afterHello) void conn.send(opts.afterHello.code, opts.afterHello.payload, { compress: true }).catch(() => {});
    }
  }

  /** Whether the Peer's Hello switched compression on (version >= 5). */
  get snappy(): boolean {
    return this.#snappy;
  }

  /** Send with compression as negotiated, unless `compress` says otherwise. */
  send(code: number, payload: Uint8Array, compress = this.#snappy): Promise<void> {
    return this.conn.send(code, payload, { compress });
  }

  async waitForMessage(code: number, timeout = 2_000): Promise<RawMessage> {
    await waitUntil(() => this.received.some((m) => m.code === code), timeout, `message 0x${code.toString(16)}`);
    return this.received.find((m) => m.code === code)!;
  }

  destroy(): void {
    this.conn.destroy();
  }

  #onMessage(code: number, wire: Uint8Array): void {
    if (code === 0x00) {
      const h = decodeHello(wire);
      this.#snappy = h.version >= 5;
      this.received.push({ code, payload: wire, wire });
      this.#onHello(h);
      return;
    }
    if (code === 0x01) {
      const d = readDisconnect(wire);
      this.received.push({ code, payload: wire, wire });
      this.#onDisconnect(d);
      return;
    }
    const payload = this.#snappy ? snappyDecompress(wire) : wire;
    this.received.push({ code, payload, wire });
    if (code === 0x02) {
      this.pings++;
      if (this.#opts.answerPings) void this.send(0x03, Uint8Array.of(0xc0)).catch(() => {});
    }
  }
}

const RAW_CONN = connectionConfig({ readTimeout: 0, handshakeTimeout: 3_000 });

/** A listening raw remote; `next()` yields the RawRemote for each accepted connection. */
export async function rawServer(
  res: Resources,
  opts: RawOptions = {},
): Promise<{ enode: string; key: Uint8Array; publicKey: Uint8Array; next: () => Promise<RawRemote> }> {
  const key = opts.key ?? generatePrivateKey();
  const sockets = new Set<Socket>();
  const remotes: RawRemote[] = [];
  const waiting: Array<(r: RawRemote) => void> = [];
  const server = createServer((s) => {
    s.on('error', () => {});
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    RlpxConnection.accept(s, key, RAW_CONN).then(
      (conn) => {
        const r = new RawRemote(conn, key, opts);
        const w = waiting.shift();
        if (w) w(r);
        else remotes.push(r);
      },
      () => s.destroy(),
    );
  });
  const port = await listenNet(server);
  res.add(() => closeNet(server, sockets));
  const publicKey = publicKeyOf(key);
  return {
    enode: formatEnode({ id: publicKey, host: HOST, port }),
    key,
    publicKey,
    next: () => {
      const r = remotes.shift();
      return within(r ? Promise.resolve(r) : new Promise<RawRemote>((w) => waiting.push(w)), 3_000, 'raw accept');
    },
  };
}

/** Dial a Peer (usually a Server) as a raw remote. */
export async function rawDial(res: Resources, enode: string, opts: RawOptions = {}): Promise<RawRemote> {
  const node = parseEnode(enode);
  const key = opts.key ?? generatePrivateKey();
  const socket = res.socket(connect({ host: node.host, port: node.port }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const conn = await RlpxConnection.initiate(socket, key, node.id, RAW_CONN);
  return new RawRemote(conn, key, opts);
}
