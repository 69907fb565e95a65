import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../src/crypto/bytes.js';
import { decompressPublicKey, ecdhCompressed, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { decodeEnr, encodeEnr } from '../../src/discovery/enr.js';
import { V5PacketError } from '../../src/discovery/v5-errors.js';
import { deriveKeys, idSign, idVerify, openMessage, sealMessage } from '../../src/discovery/v5-crypto.js';
import { handshakePacket, openHandshake, sealedPacket, whoareyouPacket } from '../../src/discovery/v5-handshake.js';
import { decodeMessage, encodeMessage, newRequestId } from '../../src/discovery/v5-message.js';
import {
  decodeHandshakeAuth,
  decodePacket,
  decodeWhoareyouAuth,
  FLAG_HANDSHAKE,
  FLAG_MESSAGE,
  FLAG_WHOAREYOU,
} from '../../src/discovery/v5-packet.js';

// The discv5 spec's wire test vectors (discv5-wire-test-vectors.md), copied as data.
const V = JSON.parse(readFileSync(new URL('../../fixtures/discv5-wire-vectors.json', import.meta.url), 'utf8'));
const h = hexToBytes;
const keyA = h(V.nodeAKey);
const keyB = h(V.nodeBKey);
const idA = h(V.srcNodeId);
const idB = h(V.destNodeId);
const zeroIv = new Uint8Array(16);

describe('discv5 crypto vectors', () => {
  it('node ids of the vector keys', () => {
    expect(bytesToHex(decodeEnr(encodeEnr({}, keyA).raw).nodeId)).toBe(V.srcNodeId);
    expect(bytesToHex(decodeEnr(encodeEnr({}, keyB).raw).nodeId)).toBe(V.destNodeId);
  });

  it('ECDH yields the compressed shared point', () => {
    const shared = ecdhCompressed(h(V.ecdh.secretKey), decompressPublicKey(h(V.ecdh.publicKey)));
    expect(bytesToHex(shared)).toBe(V.ecdh.sharedSecret);
  });

  it('key derivation', () => {
    const k = V.keyDerivation;
    const shared = ecdhCompressed(h(k.ephemeralKey), decompressPublicKey(h(k.destPubkey)));
    const keys = deriveKeys(shared, h(k.nodeIdA), h(k.nodeIdB), h(k.challengeData));
    expect(bytesToHex(keys.initiatorKey)).toBe(k.initiatorKey);
    expect(bytesToHex(keys.recipientKey)).toBe(k.recipientKey);
  });

  it('ID-nonce signature, and its verification both ways', () => {
    const s = V.idNonceSigning;
    const sig = idSign(h(s.staticKey), h(s.challengeData), h(s.ephemeralPubkey), h(s.nodeIdB));
    expect(bytesToHex(sig)).toBe(s.idSignature);
    const pub = publicKeyOf(h(s.staticKey));
    expect(idVerify(pub, sig, h(s.challengeData), h(s.ephemeralPubkey), h(s.nodeIdB))).toBe(true);
    expect(idVerify(pub, sig, h(s.challengeData), h(s.ephemeralPubkey), idA)).toBe(false);
  });

  it('AES-GCM seal and open', () => {
    const g = V.aesGcm;
    const ct = sealMessage(h(g.key), h(g.nonce), h(g.pt), h(g.ad));
    expect(bytesToHex(ct)).toBe(g.ciphertext);
    expect(bytesToHex(openMessage(h(g.key), h(g.nonce), ct, h(g.ad))!)).toBe(g.pt);
    const bad = ct.slice();
    bad[0]! ^= 1;
    expect(openMessage(h(g.key), h(g.nonce), bad, h(g.ad))).toBeUndefined();
  });
});

describe('discv5 packet vectors', () => {
  it('ping message packet: decodes, opens, and encodes to the same bytes', () => {
    const v = V.pingMessage;
    const p = decodePacket(idB, h(v.packet));
    expect(p.flag).toBe(FLAG_MESSAGE);
    expect(bytesToHex(p.authdata)).toBe(V.srcNodeId);
    expect(bytesToHex(p.nonce)).toBe(v.nonce);
    const pt = openMessage(h(v.readKey), p.nonce, p.message, p.ad)!;
    expect(decodeMessage(pt)).toEqual({ type: 'ping', reqId: h(v.reqId), enrSeq: 2n });
    const again = sealedPacket(idB, idA, h(v.readKey), pt, { iv: zeroIv, nonce: h(v.nonce) });
    expect(bytesToHex(again.packet)).toBe(v.packet);
  });

  it('WHOAREYOU packet', () => {
    const v = V.whoareyou;
    const p = decodePacket(idB, h(v.packet));
    expect(p.flag).toBe(FLAG_WHOAREYOU);
    expect(bytesToHex(p.nonce)).toBe(v.requestNonce);
    expect(decodeWhoareyouAuth(p.authdata)).toEqual({ idNonce: h(v.idNonce), enrSeq: 0n });
    expect(bytesToHex(p.ad)).toBe(v.challengeData);
    const built = whoareyouPacket(idB, h(v.requestNonce), 0n, { iv: zeroIv, idNonce: h(v.idNonce) });
    expect(bytesToHex(built.packet)).toBe(v.packet);
    expect(bytesToHex(built.challengeData)).toBe(v.challengeData);
  });

  for (const name of ['pingHandshake', 'pingHandshakeWithEnr'] as const) {
    it(`${name}: B opens it with the challenge; A's encoder makes the same bytes`, () => {
      const v = V[name];
      const p = decodePacket(idB, h(v.packet));
      expect(p.flag).toBe(FLAG_HANDSHAKE);
      const auth = decodeHandshakeAuth(p.authdata);
      expect(bytesToHex(auth.ephemeralPubkey)).toBe(v.ephemeralPubkey);
      // Without a record in the packet, B verifies the proof against A's record it already holds.
      const known = name === 'pingHandshake' ? encodeEnr({}, keyA) : undefined;
      const opened = openHandshake(p, keyB, idB, { challengeData: h(v.challengeData), ...(known ? { known } : {}) });
      expect(bytesToHex(opened.keys.initiatorKey)).toBe(v.readKey);
      expect(bytesToHex(opened.srcId)).toBe(V.srcNodeId);
      expect(decodeMessage(opened.pt)).toEqual({ type: 'ping', reqId: h(v.reqId), enrSeq: 1n });
      if (name === 'pingHandshakeWithEnr') {
        expect(opened.record && bytesToHex(opened.record.nodeId)).toBe(V.srcNodeId);
        const built = handshakePacket(
          { destId: idB, destPublicKey: publicKeyOf(keyB), srcId: idA, staticKey: keyA, challengeData: h(v.challengeData), record: auth.record!, pt: opened.pt },
          { iv: zeroIv, nonce: h(v.nonce), ephemeralKey: h(v.ephemeralKey) },
        );
        expect(bytesToHex(built.packet)).toBe(v.packet);
      } else {
        const built = handshakePacket(
          { destId: idB, destPublicKey: publicKeyOf(keyB), srcId: idA, staticKey: keyA, challengeData: h(v.challengeData), pt: opened.pt },
          { iv: zeroIv, nonce: h(v.nonce), ephemeralKey: h(v.ephemeralKey) },
        );
        expect(bytesToHex(built.packet)).toBe(v.packet);
      }
    });
  }

  it('a replayed or altered handshake does not open, and a packet for someone else does not decode', () => {
    const v = V.pingHandshake;
    const p = decodePacket(idB, h(v.packet));
    const wrongChallenge = h(v.challengeData).slice();
    wrongChallenge[20]! ^= 1;
    expect(() => openHandshake(p, keyB, idB, { challengeData: wrongChallenge, known: encodeEnr({}, keyA) })).toThrow(V5PacketError);
    expect(() => openHandshake(p, keyB, idB, { challengeData: h(v.challengeData) })).toThrow(/unknown node/);
    expect(() => decodePacket(idA, h(v.packet))).toThrow(V5PacketError);
  });

  it('rejects short, long, and truncated packets', () => {
    expect(() => decodePacket(idB, new Uint8Array(62))).toThrow(/under 63/);
    expect(() => decodePacket(idB, new Uint8Array(1281))).toThrow(/over 1280/);
    expect(() => decodePacket(idB, h(V.pingHandshake.packet).subarray(0, 100))).toThrow(V5PacketError);
  });
});

describe('discv5 message vectors', () => {
  const m = V.messages;
  it('PING, PONG and empty NODES encode as the spec says', () => {
    expect(bytesToHex(encodeMessage({ type: 'ping', reqId: h(m.ping.reqId), enrSeq: 1n }))).toBe(m.ping.rlp);
    expect(bytesToHex(encodeMessage({ type: 'pong', reqId: h(m.pong.reqId), enrSeq: 1n, ip: m.pong.ip, port: m.pong.port }))).toBe(m.pong.rlp);
    expect(bytesToHex(encodeMessage({ type: 'nodes', reqId: h(m.nodesEmpty.reqId), total: 1, records: [] }))).toBe(m.nodesEmpty.rlp);
    expect(decodeMessage(h(m.pong.rlp))).toEqual({ type: 'pong', reqId: h('01'), enrSeq: 1n, ip: '127.0.0.1', port: 5000 });
  });

  it('NODES with two records round-trips byte for byte', () => {
    const records = m.nodesTwo.enrs.map((t: string) => decodeEnr(t).raw);
    const enc = encodeMessage({ type: 'nodes', reqId: h('01'), total: 1, records });
    expect(bytesToHex(enc)).toBe(m.nodesTwo.rlp);
    const dec = decodeMessage(enc);
    expect(dec.type === 'nodes' && dec.records.map((b) => bytesToHex(b))).toEqual(records.map(bytesToHex));
  });

  it('FINDNODE, TALKREQ and TALKRESP round-trip; oversized request ids and junk are refused', () => {
    for (const msg of [
      { type: 'findnode' as const, reqId: h('0102030405060708'), distances: [0, 1, 255, 256] },
      { type: 'talkreq' as const, reqId: new Uint8Array(0), protocol: new TextEncoder().encode('test-protocol'), request: h('00ff') },
      { type: 'talkresp' as const, reqId: h('07'), response: new Uint8Array(0) },
    ]) {
      expect(decodeMessage(encodeMessage(msg))).toEqual(msg);
    }
    // A 9-byte request id (geth's PingLargeRequestID): c0 list with a 9-byte string and seq 1.
    expect(() => decodeMessage(h('01cb89000000000000000000' + '01'))).toThrow(/request id of 9 bytes/);
    expect(() => decodeMessage(h('09c20101'))).toThrow(/unknown message type/);
    expect(() => decodeMessage(h('01ff'))).toThrow(V5PacketError);
    expect(() => decodeMessage(h('01c3010101ff'))).toThrow(V5PacketError);
  });

  it('request ids are 8 random bytes whose first is never zero (an integer reading keeps all 8)', () => {
    const firsts = new Set<number>();
    const ids = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const id = newRequestId();
      expect(id.length).toBe(8);
      expect(id[0]).not.toBe(0);
      firsts.add(id[0]!);
      ids.add(bytesToHex(id));
    }
    // Still spread over every other first byte, and no repeats.
    expect(firsts.size).toBe(255);
    expect(ids.size).toBe(20_000);
  });
});
