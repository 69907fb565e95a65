/**
 * devp2p disconnect reasons: the one table of codes and names.
 * Codes are from the devp2p spec; names are what geth prints, so logs line up.
 */
export const DisconnectReason = {
  Requested: 0x00,
  NetworkError: 0x01,
  ProtocolError: 0x02,
  UselessPeer: 0x03,
  TooManyPeers: 0x04,
  AlreadyConnected: 0x05,
  IncompatibleVersion: 0x06,
  InvalidIdentity: 0x07,
  ClientQuitting: 0x08,
  UnexpectedIdentity: 0x09,
  ConnectedToSelf: 0x0a,
  ReadTimeout: 0x0b,
  SubprotocolError: 0x10,
  /**
   * Not a wire reason of the spec: what a remote's Disconnect is reported as when its reason
   * cannot be read, or is not in this table (geth: 0xff, DiscInvalid). Its bytes are kept.
   */
  Unknown: 0xff,
} as const;

export type DisconnectReason = (typeof DisconnectReason)[keyof typeof DisconnectReason];

const NAMES: Readonly<Record<number, string>> = {
  0x00: 'disconnect requested',
  0x01: 'network error',
  0x02: 'breach of protocol',
  0x03: 'useless peer',
  0x04: 'too many peers',
  0x05: 'already connected',
  0x06: 'incompatible p2p protocol version',
  0x07: 'invalid node identity',
  0x08: 'client quitting',
  0x09: 'unexpected identity',
  0x0a: 'connected to self',
  0x0b: 'read timeout',
  0x10: 'subprotocol error',
  0xff: 'unknown',
};

/** Human name of a reason; codes outside the table are reported, not rejected. */
export function reasonName(code: number): string {
  return NAMES[code] ?? `unknown disconnect reason 0x${code.toString(16).padStart(2, '0')}`;
}

/** Whether `code` is a reason of the spec's table (Unknown is not). */
export function isKnownReason(code: number): code is DisconnectReason {
  return code !== DisconnectReason.Unknown && Object.prototype.hasOwnProperty.call(NAMES, code);
}

/**
 * A reason we may send: one of the spec's table (0x00-0x0b, 0x10). Anything else, Unknown
 * included, is a RangeError: a remote would read it only as "unknown", so it says nothing.
 */
export function checkReason(reason: unknown, what: string): DisconnectReason {
  if (typeof reason !== 'number') throw new TypeError(`${what}: reason must be a DisconnectReason number, got ${typeof reason}`);
  if (!isKnownReason(reason)) {
    const shown = Number.isInteger(reason) && reason >= 0 ? `0x${reason.toString(16).padStart(2, '0')}` : String(reason);
    throw new RangeError(`${what}: reason ${shown} is not a DisconnectReason (0x00-0x0b, 0x10)`);
  }
  return reason;
}
