/** hello: decodeHello, as an RLP payload target. */
import fc from 'fast-check';
import { RLP } from '@ethereumjs/rlp';
import { ProtocolError } from '../../../src/errors.js';
import { decodeHello, encodeHello, MAX_HELLO_SIZE, type Hello } from '../../../src/peer/hello.js';
import { BASE_PROTOCOL_MAX_MESSAGE_SIZE } from '../../../src/peer/p2p.js';
import { helloPayload } from '../fixtures.js';
import { exactBytes, rlpTree, shaped, slot, uint48, uintField, type Rlp } from '../generators.js';
import { check, same } from '../harness.js';
import { rlpPayloadTarget } from './rlp-payload.js';

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
/** What a string becomes after UTF-8 encoding and lenient decoding (lone surrogates → U+FFFD). */
const viaUtf8 = (s: string): string => fromUtf8.decode(utf8.encode(s));

const helloArb: fc.Arbitrary<Hello> = fc.record({
  version: fc.oneof(fc.integer({ min: 0, max: 10 }), uint48),
  clientId: fc.string({ unit: 'binary', maxLength: 60 }),
  capabilities: fc.array(
    fc.record({ name: fc.string({ unit: 'binary', maxLength: 8 }), version: fc.oneof(fc.integer({ min: 0, max: 100 }), uint48) }),
    { maxLength: 8 },
  ),
  listenPort: fc.oneof(fc.integer({ min: 0, max: 65535 }), uint48),
  nodeId: exactBytes(64),
});

/** A Hello, and extra list elements at the top level and in each capability (ignored by the decoder). */
interface HelloValue {
  hello: Hello;
  extra: Rlp[];
  capExtra: Rlp[];
}

const extraArb = fc.oneof({ weight: 3, arbitrary: fc.constant<Rlp[]>([]) }, fc.array(rlpTree, { maxLength: 2 }));
const capShape = slot(shaped([slot(fc.uint8Array({ maxLength: 10 })), slot(uintField(8))]));

export const helloTarget = rlpPayloadTarget<Hello, HelloValue, Rlp[]>({
  name: 'hello',
  decode: decodeHello,
  roundtrip: {
    weight: 2,
    arbitrary: fc.record({ hello: helloArb, extra: extraArb, capExtra: extraArb }),
    encode({ hello: h, extra, capExtra }) {
      if (extra.length === 0 && capExtra.length === 0) return encodeHello(h);
      // Extra elements at both levels: newer versions may add fields, which we must ignore.
      return RLP.encode([
        h.version,
        utf8.encode(h.clientId),
        h.capabilities.map((c) => [utf8.encode(c.name), c.version, ...capExtra]),
        h.listenPort,
        h.nodeId,
        ...extra,
      ]);
    },
    // Extra elements can push a valid Hello over the size limit; it may be refused then.
    mustAccept: (payload) => payload.length <= MAX_HELLO_SIZE,
    matches: (h, { hello: want }) =>
      h.version === want.version &&
      h.clientId === viaUtf8(want.clientId) &&
      h.listenPort === want.listenPort &&
      same(h.nodeId, want.nodeId) &&
      h.capabilities.length === want.capabilities.length &&
      h.capabilities.every((c, i) => c.name === viaUtf8(want.capabilities[i]!.name) && c.version === want.capabilities[i]!.version),
  },
  special: {
    kind: 'shaped',
    weight: 3,
    arbitrary: shaped([
      slot(uintField(8)),
      slot(fc.uint8Array({ maxLength: 40 })),
      slot(fc.array(capShape, { maxLength: 4 })),
      slot(uintField(8)),
      slot(fc.oneof({ weight: 4, arbitrary: exactBytes(64) }, fc.uint8Array({ maxLength: 70 }))),
    ]),
    payload: (list) => RLP.encode(list),
  },
  bytes: { weight: 2, max: BASE_PROTOCOL_MAX_MESSAGE_SIZE + 100 },
  rlpWeight: 1,
  mutated: { weight: 2, base: fc.constant(helloPayload), maxEdits: 4 },
  deepWeight: 1,
  refusal: { error: ProtocolError },
  accepted(h, payload, show) {
    check(payload.length <= MAX_HELLO_SIZE, () => `hello: accepted ${payload.length} bytes, above the limit`);
    check(h.nodeId instanceof Uint8Array && h.nodeId.length === 64, () => `hello: nodeId of ${h.nodeId.length} bytes; input ${show()}`);
    // uint64 as geth reads them (rounded above 2^53); listenPort is informational, 0 when unreadable.
    for (const n of [h.version, h.listenPort, ...h.capabilities.map((c) => c.version)]) {
      check(Number.isFinite(n) && n >= 0 && n <= 2 ** 64, () => `hello: integer ${n} out of range; input ${show()}`);
    }
    check(typeof h.clientId === 'string' && h.capabilities.every((c) => typeof c.name === 'string'), () => `hello: non-string text; input ${show()}`);
  },
});
