/** Our own initiator ↔ recipient handshake, and openAuth's rejection of damaged packets. */
import { describe, expect, it } from 'vitest';
import { RLP } from '@ethereumjs/rlp';
import { HandshakeError } from '../../src/errors.js';
import { bytesToHex, concatBytes } from '../../src/crypto/bytes.js';
import { eciesEncrypt, ECIES_OVERHEAD } from '../../src/crypto/ecies.js';
import { generatePrivateKey, isValidPublicKey, publicKeyOf, sign } from '../../src/crypto/secp256k1.js';
import {
  handshakePacketSize,
  HandshakeState,
  HANDSHAKE_VERSION,
  MAX_HANDSHAKE_PACKET,
  openAck,
  openAuth,
} from '../../src/wire/handshake.js';
import { flipBit } from '../helpers/bytes.js';

// Byte offsets inside a packet: prefix(2) ‖ 0x04 ‖ R(64) ‖ IV(16) ‖ ciphertext ‖ tag(32).
const PREFIX = 2;
const POINT = PREFIX; // the 0x04 byte
const IV = PREFIX + 65;
const CT = IV + 16;
const TAG_SIZE = 32;

function sizePrefix(eciesLength: number): Uint8Array {
  return Uint8Array.of(eciesLength >> 8, eciesLength & 0xff);
}

/** A packet as sealPacket builds it, but around any plaintext we choose. */
function sealRaw(remotePublicKey: Uint8Array, plaintext: Uint8Array, macData?: Uint8Array): Uint8Array {
  const prefix = sizePrefix(plaintext.length + ECIES_OVERHEAD);
  return concatBytes(prefix, eciesEncrypt(remotePublicKey, plaintext, macData ?? prefix));
}

const padding = (): Uint8Array => new Uint8Array(120);

interface Run {
  a: Uint8Array;
  b: Uint8Array;
  initiator: HandshakeState;
  recipient: HandshakeState;
  auth: Uint8Array;
  ack: Uint8Array;
}

function handshake(): Run {
  const a = generatePrivateKey();
  const b = generatePrivateKey();
  const initiator = HandshakeState.initiator(publicKeyOf(b), { privateKey: a });
  const recipient = HandshakeState.recipient({ privateKey: b });
  const auth = initiator.makeAuth();
  recipient.readAuth(auth);
  const ack = recipient.makeAck();
  initiator.readAck(ack);
  return { a, b, initiator, recipient, auth, ack };
}

describe('handshake round trip', () => {
  it('both sides derive the same aes and mac secrets and crossed MAC states', () => {
    const { a, b, initiator, recipient } = handshake();
    const si = initiator.secrets();
    const sr = recipient.secrets();
    expect(si.aes.length).toBe(32);
    expect(si.mac.length).toBe(32);
    expect(bytesToHex(si.aes)).toBe(bytesToHex(sr.aes));
    expect(bytesToHex(si.mac)).toBe(bytesToHex(sr.mac));
    expect(bytesToHex(si.aes)).not.toBe(bytesToHex(si.mac));

    expect(bytesToHex(si.egressMac.sum())).toBe(bytesToHex(sr.ingressMac.sum()));
    expect(bytesToHex(si.ingressMac.sum())).toBe(bytesToHex(sr.egressMac.sum()));
    expect(bytesToHex(si.egressMac.sum())).not.toBe(bytesToHex(si.ingressMac.sum()));

    // The states keep agreeing as traffic is absorbed.
    const data = new TextEncoder().encode('foo');
    si.egressMac.update(data);
    sr.ingressMac.update(data);
    expect(bytesToHex(si.egressMac.sum())).toBe(bytesToHex(sr.ingressMac.sum()));

    expect(bytesToHex(si.remotePublicKey)).toBe(bytesToHex(publicKeyOf(b)));
    expect(bytesToHex(sr.remotePublicKey)).toBe(bytesToHex(publicKeyOf(a)));
  });

  it('the recipient learns the initiator public key, ephemeral key and nonce', () => {
    const a = generatePrivateKey();
    const b = generatePrivateKey();
    const ephA = generatePrivateKey();
    const ephB = generatePrivateKey();
    const nonceA = new Uint8Array(32).fill(0xa1);
    const nonceB = new Uint8Array(32).fill(0xb2);
    const initiator = HandshakeState.initiator(publicKeyOf(b), { privateKey: a, ephemeralKey: ephA, nonce: nonceA });
    const recipient = HandshakeState.recipient({ privateKey: b, ephemeralKey: ephB, nonce: nonceB });
    expect(recipient.remotePublicKey).toBeUndefined();
    expect(bytesToHex(initiator.remotePublicKey!)).toBe(bytesToHex(publicKeyOf(b)));

    const authMsg = recipient.readAuth(initiator.makeAuth());
    expect(bytesToHex(authMsg.initiatorPublicKey)).toBe(bytesToHex(publicKeyOf(a)));
    expect(bytesToHex(authMsg.nonce)).toBe(bytesToHex(nonceA));
    expect(authMsg.version).toBe(HANDSHAKE_VERSION);
    expect(authMsg.rest).toEqual([]);
    expect(bytesToHex(recipient.remotePublicKey!)).toBe(bytesToHex(publicKeyOf(a)));
    expect(bytesToHex(recipient.remoteEphemeralKey!)).toBe(bytesToHex(publicKeyOf(ephA)));

    const ackMsg = initiator.readAck(recipient.makeAck());
    expect(bytesToHex(ackMsg.ephemeralPublicKey)).toBe(bytesToHex(publicKeyOf(ephB)));
    expect(bytesToHex(ackMsg.nonce)).toBe(bytesToHex(nonceB));
    expect(ackMsg.version).toBe(HANDSHAKE_VERSION);
    expect(bytesToHex(initiator.remoteEphemeralKey!)).toBe(bytesToHex(publicKeyOf(ephB)));

    expect(bytesToHex(initiator.secrets().aes)).toBe(bytesToHex(recipient.secrets().aes));
  });

  it('each handshake yields fresh secrets', () => {
    const r1 = handshake();
    const r2 = handshake();
    expect(bytesToHex(r1.initiator.secrets().aes)).not.toBe(bytesToHex(r2.initiator.secrets().aes));
  });

  it('auth and ack carry a 2-byte prefix equal to length - 2, with sizes in the EIP-8 padding range', () => {
    const authSizes = new Set<number>();
    const ackSizes = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const { auth, ack } = handshake();
      for (const p of [auth, ack]) {
        expect((p[0]! << 8) | p[1]!).toBe(p.length - 2);
        expect(handshakePacketSize(p)).toBe(p.length);
        expect(p[2]).toBe(0x04);
        expect(p.length).toBeLessThanOrEqual(MAX_HANDSHAKE_PACKET + 2);
      }
      // auth body: rlp([sig65, pub64, nonce32, 4]) = 169 bytes; ack body: rlp([pub64, nonce32, 4]) = 102 bytes;
      // then 100..199 bytes of padding, the ECIES overhead and the 2-byte prefix.
      expect(auth.length).toBeGreaterThanOrEqual(2 + ECIES_OVERHEAD + 169 + 100);
      expect(auth.length).toBeLessThanOrEqual(2 + ECIES_OVERHEAD + 169 + 199);
      expect(ack.length).toBeGreaterThanOrEqual(2 + ECIES_OVERHEAD + 102 + 100);
      expect(ack.length).toBeLessThanOrEqual(2 + ECIES_OVERHEAD + 102 + 199);
      authSizes.add(auth.length);
      ackSizes.add(ack.length);
    }
    // Padding is random: 20 runs with a single size would be a ~1e-38 fluke.
    expect(authSizes.size).toBeGreaterThan(1);
    expect(ackSizes.size).toBeGreaterThan(1);
  });

  it('makeAuth twice throws', () => {
    const hs = HandshakeState.initiator(publicKeyOf(generatePrivateKey()), { privateKey: generatePrivateKey() });
    hs.makeAuth();
    expect(() => hs.makeAuth()).toThrow();
  });

  it('readAck by a recipient throws, and other out-of-order calls throw', () => {
    const { a, b, auth, ack } = handshake();
    const recipient = HandshakeState.recipient({ privateKey: b });
    expect(() => recipient.readAck(ack)).toThrow();
    expect(() => recipient.makeAuth()).toThrow();
    expect(() => recipient.makeAck()).toThrow(); // before readAuth
    expect(() => recipient.secrets()).toThrow();
    recipient.readAuth(auth);
    expect(() => recipient.readAuth(auth)).toThrow();
    expect(() => recipient.readAck(ack)).toThrow();
    recipient.makeAck();
    expect(() => recipient.makeAck()).toThrow();

    const initiator = HandshakeState.initiator(publicKeyOf(b), { privateKey: a });
    expect(() => initiator.readAuth(auth)).toThrow();
    expect(() => initiator.readAck(ack)).toThrow(); // before makeAuth
    expect(() => initiator.makeAck()).toThrow();
    expect(() => initiator.secrets()).toThrow();
  });

  it('initiator refuses a remote key that is not on the curve', () => {
    expect(() => HandshakeState.initiator(new Uint8Array(64), { privateKey: generatePrivateKey() })).toThrow(
      HandshakeError,
    );
    const pub = flipBit(publicKeyOf(generatePrivateKey()), 63);
    expect(() => HandshakeState.initiator(pub, { privateKey: generatePrivateKey() })).toThrow(HandshakeError);
  });

  it('readAck rejects a damaged ack with HandshakeError', () => {
    const a = generatePrivateKey();
    const b = generatePrivateKey();
    const recipient = HandshakeState.recipient({ privateKey: b });
    const initiator = HandshakeState.initiator(publicKeyOf(b), { privateKey: a });
    recipient.readAuth(initiator.makeAuth());
    const ack = recipient.makeAck();
    expect(() => initiator.readAck(flipBit(ack, ack.length - 1))).toThrow(HandshakeError);
    expect(() => openAck(a, flipBit(ack, CT))).toThrow(HandshakeError);
    // Still able to read the genuine one after refusing a damaged copy.
    initiator.readAck(ack);
    expect(bytesToHex(initiator.secrets().mac)).toBe(bytesToHex(recipient.secrets().mac));
  });
});

describe('handshakePacketSize', () => {
  it('returns prefix + 2 within [ECIES_OVERHEAD, 2048]', () => {
    expect(handshakePacketSize(sizePrefix(ECIES_OVERHEAD))).toBe(ECIES_OVERHEAD + 2);
    expect(handshakePacketSize(sizePrefix(MAX_HANDSHAKE_PACKET))).toBe(MAX_HANDSHAKE_PACKET + 2);
    expect(handshakePacketSize(Uint8Array.of(0x01, 0xb3, 0xff))).toBe(0x1b3 + 2); // only the prefix is read
  });

  it('rejects a prefix above 2048 with HandshakeError', () => {
    for (const size of [MAX_HANDSHAKE_PACKET + 1, 4096, 0xffff]) {
      expect(() => handshakePacketSize(sizePrefix(size)), `${size}`).toThrow(HandshakeError);
    }
  });

  it('rejects a prefix below ECIES_OVERHEAD with HandshakeError', () => {
    for (const size of [0, 1, ECIES_OVERHEAD - 1]) {
      expect(() => handshakePacketSize(sizePrefix(size)), `${size}`).toThrow(HandshakeError);
    }
  });
});

describe('openAuth rejects with HandshakeError', () => {
  const b = generatePrivateKey();
  const pubB = publicKeyOf(b);
  const a = generatePrivateKey();
  const auth = HandshakeState.initiator(pubB, { privateKey: a }).makeAuth();

  it('accepts the untouched packet (control)', () => {
    expect(bytesToHex(openAuth(b, auth).initiatorPublicKey)).toBe(bytesToHex(publicKeyOf(a)));
  });

  it('a changed size prefix', () => {
    for (const bad of [flipBit(auth, 0), flipBit(auth, 1), flipBit(auth, 1, 4)]) {
      expect(() => openAuth(b, bad)).toThrow(HandshakeError);
    }
  });

  it('a size prefix that matches the length but was not the ECIES shared-MAC data', () => {
    // The prefix is authenticated: the same body sealed under other MAC data is refused.
    const plain = concatBytes(RLP.encode([new Uint8Array(65), publicKeyOf(a), new Uint8Array(32), 4]), padding());
    const prefix = sizePrefix(plain.length + ECIES_OVERHEAD);
    const otherMacData = Uint8Array.of(prefix[0]!, prefix[1]! ^ 1);
    const packet = sealRaw(pubB, plain, otherMacData);
    expect(handshakePacketSize(packet)).toBe(packet.length);
    expect(() => openAuth(b, packet)).toThrow(HandshakeError);
    expect(() => openAuth(b, sealRaw(pubB, plain, new Uint8Array(0)))).toThrow(HandshakeError);
  });

  it('a damaged ephemeral key (wrong prefix byte, off-curve point, all zeros)', () => {
    expect(() => openAuth(b, flipBit(auth, POINT, 1))).toThrow(HandshakeError);
    expect(() => openAuth(b, flipBit(auth, POINT + 64))).toThrow(HandshakeError); // y changed
    expect(() => openAuth(b, flipBit(auth, POINT + 1))).toThrow(HandshakeError); // x changed
    const zeros = new Uint8Array(auth);
    zeros.fill(0, POINT + 1, POINT + 65);
    expect(() => openAuth(b, zeros)).toThrow(HandshakeError);
    const xy11 = new Uint8Array(zeros);
    xy11[POINT + 32] = 1;
    xy11[POINT + 64] = 1;
    expect(() => openAuth(b, xy11)).toThrow(HandshakeError);
  });

  it('a flipped bit in the IV', () => {
    expect(() => openAuth(b, flipBit(auth, IV))).toThrow(HandshakeError);
    expect(() => openAuth(b, flipBit(auth, IV + 15, 7))).toThrow(HandshakeError);
  });

  it('a flipped bit in the ciphertext', () => {
    expect(() => openAuth(b, flipBit(auth, CT))).toThrow(HandshakeError);
    expect(() => openAuth(b, flipBit(auth, auth.length - TAG_SIZE - 1, 6))).toThrow(HandshakeError);
  });

  it('a flipped bit in the tag', () => {
    expect(() => openAuth(b, flipBit(auth, auth.length - TAG_SIZE))).toThrow(HandshakeError);
    expect(() => openAuth(b, flipBit(auth, auth.length - 1, 7))).toThrow(HandshakeError);
  });

  it('a packet whose length differs from its prefix', () => {
    expect(() => openAuth(b, auth.subarray(0, auth.length - 1))).toThrow(HandshakeError);
    expect(() => openAuth(b, concatBytes(auth, Uint8Array.of(0)))).toThrow(HandshakeError);
    expect(() => openAuth(b, auth.subarray(0, 2))).toThrow(HandshakeError);
    expect(() => openAuth(b, concatBytes(auth, auth))).toThrow(HandshakeError);
  });

  it('an auth decrypted with the wrong key', () => {
    expect(() => openAuth(a, auth)).toThrow(HandshakeError);
    expect(() => openAuth(generatePrivateKey(), auth)).toThrow(HandshakeError);
    expect(() => HandshakeState.recipient({ privateKey: generatePrivateKey() }).readAuth(auth)).toThrow(HandshakeError);
  });

  describe('an auth whose RLP body is wrong', () => {
    const sig = new Uint8Array(65).fill(1);
    const pub = publicKeyOf(a);
    const nonce = new Uint8Array(32).fill(2);
    const body = (list: unknown): Uint8Array =>
      concatBytes(RLP.encode(list as Parameters<typeof RLP.encode>[0]), padding());

    it('a well-formed hand-built body is accepted (control for sealRaw)', () => {
      const msg = openAuth(b, sealRaw(pubB, body([sig, pub, nonce, 4, 7])));
      expect(bytesToHex(msg.initiatorPublicKey)).toBe(bytesToHex(pub));
      expect(msg.version).toBe(4);
      expect(msg.rest.length).toBe(1);
    });

    it('a body that is not a list', () => {
      expect(() => openAuth(b, sealRaw(pubB, body(nonce)))).toThrow(HandshakeError);
      expect(() => openAuth(b, sealRaw(pubB, body(new Uint8Array(0))))).toThrow(HandshakeError);
    });

    it('a body that is not RLP at all', () => {
      // 0xf9 0xff 0xff announces a 65535-byte list that is not there.
      expect(() => openAuth(b, sealRaw(pubB, concatBytes(Uint8Array.of(0xf9, 0xff, 0xff), padding())))).toThrow(
        HandshakeError,
      );
      expect(() => openAuth(b, sealRaw(pubB, new Uint8Array(0)))).toThrow(HandshakeError);
    });

    it('a list with too few elements', () => {
      expect(() => openAuth(b, sealRaw(pubB, body([sig, pub, nonce])))).toThrow(HandshakeError);
      expect(() => openAuth(b, sealRaw(pubB, body([])))).toThrow(HandshakeError);
    });

    it('versions of 5 to 8 bytes are read, as geth reads a uint64, and ignored', () => {
      for (const n of [5, 6, 7, 8]) {
        const version = new Uint8Array(n).fill(0x7f);
        expect(() => openAuth(b, sealRaw(pubB, body([sig, pub, nonce, version]))), `${n} bytes`).not.toThrow();
      }
    });

    it('a list with wrong field sizes', () => {
      const cases: Array<[string, unknown[]]> = [
        ['signature 64 bytes', [sig.subarray(0, 64), pub, nonce, 4]],
        ['signature 66 bytes', [concatBytes(sig, Uint8Array.of(0)), pub, nonce, 4]],
        ['public key 65 bytes', [sig, concatBytes(Uint8Array.of(4), pub), nonce, 4]],
        ['public key 63 bytes', [sig, pub.subarray(1), nonce, 4]],
        ['nonce 31 bytes', [sig, pub, nonce.subarray(1), 4]],
        ['nonce 33 bytes', [sig, pub, concatBytes(nonce, Uint8Array.of(0)), 4]],
        ['signature is a list', [[sig], pub, nonce, 4]],
        ['version is a list', [sig, pub, nonce, [4]]],
        ['version is 9 bytes (geth reads a uint64)', [sig, pub, nonce, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])]],
        ['version has a leading zero', [sig, pub, nonce, Uint8Array.of(0, 4)]],
      ];
      for (const [name, list] of cases) {
        expect(() => openAuth(b, sealRaw(pubB, body(list))), name).toThrow(HandshakeError);
      }
    });

    it('a well-formed auth whose initiator key is off the curve or whose signature is bad (readAuth)', () => {
      const offCurve = flipBit(pub, 63);
      expect(() =>
        HandshakeState.recipient({ privateKey: b }).readAuth(sealRaw(pubB, body([sig, offCurve, nonce, 4]))),
      ).toThrow(HandshakeError);
      // An all-zero signature recovers no key.
      expect(() =>
        HandshakeState.recipient({ privateKey: b }).readAuth(sealRaw(pubB, body([new Uint8Array(65), pub, nonce, 4]))),
      ).toThrow(HandshakeError);
      // A real signature with recovery id 4 is out of range.
      const badV = new Uint8Array(sign(new Uint8Array(32).fill(9), generatePrivateKey()));
      badV[64] = 4;
      expect(() =>
        HandshakeState.recipient({ privateKey: b }).readAuth(sealRaw(pubB, body([badV, pub, nonce, 4]))),
      ).toThrow(HandshakeError);
      expect(isValidPublicKey(offCurve)).toBe(false);
    });
  });
});
