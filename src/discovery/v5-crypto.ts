/**
 * The cryptography of discv5 (wire protocol v5.1): header masking with AES-128-CTR, message
 * sealing with AES-128-GCM, the handshake's key derivation (ECDH, then HKDF-SHA256 salted with
 * the WHOAREYOU challenge) and the ID-nonce signature that proves the initiator's identity.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac } from 'node:crypto';
import { asBuffer, concatBytes } from '../crypto/bytes.js';
import { decompressPublicKey, ecdhCompressed, publicKeyOf, sign, verify } from '../crypto/secp256k1.js';

const KEY_AGREEMENT = new TextEncoder().encode('discovery v5 key agreement');
const ID_PROOF = new TextEncoder().encode('discovery v5 identity proof');
export const GCM_TAG_SIZE = 16;

/**
 * A running AES-128-CTR stream keyed by the first 16 bytes of the recipient's node id. The
 * header is read in two steps (static part, then auth-data of the length it declares), so the
 * caller gets the stream rather than a one-shot function.
 */
export function maskingStream(destId: Uint8Array, iv: Uint8Array): { update(data: Uint8Array): Uint8Array } {
  const cipher = createCipheriv('aes-128-ctr', asBuffer(destId.subarray(0, 16)), asBuffer(iv));
  return { update: (data) => new Uint8Array(cipher.update(asBuffer(data))) };
}

/** AES-128-GCM: ciphertext ‖ 16-byte tag. */
export function sealMessage(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-128-gcm', asBuffer(key), asBuffer(nonce), { authTagLength: GCM_TAG_SIZE });
  cipher.setAAD(asBuffer(ad));
  const head = cipher.update(asBuffer(plaintext));
  const tail = cipher.final();
  return concatBytes(head, tail, cipher.getAuthTag());
}

/** The plaintext, or undefined when the tag does not verify (wrong key, or tampered bytes). */
export function openMessage(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Uint8Array | undefined {
  if (sealed.length < GCM_TAG_SIZE) return undefined;
  const decipher = createDecipheriv('aes-128-gcm', asBuffer(key), asBuffer(nonce), { authTagLength: GCM_TAG_SIZE });
  decipher.setAAD(asBuffer(ad));
  decipher.setAuthTag(asBuffer(sealed.subarray(sealed.length - GCM_TAG_SIZE)));
  const head = decipher.update(asBuffer(sealed.subarray(0, sealed.length - GCM_TAG_SIZE)));
  try {
    return concatBytes(head, decipher.final());
  } catch {
    return undefined;
  }
}

export interface SessionKeys {
  /** The key the handshake's initiator writes with (and the recipient reads with). */
  initiatorKey: Uint8Array;
  /** The key the recipient writes with. */
  recipientKey: Uint8Array;
}

const FIRST_BLOCK = new Uint8Array([1]);

/**
 * HKDF-SHA256 over the compressed ECDH point, salted with the challenge, for initiator A and
 * recipient B. The 32 bytes wanted are one SHA-256 block, so HKDF is two HMACs (RFC 5869:
 * extract, then expand's first block); hkdfSync costs twice that, in key objects it builds.
 */
export function deriveKeys(sharedSecret: Uint8Array, idA: Uint8Array, idB: Uint8Array, challengeData: Uint8Array): SessionKeys {
  const prk = createHmac('sha256', asBuffer(challengeData)).update(asBuffer(sharedSecret)).digest();
  const h = createHmac('sha256', prk);
  for (const part of [KEY_AGREEMENT, idA, idB, FIRST_BLOCK]) h.update(asBuffer(part));
  const out = h.digest();
  return { initiatorKey: new Uint8Array(out.subarray(0, 16)), recipientKey: new Uint8Array(out.subarray(16, 32)) };
}

/** The initiator's side: a fresh ephemeral key's ECDH with B's static public key (64 bytes). */
export function initiatorKeys(
  ephemeralKey: Uint8Array,
  destPublicKey: Uint8Array,
  idA: Uint8Array,
  idB: Uint8Array,
  challengeData: Uint8Array,
): SessionKeys {
  return deriveKeys(ecdhCompressed(ephemeralKey, destPublicKey), idA, idB, challengeData);
}

/** The recipient's side: our static key with the initiator's 33-byte compressed ephemeral key. */
export function recipientKeys(
  staticKey: Uint8Array,
  ephemeralPubkey: Uint8Array,
  idA: Uint8Array,
  idB: Uint8Array,
  challengeData: Uint8Array,
): SessionKeys {
  return deriveKeys(ecdhCompressed(staticKey, decompressPublicKey(ephemeralPubkey)), idA, idB, challengeData);
}

function idProofHash(challengeData: Uint8Array, ephemeralPubkey: Uint8Array, destId: Uint8Array): Uint8Array {
  const h = createHash('sha256');
  for (const part of [ID_PROOF, challengeData, ephemeralPubkey, destId]) h.update(asBuffer(part));
  return new Uint8Array(h.digest());
}

/** The 64-byte r ‖ s signature proving that the holder of `staticKey` answered this challenge. */
export function idSign(staticKey: Uint8Array, challengeData: Uint8Array, ephemeralPubkey: Uint8Array, destId: Uint8Array): Uint8Array {
  return sign(idProofHash(challengeData, ephemeralPubkey, destId), staticKey).subarray(0, 64);
}

export function idVerify(
  publicKey: Uint8Array,
  signature: Uint8Array,
  challengeData: Uint8Array,
  ephemeralPubkey: Uint8Array,
  destId: Uint8Array,
): boolean {
  if (signature.length !== 64) return false;
  return verify(idProofHash(challengeData, ephemeralPubkey, destId), signature, publicKey);
}

/** The 33-byte compressed public key of a private key, as the handshake carries it. */
export function compressedPublicKeyOf(privateKey: Uint8Array): Uint8Array {
  const pub = publicKeyOf(privateKey);
  const out = new Uint8Array(33);
  out[0] = 0x02 | (pub[63]! & 1);
  out.set(pub.subarray(0, 32), 1);
  return out;
}
