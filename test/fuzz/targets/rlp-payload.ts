/**
 * One target for the decoders of RLP message payloads (Hello, Disconnect, eth Status),
 * parameterised by the decoder. Six kinds of input: valid values that must round trip,
 * arbitrary bytes, random RLP trees, one kind of the decoder's own (a perturbed field layout,
 * a bare byte), mutations of a real payload and deep nesting. Whatever the kind, the decoder
 * returns a value that passes the spec's checks or refuses with the spec's typed error, within
 * the time budget.
 */
import fc from 'fast-check';
import { RLP } from '@ethereumjs/rlp';
import { RlpxError } from '../../../src/errors.js';
import { bytes, DEEP, deepArb, mutate, mutationsArb, rlpTree, type Mutation, type Rlp } from '../generators.js';
import { bigintSafe, check, describeError, expectTyped, fail, hexOf, timed, type TargetBody } from '../harness.js';

export interface RlpPayloadSpec<V, R, S> {
  /** For the messages of violations. */
  name: string;
  decode(payload: Uint8Array): V;
  roundtrip: {
    weight: number;
    arbitrary: fc.Arbitrary<R>;
    encode(r: R): Uint8Array;
    /** Whether this encoding must be accepted (default: always). */
    mustAccept?(payload: Uint8Array): boolean;
    /** The decoded value is the one encoded. */
    matches(v: V, r: R): boolean;
  };
  /** The decoder's own kind of input. */
  special: {
    kind: string;
    weight: number;
    arbitrary: fc.Arbitrary<S>;
    payload(s: S): Uint8Array;
    /** A violation message when an accepted value is wrong for this input. */
    violation?(v: V, s: S): string | undefined;
  };
  bytes: { weight: number; max: number };
  rlpWeight: number;
  /** Real payloads to damage, and how many edits at most. */
  mutated: { weight: number; base: fc.Arbitrary<Uint8Array>; maxEdits: number };
  deepWeight: number;
  /** A refusal is this typed error (with this reason, if given), or there is none at all. */
  refusal: { error: abstract new (...args: never[]) => RlpxError; reason?: number } | 'never';
  /** Checks every accepted value must pass (with the harness's `check`). */
  accepted(v: V, payload: Uint8Array, show: () => string): void;
}

export type RlpPayloadInput<R, S> =
  | { kind: 'roundtrip'; value: R }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'rlp'; tree: Rlp }
  | { kind: 'mutated'; base: Uint8Array; mutations: Mutation[] }
  | { kind: 'deep'; index: number }
  | { kind: string; special: S };

type Common<R> = Exclude<RlpPayloadInput<R, never>, { special: never }>;

export function rlpPayloadTarget<V, R, S>(spec: RlpPayloadSpec<V, R, S>): TargetBody<RlpPayloadInput<R, S>> {
  const { name, roundtrip, special } = spec;
  const arbitrary: fc.Arbitrary<RlpPayloadInput<R, S>> = fc.oneof(
    { weight: roundtrip.weight, arbitrary: fc.record({ kind: fc.constant('roundtrip' as const), value: roundtrip.arbitrary }) },
    { weight: spec.bytes.weight, arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: bytes(spec.bytes.max) }) },
    { weight: spec.rlpWeight, arbitrary: fc.record({ kind: fc.constant('rlp' as const), tree: rlpTree }) },
    { weight: special.weight, arbitrary: fc.record({ kind: fc.constant(special.kind), special: special.arbitrary }) },
    {
      weight: spec.mutated.weight,
      arbitrary: fc.record({ kind: fc.constant('mutated' as const), base: spec.mutated.base, mutations: mutationsArb(spec.mutated.maxEdits) }),
    },
    { weight: spec.deepWeight, arbitrary: fc.record({ kind: fc.constant('deep' as const), index: deepArb }) },
  );

  const isSpecial = (input: RlpPayloadInput<R, S>): input is { kind: string; special: S } => 'special' in input;
  const payloadOf = (input: Common<R>): Uint8Array => {
    switch (input.kind) {
      case 'roundtrip':
        return roundtrip.encode(input.value);
      case 'bytes':
        return input.bytes;
      case 'rlp':
        return RLP.encode(input.tree);
      case 'mutated':
        return mutate(input.base, input.mutations);
      case 'deep':
        return DEEP[input.index]!;
    }
  };

  return {
    kinds: ['roundtrip', 'bytes', 'rlp', special.kind, 'mutated', 'deep'],
    arbitrary,
    check(input: RlpPayloadInput<R, S>): void {
      const payload = isSpecial(input) ? special.payload(input.special) : payloadOf(input as Common<R>);
      const show = (): string => hexOf(payload);
      const out = timed(name, show, () => spec.decode(payload));
      const valid = input.kind === 'roundtrip' && (roundtrip.mustAccept?.(payload) ?? true);
      if (!out.ok) {
        if (spec.refusal === 'never') fail(`${name}: the decoder threw ${describeError(out.error)} (it must never throw); input ${show()}`, out.error);
        if (valid) fail(`${name}: valid payload rejected: ${describeError(out.error)}; input ${show()}`, out.error);
        expectTyped(name, out.error, spec.refusal.error, show);
        const want = spec.refusal.reason;
        const reason = (out.error as RlpxError).reason;
        if (want !== undefined) check(reason === want, () => `${name}: error carries reason ${reason}, not ${want}; input ${show()}`);
        return;
      }
      const v = out.value;
      spec.accepted(v, payload, show);
      if (isSpecial(input)) {
        const why = special.violation?.(v, input.special);
        if (why !== undefined) fail(`${name}: ${why}; input ${show()}`);
      } else if (valid) {
        const r = (input as { value: R }).value;
        check(roundtrip.matches(v, r), () => `${name}: round trip differs: ${JSON.stringify(v, bigintSafe)}; input ${show()}`);
      }
    },
  };
}
