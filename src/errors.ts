/**
 * Named errors. Each carries the devp2p disconnect reason that the peer sends (or would
 * send) to the remote when this error ends a session, so the close path never has to guess.
 */
import { DisconnectReason } from './reasons.js';

export class RlpxError extends Error {
  override name = 'RlpxError';
  /** The reason to send the remote when this error closes a session. */
  readonly reason: DisconnectReason;
  constructor(message: string, reason: DisconnectReason, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/** Bad key material: a scalar of 0 or >= n, a point off the curve or at infinity. */
export class KeyError extends RlpxError {
  override name = 'KeyError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, DisconnectReason.ProtocolError, options);
  }
}

/** ECIES message that cannot be decrypted: too short, bad ephemeral key, bad tag. */
export class EciesError extends RlpxError {
  override name = 'EciesError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, DisconnectReason.ProtocolError, options);
  }
}

/** Auth or ack packet that is oversized, undecryptable or malformed, or a handshake that timed out. */
export class HandshakeError extends RlpxError {
  override name = 'HandshakeError';
  constructor(message: string, options?: { cause?: unknown; reason?: DisconnectReason }) {
    super(message, options?.reason ?? DisconnectReason.ProtocolError, options);
  }
}

/** Frame with a bad header MAC, bad frame MAC, bad header or an oversized body. */
export class FrameError extends RlpxError {
  override name = 'FrameError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, DisconnectReason.ProtocolError, options);
  }
}

/** Snappy payload that is corrupt or declares a decoded length above the cap. */
export class SnappyError extends RlpxError {
  override name = 'SnappyError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, DisconnectReason.ProtocolError, options);
  }
}

/** A base-protocol or subprotocol message that breaks the rules: bad RLP, wrong shape, wrong time. */
export class ProtocolError extends RlpxError {
  override name = 'ProtocolError';
  constructor(message: string, options?: { cause?: unknown; reason?: DisconnectReason }) {
    super(message, options?.reason ?? DisconnectReason.ProtocolError, options);
  }
}

/** A read, write, handshake or pong deadline passed. */
export class TimeoutError extends RlpxError {
  override name = 'TimeoutError';
  constructor(message: string, reason: DisconnectReason = DisconnectReason.ReadTimeout) {
    super(message, reason);
  }
}

/**
 * The remote sent Disconnect. `reason` and `remoteReason` are what it sent (possibly outside
 * the table); `remoteReason` is -1 when its Disconnect had no readable reason. Nothing is sent
 * back to a peer that is leaving.
 */
export class DisconnectedError extends RlpxError {
  override name = 'DisconnectedError';
  readonly remoteReason: number;
  constructor(remoteReason: number, message: string) {
    super(message, (remoteReason >= 0 ? remoteReason : DisconnectReason.Requested) as DisconnectReason);
    this.remoteReason = remoteReason;
  }
}

/** The socket failed or closed under us. */
export class NetworkError extends RlpxError {
  override name = 'NetworkError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, DisconnectReason.NetworkError, options);
  }
}
