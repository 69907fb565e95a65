/** auth-body / ack-body: decodeAuth / decodeAck on decoded RLP lists, no crypto. */
import fc from 'fast-check';
import { RLP } from '@ethereumjs/rlp';
import { HandshakeError } from '../../../src/errors.js';
import { decodeAck, decodeAuth, type AckMessage, type AuthMessage } from '../../../src/wire/handshake.js';
import { bytes, exactBytes, readsAsUint64, rlpList, rlpTree, shaped, slot, uintBytes, uintField, versionArb, type Rlp } from '../generators.js';
import { check, describeError, expectTyped, fail, hexOf, same, timed, type TargetBody } from '../harness.js';

type BodyInput =
  | { kind: 'roundtrip'; list: Rlp[] }
  | { kind: 'rlp'; list: Rlp[] }
  | { kind: 'shaped'; list: Rlp[] }
  | { kind: 'decoded'; bytes: Uint8Array };

/** The sizes of the fixed fields: auth [signature, initiator key, nonce], ack [ephemeral key, nonce]. */
export const fieldSizes = (side: 'auth' | 'ack'): number[] => (side === 'auth' ? [65, 64, 32] : [64, 32]);

/** The fixed fields of a decoded auth or ack, in list order. */
export function fieldsOf(side: 'auth' | 'ack', m: AuthMessage | AckMessage): Uint8Array[] {
  return side === 'auth'
    ? [(m as AuthMessage).signature, (m as AuthMessage).initiatorPublicKey, (m as AuthMessage).nonce]
    : [(m as AckMessage).ephemeralPublicKey, (m as AckMessage).nonce];
}

/** Valid bodies: the right fields with any version and arbitrary rest. */
export function validBodyArb(side: 'auth' | 'ack'): fc.Arbitrary<Rlp[]> {
  const fieldArbs = fieldSizes(side).map((n) => exactBytes(n) as fc.Arbitrary<Rlp>);
  return fc
    .tuple(fc.tuple(...fieldArbs), versionArb, fc.array(rlpTree, { maxLength: 3 }))
    .map(([f, v, rest]): Rlp[] => [...f, uintBytes(v), ...rest]);
}

/** The field layout perturbed: slots of the wrong kind, cut short or with extra elements. */
export const shapedBodyArb = (side: 'auth' | 'ack'): fc.Arbitrary<Rlp[]> => shaped([...fieldSizes(side).map((n) => slot(exactBytes(n))), slot(uintField(8))]);

/**
 * `decode()` within the time budget: the message, or undefined after a refusal, which must be
 * a HandshakeError and is a violation when the input was valid.
 */
export function decodedOrRefused<T>(name: string, what: string, valid: boolean, show: () => string, decode: () => T): T | undefined {
  const out = timed(name, show, decode);
  if (out.ok) return out.value;
  if (valid) fail(`${name}: valid ${what} rejected: ${describeError(out.error)}; ${what} ${show()}`, out.error);
  expectTyped(name, out.error, HandshakeError, show);
  return undefined;
}

export function bodyTarget(side: 'auth' | 'ack'): TargetBody<BodyInput> {
  const isAuth = side === 'auth';
  const sizes = fieldSizes(side);
  const decode = isAuth ? decodeAuth : decodeAck;
  const arbitrary: fc.Arbitrary<BodyInput> = fc.oneof(
    fc.record({ kind: fc.constant('roundtrip' as const), list: validBodyArb(side) }),
    fc.record({ kind: fc.constant('rlp' as const), list: rlpList }),
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('shaped' as const), list: shapedBodyArb(side) }) },
    fc.record({ kind: fc.constant('decoded' as const), bytes: bytes(600) }),
  );
  const name = `${side}-body`;
  return {
    kinds: ['roundtrip', 'rlp', 'shaped', 'decoded'],
    arbitrary,
    check(input: BodyInput): void {
      let list: unknown[];
      if (input.kind === 'decoded') {
        // What openPacket hands the decoder: the first item of a stream decode, when a list.
        let d: unknown;
        try {
          d = input.bytes.length === 0 ? undefined : RLP.decode(input.bytes, true).data;
        } catch {
          return;
        }
        if (!Array.isArray(d)) return;
        list = d;
      } else list = input.list;
      const show = (): string => hexOf(RLP.encode(list as Rlp[]));
      const m = decodedOrRefused(name, 'list', input.kind === 'roundtrip', show, () => decode(list));
      if (m === undefined) return;
      const got = fieldsOf(side, m);
      got.forEach((f, i) => {
        check(f instanceof Uint8Array && f.length === sizes[i], () => `${name}: field ${i} has the wrong size; list ${show()}`);
        check(same(f, list[i] as Uint8Array), () => `${name}: field ${i} is not the list's element; list ${show()}`);
      });
      check(readsAsUint64(list[sizes.length], m.version), () => `${name}: version ${m.version} is not the canonical uint64 of the list; list ${show()}`);
      check(m.rest.length === list.length - sizes.length - 1 && m.rest.every((r, i) => r === list[sizes.length + 1 + i]), () => `${name}: rest is not the list's tail`);
    },
  };
}
