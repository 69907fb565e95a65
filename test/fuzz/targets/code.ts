/** code: decodeCode, the RLP message code at the start of every frame body. */
import fc from 'fast-check';
import { ProtocolError } from '../../../src/errors.js';
import { concatBytes } from '../../../src/crypto/bytes.js';
import { decodeCode, encodeCode } from '../../../src/wire/message.js';
import { codeArb } from '../generators.js';
import { check, describeError, expectTyped, fail, hexOf, same, timed, type TargetBody } from '../harness.js';

type CodeInput = { kind: 'roundtrip'; code: number; tail: Uint8Array } | { kind: 'bytes'; body: Uint8Array };

export function codeTarget(): TargetBody<CodeInput> {
  const arbitrary: fc.Arbitrary<CodeInput> = fc.oneof(
    fc.record({ kind: fc.constant('roundtrip' as const), code: codeArb, tail: fc.uint8Array({ maxLength: 8 }) }),
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('bytes' as const), body: fc.uint8Array({ maxLength: 10, size: 'max' }) }) },
  );
  return {
    kinds: ['roundtrip', 'bytes'],
    arbitrary,
    check(input: CodeInput): void {
      const body = input.kind === 'roundtrip' ? concatBytes(encodeCode(input.code), input.tail) : input.body;
      const show = (): string => hexOf(body);
      const out = timed('code', show, () => decodeCode(body));
      if (!out.ok) {
        if (input.kind === 'roundtrip') fail(`code: encodeCode(${input.code}) rejected: ${describeError(out.error)}; input ${show()}`, out.error);
        return expectTyped('code', out.error, ProtocolError, show);
      }
      const { code, offset } = out.value;
      check(Number.isSafeInteger(code) && code >= 0 && offset >= 1 && offset <= body.length, () => `code: ${code} at ${offset}; input ${show()}`);
      // Only the canonical encoding of a code is accepted.
      check(same(body.subarray(0, offset), encodeCode(code)), () => `code: accepted a non-canonical encoding of ${code}; input ${show()}`);
      if (input.kind === 'roundtrip') check(code === input.code && offset === body.length - input.tail.length, () => `code: round trip of ${input.code} gave ${code}`);
    },
  };
}
