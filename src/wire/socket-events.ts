/**
 * One way to listen to a socket for its whole life. The listeners are attached once, are
 * shared by every socket, and forward to the socket's current sink: the handshake first,
 * then the connection. Shared functions instead of closures per socket matter at 10,000
 * peers (about 3 MB of heap); one attachment means no gap in which an 'error' has no
 * listener and crashes the process.
 */
import type { Socket } from 'node:net';

export interface SocketSink {
  data(chunk: Buffer): void;
  error(err: Error): void;
  /** The remote ended its side. */
  end(): void;
  /** The socket is gone. */
  close(): void;
  drain(): void;
}

const sinks = new WeakMap<Socket, SocketSink>();

function onData(this: Socket, chunk: Buffer): void {
  sinks.get(this)!.data(chunk);
}
function onError(this: Socket, err: Error): void {
  sinks.get(this)!.error(err);
}
function onEnd(this: Socket): void {
  sinks.get(this)!.end();
}
function onClose(this: Socket): void {
  sinks.get(this)!.close();
}
function onDrain(this: Socket): void {
  sinks.get(this)!.drain();
}

/** Route the socket's events to `sink` from now on, attaching the listeners the first time. */
export function bindSocket(socket: Socket, sink: SocketSink): void {
  const attached = sinks.has(socket);
  sinks.set(socket, sink);
  if (attached) return;
  socket.on('error', onError);
  socket.on('end', onEnd);
  socket.on('close', onClose);
  socket.on('drain', onDrain);
  socket.on('data', onData);
}

/** A sink that ignores everything: for a socket being torn down. */
export const IGNORE: SocketSink = Object.freeze({ data() {}, error() {}, end() {}, close() {}, drain() {} });

/** Destroy a socket without letting its last 'error' escape. */
export function destroySocket(socket: Socket): void {
  if (!sinks.has(socket)) bindSocket(socket, IGNORE);
  socket.destroy();
}
