/**
 * ECIES as the devp2p spec defines it for auth/ack packets:
 * concat-KDF over SHA-256, AES-128-CTR with a random IV, HMAC-SHA256 over IV ‖ c ‖ s2.
 * Wire layout: 0x04 ‖ R(64) ‖ IV(16) ‖ c ‖ tag(32).
 */
import { createCipheriv, createDecipheriv, createHash, createHmac } from 'node:crypto';
import { randomBytes } from './random.js';
import { EciesError, KeyError } from '../errors.js';
import { asBuffer, assertBytes, equalBytes } from './bytes.js';
import { ecdh, generatePrivateKey, publicKeyOf } from './secp256k1.js';

const IV_SIZE = 16;
const TAG_SIZE = 32;
const POINT_SIZE = 65;
/** Bytes ECIES adds to a plaintext. */
export const ECIES_OVERHEAD = POINT_SIZE + IV_SIZE + TAG_SIZE;

/** NIST SP 800-56 concatenation KDF with SHA-256 and an empty s1. */
function concatKdf(z: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(Math.ceil(length / 32) * 32);
  const counter = Buffer.alloc(4);
  for (let i = 0, at = 0; at < length; i++, at += 32) {
    counter.writeUInt32BE(i + 1);
    out.set(createHash('sha256').update(counter).update(z).digest(), at);
  }
  return out.subarray(0, length);
}

function deriveKeys(shared: Uint8Array): { encKey: Buffer; macKey: Buffer } {
  const k = concatKdf(shared, 32);
  return {
    encKey: Buffer.from(k.subarray(0, 16)),
    macKey: createHash('sha256').update(k.subarray(16, 32)).digest(),
  };
}

function tag(macKey: Buffer, ivAndCiphertext: Uint8Array, sharedMacData: Uint8Array): Buffer {
  return createHmac('sha256', macKey).update(ivAndCiphertext).update(sharedMacData).digest();
}

export interface EciesEncryptOptions {
  /** Fixed ephemeral key and IV, for test vectors only. */
  ephemeralKey?: Uint8Array;
  iv?: Uint8Array;
}

/** Encrypt `plaintext` to `remotePublicKey` (64 bytes); `sharedMacData` is authenticated, not sent. */
export function eciesEncrypt(
  remotePublicKey: Uint8Array,
  plaintext: Uint8Array,
  sharedMacData: Uint8Array = new Uint8Array(0),
  options: EciesEncryptOptions = {},
): Uint8Array {
  assertBytes(plaintext, 'plaintext');
  const ephemeral = options.ephemeralKey ?? generatePrivateKey();
  const { encKey, macKey } = deriveKeys(ecdh(ephemeral, remotePublicKey));
  const iv = asBuffer(options.iv ?? randomBytes(IV_SIZE));
  assertBytes(iv, 'iv', IV_SIZE);

  const out = new Uint8Array(ECIES_OVERHEAD + plaintext.length);
  out[0] = 0x04;
  out.set(publicKeyOf(ephemeral), 1);
  out.set(iv, POINT_SIZE);
  const cipher = createCipheriv('aes-128-ctr', encKey, iv);
  const body = out.subarray(POINT_SIZE + IV_SIZE, out.length - TAG_SIZE);
  body.set(cipher.update(plaintext));
  out.set(tag(macKey, out.subarray(POINT_SIZE, out.length - TAG_SIZE), sharedMacData), out.length - TAG_SIZE);
  return out;
}

/** Decrypt an ECIES message with `privateKey`; throws EciesError on any defect. */
export function eciesDecrypt(
  privateKey: Uint8Array,
  message: Uint8Array,
  sharedMacData: Uint8Array = new Uint8Array(0),
): Uint8Array {
  assertBytes(message, 'message');
  if (message.length < ECIES_OVERHEAD) {
    throw new EciesError(`ecies: message of ${message.length} bytes is shorter than the ${ECIES_OVERHEAD}-byte overhead`);
  }
  if (message[0] !== 0x04) throw new EciesError(`ecies: ephemeral key prefix 0x${message[0]!.toString(16)} is not 0x04`);
  let shared: Uint8Array;
  try {
    shared = ecdh(privateKey, message.subarray(1, POINT_SIZE));
  } catch (err) {
    if (err instanceof KeyError) throw new EciesError(`ecies: ephemeral key rejected (${err.message})`, { cause: err });
    throw err;
  }
  const { encKey, macKey } = deriveKeys(shared);
  const ivAndBody = message.subarray(POINT_SIZE, message.length - TAG_SIZE);
  const expected = tag(macKey, ivAndBody, sharedMacData);
  if (!equalBytes(expected, message.subarray(message.length - TAG_SIZE))) throw new EciesError('ecies: bad tag');

  const decipher = createDecipheriv('aes-128-ctr', encKey, asBuffer(ivAndBody.subarray(0, IV_SIZE)));
  return new Uint8Array(decipher.update(ivAndBody.subarray(IV_SIZE)));
}
