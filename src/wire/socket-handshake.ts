/**
 * Driving the RLPx handshake over a socket: the auth and ack packets in, the handshake's
 * deadline, abort, and what arrived after the ack (frames the remote sent at once).
 * The packet logic itself is handshake.ts; this file only moves bytes and keeps time.
 */
import type { Socket } from 'node:net';
import { HandshakeError, NetworkError, RlpxError, TimeoutError } from '../errors.js';
import { DisconnectReason } from '../reasons.js';
import { asBuffer } from '../crypto/bytes.js';
import { ByteQueue } from './byte-queue.js';
import { handshakePacketSize, type Secrets } from './handshake.js';
import { bindSocket, destroySocket, type SocketSink } from './socket-events.js';

export interface HandshakeIo {
  write(packet: Uint8Array): void;
  /**
   * Write the handshake's last packet (the ack), held until the end of this turn of the event
   * loop: the first frame, which the owner sends at once (the Hello), then shares its write.
   */
  writeLast(packet: Uint8Array): void;
  readPacket(): Promise<Uint8Array>;
}

const uncork = (socket: Socket): void => socket.uncork();

export interface Handshaken {
  secrets: Secrets;
  /** Bytes received after the last handshake packet, in order. */
  leftover: Uint8Array[];
}

/**
 * Run `steps` over the socket within `timeout` ms. On success the socket is paused and
 * `done` is called synchronously, so it can take over the socket before any event is lost;
 * on failure the socket is destroyed and a typed error thrown.
 */
export async function runHandshake<T>(
  socket: Socket,
  timeout: number,
  signal: AbortSignal | undefined,
  steps: (io: HandshakeIo) => Promise<Secrets>,
  done: (h: Handshaken) => T,
): Promise<T> {
  socket.setNoDelay(true);
  const queue = new ByteQueue();
  let wake: (() => void) | undefined;
  let failure: RlpxError | undefined;
  const fail = (err: RlpxError): void => {
    failure ??= err;
    wake?.();
  };
  const closed = (): void => fail(new HandshakeError('remote closed the connection during the handshake', { reason: DisconnectReason.NetworkError }));
  const sink: SocketSink = {
    data(chunk) {
      queue.push(chunk);
      wake?.();
    },
    error: (err) => fail(new NetworkError(`socket error during handshake: ${err.message}`, { cause: err })),
    end: closed,
    close: closed,
    drain() {},
  };
  bindSocket(socket, sink);
  socket.resume(); // a socket paused before (held in a server's backlog, say) must flow now
  const timer = setTimeout(() => fail(new TimeoutError(`handshake did not complete within ${timeout} ms`, { deadline: 'handshake' })), timeout);
  // An abort rejects with the signal's reason, as every API that takes a signal does.
  let aborted = false;
  const onAbort = (): void => {
    aborted ||= failure === undefined;
    fail(new NetworkError('handshake aborted', { cause: signal?.reason }));
  };
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });

  const waitFor = async (n: number): Promise<void> => {
    while (queue.length < n && !failure) {
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
    if (failure) throw failure;
  };
  const io: HandshakeIo = {
    write(packet) {
      socket.write(asBuffer(packet));
    },
    writeLast(packet) {
      socket.cork();
      socket.write(asBuffer(packet));
      setImmediate(uncork, socket);
    },
    async readPacket() {
      await waitFor(2);
      // The size is checked against the cap before waiting for (or decrypting) the body.
      const total = handshakePacketSize(Uint8Array.of(queue.peek(0), queue.peek(1)));
      await waitFor(total);
      return queue.take(total);
    },
  };
  try {
    const secrets = await steps(io);
    if (failure) throw failure;
    // Bytes that arrive from here on wait in the socket until the new owner resumes it.
    socket.pause();
    return done({ secrets, leftover: queue.drain() });
  } catch (err) {
    destroySocket(socket);
    if (aborted) throw signal!.reason;
    if (err instanceof RlpxError) throw err;
    throw new HandshakeError(`handshake failed: ${(err as Error).message}`, { cause: err });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
