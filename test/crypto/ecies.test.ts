/** ECIES as auth/ack packets use it. Also runs in the 'noble' project (RLPX_CRYPTO=noble). */
import { describe, expect, it } from 'vitest';
import { RLP } from '@ethereumjs/rlp';
import { KeyError, EciesError } from '../../src/errors.js';
import { bytesToHex, concatBytes } from '../../src/crypto/bytes.js';
import { isValidPublicKey, generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { eciesDecrypt, eciesEncrypt, ECIES_OVERHEAD } from '../../src/crypto/ecies.js';
import { flipBit, seededBytes } from '../helpers/bytes.js';
import { hex, vectors } from '../helpers/vectors.js';

const k = vectors.keys;

describe('ECIES', () => {
  const priv = generatePrivateKey();
  const pub = publicKeyOf(priv);

  for (const size of [0, 1, 100, 2000]) {
    it(`round trips ${size} bytes without shared-MAC data`, () => {
      const plain = seededBytes(size, size + 7);
      const msg = eciesEncrypt(pub, plain);
      expect(msg.length).toBe(ECIES_OVERHEAD + size);
      expect(msg[0]).toBe(0x04);
      expect(isValidPublicKey(msg.subarray(1, 65))).toBe(true);
      expect(bytesToHex(eciesDecrypt(priv, msg))).toBe(bytesToHex(plain));
      expect(bytesToHex(eciesDecrypt(priv, msg, new Uint8Array(0)))).toBe(bytesToHex(plain));
    });

    it(`round trips ${size} bytes with shared-MAC data`, () => {
      const plain = seededBytes(size, size + 11);
      const mac = Uint8Array.of(0x01, 0xb3);
      const msg = eciesEncrypt(pub, plain, mac);
      expect(msg.length).toBe(ECIES_OVERHEAD + size);
      expect(bytesToHex(eciesDecrypt(priv, msg, mac))).toBe(bytesToHex(plain));
      expect(() => eciesDecrypt(priv, msg)).toThrow(EciesError);
    });
  }

  it('uses a fresh ephemeral key and IV per message', () => {
    const plain = seededBytes(40, 1);
    const m1 = eciesEncrypt(pub, plain);
    const m2 = eciesEncrypt(pub, plain);
    expect(bytesToHex(m1.subarray(1, 65))).not.toBe(bytesToHex(m2.subarray(1, 65)));
    expect(bytesToHex(m1.subarray(65, 81))).not.toBe(bytesToHex(m2.subarray(65, 81)));
  });

  it('is deterministic with a fixed ephemeral key and IV, and lays out 04 ‖ R ‖ IV ‖ c ‖ tag', () => {
    const plain = seededBytes(40, 2);
    const ephemeralKey = hex(k.ephA);
    const iv = seededBytes(16, 3);
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
    const plain = seededBytes(100, 42);
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
    expect(() => eciesEncrypt(new Uint8Array(64), seededBytes(10, 1))).toThrow(KeyError);
  });
});
