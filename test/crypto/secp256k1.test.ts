/**
 * secp256k1 keys, keccak256 and ECIES. This file also runs in the 'noble' project
 * (RLPX_CRYPTO=noble), so every assertion here must hold on both backends.
 */
import { describe, expect, it } from 'vitest';
import { RLP } from '@ethereumjs/rlp';
import { KeyError, EciesError } from '../../src/errors.js';
import { bytesToHex, concatBytes, hexToBytes, xorBytes } from '../../src/crypto/bytes.js';
import { createKeccak256, keccak256, keccakBackend } from '../../src/crypto/keccak.js';
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
import { eciesDecrypt, eciesEncrypt, ECIES_OVERHEAD } from '../../src/crypto/ecies.js';
import { openAuth } from '../../src/wire/handshake.js';
import { hex, vectors } from '../helpers/vectors.js';

const k = vectors.keys;
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function scalarBytes(v: bigint): Uint8Array {
  return hexToBytes(v.toString(16).padStart(64, '0'));
}

/** Deterministic filler so the sizes below do not depend on the CSPRNG. */
function filled(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function flipBit(bytes: Uint8Array, index: number, bit = 0): Uint8Array {
  const out = new Uint8Array(bytes);
  out[index]! ^= 1 << bit;
  return out;
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

describe(`keccak256 (${keccakBackend})`, () => {
  it('hashes the empty string to the known digest', () => {
    expect(bytesToHex(keccak256())).toBe('c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
    expect(bytesToHex(keccak256(new Uint8Array(0)))).toBe(
      'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    );
    expect(bytesToHex(createKeccak256().sum())).toBe('c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
  });

  it('hashes several parts as their concatenation', () => {
    const a = filled(100, 1);
    const b = filled(300, 2);
    expect(bytesToHex(keccak256(a, b))).toBe(bytesToHex(keccak256(concatBytes(a, b))));
  });

  it('createKeccak256: sum() does not finalize the state', () => {
    const a = filled(37, 3);
    const b = filled(200, 4); // crosses the 136-byte rate
    const s = createKeccak256();
    s.update(a);
    const first = s.sum();
    expect(bytesToHex(first)).toBe(bytesToHex(keccak256(a)));
    expect(bytesToHex(s.sum())).toBe(bytesToHex(first)); // reading twice changes nothing
    s.update(b);
    expect(bytesToHex(s.sum())).toBe(bytesToHex(keccak256(a, b)));
    expect(bytesToHex(first)).toBe(bytesToHex(keccak256(a))); // earlier digest not aliased
  });

  it('createKeccak256: updateAndSum matches update then sum', () => {
    const a = filled(10, 5);
    const b = filled(500, 6);
    const s1 = createKeccak256();
    const s2 = createKeccak256();
    s1.update(a);
    s2.update(a);
    s1.update(b);
    const viaUpdate = s1.sum();
    const viaUpdateAndSum = s2.updateAndSum(b);
    expect(bytesToHex(viaUpdateAndSum)).toBe(bytesToHex(viaUpdate));
    expect(bytesToHex(viaUpdateAndSum)).toBe(bytesToHex(keccak256(a, b)));
    expect(bytesToHex(s2.sum())).toBe(bytesToHex(viaUpdate));
  });

  it('independent states do not disturb each other or one-shot hashing', () => {
    const s1 = createKeccak256();
    const s2 = createKeccak256();
    const parts1: Uint8Array[] = [];
    const parts2: Uint8Array[] = [];
    for (let i = 0; i < 10; i++) {
      const p1 = filled(17 * i + 1, 100 + i);
      const p2 = filled(29 * i + 3, 200 + i);
      s1.update(p1);
      parts1.push(p1);
      keccak256(filled(50, 300 + i)); // interleaved one-shot use of the shared hasher
      expect(bytesToHex(s2.updateAndSum(p2))).toBe(bytesToHex(keccak256(...parts2, p2)));
      parts2.push(p2);
    }
    expect(bytesToHex(s1.sum())).toBe(bytesToHex(keccak256(...parts1)));
    expect(bytesToHex(s2.sum())).toBe(bytesToHex(keccak256(...parts2)));
  });
});

describe('ECIES', () => {
  const priv = generatePrivateKey();
  const pub = publicKeyOf(priv);

  for (const size of [0, 1, 100, 2000]) {
    it(`round trips ${size} bytes without shared-MAC data`, () => {
      const plain = filled(size, size + 7);
      const msg = eciesEncrypt(pub, plain);
      expect(msg.length).toBe(ECIES_OVERHEAD + size);
      expect(msg[0]).toBe(0x04);
      expect(isValidPublicKey(msg.subarray(1, 65))).toBe(true);
      expect(bytesToHex(eciesDecrypt(priv, msg))).toBe(bytesToHex(plain));
      expect(bytesToHex(eciesDecrypt(priv, msg, new Uint8Array(0)))).toBe(bytesToHex(plain));
    });

    it(`round trips ${size} bytes with shared-MAC data`, () => {
      const plain = filled(size, size + 11);
      const mac = Uint8Array.of(0x01, 0xb3);
      const msg = eciesEncrypt(pub, plain, mac);
      expect(msg.length).toBe(ECIES_OVERHEAD + size);
      expect(bytesToHex(eciesDecrypt(priv, msg, mac))).toBe(bytesToHex(plain));
      expect(() => eciesDecrypt(priv, msg)).toThrow(EciesError);
    });
  }

  it('uses a fresh ephemeral key and IV per message', () => {
    const plain = filled(40, 1);
    const m1 = eciesEncrypt(pub, plain);
    const m2 = eciesEncrypt(pub, plain);
    expect(bytesToHex(m1.subarray(1, 65))).not.toBe(bytesToHex(m2.subarray(1, 65)));
    expect(bytesToHex(m1.subarray(65, 81))).not.toBe(bytesToHex(m2.subarray(65, 81)));
  });

  it('is deterministic with a fixed ephemeral key and IV, and lays out 04 ‖ R ‖ IV ‖ c ‖ tag', () => {
    const plain = filled(40, 2);
    const ephemeralKey = hex(k.ephA);
    const iv = filled(16, 3);
    const m1 = eciesEncrypt(pub, plain, undefined, { ephemeralKey, iv });
    const m2 = eciesEncrypt(pub, plain, undefined, { ephemeralKey, iv });
    expect(bytesToHex(m1)).toBe(bytesToHex(m2));
    expect(bytesToHex(m1.subarray(1, 65))).toBe(bytesToHex(publicKeyOf(ephemeralKey)));
    expect(bytesToHex(m1.subarray(65, 81))).toBe(bytesToHex(iv));
    expect(bytesToHex(eciesDecrypt(priv, m1))).toBe(bytesToHex(plain));
  });

  it('decrypts the ECIES body of the EIP-8 Auth2 packet (size prefix as shared-MAC data)', () => {
    const packet = hex(vectors.auth.Auth2.packet);
    const plain = eciesDecrypt(hex(k.keyB), packet.subarray(2), packet.subarray(0, 2));
    const list = RLP.decode(plain, true).data as Uint8Array[];
    expect(bytesToHex(list[0]!)).toBe(k.authSignature);
    expect(bytesToHex(list[2]!)).toBe(k.nonceA);
    expect(() => eciesDecrypt(hex(k.keyB), packet.subarray(2))).toThrow(EciesError);
  });

  describe('decryption rejects with EciesError', () => {
    const plain = filled(100, 42);
    const shared = Uint8Array.of(0xaa, 0xbb);
    const msg = eciesEncrypt(pub, plain, shared);

    it('accepts the untouched message (control)', () => {
      expect(bytesToHex(eciesDecrypt(priv, msg, shared))).toBe(bytesToHex(plain));
    });

    it('a message shorter than ECIES_OVERHEAD', () => {
      expect(ECIES_OVERHEAD).toBe(113);
      for (const len of [0, 1, 65, ECIES_OVERHEAD - 1]) {
        expect(() => eciesDecrypt(priv, msg.subarray(0, len), shared), `${len} bytes`).toThrow(EciesError);
      }
      // Exactly the overhead is a well-formed empty message.
      const empty = eciesEncrypt(pub, new Uint8Array(0));
      expect(eciesDecrypt(priv, empty).length).toBe(0);
    });

    it('a first byte other than 0x04', () => {
      for (const b of [0x00, 0x02, 0x03, 0x05, 0xff]) {
        const bad = new Uint8Array(msg);
        bad[0] = b;
        expect(() => eciesDecrypt(priv, bad, shared), `0x${b.toString(16)}`).toThrow(EciesError);
      }
    });

    it('an ephemeral point off the curve (x=1, y=1)', () => {
      const bad = new Uint8Array(msg);
      bad.fill(0, 1, 65);
      bad[32] = 1;
      bad[64] = 1;
      expect(() => eciesDecrypt(priv, bad, shared)).toThrow(EciesError);
      // A flipped bit in y also takes the point off the curve.
      expect(() => eciesDecrypt(priv, flipBit(msg, 64), shared)).toThrow(EciesError);
    });

    it('an ephemeral point of all zeros', () => {
      const bad = new Uint8Array(msg);
      bad.fill(0, 1, 65);
      expect(() => eciesDecrypt(priv, bad, shared)).toThrow(EciesError);
    });

    it('a flipped bit in the IV', () => {
      expect(() => eciesDecrypt(priv, flipBit(msg, 65), shared)).toThrow(EciesError);
      expect(() => eciesDecrypt(priv, flipBit(msg, 80, 7), shared)).toThrow(EciesError);
    });

    it('a flipped bit in the ciphertext', () => {
      expect(() => eciesDecrypt(priv, flipBit(msg, 81), shared)).toThrow(EciesError);
      expect(() => eciesDecrypt(priv, flipBit(msg, msg.length - 33, 5), shared)).toThrow(EciesError);
    });

    it('a flipped bit in the tag', () => {
      expect(() => eciesDecrypt(priv, flipBit(msg, msg.length - 32), shared)).toThrow(EciesError);
      expect(() => eciesDecrypt(priv, flipBit(msg, msg.length - 1, 7), shared)).toThrow(EciesError);
    });

    it('wrong or missing shared-MAC data', () => {
      expect(() => eciesDecrypt(priv, msg, Uint8Array.of(0xaa, 0xbc))).toThrow(EciesError);
      expect(() => eciesDecrypt(priv, msg, Uint8Array.of(0xaa))).toThrow(EciesError);
      expect(() => eciesDecrypt(priv, msg)).toThrow(EciesError);
    });

    it('the wrong private key', () => {
      expect(() => eciesDecrypt(generatePrivateKey(), msg, shared)).toThrow(EciesError);
    });

    it('a truncated or extended message', () => {
      expect(() => eciesDecrypt(priv, msg.subarray(0, msg.length - 1), shared)).toThrow(EciesError);
      expect(() => eciesDecrypt(priv, concatBytes(msg, Uint8Array.of(0)), shared)).toThrow(EciesError);
    });
  });

  it('encryption to an invalid public key throws KeyError', () => {
    expect(() => eciesEncrypt(new Uint8Array(64), filled(10, 1))).toThrow(KeyError);
  });
});
