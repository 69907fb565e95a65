/**
 * snappy's one-literal fast paths (src/wire/snappy.ts) against the `snappy` package itself:
 *  - compress: what we send decodes, through the package, to the payload; below 17 bytes it is
 *    the package's own output byte for byte (snappy emits one literal there too);
 *  - decompress: on blocks built around one literal (every length encoding, canonical or not,
 *    a declared length, a literal length or a data length off by a little, trailing bytes,
 *    a second element), ours and the package's agree: the same bytes, or both refuse (ours
 *    with SnappyError).
 */
import fc from 'fast-check';
import { compressSync, uncompressSync } from 'snappy';
import { SnappyError } from '../../../src/errors.js';
import { concatBytes } from '../../../src/crypto/bytes.js';
import { LITERAL_MAX, MAX_DECODED_SIZE, snappyCompress, snappyDecompress } from '../../../src/wire/snappy.js';
import { check, describeError, expectTyped, fail, hexOf, same, timed, type TargetBody } from '../harness.js';

type LiteralInput =
  | { kind: 'compress'; data: Uint8Array }
  | {
      kind: 'literal';
      data: Uint8Array;
      /** Added to the true length in the preamble, and in the literal's length field. */
      declaredDelta: number;
      lengthDelta: number;
      /** Extra continuation bytes of the preamble varint (non-canonical), and of the length form. */
      preamblePad: number;
      lengthForm: number;
      tail: Uint8Array;
    };

function varint(n: number, pad: number): Uint8Array {
  const out: number[] = [];
  for (let v = n; ; v = Math.floor(v / 128)) {
    if (v < 128 && pad === 0) {
      out.push(v);
      return Uint8Array.from(out);
    }
    if (v < 128) pad--;
    out.push((v % 128) | 0x80);
  }
}

/** A literal tag for `len` bytes: form 0 is the shortest, 1..4 the 60..63 forms (1..4 length bytes). */
function literalTag(len: number, form: number): Uint8Array {
  const m = len - 1;
  if (m < 0) return Uint8Array.of(0); // a zero-length literal cannot be expressed: a tag of length 1
  if (form === 0 && m < 60) return Uint8Array.of(m << 2);
  let bytes = Math.max(form, 1);
  while (bytes < 4 && m >= 256 ** bytes) bytes++;
  const out = new Uint8Array(1 + bytes);
  out[0] = (59 + bytes) << 2;
  for (let i = 0, v = m; i < bytes; i++, v = Math.floor(v / 256)) out[1 + i] = v & 0xff;
  return out;
}

export function blockOf(input: Extract<LiteralInput, { kind: 'literal' }>): Uint8Array {
  const n = input.data.length;
  return concatBytes(
    varint(Math.max(0, n + input.declaredDelta), input.preamblePad),
    literalTag(Math.max(0, n + input.lengthDelta), input.lengthForm),
    input.data,
    input.tail,
  );
}

const library = (data: Uint8Array): Uint8Array | Error => {
  try {
    const out = uncompressSync(Buffer.from(data), { asBuffer: true }) as Buffer;
    return new Uint8Array(out);
  } catch (err) {
    return err as Error;
  }
};

export function snappyLiteralTarget(): TargetBody<LiteralInput> {
  const small = fc.oneof(fc.integer({ min: -2, max: 2 }), fc.constant(0), fc.constant(0));
  const arbitrary: fc.Arbitrary<LiteralInput> = fc.oneof(
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('compress' as const),
        data: fc.oneof(fc.uint8Array({ maxLength: LITERAL_MAX + 8 }), fc.uint8Array({ maxLength: 16 }).map((u) => new Uint8Array(u.length))),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('literal' as const),
        data: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 80 }), fc.uint8Array({ minLength: 1, maxLength: 1200 })),
        declaredDelta: small,
        lengthDelta: small,
        preamblePad: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 3 })),
        lengthForm: fc.integer({ min: 0, max: 4 }),
        tail: fc.oneof({ weight: 6, arbitrary: fc.constant(new Uint8Array(0)) }, fc.uint8Array({ minLength: 1, maxLength: 4 })),
      }),
    },
  );
  return {
    kinds: ['compress', 'literal'],
    arbitrary,
    check(input: LiteralInput): void {
      if (input.kind === 'compress') {
        const ours = snappyCompress(input.data);
        const back = library(ours);
        if (back instanceof Error) fail(`snappy-literal: the package cannot read our ${hexOf(ours)} of ${hexOf(input.data)}: ${describeError(back)}`);
        check(same(back, input.data), () => `snappy-literal: ${hexOf(ours)} decodes to ${hexOf(back)}, not ${hexOf(input.data)}`);
        if (input.data.length < 17) {
          const theirs = compressSync(Buffer.from(input.data));
          check(same(ours, theirs), () => `snappy-literal: ${hexOf(input.data)} compressed to ${hexOf(ours)}, the package gives ${hexOf(theirs)}`);
        }
        return;
      }
      const block = blockOf(input);
      const show = (): string => hexOf(block, 96);
      const ours = timed('snappy-literal', show, () => snappyDecompress(block, MAX_DECODED_SIZE));
      const theirs = library(block);
      if (theirs instanceof Error) {
        if (ours.ok) fail(`snappy-literal: we decoded ${hexOf(ours.value, 64)}, the package refuses (${theirs.message}); input ${show()}`);
        return expectTyped('snappy-literal', ours.error, SnappyError, show);
      }
      if (!ours.ok) fail(`snappy-literal: we refuse (${describeError(ours.error)}), the package decodes; input ${show()}`, ours.error);
      check(same(ours.value, theirs), () => `snappy-literal: we decoded ${hexOf(ours.value, 64)}, the package ${hexOf(theirs, 64)}; input ${show()}`);
    },
  };
}
