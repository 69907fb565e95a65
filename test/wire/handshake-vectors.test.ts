import { describe, expect, it } from 'vitest';
import { RLP } from '@ethereumjs/rlp';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { keccakBackend } from '../../src/crypto/keccak.js';
import { publicKeyOf, secp256k1Backend } from '../../src/crypto/secp256k1.js';
import { deriveSecrets, HandshakeState, openAck, openAuth } from '../../src/wire/handshake.js';
import { hex, vectors } from '../helpers/vectors.js';

const k = vectors.keys;

describe(`EIP-8 vectors (keccak: ${keccakBackend}, secp256k1: ${secp256k1Backend})`, () => {
  it('runs on the backend this project asked for', () => {
    const noble = process.env['RLPX_CRYPTO'] === 'noble';
    expect(keccakBackend).toBe(noble ? 'noble' : 'native');
    expect(secp256k1Backend).toBe(noble ? 'noble' : 'libsecp256k1');
  });

  for (const [name, v] of Object.entries(vectors.auth)) {
    it(`decodes ${name} with keyB`, () => {
      const auth = openAuth(hex(k.keyB), hex(v.packet));
      expect(bytesToHex(auth.signature)).toBe(k.authSignature);
      expect(bytesToHex(auth.initiatorPublicKey)).toBe(bytesToHex(publicKeyOf(hex(k.keyA))));
      expect(bytesToHex(auth.nonce)).toBe(k.nonceA);
      expect(auth.version).toBe(v.version);
      expect(auth.rest.map((r) => bytesToHex(RLP.encode(r as Uint8Array)))).toEqual(v.rest);
    });
  }

  for (const [name, v] of Object.entries(vectors.ack)) {
    it(`decodes ${name} with keyA`, () => {
      const ack = openAck(hex(k.keyA), hex(v.packet));
      expect(bytesToHex(ack.ephemeralPublicKey)).toBe(bytesToHex(publicKeyOf(hex(k.ephB))));
      expect(bytesToHex(ack.nonce)).toBe(k.nonceB);
      expect(ack.version).toBe(v.version);
      expect(ack.rest.map((r) => bytesToHex(RLP.encode(r as Uint8Array)))).toEqual(v.rest);
    });
  }

  it('derives the (Auth2, Ack2) secrets on the recipient side', () => {
    const authPacket = hex(vectors.auth.Auth2.packet);
    const ackPacket = hex(vectors.ack.Ack2.packet);
    const hs = HandshakeState.recipient({ privateKey: hex(k.keyB), ephemeralKey: hex(k.ephB), nonce: hex(k.nonceB) });
    hs.readAuth(authPacket);
    // The signature proves the initiator's ephemeral key.
    expect(bytesToHex(hs.remoteEphemeralKey!)).toBe(bytesToHex(publicKeyOf(hex(k.ephA))));
    expect(bytesToHex(hs.remotePublicKey!)).toBe(bytesToHex(publicKeyOf(hex(k.keyA))));

    const s = deriveSecrets({
      initiator: false,
      ephemeralKey: hex(k.ephB),
      remoteEphemeral: hs.remoteEphemeralKey!,
      nonce: hex(k.nonceB),
      remoteNonce: hex(k.nonceA),
      authPacket,
      ackPacket,
      remotePublicKey: hs.remotePublicKey!,
    });
    expect(bytesToHex(s.aes)).toBe(vectors.secrets.wantAES);
    expect(bytesToHex(s.mac)).toBe(vectors.secrets.wantMAC);
    s.ingressMac.update(new TextEncoder().encode('foo'));
    expect(bytesToHex(s.ingressMac.sum())).toBe(vectors.secrets.wantFooIngressHash);
  });

  it('derives the same secrets on the initiator side from the same packets', () => {
    const authPacket = hex(vectors.auth.Auth2.packet);
    const ackPacket = hex(vectors.ack.Ack2.packet);
    const s = deriveSecrets({
      initiator: true,
      ephemeralKey: hex(k.ephA),
      remoteEphemeral: publicKeyOf(hex(k.ephB)),
      nonce: hex(k.nonceA),
      remoteNonce: hex(k.nonceB),
      authPacket,
      ackPacket,
      remotePublicKey: publicKeyOf(hex(k.keyB)),
    });
    expect(bytesToHex(s.aes)).toBe(vectors.secrets.wantAES);
    expect(bytesToHex(s.mac)).toBe(vectors.secrets.wantMAC);
    // The initiator's egress MAC is the recipient's ingress MAC.
    s.egressMac.update(new TextEncoder().encode('foo'));
    expect(bytesToHex(s.egressMac.sum())).toBe(vectors.secrets.wantFooIngressHash);
  });
});
