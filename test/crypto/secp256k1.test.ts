/**
 * secp256k1 keys, ECDH and recoverable signatures. Also runs in the 'noble' project
 * (RLPX_CRYPTO=noble), so every assertion here must hold on both backends.
 */
import { describe, expect, it } from 'vitest';
import { KeyError } from '../../src/errors.js';
import { bytesToHex, concatBytes, hexToBytes, xorBytes } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import {
  ecdh,
  generatePrivateKey,
  isValidPrivateKey,
  isValidPublicKey,
  nodeIdOf,
  privateKeyFrom,
  publicKeyOf,
  recover,
  secp256k1Backend,
  sign,
} from '../../src/crypto/secp256k1.js';
import { openAuth } from '../../src/wire/handshake.js';
import { flipBit } from '../helpers/bytes.js';
import { hex, vectors } from '../helpers/vectors.js';

const k = vectors.keys;
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function scalarBytes(v: bigint): Uint8Array {
  return hexToBytes(v.toString(16).padStart(64, '0'));
}

describe(`secp256k1 keys (${secp256k1Backend})`, () => {
  it('generatePrivateKey yields distinct, valid keys', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const key = generatePrivateKey();
      expect(key).toBeInstanceOf(Uint8Array);
      expect(key.length).toBe(32);
      expect(isValidPrivateKey(key)).toBe(true);
      expect(privateKeyFrom(key)).toEqual(key);
      expect(isValidPublicKey(publicKeyOf(key))).toBe(true);
      seen.add(bytesToHex(key));
    }
    expect(seen.size).toBe(20);
  });

  it('privateKeyFrom accepts hex with and without 0x, and bytes', () => {
    const bytes = hex(k.keyA);
    expect(privateKeyFrom(k.keyA)).toEqual(bytes);
    expect(privateKeyFrom(`0x${k.keyA}`)).toEqual(bytes);
    expect(privateKeyFrom(k.keyA.toUpperCase())).toEqual(bytes);
    expect(privateKeyFrom(`  ${k.keyA}\n`)).toEqual(bytes);
    const copy = privateKeyFrom(bytes);
    expect(copy).toEqual(bytes);
    // The result is a copy: mutating it does not touch the caller's bytes.
    copy[0]! ^= 0xff;
    expect(bytes).toEqual(hex(k.keyA));
  });

  it('privateKeyFrom accepts the ends of [1, n-1]', () => {
    expect(privateKeyFrom(scalarBytes(1n))).toEqual(scalarBytes(1n));
    expect(privateKeyFrom(scalarBytes(N - 1n))).toEqual(scalarBytes(N - 1n));
    expect(privateKeyFrom(`0x${(N - 1n).toString(16)}`)).toEqual(scalarBytes(N - 1n));
  });

  it('privateKeyFrom rejects 0, n and n+1 with KeyError', () => {
    for (const v of [0n, N, N + 1n, 2n ** 256n - 1n]) {
      expect(() => privateKeyFrom(scalarBytes(v)), v.toString(16)).toThrow(KeyError);
      expect(() => privateKeyFrom(v.toString(16).padStart(64, '0'))).toThrow(KeyError);
      expect(isValidPrivateKey(scalarBytes(v))).toBe(false);
    }
  });

  it('privateKeyFrom rejects wrong lengths with KeyError', () => {
    for (const len of [0, 1, 31, 33, 64]) {
      expect(() => privateKeyFrom(new Uint8Array(len).fill(1)), `${len} bytes`).toThrow(KeyError);
      expect(() => privateKeyFrom('01'.repeat(len)), `${len} hex bytes`).toThrow(KeyError);
    }
    expect(() => privateKeyFrom(`${k.keyA}00`)).toThrow(KeyError);
    expect(() => privateKeyFrom(k.keyA.slice(2))).toThrow(KeyError);
  });

  it('privateKeyFrom rejects non-hex strings with KeyError', () => {
    for (const s of ['zz'.repeat(32), `${k.keyA.slice(0, 62)}g1`, k.keyA.slice(1), '0x', 'hello', `0x ${k.keyA}`]) {
      expect(() => privateKeyFrom(s), s).toThrow(KeyError);
    }
  });

  it('publicKeyOf is 64 bytes and matches the initiator key in the EIP-8 Auth2 vector', () => {
    const pubA = publicKeyOf(hex(k.keyA));
    expect(pubA.length).toBe(64);
    const auth = openAuth(hex(k.keyB), hex(vectors.auth.Auth2.packet));
    expect(bytesToHex(pubA)).toBe(bytesToHex(auth.initiatorPublicKey));
    expect(isValidPublicKey(pubA)).toBe(true);
  });

  it('publicKeyOf rejects invalid scalars with KeyError', () => {
    expect(() => publicKeyOf(new Uint8Array(32))).toThrow(KeyError);
    expect(() => publicKeyOf(scalarBytes(N))).toThrow(KeyError);
  });

  it('nodeIdOf is keccak256 of the 64-byte public key', () => {
    const pub = publicKeyOf(hex(k.keyB));
    const id = nodeIdOf(pub);
    expect(id.length).toBe(32);
    expect(bytesToHex(id)).toBe(bytesToHex(keccak256(pub)));
    expect(() => nodeIdOf(concatBytes(Uint8Array.of(4), pub))).toThrow();
  });

  it('isValidPublicKey rejects off-curve points, zeros and wrong lengths', () => {
    const pub = publicKeyOf(generatePrivateKey());
    expect(isValidPublicKey(pub)).toBe(true);
    expect(isValidPublicKey(flipBit(pub, 63))).toBe(false);
    expect(isValidPublicKey(new Uint8Array(64))).toBe(false);
    expect(isValidPublicKey(pub.subarray(0, 63))).toBe(false);
    expect(isValidPublicKey(concatBytes(Uint8Array.of(4), pub))).toBe(false);
  });

  it('ecdh is symmetric: a·B == b·A', () => {
    for (let i = 0; i < 5; i++) {
      const a = generatePrivateKey();
      const b = generatePrivateKey();
      const ab = ecdh(a, publicKeyOf(b));
      const ba = ecdh(b, publicKeyOf(a));
      expect(ab.length).toBe(32);
      expect(bytesToHex(ab)).toBe(bytesToHex(ba));
    }
    // And with the fixture keys.
    expect(bytesToHex(ecdh(hex(k.keyA), publicKeyOf(hex(k.keyB))))).toBe(
      bytesToHex(ecdh(hex(k.keyB), publicKeyOf(hex(k.keyA)))),
    );
  });

  it('ecdh rejects a 64-byte point that is not on the curve with KeyError', () => {
    const a = generatePrivateKey();
    const pub = publicKeyOf(generatePrivateKey());
    const offCurve = flipBit(pub, 63); // y changed, x kept: not a point
    expect(() => ecdh(a, offCurve)).toThrow(KeyError);
    const xy11 = new Uint8Array(64);
    xy11[31] = 1;
    xy11[63] = 1;
    expect(() => ecdh(a, xy11)).toThrow(KeyError);
  });

  it('ecdh rejects the all-zero point and wrong-length keys with KeyError', () => {
    const a = generatePrivateKey();
    expect(() => ecdh(a, new Uint8Array(64))).toThrow(KeyError);
    expect(() => ecdh(a, publicKeyOf(a).subarray(0, 33))).toThrow(KeyError);
  });

  // Both backends must agree: a bad scalar is a KeyError, not the library's own error.
  it('ecdh rejects a private scalar of 0 or n with KeyError on every backend', () => {
    const pub = publicKeyOf(generatePrivateKey());
    expect(() => ecdh(new Uint8Array(32), pub)).toThrow(KeyError);
    expect(() => ecdh(scalarBytes(N), pub)).toThrow(KeyError);
  });

  it('sign/recover round trip with v in {0, 1}', () => {
    const recids = new Set<number>();
    for (let i = 0; i < 32; i++) {
      const key = generatePrivateKey();
      const hash = keccak256(utf8(`message ${i}`));
      const sig = sign(hash, key);
      expect(sig.length).toBe(65);
      expect([0, 1]).toContain(sig[64]);
      recids.add(sig[64]!);
      expect(bytesToHex(recover(hash, sig))).toBe(bytesToHex(publicKeyOf(key)));
    }
    // 32 random signatures with only one recovery id would be a 2^-31 fluke.
    expect(recids.size).toBe(2);
  });

  it('recovers the EIP-8 ephemeral key from the Auth2 signature', () => {
    // auth signature = sign(ecdh(keyA, pubB) ^ nonceA, ephA)
    const token = ecdh(hex(k.keyA), publicKeyOf(hex(k.keyB)));
    const signed = xorBytes(token, hex(k.nonceA));
    expect(bytesToHex(recover(signed, hex(k.authSignature)))).toBe(bytesToHex(publicKeyOf(hex(k.ephA))));
    // Our own signature over the same hash recovers the same key.
    expect(bytesToHex(recover(signed, sign(signed, hex(k.ephA))))).toBe(bytesToHex(publicKeyOf(hex(k.ephA))));
  });

  it('recover with a tampered signature returns a different key or throws KeyError', () => {
    const key = generatePrivateKey();
    const pub = bytesToHex(publicKeyOf(key));
    const hash = keccak256(utf8('tamper'));
    const sig = sign(hash, key);
    const tampered = [flipBit(sig, 0), flipBit(sig, 31), flipBit(sig, 32), flipBit(sig, 63, 3), flipBit(sig, 64)];
    for (const [i, bad] of tampered.entries()) {
      let got: Uint8Array | undefined;
      try {
        got = recover(hash, bad);
      } catch (err) {
        expect(err, `case ${i}`).toBeInstanceOf(KeyError);
      }
      if (got) expect(bytesToHex(got), `case ${i}`).not.toBe(pub);
    }
    // A different hash never recovers the signer.
    let other: Uint8Array | undefined;
    try {
      other = recover(keccak256(utf8('other')), sig);
    } catch (err) {
      expect(err).toBeInstanceOf(KeyError);
    }
    if (other) expect(bytesToHex(other)).not.toBe(pub);
  });

  it('recover rejects an out-of-range recovery id and an all-zero signature with KeyError', () => {
    const hash = keccak256(utf8('x'));
    const sig = sign(hash, generatePrivateKey());
    const bad = new Uint8Array(sig);
    bad[64] = 4;
    expect(() => recover(hash, bad)).toThrow(KeyError);
    expect(() => recover(hash, new Uint8Array(65))).toThrow(KeyError);
  });
});
