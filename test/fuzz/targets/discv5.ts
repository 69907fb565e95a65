/**
 * discv5: decodePacket (unmasking and header checks, then the auth-data of its flag) on the
 * spec's packets mutated and on random bytes; decodeMessage on round trips, RLP shapes and
 * mutations. Every rejection must be a V5PacketError; everything accepted must re-encode.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { hexToBytes } from '../../../src/crypto/bytes.js';
import { V5PacketError } from '../../../src/discovery/v5-errors.js';
import { decodeMessage, encodeMessage, type V5Message } from '../../../src/discovery/v5-message.js';
import { decodeHandshakeAuth, decodePacket, decodeWhoareyouAuth, FLAG_HANDSHAKE, FLAG_WHOAREYOU } from '../../../src/discovery/v5-packet.js';
import { bytes, mutate, mutationsArb, rlpList, type Mutation, type Rlp } from '../generators.js';
import { bigintSafe, check, describeError, expectTyped, fail, hexOf, timed, type TargetBody } from '../harness.js';
import { RLP } from '@ethereumjs/rlp';

const V = JSON.parse(readFileSync(new URL('../../../fixtures/discv5-wire-vectors.json', import.meta.url), 'utf8'));
const DEST = hexToBytes(V.destNodeId);
const PACKETS: Uint8Array[] = [V.pingMessage, V.whoareyou, V.pingHandshake, V.pingHandshakeWithEnr].map((v: { packet: string }) => hexToBytes(v.packet));

type PacketInput = { kind: 'spec'; which: number } | { kind: 'mutated'; which: number; mutations: Mutation[] } | { kind: 'bytes'; data: Uint8Array };

export function discv5PacketTarget(): TargetBody<PacketInput> {
  const which = fc.integer({ min: 0, max: PACKETS.length - 1 });
  const arbitrary: fc.Arbitrary<PacketInput> = fc.oneof(
    fc.record({ kind: fc.constant('spec' as const), which }),
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('mutated' as const), which, mutations: mutationsArb() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('bytes' as const), data: bytes(1400) }) },
  );
  return {
    kinds: ['spec', 'mutated', 'bytes'],
    arbitrary,
    check(input: PacketInput): void {
      const data = input.kind === 'bytes' ? input.data : input.kind === 'spec' ? PACKETS[input.which]! : mutate(PACKETS[input.which]!, input.mutations);
      const show = (): string => hexOf(data);
      const out = timed('discv5-packet', show, () => {
        const p = decodePacket(DEST, data);
        if (p.flag === FLAG_WHOAREYOU) decodeWhoareyouAuth(p.authdata);
        if (p.flag === FLAG_HANDSHAKE) decodeHandshakeAuth(p.authdata);
        return p;
      });
      if (!out.ok) {
        if (input.kind === 'spec') fail(`discv5-packet: spec packet rejected: ${describeError(out.error)}`, out.error);
        return expectTyped('discv5-packet', out.error, V5PacketError, show);
      }
      const p = out.value;
      check(data.length >= 63 && data.length <= 1280, () => `discv5-packet: accepted ${data.length} bytes; input ${show()}`);
      check(p.ad.length + p.message.length === data.length, () => `discv5-packet: header and message do not cover the packet; input ${show()}`);
      check(p.nonce.length === 12, () => `discv5-packet: nonce of ${p.nonce.length} bytes`);
    },
  };
}

type MessageInput = { kind: 'roundtrip'; message: V5Message } | { kind: 'shaped'; type: number; body: Rlp[] } | { kind: 'mutated'; which: number; mutations: Mutation[] };

const REQ_ID = fc.uint8Array({ maxLength: 8 });
const messageArb: fc.Arbitrary<V5Message> = fc.oneof(
  fc.record({ type: fc.constant('ping' as const), reqId: REQ_ID, enrSeq: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
  fc.record({ type: fc.constant('pong' as const), reqId: REQ_ID, enrSeq: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), ip: fc.ipV4(), port: fc.integer({ min: 0, max: 65535 }) }),
  fc.record({ type: fc.constant('findnode' as const), reqId: REQ_ID, distances: fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 5 }) }),
  fc.record({ type: fc.constant('talkreq' as const), reqId: REQ_ID, protocol: fc.uint8Array({ maxLength: 20 }), request: fc.uint8Array({ maxLength: 60 }) }),
  fc.record({ type: fc.constant('talkresp' as const), reqId: REQ_ID, response: fc.uint8Array({ maxLength: 60 }) }),
);
const SEEDS = [V.messages.ping.rlp, V.messages.pong.rlp, V.messages.nodesEmpty.rlp, V.messages.nodesTwo.rlp].map(hexToBytes);

export function discv5MessageTarget(): TargetBody<MessageInput> {
  const arbitrary: fc.Arbitrary<MessageInput> = fc.oneof(
    fc.record({ kind: fc.constant('roundtrip' as const), message: messageArb }),
    fc.record({ kind: fc.constant('shaped' as const), type: fc.integer({ min: 0, max: 9 }), body: rlpList }),
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('mutated' as const), which: fc.integer({ min: 0, max: SEEDS.length - 1 }), mutations: mutationsArb() }) },
  );
  return {
    kinds: ['roundtrip', 'shaped', 'mutated'],
    arbitrary,
    check(input: MessageInput): void {
      const pt =
        input.kind === 'roundtrip'
          ? encodeMessage(input.message)
          : input.kind === 'shaped'
            ? Uint8Array.from([input.type, ...RLP.encode(input.body as Uint8Array[])])
            : mutate(SEEDS[input.which]!, input.mutations);
      const show = (): string => hexOf(pt);
      const out = timed('discv5-message', show, () => decodeMessage(pt));
      if (!out.ok) {
        if (input.kind === 'roundtrip') fail(`discv5-message: encoded message rejected: ${describeError(out.error)}; ${JSON.stringify(input.message, bigintSafe)}`, out.error);
        return expectTyped('discv5-message', out.error, V5PacketError, show);
      }
      const m = out.value;
      check(m.reqId.length <= 8, () => `discv5-message: request id of ${m.reqId.length} bytes; input ${show()}`);
      if (input.kind === 'roundtrip') {
        check(JSON.stringify(m, bigintSafe) === JSON.stringify(input.message, bigintSafe), () => `discv5-message: round trip changed ${JSON.stringify(input.message, bigintSafe)}`);
      }
      // Whatever decodes re-encodes and decodes to the same message.
      const again = timed('discv5-message', show, () => decodeMessage(encodeMessage(m)));
      check(again.ok && JSON.stringify(again.value, bigintSafe) === JSON.stringify(m, bigintSafe), () => `discv5-message: re-encoding changed ${JSON.stringify(m, bigintSafe)}; input ${show()}`);
    },
  };
}
