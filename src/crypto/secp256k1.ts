/**
 * secp256k1 as RLPx uses it: 64-byte public keys (no 0x04 prefix), ECDH that yields the
 * shared point's x coordinate, and 65-byte recoverable signatures laid out r ‖ s ‖ v.
 *
 * Fast path: libsecp256k1 through the `secp256k1` package's prebuilt N-API addon (loaded
 * directly, so its slow elliptic.js fallback is never picked up by accident).
 * Fallback: @noble/secp256k1.
 */
import { createRequire } from 'node:module';
import { randomBytes } from './random.js';
import * as noble from '@noble/secp256k1';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { KeyError } from '../errors.js';
import { assertBytes, concatBytes, hexToBytes } from './bytes.js';
import { announceFallback, forceNoble } from './backend.js';
import { keccak256 } from './keccak.js';

noble.hashes.sha256 = sha256;
noble.hashes.hmacSha256 = (key, msg) => hmac(sha256, key, msg);

interface NativeSecp256k1 {
  privateKeyVerify(key: Uint8Array): boolean;
  publicKeyVerify(key: Uint8Array): boolean;
  publicKeyCreate(key: Uint8Array, compressed?: boolean): Uint8Array;
  ecdsaSign(msg: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaRecover(sig: Uint8Array, recid: number, msg: Uint8Array, compressed?: boolean): Uint8Array;
  ecdsaVerify(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean;
  publicKeyConvert(pub: Uint8Array, compressed: boolean): Uint8Array;
  ecdh(
    pub: Uint8Array,
    key: Uint8Array,
    opts: { hashfn: (x: Uint8Array, y: Uint8Array) => Uint8Array },
    out: Uint8Array,
  ): Uint8Array;
}

function loadNative(): NativeSecp256k1 | undefined {
  if (forceNoble) return undefined;
  try {
    return createRequire(import.meta.url)('secp256k1/bindings') as NativeSecp256k1;
  } catch (err) {
    announceFallback('secp256k1', err);
    return undefined;
  }
}

const native = loadNative();
export const secp256k1Backend: 'libsecp256k1' | 'noble' = native ? 'libsecp256k1' : 'noble';

export const PRIVATE_KEY_SIZE = 32;
export const PUBLIC_KEY_SIZE = 64;
export const SIGNATURE_SIZE = 65;
const CURVE_N = hexToBytes('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');

function withPrefix(pub: Uint8Array): Uint8Array {
  const out = new Uint8Array(65);
  out[0] = 0x04;
  out.set(pub, 1);
  return out;
}

/** A fresh private key from the system CSPRNG. */
export function generatePrivateKey(): Uint8Array {
  for (;;) {
    const k = randomBytes(32);
    if (isValidPrivateKey(k)) return k;
  }
}

/** In [1, n-1]. A byte comparison: this runs before every ECDH and signature. */
export function isValidPrivateKey(key: Uint8Array): boolean {
  if (!(key instanceof Uint8Array) || key.length !== PRIVATE_KEY_SIZE) return false;
  let nonZero = 0;
  for (let i = 0; i < PRIVATE_KEY_SIZE; i++) nonZero |= key[i]!;
  if (nonZero === 0) return false;
  for (let i = 0; i < PRIVATE_KEY_SIZE; i++) {
    if (key[i] !== CURVE_N[i]) return key[i]! < CURVE_N[i]!;
  }
  return false; // equal to n
}

/** Import a 32-byte private key from bytes or hex (with or without 0x); rejects 0 and >= n. */
export function privateKeyFrom(input: Uint8Array | string): Uint8Array {
  let key: Uint8Array;
  try {
    key = typeof input === 'string' ? hexToBytes(input.trim()) : input;
  } catch (err) {
    throw new KeyError('private key: not a hex string', { cause: err });
  }
  if (!(key instanceof Uint8Array)) throw new TypeError('private key: expected Uint8Array or hex string');
  if (key.length !== PRIVATE_KEY_SIZE) throw new KeyError(`private key: expected 32 bytes, got ${key.length}`);
  if (!isValidPrivateKey(key)) throw new KeyError('private key: must be in [1, n-1]');
  return new Uint8Array(key);
}

/** Public keys of the private keys we have seen, so a server does not recompute its own per handshake. */
const publicKeys = new WeakMap<Uint8Array, Uint8Array>();

/** The 64-byte wire public key (x ‖ y) of a private key. */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  const cached = publicKeys.get(privateKey);
  if (cached) return cached.slice();
  assertPrivateKey(privateKey);
  const full = native ? native.publicKeyCreate(privateKey, false) : noble.getPublicKey(privateKey, false);
  const pub = full.slice(1);
  publicKeys.set(privateKey, pub);
  return pub.slice();
}

/** True for a 64-byte x ‖ y that is a point on the curve (and so not the point at infinity). */
export function isValidPublicKey(pub: Uint8Array): boolean {
  if (!(pub instanceof Uint8Array) || pub.length !== PUBLIC_KEY_SIZE) return false;
  const full = withPrefix(pub);
  if (native) return native.publicKeyVerify(full);
  try {
    noble.Point.fromBytes(full).assertValidity();
    return true;
  } catch {
    return false;
  }
}

/** Node id as used by discovery and logs: keccak256 of the 64-byte public key. */
export function nodeIdOf(publicKey: Uint8Array): Uint8Array {
  assertBytes(publicKey, 'publicKey', PUBLIC_KEY_SIZE);
  return keccak256(publicKey);
}

function assertPrivateKey(privateKey: Uint8Array): void {
  assertBytes(privateKey, 'privateKey', PRIVATE_KEY_SIZE);
  if (!isValidPrivateKey(privateKey)) throw new KeyError('private key: must be in [1, n-1]');
}

/** ECDH: the x coordinate of privateKey·publicKey (32 bytes), as RLPx and ECIES use it. */
export function ecdh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  assertPrivateKey(privateKey);
  assertBytes(publicKey, 'publicKey');
  if (publicKey.length !== PUBLIC_KEY_SIZE) throw new KeyError(`publicKey: expected 64 bytes, got ${publicKey.length}`);
  // Both backends reject points off the curve themselves; checking first would double the cost.
  try {
    if (native) return native.ecdh(withPrefix(publicKey), privateKey, { hashfn: (x) => x }, new Uint8Array(32));
    return noble.getSharedSecret(privateKey, withPrefix(publicKey), true).slice(1);
  } catch (err) {
    throw new KeyError('publicKey: not a point on secp256k1', { cause: err });
  }
}

/**
 * ECDH that yields the whole shared point, compressed (02/03 ‖ x, 33 bytes): discv5 feeds that
 * to its KDF where RLPx uses x alone.
 */
export function ecdhCompressed(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  assertPrivateKey(privateKey);
  assertBytes(publicKey, 'publicKey');
  if (publicKey.length !== PUBLIC_KEY_SIZE) throw new KeyError(`publicKey: expected 64 bytes, got ${publicKey.length}`);
  try {
    if (native) {
      const hashfn = (x: Uint8Array, y: Uint8Array): Uint8Array => {
        const out = new Uint8Array(33);
        out[0] = 0x02 | (y[31]! & 1);
        out.set(x, 1);
        return out;
      };
      return native.ecdh(withPrefix(publicKey), privateKey, { hashfn }, new Uint8Array(33));
    }
    return noble.getSharedSecret(privateKey, withPrefix(publicKey), true);
  } catch (err) {
    throw new KeyError('publicKey: not a point on secp256k1', { cause: err });
  }
}

/** Sign a 32-byte hash; returns r ‖ s ‖ v (65 bytes, v in {0, 1}). */
export function sign(hash: Uint8Array, privateKey: Uint8Array): Uint8Array {
  assertBytes(hash, 'hash', 32);
  assertPrivateKey(privateKey);
  if (native) {
    const { signature, recid } = native.ecdsaSign(hash, privateKey);
    return concatBytes(signature, Uint8Array.of(recid));
  }
  const rec = noble.sign(hash, privateKey, { prehash: false, format: 'recovered' });
  return concatBytes(rec.subarray(1), rec.subarray(0, 1));
}

/** Recover the 64-byte public key that made an r ‖ s ‖ v signature over `hash`. */
export function recover(hash: Uint8Array, signature: Uint8Array): Uint8Array {
  assertBytes(hash, 'hash', 32);
  assertBytes(signature, 'signature', SIGNATURE_SIZE);
  const v = signature[64]!;
  if (v > 3) throw new KeyError(`signature: recovery id ${v} out of range`);
  try {
    if (native) return native.ecdsaRecover(signature.subarray(0, 64), v, hash, false).slice(1);
    const rec = concatBytes(Uint8Array.of(v), signature.subarray(0, 64));
    const point = noble.recoverPublicKey(rec, hash, { prehash: false });
    return noble.Point.fromBytes(point).toBytes(false).slice(1);
  } catch (err) {
    throw new KeyError('signature: public key cannot be recovered', { cause: err });
  }
}

/** The 64-byte x ‖ y of a 33-byte compressed key (02/03 ‖ x), as ENRs and enrtree URLs carry it. */
export function decompressPublicKey(compressed: Uint8Array): Uint8Array {
  assertBytes(compressed, 'compressed public key');
  if (compressed.length !== 33 || (compressed[0] !== 0x02 && compressed[0] !== 0x03)) {
    throw new KeyError(`compressed public key: expected 33 bytes starting 02 or 03, got ${compressed.length} bytes`);
  }
  try {
    if (native) return native.publicKeyConvert(compressed, false).slice(1);
    return noble.Point.fromBytes(compressed).toBytes(false).slice(1);
  } catch (err) {
    throw new KeyError('compressed public key: x is not on secp256k1', { cause: err });
  }
}

/**
 * Check a 64-byte r ‖ s signature over a 32-byte hash against a 64-byte public key. Both
 * backends (like geth) refuse a high s, so a signature has one accepted form.
 */
export function verify(hash: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  assertBytes(hash, 'hash', 32);
  assertBytes(signature, 'signature', 64);
  assertBytes(publicKey, 'publicKey', PUBLIC_KEY_SIZE);
  try {
    if (native) return native.ecdsaVerify(signature, hash, withPrefix(publicKey));
    return noble.verify(signature, hash, withPrefix(publicKey), { prehash: false, lowS: true });
  } catch {
    return false; // r or s out of range, or a key off the curve: not a signature by that key
  }
}
