/**
 * What the benchmark drivers need from an RLPx implementation. Each library (ours, the
 * reference) is wrapped in a Subject by its own glue module; the drivers never see either
 * library's API.
 */

/** Both halves of one established session: two peers that completed a handshake. */
export interface SessionPair {
  /** Seal `body` on the initiator side, open it on the recipient side (MACs checked); returns the opened body. */
  forward(body: Uint8Array): Uint8Array;
  /** The same, recipient → initiator. */
  backward(body: Uint8Array): Uint8Array;
}

export interface Subject {
  readonly name: string;
  /**
   * One complete crypto handshake between two fresh sides (no sockets): auth create/parse,
   * ack create/parse, secrets and frame state on both sides. Returns the session it yields.
   */
  handshake(): SessionPair;
}
