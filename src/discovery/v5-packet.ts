/**
 * The discv5 packet: masking-iv ‖ masked-header ‖ message. The header is a 23-byte static part
 * ("discv5", version 1, flag, 12-byte nonce, auth-data size) and the auth-data of its flag,
 * masked with AES-128-CTR under the recipient's node id so that packets look random on the wire.
 */
import { concatBytes } from '../crypto/bytes.js';
import { V5PacketError } from './v5-errors.js';
import { maskingStream } from './v5-crypto.js';

export const FLAG_MESSAGE = 0;
export const FLAG_WHOAREYOU = 1;
export const FLAG_HANDSHAKE = 2;

export const MIN_PACKET_SIZE = 63;
export const MAX_PACKET_SIZE = 1280;
export const IV_SIZE = 16;
export const NONCE_SIZE = 12;
export const ID_NONCE_SIZE = 16;
const STATIC_HEADER_SIZE = 23;
const PROTOCOL_ID = new TextEncoder().encode('discv5');
const VERSION = 1;
/** Auth-data of a message packet (the source id) plus the GCM tag: the least a message packet carries. */
const MIN_MESSAGE_TAIL = 32 + 16;

export interface PacketHeader {
  flag: number;
  nonce: Uint8Array;
  authdata: Uint8Array;
  /**
   * masking-iv ‖ static header ‖ auth-data, unmasked: a message's GCM additional data, and for a
   * WHOAREYOU the challenge-data that salts the key derivation.
   */
  ad: Uint8Array;
}

export interface DecodedPacket extends PacketHeader {
  message: Uint8Array;
}

/** The unmasked header of a packet about to be sent, with its iv in front (see PacketHeader.ad). */
export function buildHeader(iv: Uint8Array, flag: number, nonce: Uint8Array, authdata: Uint8Array): Uint8Array {
  if (iv.length !== IV_SIZE || nonce.length !== NONCE_SIZE) throw new RangeError('discv5: iv is 16 bytes and nonce 12');
  if (authdata.length > 0xffff) throw new RangeError('discv5: auth-data over 65535 bytes');
  const out = new Uint8Array(IV_SIZE + STATIC_HEADER_SIZE + authdata.length);
  out.set(iv, 0);
  out.set(PROTOCOL_ID, IV_SIZE);
  out[IV_SIZE + 6] = 0;
  out[IV_SIZE + 7] = VERSION;
  out[IV_SIZE + 8] = flag;
  out.set(nonce, IV_SIZE + 9);
  out[IV_SIZE + 21] = authdata.length >> 8;
  out[IV_SIZE + 22] = authdata.length & 0xff;
  out.set(authdata, IV_SIZE + STATIC_HEADER_SIZE);
  return out;
}

/** The datagram: the header from buildHeader masked for `destId`, then the (sealed) message. */
export function maskPacket(destId: Uint8Array, ad: Uint8Array, message: Uint8Array): Uint8Array {
  const iv = ad.subarray(0, IV_SIZE);
  const masked = maskingStream(destId, iv).update(ad.subarray(IV_SIZE));
  const packet = concatBytes(iv, masked, message);
  if (packet.length > MAX_PACKET_SIZE) throw new RangeError(`discv5: packet of ${packet.length} bytes is over ${MAX_PACKET_SIZE}`);
  return packet;
}

/** Unmask and check a datagram addressed to `localId`; the message stays sealed. */
export function decodePacket(localId: Uint8Array, data: Uint8Array): DecodedPacket {
  if (data.length < MIN_PACKET_SIZE) throw new V5PacketError('malformed-header', `discv5: packet of ${data.length} bytes is under ${MIN_PACKET_SIZE}`);
  if (data.length > MAX_PACKET_SIZE) throw new V5PacketError('malformed-header', `discv5: packet of ${data.length} bytes is over ${MAX_PACKET_SIZE}`);
  const iv = data.subarray(0, IV_SIZE);
  const stream = maskingStream(localId, iv);
  const fixed = stream.update(data.subarray(IV_SIZE, IV_SIZE + STATIC_HEADER_SIZE));
  for (let i = 0; i < PROTOCOL_ID.length; i++) {
    if (fixed[i] !== PROTOCOL_ID[i]) throw new V5PacketError('malformed-header', 'discv5: not a discv5 packet (or not for us)');
  }
  const version = (fixed[6]! << 8) | fixed[7]!;
  if (version < VERSION) throw new V5PacketError('malformed-header', `discv5: version ${version}`);
  const flag = fixed[8]!;
  const authSize = (fixed[21]! << 8) | fixed[22]!;
  const authEnd = IV_SIZE + STATIC_HEADER_SIZE + authSize;
  if (authEnd > data.length) throw new V5PacketError('malformed-header', `discv5: auth-data size ${authSize} is past the packet's end`);
  const authdata = stream.update(data.subarray(IV_SIZE + STATIC_HEADER_SIZE, authEnd));
  const message = data.subarray(authEnd);
  if (flag === FLAG_WHOAREYOU) {
    if (authSize !== ID_NONCE_SIZE + 8) throw new V5PacketError('malformed-header', `discv5: WHOAREYOU auth-data of ${authSize} bytes`);
  } else if (flag === FLAG_MESSAGE || flag === FLAG_HANDSHAKE) {
    if (data.length - IV_SIZE - STATIC_HEADER_SIZE < MIN_MESSAGE_TAIL) throw new V5PacketError('malformed-header', 'discv5: message packet too short');
    if (message.length < 16) throw new V5PacketError('malformed-header', 'discv5: message shorter than its GCM tag');
    if (flag === FLAG_MESSAGE && authSize !== 32) throw new V5PacketError('malformed-header', `discv5: message auth-data of ${authSize} bytes`);
  } else {
    throw new V5PacketError('malformed-header', `discv5: unknown flag ${flag}`);
  }
  return { flag, nonce: fixed.slice(9, 21), authdata, ad: concatBytes(iv, fixed, authdata), message };
}

export interface WhoareyouAuth {
  idNonce: Uint8Array;
  /** The highest seq of the recipient's record the sender knows; 0 asks for the record. */
  enrSeq: bigint;
}

export function encodeWhoareyouAuth({ idNonce, enrSeq }: WhoareyouAuth): Uint8Array {
  if (idNonce.length !== ID_NONCE_SIZE) throw new RangeError('discv5: id-nonce is 16 bytes');
  const out = new Uint8Array(24);
  out.set(idNonce);
  new DataView(out.buffer).setBigUint64(16, enrSeq);
  return out;
}

export function decodeWhoareyouAuth(authdata: Uint8Array): WhoareyouAuth {
  return {
    idNonce: authdata.slice(0, ID_NONCE_SIZE),
    enrSeq: new DataView(authdata.buffer, authdata.byteOffset, authdata.length).getBigUint64(ID_NONCE_SIZE),
  };
}

export interface HandshakeAuth {
  srcId: Uint8Array;
  /** 64-byte r ‖ s over the challenge (see idSign). */
  signature: Uint8Array;
  /** 33-byte compressed ephemeral public key. */
  ephemeralPubkey: Uint8Array;
  /** The initiator's ENR (RLP), when the challenge's enr-seq was older than its own. */
  record?: Uint8Array;
}

export function encodeHandshakeAuth({ srcId, signature, ephemeralPubkey, record }: HandshakeAuth): Uint8Array {
  return concatBytes(srcId, Uint8Array.of(signature.length, ephemeralPubkey.length), signature, ephemeralPubkey, record ?? new Uint8Array(0));
}

export function decodeHandshakeAuth(authdata: Uint8Array): HandshakeAuth {
  if (authdata.length < 34) throw new V5PacketError('malformed-header', 'discv5: handshake auth-data too short');
  const sigSize = authdata[32]!;
  const keySize = authdata[33]!;
  if (sigSize !== 64 || keySize !== 33) throw new V5PacketError('malformed-header', `discv5: handshake signature ${sigSize} / key ${keySize} bytes`);
  const end = 34 + sigSize + keySize;
  if (authdata.length < end) throw new V5PacketError('malformed-header', 'discv5: handshake auth-data shorter than its sizes');
  const auth: HandshakeAuth = {
    srcId: authdata.slice(0, 32),
    signature: authdata.slice(34, 34 + sigSize),
    ephemeralPubkey: authdata.slice(34 + sigSize, end),
  };
  if (authdata.length > end) auth.record = authdata.slice(end);
  return auth;
}
