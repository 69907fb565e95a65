/**
 * Why a discv5 datagram was dropped. The endpoint never throws these out of its socket
 * handler: it counts them by kind and goes on.
 */
export type V5DropKind =
  /** Shorter than 63 bytes or longer than 1,280, not "discv5", or a header that does not parse. */
  | 'malformed-header'
  /** A message that does not decrypt with the session's key (the sender gets a WHOAREYOU). */
  | 'undecryptable'
  /** Decrypted, but the message is not valid RLP of a known type (or a request id over 8 bytes). */
  | 'malformed-message'
  /** A WHOAREYOU that answers no request of ours. */
  | 'unsolicited-whoareyou'
  /** A handshake for no challenge of ours, a replayed one, or one whose proof does not verify. */
  | 'bad-handshake'
  /** A response that matches no pending request. */
  | 'unsolicited-response'
  /** Over the sender's packet or challenge rate. */
  | 'rate-limited'
  /** Over a bound on state: pending challenges or requests. */
  | 'overload';

export class V5PacketError extends Error {
  override name = 'V5PacketError';
  readonly kind: V5DropKind;
  constructor(kind: V5DropKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

/** Why a request of ours got no answer. */
export type V5RequestErrorKind = 'timeout' | 'closed' | 'overload' | 'no-endpoint';

export class V5RequestError extends Error {
  override name = 'V5RequestError';
  readonly kind: V5RequestErrorKind;
  constructor(kind: V5RequestErrorKind, message: string) {
    super(message);
    this.kind = kind;
  }
}
