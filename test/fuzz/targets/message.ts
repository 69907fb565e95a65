/** message: decodeMessage (code + snappy) on real, arbitrary and mutated bodies. */
import fc from 'fast-check';
import { ProtocolError, SnappyError } from '../../../src/errors.js';
import { decodeMessage, encodeCode, encodeMessage, type Message } from '../../../src/wire/message.js';
import { MAX_DECODED_SIZE } from '../../../src/wire/snappy.js';
import { REAL_BODIES } from '../fixtures.js';
import { bytes, codeArb, maxSizeArb, mutate, mutationsArb, type Mutation } from '../generators.js';
import { check, describeError, expectTyped, fail, hexOf, same, timed, type TargetBody } from '../harness.js';

/**
 * decodeMessage on `body`, with the checks every message shares: typed errors only (SnappyError
 * only when decompressing), a canonical code, a payload within maxSize, the raw payload being
 * the body's tail. `valid` bodies must decode to `want`.
 */
export function checkMessage(
  name: string,
  body: Uint8Array,
  decompress: boolean,
  maxSize: number,
  want?: { code: number; payload: Uint8Array },
): void {
  const show = (): string => `${hexOf(body)}, decompress ${decompress}, maxSize ${maxSize}`;
  const out = timed(name, show, () => decodeMessage(body, decompress, maxSize));
  if (!out.ok) {
    if (want) fail(`${name}: valid message rejected: ${describeError(out.error)}; input ${show()}`, out.error);
    if (decompress && out.error instanceof SnappyError) return;
    return expectTyped(name, out.error, ProtocolError, show);
  }
  const m: Message = out.value;
  check(Number.isSafeInteger(m.code) && m.code >= 0, () => `${name}: code ${m.code}`);
  const code = encodeCode(m.code);
  check(same(body.subarray(0, code.length), code), () => `${name}: accepted a non-canonical code; input ${show()}`);
  if (decompress) check(m.payload.length <= maxSize, () => `${name}: payload of ${m.payload.length} bytes above maxSize ${maxSize}; input ${show()}`);
  else check(same(m.payload, body.subarray(code.length)), () => `${name}: uncompressed payload is not the body's tail; input ${show()}`);
  if (want) check(m.code === want.code && same(m.payload, want.payload), () => `${name}: decoded message differs; input ${show()}`);
}

type MessageInput =
  | { kind: 'roundtrip'; code: number; payload: Uint8Array; compress: boolean }
  | { kind: 'bytes'; body: Uint8Array; decompress: boolean; maxSize: number }
  | { kind: 'mutated'; base: number; mutations: Mutation[]; decompress: boolean; maxSize: number };

export function messageTarget(): TargetBody<MessageInput> {
  const bases = REAL_BODIES.filter((b) => b.length > 0);
  const arbitrary: fc.Arbitrary<MessageInput> = fc.oneof(
    fc.record({ kind: fc.constant('roundtrip' as const), code: codeArb, payload: bytes(3000), compress: fc.boolean() }),
    fc.record({ kind: fc.constant('bytes' as const), body: bytes(600), decompress: fc.boolean(), maxSize: maxSizeArb }),
    fc.record({
      kind: fc.constant('mutated' as const),
      base: fc.integer({ min: 0, max: bases.length - 1 }),
      mutations: mutationsArb(3),
      decompress: fc.boolean(),
      maxSize: maxSizeArb,
    }),
  );
  return {
    kinds: ['roundtrip', 'bytes', 'mutated'],
    arbitrary,
    check(input: MessageInput): void {
      switch (input.kind) {
        case 'roundtrip': {
          const body = encodeMessage(input.code, input.payload, input.compress);
          return checkMessage('message', body, input.compress, MAX_DECODED_SIZE, { code: input.code, payload: input.payload });
        }
        case 'bytes':
          return checkMessage('message', input.body, input.decompress, input.maxSize);
        case 'mutated':
          return checkMessage('message', mutate(bases[input.base]!, input.mutations), input.decompress, input.maxSize);
      }
    },
  };
}
