/** frame: FrameReader fed in arbitrary chunks; FrameSealer → FrameReader round trips. */
import fc from 'fast-check';
import { FrameError } from '../../../src/errors.js';
import { concatBytes } from '../../../src/crypto/bytes.js';
import { FrameReader, FrameSealer, frameWireSize, HEADER_BLOCK_SIZE, MAX_FRAME_SIZE } from '../../../src/wire/frame.js';
import { seededBytes } from '../../helpers/bytes.js';
import { freshSessionSecrets, REAL_BODIES, REAL_STREAM } from '../fixtures.js';
import { bytes, mutate, mutationsArb, type Mutation } from '../generators.js';
import { check, describeError, expectTyped, fail, hexOf, same, timed, type TargetBody } from '../harness.js';

/** How a stream is cut into socket chunks: sizes used in turn, or all in one chunk. */
const chunkingArb = fc.oneof(
  fc.constant([] as number[]),
  fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
  fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 4 }),
);
const maxFrameArb = fc.oneof({ weight: 3, arbitrary: fc.constant(MAX_FRAME_SIZE) }, fc.integer({ min: 0, max: 4096 }));

type FrameInput =
  | { kind: 'roundtrip'; bodies: Uint8Array[]; chunks: number[] }
  | { kind: 'bytes'; wire: Uint8Array; chunks: number[]; maxFrameSize: number }
  | { kind: 'mutated'; mutations: Mutation[]; chunks: number[]; maxFrameSize: number }
  | { kind: 'oversize'; size: number; seed: number; maxFrameSize: number };

function chunked(wire: Uint8Array, chunks: readonly number[]): Uint8Array[] {
  if (chunks.length === 0) return [wire];
  const out: Uint8Array[] = [];
  for (let at = 0, i = 0; at < wire.length; i++) {
    const n = chunks[i % chunks.length]!;
    out.push(wire.subarray(at, at + n));
    at += n;
  }
  return out;
}

/**
 * Push `wire` in chunks, draining after each push. Checks: every call within budget, any
 * error a FrameError that sticks (rethrown, buffer dropped), `buffered` never above what was
 * pushed and not consumed, and after a drain below one maximal frame. On a `valid` stream it
 * is exact: after a drain, a pending frame's verified header is consumed and nothing else.
 * Returns the bodies read and the error, if any.
 */
function feedReader(reader: FrameReader, wire: Uint8Array, chunks: readonly number[], maxFrameSize: number, show: () => string, valid = false) {
  const bodies: Uint8Array[] = [];
  let pushed = 0;
  let consumed = 0;
  const drainBound = Math.max(HEADER_BLOCK_SIZE, frameWireSize(maxFrameSize) - HEADER_BLOCK_SIZE);
  for (const chunk of chunked(wire, chunks)) {
    const pushedOk = timed('frame push', show, () => reader.push(chunk));
    if (!pushedOk.ok) fail(`frame: push threw ${describeError(pushedOk.error)}; input ${show()}`, pushedOk.error);
    pushed += chunk.length;
    check(reader.buffered <= pushed - consumed, () => `frame: buffered ${reader.buffered} > ${pushed - consumed} pushed and unread; input ${show()}`);
    for (;;) {
      const out = timed('frame read', show, () => reader.read());
      if (!out.ok) {
        expectTyped('frame read', out.error, FrameError, show);
        check(reader.buffered === 0, () => `frame: ${reader.buffered} bytes still buffered after ${describeError(out.error)}`);
        const again = timed('frame read', show, () => reader.read());
        check(!again.ok && again.error === out.error, () => `frame: a failed reader did not rethrow its error; input ${show()}`);
        return { bodies, error: out.error as FrameError };
      }
      if (out.value === undefined) break;
      const body = out.value;
      check(body.length <= maxFrameSize, () => `frame: body of ${body.length} bytes above the ${maxFrameSize}-byte limit`);
      bodies.push(body);
      consumed += frameWireSize(body.length);
      check(reader.buffered <= pushed - consumed, () => `frame: buffered ${reader.buffered} > ${pushed - consumed} unread; input ${show()}`);
    }
    check(reader.buffered < drainBound, () => `frame: ${reader.buffered} bytes buffered after a drain, bound ${drainBound}; input ${show()}`);
    if (valid) {
      const unread = pushed - consumed;
      const want = unread >= HEADER_BLOCK_SIZE ? unread - HEADER_BLOCK_SIZE : unread;
      check(reader.buffered === want, () => `frame: buffered ${reader.buffered}, want ${want} with ${unread} bytes unread; input ${show()}`);
    }
  }
  return { bodies, error: undefined };
}

export function frameTarget(): TargetBody<FrameInput> {
  const arbitrary: fc.Arbitrary<FrameInput> = fc.oneof(
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('roundtrip' as const),
        bodies: fc.array(
          fc.oneof(
            { weight: 15, arbitrary: bytes(2048) },
            { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 20_000 }), fc.integer()).map(([n, s]) => seededBytes(n, s)) },
          ),
          { maxLength: 5 },
        ),
        chunks: chunkingArb,
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('bytes' as const), wire: bytes(4096), chunks: chunkingArb, maxFrameSize: maxFrameArb }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('mutated' as const), mutations: mutationsArb(3), chunks: chunkingArb, maxFrameSize: maxFrameArb }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('oversize' as const),
        size: fc.integer({ min: 0, max: 4096 }),
        seed: fc.integer(),
        maxFrameSize: fc.integer({ min: 0, max: 4096 }),
      }),
    },
  );
  return {
    kinds: ['roundtrip', 'bytes', 'mutated', 'oversize'],
    arbitrary,
    check(input: FrameInput): void {
      switch (input.kind) {
        case 'roundtrip': {
          const s = freshSessionSecrets();
          const sealer = new FrameSealer(s);
          const reader = new FrameReader(s);
          const wire = concatBytes(...input.bodies.map((b) => sealer.seal(b)));
          const show = (): string => `bodies of ${input.bodies.map((b) => b.length).join(',')} bytes, chunks [${input.chunks}]`;
          const { bodies, error } = feedReader(reader, wire, input.chunks, MAX_FRAME_SIZE, show, true);
          check(error === undefined, () => `frame: round trip failed with ${describeError(error)}; ${show()}`);
          check(bodies.length === input.bodies.length && bodies.every((b, i) => same(b, input.bodies[i]!)), () => `frame: round trip bodies differ; ${show()}`);
          check(reader.buffered === 0, () => `frame: ${reader.buffered} bytes left after a whole stream; ${show()}`);
          return;
        }
        case 'bytes': {
          const reader = new FrameReader(freshSessionSecrets(), { maxFrameSize: input.maxFrameSize });
          feedReader(reader, input.wire, input.chunks, input.maxFrameSize, () => `${hexOf(input.wire)}, chunks [${input.chunks}]`);
          return;
        }
        case 'mutated': {
          const wire = mutate(REAL_STREAM, input.mutations);
          const reader = new FrameReader(freshSessionSecrets(), { maxFrameSize: input.maxFrameSize });
          const show = (): string =>
            `real stream with mutations ${JSON.stringify(input.mutations)}, chunks [${input.chunks}], maxFrameSize ${input.maxFrameSize}`;
          const { bodies, error } = feedReader(reader, wire, input.chunks, input.maxFrameSize, show);
          // Frames before the first edit read back intact; the edited one and the rest fail.
          check(bodies.every((b, i) => same(b, REAL_BODIES[i]!)), () => `frame: a mutated stream yielded a body the sender never sealed; ${show()}`);
          if (same(wire, REAL_STREAM) && REAL_BODIES.every((b) => b.length <= input.maxFrameSize)) {
            check(error === undefined && bodies.length === REAL_BODIES.length, () => `frame: the unmutated real stream did not read back; ${show()}`);
          }
          return;
        }
        case 'oversize': {
          // A verified header announcing more than the limit fails before any body arrives;
          // one within it waits for the body with its header consumed.
          const s = freshSessionSecrets();
          const body = seededBytes(input.size, input.seed);
          const frame = new FrameSealer(s).seal(body);
          const reader = new FrameReader(s, { maxFrameSize: input.maxFrameSize });
          const show = (): string => `body of ${input.size} bytes, maxFrameSize ${input.maxFrameSize}`;
          reader.push(frame.subarray(0, HEADER_BLOCK_SIZE));
          const first = timed('frame read', show, () => reader.read());
          if (input.size > input.maxFrameSize) {
            check(!first.ok, () => `frame: header announcing ${input.size} > ${input.maxFrameSize} bytes was accepted`);
            if (!first.ok) expectTyped('frame read', first.error, FrameError, show);
            return;
          }
          check(first.ok && first.value === undefined && reader.buffered === 0, () => `frame: header alone did not leave the reader waiting with nothing buffered; ${show()}`);
          reader.push(frame.subarray(HEADER_BLOCK_SIZE));
          const second = timed('frame read', show, () => reader.read());
          check(second.ok && second.value !== undefined && same(second.value, body), () => `frame: body did not read back; ${show()}`);
          return;
        }
      }
    },
  };
}
