/**
 * The protocol handshake (geth's doProtoHandshake and the checks after it): exchange Hellos
 * over a fresh RLPx connection, refuse self, a wrong identity and no shared capability, and
 * settle snappy and the message limits. A Peer is created only once this has succeeded, so
 * nothing Hello-only outlives it.
 *
 * On failure the connection is closed with the reason discReasonForError gives (a Disconnect
 * is sent when the remote should hear it) and the promise rejects once the socket is gone.
 */
import { ClosedError, DisconnectedError, discReasonForError, NetworkError, ProtocolError, TimeoutError, type RlpxError } from '../errors.js';
import { DisconnectReason } from '../reasons.js';
import { equalBytes } from '../crypto/bytes.js';
import type { RlpxConnection } from '../wire/connection.js';
import { MAX_FRAME_SIZE } from '../wire/frame.js';
import { encodeMessage, type Message } from '../wire/message.js';
import { matchProtocols, type MatchedProtocol, type ProtocolSpec } from './capabilities.js';
import { closeConnection, decodeDisconnect } from './disconnect.js';
import { decodeHello, encodeHello, type Hello } from './hello.js';
import { BASE_PROTOCOL_MAX_MESSAGE_SIZE, P2P_VERSION, P2PCode, SNAPPY_MIN_VERSION } from './p2p.js';

/** What the Hello phase needs, checked (see helloConfig in options.ts). */
export interface HelloConfig {
  /** Our 64-byte public key: the Hello's node id, and how a connection to ourselves is seen. */
  readonly localId: Uint8Array;
  readonly clientId: string;
  readonly listenPort: number;
  readonly helloTimeout: number;
  readonly protocols: readonly ProtocolSpec[];
  readonly requireSharedProtocol: boolean;
}

export interface Session {
  /** The remote's Hello; its nodeId is the handshake's proven key. */
  hello: Hello;
  /** Protocols both sides run, with their code offsets. */
  matched: MatchedProtocol[];
}

/** The Hello we send for `config`. */
export function localHello(config: HelloConfig): Hello {
  return {
    version: P2P_VERSION,
    clientId: config.clientId,
    capabilities: config.protocols.map((p) => ({ name: p.name, version: p.version })),
    listenPort: config.listenPort,
    nodeId: config.localId,
  };
}

/**
 * Our Hello as a frame body, encoded once per config: a server's one config serves every
 * session it accepts, so its Hello is the same bytes every time (sealing copies the body).
 */
const helloBodies = new WeakMap<HelloConfig, Uint8Array>();
function helloBody(config: HelloConfig): Uint8Array {
  let body = helloBodies.get(config);
  if (!body) {
    body = encodeMessage(P2PCode.Hello, encodeHello(localHello(config)), false).slice(); // its own bytes: kept for the config's life
    helloBodies.set(config, body);
  }
  return body;
}

/** Check a remote Hello against the connection and our protocols (geth: postHandshakeChecks). */
function checkHello(conn: RlpxConnection, config: HelloConfig, hello: Hello): MatchedProtocol[] {
  if (equalBytes(conn.remotePublicKey, config.localId)) {
    throw new ProtocolError('connected to self', { reason: DisconnectReason.ConnectedToSelf });
  }
  // geth: an all-zero id is an invalid identity (0x07), before any comparison with the key.
  if (hello.nodeId.every((b) => b === 0)) throw new ProtocolError('Hello node id is all zero', { reason: DisconnectReason.InvalidIdentity });
  if (!equalBytes(hello.nodeId, conn.remotePublicKey)) {
    throw new ProtocolError('Hello node id differs from the handshake identity', { reason: DisconnectReason.UnexpectedIdentity });
  }
  const matched = matchProtocols(config.protocols, hello.capabilities);
  if (matched.length === 0 && config.requireSharedProtocol) {
    throw new ProtocolError('no shared capability', { reason: DisconnectReason.UselessPeer });
  }
  return matched;
}

/** Exchange Hellos on `conn`; resolves with the session, the connection stopped for its next owner. */
export function exchangeHello(conn: RlpxConnection, config: HelloConfig, maxMessageSize: number, signal?: AbortSignal): Promise<Session> {
  return new Promise<Session>((resolve, reject) => {
    let failure: RlpxError | undefined;
    const timer = setTimeout(() => fail(new TimeoutError(`no Hello within ${config.helloTimeout} ms`, { deadline: 'hello' })), config.helloTimeout);
    const onAbort = (): void => fail(new NetworkError('aborted during Hello', { cause: signal?.reason }));
    const finish = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    function fail(err: RlpxError): void {
      if (failure) return;
      failure = err;
      finish();
      const verdict = discReasonForError(err);
      closeConnection(conn, verdict.reason, verdict.notify);
    }
    const onMessage = (msg: Message): void => {
      if (failure) return;
      if (msg.code === P2PCode.Disconnect) {
        const reason = decodeDisconnect(msg.payload);
        return fail(new DisconnectedError(`remote disconnected before Hello: reason ${reason ?? 'unreadable'}`, reason ?? -1, msg.payload));
      }
      if (msg.code !== P2PCode.Hello) throw new ProtocolError(`expected Hello, got message 0x${msg.code.toString(16)}`);
      const hello = decodeHello(msg.payload);
      // Both Hellos are out: from here on, even a refusal is compressed if the remote speaks v5.
      conn.setSnappy(hello.version >= SNAPPY_MIN_VERSION);
      const matched = checkHello(conn, config, hello);
      hello.nodeId = conn.remotePublicKey; // equal bytes; one copy per peer is enough
      finish();
      conn.stop();
      conn.setMaxMessageSize(maxMessageSize);
      conn.setMaxFrameSize(MAX_FRAME_SIZE);
      resolve({ hello, matched });
    };

    // Until Hello only small base-protocol messages are legal: a header that announces more is
    // refused before a byte of its body is buffered.
    conn.setMaxFrameSize(BASE_PROTOCOL_MAX_MESSAGE_SIZE);
    // Ours goes out first and uncompressed; theirs is read concurrently.
    conn.sendBody(helloBody(config)).catch(() => {});
    conn.start({
      message: onMessage,
      error: fail,
      end() {
        fail(new NetworkError('connection closed before Hello'));
        conn.stop();
        reject(failure ?? new ClosedError('connection closed'));
      },
    });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
