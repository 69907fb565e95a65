/**
 * The devp2p base protocol ("p2p"): its message codes, version and limits.
 * Codes 0x00-0x0f are reserved for it; subprotocols are offset from 0x10.
 */
import { encodeMessage } from '../wire/message.js';

/** p2p version we speak; version 5 switches on snappy after Hello. */
export const P2P_VERSION = 5;
export const SNAPPY_MIN_VERSION = 5;

export const P2PCode = {
  Hello: 0x00,
  Disconnect: 0x01,
  Ping: 0x02,
  Pong: 0x03,
} as const;

/** Message codes reserved for the base protocol. */
export const BASE_PROTOCOL_LENGTH = 0x10;
/** A base-protocol message (Hello included) larger than this is refused, as geth does. */
export const BASE_PROTOCOL_MAX_MESSAGE_SIZE = 2 * 1024;

/** How long a Disconnect may take to leave before the socket is torn down (geth: 1 s). */
export const DISCONNECT_FLUSH_MS = 1_000;

/** Ping and Pong carry an empty list. */
export const EMPTY_LIST = Uint8Array.of(0xc0);

/** Ping and Pong frame bodies, encoded once each way: every peer sends them all the time. */
const PING_PONG = {
  [P2PCode.Ping]: { plain: encodeMessage(P2PCode.Ping, EMPTY_LIST, false), snappy: encodeMessage(P2PCode.Ping, EMPTY_LIST, true) },
  [P2PCode.Pong]: { plain: encodeMessage(P2PCode.Pong, EMPTY_LIST, false), snappy: encodeMessage(P2PCode.Pong, EMPTY_LIST, true) },
};

/** The frame body of a Ping or Pong, compressed or not as the connection is. */
export function pingPongBody(code: typeof P2PCode.Ping | typeof P2PCode.Pong, snappy: boolean): Uint8Array {
  return snappy ? PING_PONG[code].snappy : PING_PONG[code].plain;
}
