/**
 * 'rlpx/codec': the layers under the Peer, for fixture tests, crawlers and tools that speak
 * RLPx without a Peer. Each name is documented in the file it comes from.
 */
export { keccak256, createKeccak256, keccakBackend, type KeccakState } from './crypto/keccak.js';
export { ecdh, sign, recover, publicKeyOf, isValidPublicKey, secp256k1Backend } from './crypto/secp256k1.js';
export { bytesToHex, hexToBytes } from './crypto/bytes.js';
// RLP itself, so a tool can build or read payloads with the same library the codecs here use
// (@ethereumjs/rlp), without depending on it separately: rlpEncode(input) -> bytes,
// rlpDecode(bytes) -> Uint8Array | nested arrays of them.
export { encode as rlpEncode, decode as rlpDecode, type Input as RlpInput, type NestedUint8Array } from '@ethereumjs/rlp';
export { eciesEncrypt, eciesDecrypt, ECIES_OVERHEAD } from './crypto/ecies.js';
export {
  HandshakeState,
  openAuth,
  openAck,
  deriveSecrets,
  handshakePacketSize,
  HANDSHAKE_VERSION,
  MAX_HANDSHAKE_PACKET,
  type AuthMessage,
  type AckMessage,
  type Secrets,
  type SecretInputs,
} from './wire/handshake.js';
export { FrameSealer, FrameReader, MAX_FRAME_SIZE, frameWireSize } from './wire/frame.js';
export { encodeMessage, decodeMessage, encodeCode, decodeCode, MAX_MESSAGE_SIZE, type Message } from './wire/message.js';
export { snappyCompress, snappyDecompress, snappyDecodedLength, MAX_DECODED_SIZE } from './wire/snappy.js';
export { RlpxConnection, type ConnectionHandlers, type ConnectionConfig } from './wire/connection.js';
export { connectionConfig } from './options.js';
export { P2PCode, BASE_PROTOCOL_LENGTH, BASE_PROTOCOL_MAX_MESSAGE_SIZE } from './peer/p2p.js';
export { encodeHello, decodeHello } from './peer/hello.js';
export { encodeDisconnect, decodeDisconnect } from './peer/disconnect.js';
// What a Disconnect's number means, so a codec test needs this entry point only.
export { DisconnectReason, reasonName, isKnownReason } from './reasons.js';
export { matchProtocols } from './peer/capabilities.js';
