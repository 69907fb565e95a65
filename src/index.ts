/**
 * rlpx: devp2p RLPx peers for Node.js. This entry is the peer-level API; the codecs (handshake
 * packets, frames, messages, snappy, ECIES, Hello and Disconnect encodings) are in 'rlpx/codec',
 * and the optional eth Status responder in 'rlpx/eth'.
 */
export { DisconnectReason, reasonName, isKnownReason } from './reasons.js';
export {
  RlpxError,
  KeyError,
  EciesError,
  HandshakeError,
  FrameError,
  SnappyError,
  ProtocolError,
  TimeoutError,
  DisconnectedError,
  NetworkError,
  RefusedError,
  ListenError,
  ClosedError,
  discReasonForError,
  isTimeout,
  isAbort,
  type RlpxErrorOptions,
  type Verdict,
  type Initiator,
  type Deadline,
} from './errors.js';
export { bytesToHex, hexToBytes } from './crypto/bytes.js';
export { generatePrivateKey, privateKeyFrom, publicKeyOf, nodeIdOf } from './crypto/secp256k1.js';
export { parseEnode, formatEnode, EnodeError, type Enode } from './peer/enode.js';
export { dial } from './peer/dial.js';
export { listen, type Server, type ServerEvents } from './peer/server.js';
export { Peer, type Protocol, type PeerEvents, type CloseInfo } from './peer/peer.js';
export { helloJson, closeJson, type HelloJson, type CloseJson } from './peer/json.js';
export { ProtocolChannel, type ChannelEvents } from './peer/channel.js';
export { DEFAULTS, type PeerOptions, type DialOptions, type ListenOptions, type ConnectionOptions } from './options.js';
import { DEFAULTS } from './options.js';
export type { HealthEvent, HealthMode, HealthState, RttSnapshot } from './peer/health.js';
export type { Hello } from './peer/hello.js';
export type { Capability, ProtocolSpec, MatchedProtocol } from './peer/capabilities.js';
export { P2P_VERSION } from './peer/p2p.js';

/** @deprecated Use `DEFAULTS.peer`. */
export const PEER_DEFAULTS: typeof DEFAULTS.peer = DEFAULTS.peer;
/** @deprecated Use `DEFAULTS.connection`. */
export const CONNECTION_DEFAULTS: typeof DEFAULTS.connection = DEFAULTS.connection;
/** @deprecated Use `DEFAULTS.server`. */
export const SERVER_DEFAULTS: typeof DEFAULTS.server = DEFAULTS.server;
