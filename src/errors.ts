/**
 * Named errors, and the one function that says what an error means for a session
 * (geth's discReasonForError): which disconnect reason it carries, who caused it, and
 * whether the remote should be told.
 */
import { DisconnectReason, isKnownReason } from './reasons.js';

export interface RlpxErrorOptions {
  cause?: unknown;
  /** The reason to send the remote when this error ends a session; each class has a default. */
  reason?: DisconnectReason;
}

export class RlpxError extends Error {
  override name = 'RlpxError';
  /** What a session ended by this error reports (and, when we end it, sends) as the reason. */
  readonly reason: DisconnectReason;
  /** The reason of errors of this class that do not name one. */
  static readonly defaultReason: DisconnectReason = DisconnectReason.ProtocolError;

  constructor(message: string, options: RlpxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = options.reason ?? (new.target as typeof RlpxError).defaultReason;
  }
}

/** Bad key material: a scalar of 0 or >= n, a point off the curve or at infinity. */
export class KeyError extends RlpxError {
  override name = 'KeyError';
}

/** ECIES message that cannot be decrypted: too short, bad ephemeral key, bad tag. */
export class EciesError extends RlpxError {
  override name = 'EciesError';
}

/** Auth or ack packet that is oversized, undecryptable or malformed. */
export class HandshakeError extends RlpxError {
  override name = 'HandshakeError';
}

/** Frame with a bad header MAC, bad frame MAC, bad header or an oversized body. */
export class FrameError extends RlpxError {
  override name = 'FrameError';
}

/** Snappy payload that is corrupt or declares a decoded length above the cap. */
export class SnappyError extends RlpxError {
  override name = 'SnappyError';
}

/** A base-protocol or subprotocol message that breaks the rules: bad RLP, wrong shape, wrong time. */
export class ProtocolError extends RlpxError {
  override name = 'ProtocolError';
}

/** Which deadline a TimeoutError is about. */
export type Deadline = 'connect' | 'handshake' | 'hello' | 'read' | 'write' | 'pong' | 'status' | 'probe' | 'request';

/** A deadline passed: handshake, Hello, read or pong (0x0b), or writes stalled (0x01). */
export class TimeoutError extends RlpxError {
  override name = 'TimeoutError';
  static override readonly defaultReason: DisconnectReason = DisconnectReason.ReadTimeout;
  /** Which one, so that a monitor can tell an L7 pong deadline from a silent connection. */
  readonly deadline: Deadline | undefined;
  constructor(message: string, options: RlpxErrorOptions & { deadline?: Deadline } = {}) {
    super(message, options);
    this.deadline = options.deadline;
  }
}

/** The socket failed, was refused or closed under us. */
export class NetworkError extends RlpxError {
  override name = 'NetworkError';
  static override readonly defaultReason: DisconnectReason = DisconnectReason.NetworkError;
}

/** listen() could not bind: `address` is what it tried, `code` the system's (EADDRINUSE, EACCES, ...). */
export class ListenError extends NetworkError {
  override name = 'ListenError';
  readonly address: string;
  readonly code: string | undefined;
  constructor(address: string, cause: NodeJS.ErrnoException) {
    const what = cause.code === 'EADDRINUSE' ? 'address already in use' : cause.code === 'EACCES' ? 'permission denied' : cause.message;
    super(`cannot listen on ${address}: ${what}${cause.code ? ` (${cause.code})` : ''}`, { cause });
    this.address = address;
    this.code = cause.code;
  }
}

/**
 * Refused by a peer table: too many peers (0x04), already connected (0x05), self (0x0a), a
 * server that is closing (0x08), or more handshakes in progress than allowed (0x04).
 */
export class RefusedError extends RlpxError {
  override name = 'RefusedError';
  static override readonly defaultReason: DisconnectReason = DisconnectReason.TooManyPeers;
}

/** An operation on a peer or connection that has already closed, or is closing. */
export class ClosedError extends RlpxError {
  override name = 'ClosedError';
  static override readonly defaultReason: DisconnectReason = DisconnectReason.Requested;
}

/**
 * The remote sent Disconnect. `remoteReason` is what it sent (possibly outside the table),
 * or -1 when its Disconnect had no readable reason; `raw` is then the payload as received.
 * Nothing is sent back to a peer that is leaving.
 */
export class DisconnectedError extends RlpxError {
  override name = 'DisconnectedError';
  readonly remoteReason: number;
  readonly raw: Uint8Array | undefined;
  constructor(message: string, remoteReason: number, raw?: Uint8Array) {
    super(message, { reason: isKnownReason(remoteReason) ? remoteReason : DisconnectReason.Unknown });
    this.remoteReason = remoteReason;
    this.raw = raw;
  }
}

/**
 * Build an error without capturing a stack: for what the remote does in the ordinary course of
 * a session (closing its socket, saying Disconnect). Such a stack shows only our socket-event
 * plumbing, and capturing it costs more than the rest of the error; a served connection made
 * two on every close.
 * @internal
 */
export function withoutStack<E extends Error>(make: () => E): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

export type Initiator = 'local' | 'remote';

/** What an error means for the session it ends. */
export interface Verdict {
  reason: DisconnectReason;
  initiator: Initiator;
  /** Whether a Disconnect with `reason` should go to the remote. */
  notify: boolean;
}

/**
 * The one mapping from an error to how a session ends (geth: discReasonForError).
 *
 * - The remote's Disconnect: its reason, its doing, nothing sent back.
 * - A socket that failed or ended: 0x01, the remote's doing, nothing can be sent.
 * - Our writes stalled: 0x01, our verdict, nothing can be sent.
 * - Any other RlpxError: a rule the remote broke (or our deadline), its reason is sent.
 * - Anything else is a bug in our code or in a listener of the user's: 0x10, never blamed on
 *   the remote as a breach of protocol.
 */
export function discReasonForError(err: unknown): Verdict {
  if (err instanceof DisconnectedError) return { reason: err.reason, initiator: 'remote', notify: false };
  if (err instanceof NetworkError) return { reason: DisconnectReason.NetworkError, initiator: 'remote', notify: false };
  if (err instanceof RlpxError) {
    return { reason: err.reason, initiator: 'local', notify: err.reason !== DisconnectReason.NetworkError };
  }
  return { reason: DisconnectReason.SubprotocolError, initiator: 'local', notify: true };
}

/** Wrap a non-RlpxError (our bug, or a user's listener) as the 0x10 error it closes with. */
export function asRlpxError(err: unknown, where: string): RlpxError {
  if (err instanceof RlpxError) return err;
  return new ProtocolError(`${where} failed: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
    reason: DisconnectReason.SubprotocolError,
  });
}

/**
 * Cancellation: every API that takes `{ signal }` rejects with `signal.reason` when the signal
 * aborts first, as `fetch` does, untouched: a DOMException named 'TimeoutError' for
 * `AbortSignal.timeout()`, one named 'AbortError' for `controller.abort()`, or whatever reason
 * you passed to `abort(reason)`. These two helpers tell them apart without `instanceof`.
 */

/**
 * Whether `err` is a deadline that passed: our TimeoutError (a handshake, Hello, read, write,
 * pong or Status deadline) or the 'TimeoutError' of an `AbortSignal.timeout()`.
 */
export function isTimeout(err: unknown): boolean {
  return err instanceof TimeoutError || errorName(err) === 'TimeoutError';
}

/** Whether `err` is the 'AbortError' of an aborted signal (`controller.abort()` with no reason). */
export function isAbort(err: unknown): boolean {
  return errorName(err) === 'AbortError';
}

function errorName(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
}
