export * from './reasons.js';
export * from './errors.js';
export { bytesToHex, hexToBytes } from './crypto/bytes.js';
export { keccak256, createKeccak256, keccakBackend, type KeccakState } from './crypto/keccak.js';
export {
  generatePrivateKey,
  privateKeyFrom,
  publicKeyOf,
  nodeIdOf,
  isValidPublicKey,
  ecdh,
  sign,
  recover,
  secp256k1Backend,
} from './crypto/secp256k1.js';
export { eciesEncrypt, eciesDecrypt, ECIES_OVERHEAD } from './crypto/ecies.js';
export {
  HandshakeState,
  openAuth,
  openAck,
  handshakePacketSize,
  HANDSHAKE_VERSION,
  MAX_HANDSHAKE_PACKET,
  type AuthMessage,
  type AckMessage,
  type Secrets,
} from './wire/handshake.js';
export { FrameSealer, FrameReader, MAX_FRAME_SIZE, frameWireSize } from './wire/frame.js';
export { encodeMessage, decodeMessage, type Message } from './wire/message.js';
export { snappyCompress, snappyDecompress, snappyDecodedLength, MAX_DECODED_SIZE } from './wire/snappy.js';
export { RlpxConnection, CONNECTION_DEFAULTS, type ConnectionOptions } from './wire/connection.js';
export { P2P_VERSION, P2PCode, BASE_PROTOCOL_LENGTH } from './peer/p2p.js';
export { encodeHello, decodeHello, type Hello } from './peer/hello.js';
export { encodeDisconnect, decodeDisconnect } from './peer/disconnect.js';
export { matchProtocols, type Capability, type ProtocolSpec, type MatchedProtocol } from './peer/capabilities.js';
export { RttStats, type RttSnapshot, type HealthState } from './peer/health.js';
export {
  Peer,
  ProtocolChannel,
  PEER_DEFAULTS,
  type Protocol,
  type PeerOptions,
  type PeerEvents,
  type CloseInfo,
  type HealthEvent,
  type HealthMode,
  type Initiator,
} from './peer/peer.js';
export { parseEnode, formatEnode, EnodeError, type Enode } from './peer/enode.js';
export { dial, type DialOptions } from './peer/dial.js';
export { listen, Server, SERVER_DEFAULTS, type ListenOptions, type ServerEvents } from './peer/server.js';
