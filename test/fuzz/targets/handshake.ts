/** auth / ack: openAuth(keyB, packet), openAck(keyA, packet). */
import fc from 'fast-check';
import { RLP } from '@ethereumjs/rlp';
import { concatBytes } from '../../../src/crypto/bytes.js';
import { publicKeyOf } from '../../../src/crypto/secp256k1.js';
import { eciesEncrypt, ECIES_OVERHEAD } from '../../../src/crypto/ecies.js';
import { MAX_HANDSHAKE_PACKET, openAck, openAuth, type AckMessage, type AuthMessage } from '../../../src/wire/handshake.js';
import { hex, vectors } from '../../helpers/vectors.js';
import { decodedOrRefused, fieldsOf, fieldSizes, shapedBodyArb, validBodyArb } from './handshake-body.js';
import { ephA, ephB, K, keyA, keyB, nonceA, nonceB, pubA, pubB, auth2, ack2 } from '../fixtures.js';
import { bytes, exactBytes, mutate, mutationsArb, rlpList, readsAsUint64, rlpTree, type Mutation, type Rlp } from '../generators.js';
import { check, hexOf, same, type TargetBody } from '../harness.js';

/**
 * Seals auth/ack packets to a fixed recipient from a fixed ephemeral key, with
 * src/crypto/ecies.ts itself: an input is a packet the real encoder could have sent. Each
 * seal costs an ECDH and a point multiplication besides the decoder's own ECDH.
 */
function packetSealer(recipient: Uint8Array, ephemeralKey: Uint8Array): { seal(plain: Uint8Array, iv?: Uint8Array): Uint8Array } {
  return {
    /** size(2) ‖ 0x04 ‖ R ‖ iv ‖ c ‖ tag, the size authenticated as the shared MAC data. */
    seal(plain, iv = new Uint8Array(16)) {
      const size = plain.length + ECIES_OVERHEAD;
      const prefix = Uint8Array.of(size >> 8, size & 0xff);
      return concatBytes(prefix, eciesEncrypt(recipient, plain, prefix, { ephemeralKey, iv }));
    },
  };
}

const MAX_HANDSHAKE_PLAIN = MAX_HANDSHAKE_PACKET - ECIES_OVERHEAD;

// ---------------------------------------------------------------------------------------------
// auth / ack: openAuth(keyB, packet), openAck(keyA, packet)

type HandshakeInput =
  | { kind: 'roundtrip'; list: Rlp[]; padding: Uint8Array; iv: Uint8Array }
  | { kind: 'bytes'; packet: Uint8Array }
  | { kind: 'prefixed'; body: Uint8Array; point: 'valid' | 'arbitrary' | 'none'; prefixDelta: number }
  | { kind: 'mutated'; base: number; mutations: Mutation[]; fixPrefix: boolean }
  | { kind: 'sealed'; plain: Uint8Array };

export function handshakeTarget(side: 'auth' | 'ack'): TargetBody<HandshakeInput> {
  const isAuth = side === 'auth';
  const key = isAuth ? keyB : keyA;
  const sealer = packetSealer(isAuth ? pubB : pubA, isAuth ? ephA : ephB);
  const open = isAuth ? (p: Uint8Array): AuthMessage | AckMessage => openAuth(key, p) : (p: Uint8Array) => openAck(key, p);
  const sizes = fieldSizes(side);
  const validList = isAuth ? [hex(K.authSignature), pubA, nonceA, 4] : [publicKeyOf(ephB), nonceB, 4];
  const bases = isAuth
    ? [auth2, hex(vectors.auth.Auth3.packet), sealer.seal(concatBytes(RLP.encode(validList), new Uint8Array(150)))]
    : [ack2, hex(vectors.ack.Ack3.packet), sealer.seal(concatBytes(RLP.encode(validList), new Uint8Array(150)))];

  // The body of a packet: the right fields with arbitrary rest, or a perturbed shape.
  const validBody = validBodyArb(side);
  const shapedBody = shapedBodyArb(side);
  const plain = fc.oneof(
    fc.tuple(fc.oneof(shapedBody, rlpList, validBody), fc.uint8Array({ maxLength: 200 })).map(([l, pad]) => concatBytes(RLP.encode(l), pad)),
    fc.tuple(rlpTree, fc.uint8Array({ maxLength: 40 })).map(([t, pad]) => concatBytes(RLP.encode(t), pad)),
    bytes(MAX_HANDSHAKE_PLAIN),
  );

  const arbitrary: fc.Arbitrary<HandshakeInput> = fc.oneof(
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('roundtrip' as const), list: validBody, padding: fc.uint8Array({ maxLength: 200 }), iv: exactBytes(16) }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('bytes' as const), packet: bytes(MAX_HANDSHAKE_PACKET + 40) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('prefixed' as const),
        body: bytes(MAX_HANDSHAKE_PACKET + 8),
        point: fc.constantFrom('valid' as const, 'arbitrary' as const, 'none' as const),
        prefixDelta: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, fc.integer({ min: -3, max: 3 })),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('mutated' as const),
        base: fc.integer({ min: 0, max: bases.length - 1 }),
        mutations: mutationsArb(),
        fixPrefix: fc.boolean(),
      }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('sealed' as const), plain }) },
  );

  const packetOf = (input: HandshakeInput): Uint8Array => {
    switch (input.kind) {
      case 'roundtrip':
        return sealer.seal(concatBytes(RLP.encode(input.list), input.padding), input.iv);
      case 'bytes':
        return input.packet;
      case 'prefixed': {
        let body = input.body;
        if (input.point !== 'none' && body.length >= 65) {
          body = new Uint8Array(body);
          body[0] = 0x04;
          if (input.point === 'valid') body.set(publicKeyOf(isAuth ? ephA : ephB), 1);
        }
        const size = Math.max(0, body.length + input.prefixDelta) & 0xffff;
        return concatBytes(Uint8Array.of(size >> 8, size & 0xff), body);
      }
      case 'mutated': {
        const p = new Uint8Array(mutate(bases[input.base]!, input.mutations));
        if (input.fixPrefix && p.length >= 2) {
          const size = p.length - 2;
          p[0] = (size >> 8) & 0xff;
          p[1] = size & 0xff;
        }
        return p;
      }
      case 'sealed':
        return sealer.seal(input.plain.subarray(0, MAX_HANDSHAKE_PLAIN));
    }
  };

  return {
    kinds: ['roundtrip', 'bytes', 'prefixed', 'mutated', 'sealed'],
    arbitrary,
    check(input: HandshakeInput): void {
      const packet = packetOf(input);
      const show = (): string => hexOf(packet);
      const m = decodedOrRefused(side, 'packet', input.kind === 'roundtrip', show, () => open(packet));
      if (m === undefined) return;
      const got = fieldsOf(side, m);
      got.forEach((f, i) => check(f instanceof Uint8Array && f.length === sizes[i], () => `${side}: field ${i} has the wrong size; input ${show()}`));
      check(Number.isFinite(m.version) && m.version >= 0 && m.version <= 2 ** 64, () => `${side}: version ${m.version} out of range`);
      if (input.kind === 'roundtrip') {
        const want = input.list;
        got.forEach((f, i) => check(same(f, want[i] as Uint8Array), () => `${side}: field ${i} differs after a round trip; input ${show()}`));
        check(readsAsUint64(want[sizes.length], m.version), () => `${side}: version differs after a round trip`);
        check(same(RLP.encode(m.rest as Rlp[]), RLP.encode(want.slice(sizes.length + 1))), () => `${side}: rest differs after a round trip`);
      }
    },
  };
}
