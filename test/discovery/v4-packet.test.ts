import { describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes, hexToBytes } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { generatePrivateKey, publicKeyOf, sign } from '../../src/crypto/secp256k1.js';
import { encodeEnr } from '../../src/discovery/enr.js';
import { V4PacketError } from '../../src/discovery/errors.js';
import {
  decodePacket,
  encodeNeighbors,
  encodePacket,
  expirationFromNow,
  isExpired,
  MAX_PACKET_SIZE,
  type NeighborRecord,
  type V4Packet,
} from '../../src/discovery/v4-packet.js';
import { flipBit } from '../helpers/bytes.js';

/** EIP-8 discv4 vectors (devp2p discv4.md, go-ethereum v4wire_test.go), signed by this key. */
const VECTOR_KEY = hexToBytes('b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291');
const V = {
  ping: '71dbda3a79554728d4f94411e42ee1f8b0d561c10e1e5f5893367948c6a7d70bb87b235fa28a77070271b6c164a2dce8c7e13a5739b53b5e96f2e5acb0e458a02902f5965d55ecbeb2ebb6cabb8b2b232896a36b737666c55265ad0a68412f250001ea04cb847f000001820cfa8215a8d790000000000000000000000000000000018208ae820d058443b9a355',
  pingExtra:
    'e9614ccfd9fc3e74360018522d30e1419a143407ffcce748de3e22116b7e8dc92ff74788c0b6663aaa3d67d641936511c8f8d6ad8698b820a7cf9e1be7155e9a241f556658c55428ec0563514365799a4be2be5a685a80971ddcfa80cb422cdd0101ec04cb847f000001820cfa8215a8d790000000000000000000000000000000018208ae820d058443b9a3550102',
  findnode:
    'c7c44041b9f7c7e41934417ebac9a8e1a4c6298f74553f2fcfdcae6ed6fe53163eb3d2b52e39fe91831b8a927bf4fc222c3902202027e5e9eb812195f95d20061ef5cd31d502e47ecb61183f74a504fe04c51e73df81f25c4d506b26db4517490103f84eb840ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd31387574077f301b421bc84df7266c44e9e6d569fc56be00812904767bf5ccd1fc7f8443b9a35582999983999999280dc62cc8255c73471e0a61da0c89acdc0e035e260add7fc0c04ad9ebf3919644c91cb247affc82b69bd2ca235c71eab8e49737c937a2c396',
  neighbors:
    'c679fc8fe0b8b12f06577f2e802d34f6fa257e6137a995f6f4cbfc9ee50ed3710faf6e66f932c4c8d81d64343f429651328758b47d3dbc02c4042f0fff6946a50f4a49037a72bb550f3a7872363a83e1b9ee6469856c24eb4ef80b7535bcf99c0004f9015bf90150f84d846321163782115c82115db8403155e1427f85f10a5c9a7755877748041af1bcd8d474ec065eb33df57a97babf54bfd2103575fa829115d224c523596b401065a97f74010610fce76382c0bf32f84984010203040101b840312c55512422cf9b8a4097e9a6ad79402e87a15ae909a4bfefa22398f03d20951933beea1e4dfa6f968212385e829f04c2d314fc2d4e255e0d3bc08792b069dbf8599020010db83c4d001500000000abcdef12820d05820d05b84038643200b172dcfef857492156971f0e6aa2c538d8b74010f8e140811d53b98c765dd2d96126051913f44582e8c199ad7c6d6819e9a56483f637feaac9448aacf8599020010db885a308d313198a2e037073488203e78203e8b8408dcab8618c3253b558d459da53bd8fa68935a719aff8b811197101a4b2b47dd2d47295286fc00cc081bb542d760717d1bdd6bec2c37cd72eca367d6dd3b9df738443b9a355010203b525a138aa34383fec3d2719a0',
};
const EXP = 1136239445;

describe('discv4 packets: EIP-8 vectors', () => {
  const sender = publicKeyOf(VECTOR_KEY);

  it('PING (version 4, IPv6 to)', () => {
    const d = decodePacket(hexToBytes(V.ping));
    expect(d.publicKey).toEqual(sender);
    expect(d.packet).toEqual({ kind: 'ping', version: 4n, from: { ip: '127.0.0.1', udp: 3322, tcp: 5544 }, to: { ip: '::1', udp: 2222, tcp: 3333 }, expiration: EXP });
  });

  it('PING with enr-seq and an extra field', () => {
    const d = decodePacket(hexToBytes(V.pingExtra));
    expect(d.packet).toMatchObject({ kind: 'ping', version: 4n, expiration: EXP, enrSeq: 1n, rest: [Uint8Array.of(2)] });
  });

  it('FINDNODE with extra fields and data after the body', () => {
    const d = decodePacket(hexToBytes(V.findnode));
    expect(d.packet.kind).toBe('findnode');
    if (d.packet.kind !== 'findnode') return;
    expect(bytesToHex(d.packet.target)).toBe('ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd31387574077f301b421bc84df7266c44e9e6d569fc56be00812904767bf5ccd1fc7f');
    expect(d.packet.expiration).toBe(EXP);
    expect(d.packet.rest).toEqual([hexToBytes('9999'), hexToBytes('999999')]);
  });

  it('NEIGHBORS with IPv4 and IPv6 nodes', () => {
    const d = decodePacket(hexToBytes(V.neighbors));
    expect(d.publicKey).toEqual(sender);
    if (d.packet.kind !== 'neighbors') throw new Error('not neighbors');
    expect(d.packet.nodes.map(({ ip, udp, tcp }) => ({ ip, udp, tcp }))).toEqual([
      { ip: '99.33.22.55', udp: 4444, tcp: 4445 },
      { ip: '1.2.3.4', udp: 1, tcp: 1 },
      { ip: '2001:db8:3c4d:15::abcd:ef12', udp: 3333, tcp: 3333 },
      { ip: '2001:db8:85a3:8d3:1319:8a2e:370:7348', udp: 999, tcp: 1000 },
    ]);
    expect(bytesToHex(d.packet.nodes[0]!.publicKey)).toBe('3155e1427f85f10a5c9a7755877748041af1bcd8d474ec065eb33df57a97babf54bfd2103575fa829115d224c523596b401065a97f74010610fce76382c0bf32');
    expect(d.packet.rest).toEqual([Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)]);
  });

  it('re-encodes the vectors field for field', () => {
    for (const hex of Object.values(V)) {
      const { packet } = decodePacket(hexToBytes(hex));
      const again = decodePacket(encodePacket(packet, VECTOR_KEY).bytes);
      expect(again.packet).toEqual(packet);
      expect(again.publicKey).toEqual(sender);
    }
  });
});

describe('discv4 packets: checks', () => {
  const key = generatePrivateKey();
  const ping: V4Packet = { kind: 'ping', version: 4n, from: { ip: '127.0.0.1', udp: 30303, tcp: 30303 }, to: { ip: '127.0.0.2', udp: 30304, tcp: 0 }, expiration: expirationFromNow(), enrSeq: 7n };

  it('sizes match geth: PING 136, FINDNODE 171, ENRREQUEST 104, NEIGHBORS of 12 IPv4 nodes 1057', () => {
    const exp = 0xffffffff;
    expect(encodePacket({ ...ping, from: { ip: '255.255.255.255', udp: 65535, tcp: 65535 }, to: { ip: '255.255.255.255', udp: 65535, tcp: 65535 }, expiration: exp, enrSeq: 0xffffffffn }, key).bytes.length).toBeLessThanOrEqual(136 + 4);
    expect(encodePacket({ kind: 'findnode', target: new Uint8Array(64).fill(0xff), expiration: exp }, key).bytes.length).toBe(171);
    expect(encodePacket({ kind: 'enrRequest', expiration: exp }, key).bytes.length).toBe(104);
    const node: NeighborRecord = { ip: '255.255.255.255', udp: 65535, tcp: 65535, publicKey: new Uint8Array(64).fill(0xff) };
    expect(encodePacket({ kind: 'neighbors', nodes: Array(12).fill(node), expiration: exp }, key).bytes.length).toBe(1057);
    expect(() => encodePacket({ kind: 'neighbors', nodes: Array(16).fill(node), expiration: exp }, key)).toThrow(RangeError);
  });

  it('splits NEIGHBORS in packets of 12, each under 1280 bytes (worst case IPv6), and sends one for none', () => {
    const node: NeighborRecord = { ip: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', udp: 65535, tcp: 65535, publicKey: new Uint8Array(64).fill(0xff) };
    const packets = encodeNeighbors(Array(16).fill(node), 2 ** 32 - 1, key);
    expect(packets.map((p) => p.length).every((n) => n <= MAX_PACKET_SIZE)).toBe(true);
    expect(packets.map((p) => (decodePacket(p).packet as { nodes: unknown[] }).nodes.length)).toEqual([12, 4]);
    expect(encodeNeighbors([], 1, key).map((p) => (decodePacket(p).packet as { nodes: unknown[] }).nodes.length)).toEqual([0]);
  });

  it('round-trips every kind and recovers the sender; hash is the frame hash', () => {
    const enr = encodeEnr({ ip: '127.0.0.1', udp: 30303, tcp: 30303, seq: 3 }, key);
    const packets: V4Packet[] = [
      ping,
      { kind: 'pong', to: { ip: '127.0.0.1', udp: 1, tcp: 0 }, replyToken: new Uint8Array(32).fill(1), expiration: expirationFromNow(), enrSeq: 3n },
      { kind: 'findnode', target: publicKeyOf(key), expiration: expirationFromNow() },
      { kind: 'enrRequest', expiration: expirationFromNow() },
      { kind: 'enrResponse', replyToken: new Uint8Array(32).fill(2), enr },
    ];
    for (const p of packets) {
      const e = encodePacket(p, key);
      const d = decodePacket(e.bytes);
      expect(d.hash).toEqual(e.hash);
      expect(d.publicKey).toEqual(publicKeyOf(key));
      if (p.kind === 'enrResponse') expect((d.packet as { enr: typeof enr }).enr.raw).toEqual(enr.raw);
      else expect(d.packet).toEqual(p);
    }
  });

  const kindOf = (bytes: Uint8Array): string => {
    try {
      decodePacket(bytes);
      return 'ok';
    } catch (err) {
      expect(err).toBeInstanceOf(V4PacketError);
      return (err as V4PacketError).kind;
    }
  };

  it('refuses bad hashes, bad signatures, unknown types, bad bodies and oversized datagrams', () => {
    const good = encodePacket(ping, key).bytes;
    expect(kindOf(good)).toBe('ok');
    expect(kindOf(flipBit(good, 0))).toBe('bad-hash');
    expect(kindOf(flipBit(good, 120))).toBe('bad-hash');
    expect(kindOf(good.subarray(0, 97))).toBe('too-small');
    expect(kindOf(new Uint8Array(1281))).toBe('too-large');
    // Re-hash damaged contents so only the later checks can catch them.
    const rehash = (b: Uint8Array): Uint8Array => {
      const out = new Uint8Array(b);
      out.set(keccak256(out.subarray(32)), 0);
      return out;
    };
    const badSig = new Uint8Array(good);
    badSig[32 + 64] = 9; // recovery id out of range
    expect(kindOf(rehash(badSig))).toBe('bad-signature');
    const badType = new Uint8Array(good);
    badType[97] = 9;
    expect(kindOf(rehash(badType))).toBe('unknown-type');
    // A well-signed frame around an arbitrary body.
    const signedBody = (type: number, body: Uint8Array): Uint8Array => resign(type, body, key);
    expect(kindOf(signedBody(1, Uint8Array.of(0x80)))).toBe('malformed'); // not a list
    expect(kindOf(signedBody(3, Uint8Array.of(0xc2, 0x80, 0x80)))).toBe('malformed'); // short target
    expect(kindOf(signedBody(1, Uint8Array.of(0xc1)))).toBe('malformed'); // truncated RLP
  });

  it('expiration: a past time, and 2^64 - t (negative as int64), are expired', () => {
    expect(isExpired(expirationFromNow())).toBe(false);
    expect(isExpired(Math.floor(Date.now() / 1000) - 1)).toBe(true);
    const wrapped = encodePacket({ kind: 'enrRequest', expiration: -expirationFromNow() }, key).bytes;
    const d = decodePacket(wrapped).packet as { expiration: number };
    expect(isExpired(d.expiration)).toBe(true);
  });
});

function resign(type: number, body: Uint8Array, key: Uint8Array): Uint8Array {
  const typed = concatBytes(Uint8Array.of(type), body);
  const sig = sign(keccak256(typed), key);
  return concatBytes(keccak256(sig, typed), sig, typed);
}
