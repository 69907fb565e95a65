/**
 * Building and opening the three packet kinds: ordinary messages sealed with a session key,
 * WHOAREYOU challenges, and handshake messages that answer a challenge with an ephemeral key,
 * the ID-nonce proof and (when the challenger's copy is stale) our record.
 */
import { randomBytes } from '../crypto/random.js';
import { generatePrivateKey } from '../crypto/secp256k1.js';
import { decodeEnr, type Enr } from './enr.js';
import { V5PacketError } from './v5-errors.js';
import {
  compressedPublicKeyOf,
  idSign,
  idVerify,
  initiatorKeys,
  openMessage,
  recipientKeys,
  sealMessage,
  type SessionKeys,
} from './v5-crypto.js';
import {
  buildHeader,
  decodeHandshakeAuth,
  encodeHandshakeAuth,
  encodeWhoareyouAuth,
  FLAG_HANDSHAKE,
  FLAG_MESSAGE,
  FLAG_WHOAREYOU,
  ID_NONCE_SIZE,
  IV_SIZE,
  maskPacket,
  NONCE_SIZE,
  type DecodedPacket,
} from './v5-packet.js';

/** What a test may fix; left out, each is fresh randomness. */
export interface PacketRandomness {
  iv?: Uint8Array;
  nonce?: Uint8Array;
  ephemeralKey?: Uint8Array;
  idNonce?: Uint8Array;
}

export interface SentPacket {
  packet: Uint8Array;
  nonce: Uint8Array;
}

/** An ordinary message packet (flag 0) sealed with the session's write key. */
export function sealedPacket(destId: Uint8Array, srcId: Uint8Array, writeKey: Uint8Array, pt: Uint8Array, r: PacketRandomness = {}): SentPacket {
  const nonce = r.nonce ?? randomBytes(NONCE_SIZE);
  const ad = buildHeader(r.iv ?? randomBytes(IV_SIZE), FLAG_MESSAGE, nonce, srcId);
  return { packet: maskPacket(destId, ad, sealMessage(writeKey, nonce, pt, ad)), nonce };
}

/**
 * With no session, a flag-0 packet whose message is random: the recipient cannot open it and
 * answers with WHOAREYOU, which starts the handshake.
 */
export function randomPacket(destId: Uint8Array, srcId: Uint8Array): SentPacket {
  const nonce = randomBytes(NONCE_SIZE);
  const ad = buildHeader(randomBytes(IV_SIZE), FLAG_MESSAGE, nonce, srcId);
  return { packet: maskPacket(destId, ad, randomBytes(20 + 16)), nonce };
}

export interface Challenge {
  packet: Uint8Array;
  /** masking-iv ‖ static header ‖ auth-data of the WHOAREYOU: the handshake's salt. */
  challengeData: Uint8Array;
}

/** WHOAREYOU for the packet whose nonce was `requestNonce`; enrSeq is the seq we hold of their record. */
export function whoareyouPacket(destId: Uint8Array, requestNonce: Uint8Array, enrSeq: bigint, r: PacketRandomness = {}): Challenge {
  const idNonce = r.idNonce ?? randomBytes(ID_NONCE_SIZE);
  const ad = buildHeader(r.iv ?? randomBytes(IV_SIZE), FLAG_WHOAREYOU, requestNonce, encodeWhoareyouAuth({ idNonce, enrSeq }));
  return { packet: maskPacket(destId, ad, new Uint8Array(0)), challengeData: ad };
}

export interface HandshakeInput {
  destId: Uint8Array;
  /** The recipient's 64-byte static public key (from its record or enode). */
  destPublicKey: Uint8Array;
  srcId: Uint8Array;
  staticKey: Uint8Array;
  challengeData: Uint8Array;
  /** Our record, sent when the challenge's enr-seq is below its seq. */
  record?: Uint8Array;
  pt: Uint8Array;
}

export interface SentHandshake extends SentPacket {
  keys: SessionKeys;
}

/** The handshake message packet (flag 2) answering a WHOAREYOU, carrying message `pt`. */
export function handshakePacket(h: HandshakeInput, r: PacketRandomness = {}): SentHandshake {
  const ephemeralKey = r.ephemeralKey ?? generatePrivateKey();
  const ephemeralPubkey = compressedPublicKeyOf(ephemeralKey);
  const keys = initiatorKeys(ephemeralKey, h.destPublicKey, h.srcId, h.destId, h.challengeData);
  const signature = idSign(h.staticKey, h.challengeData, ephemeralPubkey, h.destId);
  const auth = encodeHandshakeAuth({ srcId: h.srcId, signature, ephemeralPubkey, ...(h.record ? { record: h.record } : {}) });
  const nonce = r.nonce ?? randomBytes(NONCE_SIZE);
  const ad = buildHeader(r.iv ?? randomBytes(IV_SIZE), FLAG_HANDSHAKE, nonce, auth);
  return { packet: maskPacket(h.destId, ad, sealMessage(keys.initiatorKey, nonce, h.pt, ad)), nonce, keys };
}

export interface OpenedHandshake {
  srcId: Uint8Array;
  keys: SessionKeys;
  /** The initiator's public key, from the record it sent or the one we knew. */
  publicKey: Uint8Array;
  /** The record it sent, verified and matching srcId. */
  record?: Enr;
  pt: Uint8Array;
}

/**
 * Check a handshake packet against the challenge we sent: the record (if any) is the sender's,
 * the ID proof is by the sender's key, and the message opens with the derived key. `known` is
 * the sender's record as we held it when we challenged (used when it sends none).
 */
export function openHandshake(
  p: DecodedPacket,
  localKey: Uint8Array,
  localId: Uint8Array,
  challenge: { challengeData: Uint8Array; known?: Enr },
): OpenedHandshake {
  const auth = decodeHandshakeAuth(p.authdata);
  let record: Enr | undefined;
  let publicKey = challenge.known?.publicKey;
  if (auth.record) {
    try {
      record = decodeEnr(auth.record);
    } catch {
      throw new V5PacketError('bad-handshake', 'discv5: handshake record does not verify');
    }
    if (!sameBytes(record.nodeId, auth.srcId)) throw new V5PacketError('bad-handshake', 'discv5: handshake record is not the sender\'s');
    if (challenge.known && record.seq < challenge.known.seq) throw new V5PacketError('bad-handshake', 'discv5: handshake record older than the one we hold');
    publicKey = record.publicKey;
  }
  if (!publicKey) throw new V5PacketError('bad-handshake', 'discv5: handshake without a record from an unknown node');
  let keys: SessionKeys;
  try {
    keys = recipientKeys(localKey, auth.ephemeralPubkey, auth.srcId, localId, challenge.challengeData);
  } catch {
    throw new V5PacketError('bad-handshake', 'discv5: ephemeral key is not on the curve');
  }
  if (!idVerify(publicKey, auth.signature, challenge.challengeData, auth.ephemeralPubkey, localId)) {
    throw new V5PacketError('bad-handshake', 'discv5: ID proof does not verify');
  }
  const pt = openMessage(keys.initiatorKey, p.nonce, p.message, p.ad);
  if (!pt) throw new V5PacketError('bad-handshake', 'discv5: handshake message does not decrypt');
  return { srcId: auth.srcId, keys, publicKey, ...(record ? { record } : {}), pt };
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
