/** discv4: decodePacket on signed frames of shaped, arbitrary and mutated bodies, and raw datagrams. */
import fc from 'fast-check';
import { RLP } from '@ethereumjs/rlp';
import { concatBytes } from '../../../src/crypto/bytes.js';
import { keccak256 } from '../../../src/crypto/keccak.js';
import { sign } from '../../../src/crypto/secp256k1.js';
import { V4PacketError } from '../../../src/discovery/errors.js';
import { decodePacket, encodePacket, MAX_PACKET_SIZE, type V4Packet } from '../../../src/discovery/v4-packet.js';
import { keyA, pubA } from '../fixtures.js';
import { bytes, exactBytes, mutate, mutationsArb, rlpTree, shaped, slot, uintField, type Mutation, type Rlp } from '../generators.js';
import { bigintSafe, check, describeError, expectTyped, fail, hexOf, same, timed, type TargetBody } from '../harness.js';

type Discv4Input =
  | { kind: 'roundtrip'; packet: V4Packet }
  | { kind: 'shaped'; type: number; body: Rlp[]; trailer: Uint8Array }
  | { kind: 'mutated'; packet: V4Packet; mutations: Mutation[] }
  | { kind: 'bytes'; datagram: Uint8Array };

const port = fc.integer({ min: 0, max: 65535 });
const endpointArb = fc.record({ ip: fc.oneof(fc.ipV4(), fc.constant('::1'), fc.constant('2001:db8::7')), udp: port, tcp: port });
const expArb = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const seqArb = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const packetArb: fc.Arbitrary<V4Packet> = fc.oneof(
  fc.record({ kind: fc.constant('ping' as const), version: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), from: endpointArb, to: endpointArb, expiration: expArb, enrSeq: seqArb }, { requiredKeys: ['kind', 'version', 'from', 'to', 'expiration'] }),
  fc.record({ kind: fc.constant('pong' as const), to: endpointArb, replyToken: exactBytes(32), expiration: expArb, enrSeq: seqArb }, { requiredKeys: ['kind', 'to', 'replyToken', 'expiration'] }),
  fc.record({ kind: fc.constant('findnode' as const), target: exactBytes(64), expiration: expArb }),
  fc.record({ kind: fc.constant('neighbors' as const), nodes: fc.array(fc.record({ ip: fc.ipV4(), udp: port, tcp: port, publicKey: exactBytes(64) }), { maxLength: 12 }), expiration: expArb }),
  fc.record({ kind: fc.constant('enrRequest' as const), expiration: expArb }),
);

const endpointRlp = fc.tuple(fc.oneof(exactBytes(4), exactBytes(16), bytes(5)), uintField(2), uintField(2)).map((t) => [...t] as Rlp);
const SHAPES: Record<number, fc.Arbitrary<Rlp>[]> = {
  1: [uintField(8), slot(endpointRlp), slot(endpointRlp), uintField(8), uintField(8)],
  2: [slot(endpointRlp), slot(exactBytes(32)), uintField(8), uintField(8)],
  3: [slot(exactBytes(64)), uintField(8)],
  4: [slot(fc.array(slot(fc.tuple(exactBytes(4), uintField(2), uintField(2), exactBytes(64)).map((t) => [...t] as Rlp)), { maxLength: 4 })), uintField(8)],
  5: [uintField(8)],
  6: [slot(exactBytes(32)), rlpTree],
};

function frame(type: number, body: Uint8Array): Uint8Array {
  const typed = concatBytes(Uint8Array.of(type), body);
  const sig = sign(keccak256(typed), keyA);
  return concatBytes(keccak256(sig, typed), sig, typed);
}

export function discv4Target(): TargetBody<Discv4Input> {
  const arbitrary: fc.Arbitrary<Discv4Input> = fc.oneof(
    fc.record({ kind: fc.constant('roundtrip' as const), packet: packetArb }),
    {
      weight: 3,
      arbitrary: fc
        .integer({ min: 0, max: 7 })
        .chain((type) => fc.record({ kind: fc.constant('shaped' as const), type: fc.constant(type), body: SHAPES[type] ? shaped(SHAPES[type]!) : fc.array(rlpTree, { maxLength: 4 }), trailer: bytes(4) })),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('mutated' as const), packet: packetArb, mutations: mutationsArb() }) },
    fc.record({ kind: fc.constant('bytes' as const), datagram: bytes(1400) }),
  );
  return {
    kinds: ['roundtrip', 'shaped', 'mutated', 'bytes'],
    arbitrary,
    check(input: Discv4Input): void {
      let datagram: Uint8Array;
      if (input.kind === 'roundtrip') datagram = encodePacket(input.packet, keyA).bytes;
      else if (input.kind === 'mutated') datagram = mutate(encodePacket(input.packet, keyA).bytes, input.mutations);
      else if (input.kind === 'shaped') datagram = frame(input.type, concatBytes(RLP.encode(input.body as Uint8Array[]), input.trailer));
      else datagram = input.datagram;
      const show = (): string => hexOf(datagram);
      const out = timed('discv4', show, () => decodePacket(datagram));
      if (!out.ok) {
        if (input.kind === 'roundtrip') fail(`discv4: encoded packet rejected: ${describeError(out.error)}; input ${show()}`, out.error);
        return expectTyped('discv4', out.error, V4PacketError, show);
      }
      const d = out.value;
      check(datagram.length <= MAX_PACKET_SIZE, () => `discv4: accepted ${datagram.length} bytes; input ${show()}`);
      check(d.hash.length === 32 && same(d.hash, datagram.subarray(0, 32)) && d.publicKey.length === 64, () => `discv4: bad hash or key; input ${show()}`);
      // Whatever decodes encodes again (by our key) to a packet that decodes to the same value.
      const again = timed('discv4', show, () => decodePacket(encodePacket(d.packet, keyA).bytes));
      check(again.ok, () => `discv4: ${JSON.stringify(d.packet, bigintSafe)} does not re-encode; input ${show()}`);
      if (again.ok && d.packet.kind !== 'enrResponse') {
        check(JSON.stringify(again.value.packet, bigintSafe) === JSON.stringify(d.packet, bigintSafe), () => `discv4: re-encoding changed ${JSON.stringify(d.packet, bigintSafe)}; input ${show()}`);
      }
      if (input.kind === 'roundtrip') {
        check(same(d.publicKey, pubA), () => `discv4: wrong sender recovered; input ${show()}`);
        check(JSON.stringify(d.packet, bigintSafe) === JSON.stringify(input.packet, bigintSafe), () => `discv4: round trip differs: ${JSON.stringify(d.packet, bigintSafe)}; input ${show()}`);
      }
    },
  };
}
