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
