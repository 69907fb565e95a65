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
} from './errors.js';
export { bytesToHex, hexToBytes } from './crypto/bytes.js';
export { generatePrivateKey, privateKeyFrom, publicKeyOf, nodeIdOf } from './crypto/secp256k1.js';
export { parseEnode, formatEnode, EnodeError, type Enode } from './peer/enode.js';
export { dial, type DialOptions } from './peer/dial.js';
export { listen, type Server, SERVER_DEFAULTS, type ListenOptions, type ServerEvents } from './peer/server.js';
export { Peer, PEER_DEFAULTS, type PeerOptions, type PeerEvents, type CloseInfo, type Initiator } from './peer/peer.js';
export { ProtocolChannel, type Protocol, type ChannelEvents } from './peer/channel.js';
export type { HealthEvent, HealthMode, HealthState, RttSnapshot } from './peer/health.js';
export type { Hello } from './peer/hello.js';
export type { Capability, ProtocolSpec, MatchedProtocol } from './peer/capabilities.js';
export { P2P_VERSION } from './peer/p2p.js';
export { CONNECTION_DEFAULTS, type ConnectionOptions } from './wire/connection.js';
