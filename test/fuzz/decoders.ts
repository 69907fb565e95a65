/**
 * Fuzz targets: one per decoder that reads bytes a remote peer (or a user, for enode URLs)
 * controls. Each target is a fast-check arbitrary of tagged inputs plus a deterministic
 * `check(input)` that throws a FuzzViolation when a property breaks. The same targets run
 * in the seeded test (test/fuzz.test.ts, few runs) and in the long fuzz run
 * (test/fuzz/run.ts, `npm run fuzz`, 10^6 runs per decoder by default).
 *
 * Properties, for every target:
 *  - round trip where an encoder exists (decode(encode(x)) == x);
 *  - on arbitrary, structured-random or mutated input the decoder returns a well-formed value
 *    or throws one of our typed errors (the documented RlpxError subclass for that decoder,
 *    EnodeError for parseEnode; decodeDisconnect must not throw at all), never a plain
 *    Error/TypeError/RangeError from a dependency;
 *  - bounded time: every single call returns within CALL_BUDGET_MS;
 *  - bounded memory: decoded sizes never exceed the cap in force (snappy output <= maxSize,
 *    FrameReader.buffered <= bytes pushed and < one maximal frame after a drain).
 *
 * Every input is built from the fast-check value alone (no Math.random, no clock), so a
 * failure replays from its seed and path, and shrinks to a small reproducer.
 */
import { createCipheriv, createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { RLP } from '@ethereumjs/rlp';
import { FrameError, HandshakeError, ProtocolError, RlpxError, SnappyError } from '../../src/errors.js';
import { DisconnectReason } from '../../src/reasons.js';
import { bytesToHex, concatBytes, xorBytes } from '../../src/crypto/bytes.js';
import { createKeccak256 } from '../../src/crypto/keccak.js';
import { ecdh, isValidPublicKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { ECIES_OVERHEAD } from '../../src/crypto/ecies.js';
import {
  decodeAck,
  decodeAuth,
  deriveSecrets,
  MAX_HANDSHAKE_PACKET,
  openAck,
  openAuth,
  type AckMessage,
  type AuthMessage,
  type Secrets,
} from '../../src/wire/handshake.js';
import { FrameReader, FrameSealer, frameWireSize, HEADER_BLOCK_SIZE, MAX_FRAME_SIZE } from '../../src/wire/frame.js';
import { decodeCode, decodeMessage, encodeCode, encodeMessage, type Message } from '../../src/wire/message.js';
import { MAX_DECODED_SIZE, snappyCompress, snappyDecodedLength, snappyDecompress } from '../../src/wire/snappy.js';
import { decodeHello, encodeHello, type Hello } from '../../src/peer/hello.js';
import { decodeDisconnect, encodeDisconnect } from '../../src/peer/disconnect.js';
import { EnodeError, formatEnode, parseEnode, type Enode } from '../../src/peer/enode.js';
import { BASE_PROTOCOL_MAX_MESSAGE_SIZE, EMPTY_LIST, P2PCode } from '../../src/peer/p2p.js';
import { decodeStatus, encodeStatus, type EthStatus } from '../../src/eth/status.js';
import { hex, vectors } from '../helpers/vectors.js';
import { ethTargets } from './eth.js';

// ---------------------------------------------------------------------------------------------
// The harness: violations, the per-call time budget, outcome checks

/** No single decoder call may take longer than this (ms). */
export const CALL_BUDGET_MS = 50;

/** A broken property. The message carries the input bytes, so it is a reproducer by itself. */
export class FuzzViolation extends Error {
  override name = 'FuzzViolation';
}

/** A call over CALL_BUDGET_MS. propertyOf replays the input once before believing it (GC, scheduler). */
export class OverBudget extends FuzzViolation {
  override name = 'OverBudget';
}

export interface FuzzTarget<T extends { kind: string }> {
  /** Decoder name, as the runner prints it and `--only` selects it. */
  readonly name: string;
  /** What is called, for the report. */
  readonly calls: string;
  readonly arbitrary: fc.Arbitrary<T>;
  /** Deterministic: throws FuzzViolation when a property breaks. */
  check(input: T): void;
  /** The input kinds its arbitrary produces (the seeded test checks each one is reached). */
  readonly kinds: readonly string[];
  /** Runs in the seeded test (kept small where a run costs an ECDH). */
  readonly seededRuns: number;
  /** Rough µs per input on an idle 2-core machine: for scheduling and the runner's estimate. */
  readonly costHint: number;
}

export type AnyTarget = FuzzTarget<{ kind: string }>;

/** Per-target counters the property wrapper keeps (inputs per kind, budget replays). */
export interface TargetStats {
  kinds: Map<string, number>;
  replays: number;
}

export function newStats(): TargetStats {
  return { kinds: new Map(), replays: 0 };
}

/**
 * The fast-check property of a target. An input that goes over the time budget is replayed
 * once on the spot, and only a second overrun fails: one GC pause must not fail a run, a
 * decoder that is really slow on an input is slow twice.
 */
export function propertyOf(t: AnyTarget, stats: TargetStats = newStats()): fc.IPropertyWithHooks<[{ kind: string }]> {
  return fc.property(t.arbitrary, (input) => {
    stats.kinds.set(input.kind, (stats.kinds.get(input.kind) ?? 0) + 1);
    try {
      t.check(input);
    } catch (err) {
      if (!(err instanceof OverBudget)) throw err;
      stats.replays++;
      t.check(input);
    }
  });
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Call `fn`, timing it; an overrun is a violation whatever the outcome. */
export function timed<T>(what: string, input: () => string, fn: () => T): Outcome<T> {
  const t0 = performance.now();
  let out: Outcome<T>;
  try {
    out = { ok: true, value: fn() };
  } catch (error) {
    out = { ok: false, error };
  }
  const ms = performance.now() - t0;
  if (ms > CALL_BUDGET_MS) {
    throw new OverBudget(`${what} took ${ms.toFixed(1)} ms, budget ${CALL_BUDGET_MS} ms; input ${input()}`);
  }
  return out;
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.constructor.name}(${JSON.stringify(err.message)})`;
  return `non-Error ${typeof err} ${String(err)}`;
}

/** JSON.stringify replacer for decoded values (bigints, byte strings). */
const bigintSafe = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? bytesToHex(v) : v);

function fail(message: string, cause?: unknown): never {
  throw new FuzzViolation(message, cause === undefined ? undefined : { cause });
}

/**
 * The error must be `expected` (a subclass of RlpxError, or EnodeError). Anything else is a
 * violation: an untyped error from a dependency, or a typed one of the wrong kind.
 */
export function expectTyped(what: string, err: unknown, expected: abstract new (...args: never[]) => Error, input: () => string): void {
  if (err instanceof FuzzViolation) throw err;
  if (err instanceof expected) return;
  const kind = err instanceof RlpxError ? `a typed ${err.name}, not ${expected.name}` : 'an untyped error';
  fail(`${what} threw ${kind}: ${describe(err)}; input ${input()}`, err);
}

function check(cond: boolean, message: () => string): void {
  if (!cond) fail(message());
}

// ---------------------------------------------------------------------------------------------
// Byte helpers and generic arbitraries

const hexOf = (b: Uint8Array, max = 512): string =>
  b.length <= max ? `0x${bytesToHex(b)} (${b.length} bytes)` : `0x${bytesToHex(b.subarray(0, max))}… (${b.length} bytes)`;

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

/** mulberry32: long pseudo-random inputs from (length, seed), which shrink through both. */
function filled(length: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) & 0xff;
  }
  return out;
}

/** Arbitrary bytes: mostly short (where parsers branch), some medium, a few long. */
function bytes(max: number): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.uint8Array({ maxLength: Math.min(max, 40), size: 'max' }) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: max, size: 'medium' }) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: 0, max }), fc.integer()).map(([n, seed]) => filled(n, seed)),
    },
  );
}

const exactBytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });

/** One edit of a valid encoding. `at` is taken modulo the length at the time it applies. */
export interface Mutation {
  op: number;
  at: number;
  value: number;
  len: number;
}

const MUTATION_OPS = ['flip', 'set', 'insert', 'delete', 'truncate', 'duplicate'] as const;

const mutationsArb = (maxCount = 4): fc.Arbitrary<Mutation[]> =>
  fc.array(
    fc.record({
      op: fc.integer({ min: 0, max: MUTATION_OPS.length - 1 }),
      at: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
      len: fc.integer({ min: 1, max: 32 }),
    }),
    { minLength: 1, maxLength: maxCount },
  );

export function mutate(base: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = base;
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    switch (MUTATION_OPS[m.op]) {
      case 'flip':
        if (b.length === 0) break;
        b = new Uint8Array(b);
        b[at % b.length]! ^= 1 << (m.value & 7);
        break;
      case 'set':
        if (b.length === 0) break;
        b = new Uint8Array(b);
        b[at % b.length] = m.value;
        break;
      case 'insert':
        b = concatBytes(b.subarray(0, at), new Uint8Array(m.len).fill(m.value), b.subarray(at));
        break;
      case 'delete':
        b = concatBytes(b.subarray(0, at), b.subarray(at + m.len));
        break;
      case 'truncate':
        b = b.slice(0, at);
        break;
      case 'duplicate':
        b = concatBytes(b.subarray(0, at + m.len), b.subarray(at));
        break;
    }
  }
  return b;
}

/** An RLP item as @ethereumjs/rlp decodes it. */
export type Rlp = Uint8Array | Rlp[];

const rlpLeaf: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 3, size: 'max' }) },
  { weight: 2, arbitrary: fc.constantFrom(4, 32, 64, 65).chain(exactBytes) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 80, size: 'max' }) },
);

/** Random RLP structures: byte strings of the sizes fields have, nested up to 4 deep. */
export const rlpTree: fc.Arbitrary<Rlp> = fc.letrec<{ tree: Rlp }>((tie) => ({
  tree: fc.oneof(
    { maxDepth: 4, depthIdentifier: 'rlp' },
    rlpLeaf,
    fc.array(tie('tree'), { maxLength: 7, depthIdentifier: 'rlp' }),
  ),
})).tree;

const rlpList: fc.Arbitrary<Rlp[]> = fc.array(rlpTree, { maxLength: 9 });

/** Minimal big-endian bytes of a non-negative integer: RLP's canonical integer. */
function uintBytes(v: bigint): Uint8Array {
  if (v === 0n) return new Uint8Array(0);
  let h = v.toString(16);
  if (h.length % 2) h = '0' + h;
  return hex(h);
}

/** An integer field: usually canonical of at most `maxBytes`, sometimes too long or zero-led. */
const uintField = (maxBytes: number): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.bigInt({ min: 0n, max: (1n << BigInt(8 * maxBytes)) - 1n }).map(uintBytes) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: maxBytes + 2, size: 'max' }) },
  );

/** A field slot of a message shape: usually of the right kind, sometimes any RLP item. */
const slot = (valid: fc.Arbitrary<Rlp>): fc.Arbitrary<Rlp> =>
  fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: rlpTree });

/** A message shape: the fields in order, maybe cut short, maybe with extra elements. */
const shaped = (fields: fc.Arbitrary<Rlp>[]): fc.Arbitrary<Rlp[]> =>
  fc
    .tuple(
      fc.tuple(...fields),
      fc.oneof(
        { weight: 5, arbitrary: fc.constant(fields.length) },
        { weight: 2, arbitrary: fc.integer({ min: 0, max: fields.length - 1 }) },
        { weight: 1, arbitrary: fc.constant(fields.length + 1) },
      ),
      fc.array(rlpTree, { minLength: 1, maxLength: 2 }),
    )
    .map(([f, cut, extra]) => (cut < fields.length ? f.slice(0, cut) : cut > fields.length ? [...f, ...extra] : f));

/** Nested lists `depth` deep, built without recursion: [[[...[]...]]]. */
function nestedLists(depth: number): Uint8Array {
  const sizes = [1]; // size of the innermost item (0xc0), then of each wrapping level
  const header = (len: number): number => (len <= 55 ? 1 : 1 + uintBytes(BigInt(len)).length);
  for (let i = 0; i < depth; i++) sizes.push(sizes[i]! + header(sizes[i]!));
  const out = new Uint8Array(sizes[depth]!);
  let at = 0;
  for (let i = depth - 1; i >= 0; i--) {
    const len = sizes[i]!;
    if (len <= 55) out[at++] = 0xc0 + len;
    else {
      const lb = uintBytes(BigInt(len));
      out[at++] = 0xf7 + lb.length;
      out.set(lb, at);
      at += lb.length;
    }
  }
  out[at] = 0xc0;
  return out;
}

/** Deep RLP: nesting that a recursive decoder might not survive. Built once. */
const DEEP: readonly Uint8Array[] = [
  nestedLists(100),
  nestedLists(2_000),
  nestedLists(20_000),
  nestedLists(200_000),
  new Uint8Array(4096).fill(0xc1), // lists that each claim one byte
  new Uint8Array(3000).map((_, i) => (i % 3 === 0 ? 0xf9 : 0xff)), // lists that each claim 65535 bytes
];
const deepArb = fc.integer({ min: 0, max: DEEP.length - 1 });

// ---------------------------------------------------------------------------------------------
// Fixed keys and real packets: the EIP-8 vectors (geth's), so everything is deterministic

const K = vectors.keys;
const keyA = hex(K.keyA);
const keyB = hex(K.keyB);
const ephA = hex(K.ephA);
const ephB = hex(K.ephB);
const nonceA = hex(K.nonceA);
const nonceB = hex(K.nonceB);
const pubA = publicKeyOf(keyA);
const pubB = publicKeyOf(keyB);
const auth2 = hex(vectors.auth.Auth2.packet);
const ack2 = hex(vectors.ack.Ack2.packet);

/**
 * ECIES to a fixed recipient from a fixed ephemeral key, with the shared secret computed once:
 * sealing costs no ECDH, so the decoder's own ECDH is the only one per input. The round-trip
 * properties prove it agrees with src/crypto/ecies.ts.
 */
class FixedEcies {
  readonly #encKey: Buffer;
  readonly #macKey: Buffer;
  readonly #point: Uint8Array;
  constructor(recipient: Uint8Array, ephemeral: Uint8Array) {
    const k = createHash('sha256').update(Uint8Array.of(0, 0, 0, 1)).update(ecdh(ephemeral, recipient)).digest();
    this.#encKey = k.subarray(0, 16);
    this.#macKey = createHash('sha256').update(k.subarray(16, 32)).digest();
    this.#point = publicKeyOf(ephemeral);
  }

  /** size(2) ‖ 0x04 ‖ R ‖ iv ‖ c ‖ tag, as an auth or ack packet. */
  seal(plain: Uint8Array, iv: Uint8Array = new Uint8Array(16)): Uint8Array {
    const size = plain.length + ECIES_OVERHEAD;
    const prefix = Uint8Array.of(size >> 8, size & 0xff);
    const c = createCipheriv('aes-128-ctr', this.#encKey, iv).update(plain);
    const tag = createHmac('sha256', this.#macKey).update(iv).update(c).update(prefix).digest();
    return concatBytes(prefix, Uint8Array.of(0x04), this.#point, iv, c, tag);
  }
}

/** Largest plaintext an auth/ack packet can carry under MAX_HANDSHAKE_PACKET. */
const MAX_HANDSHAKE_PLAIN = MAX_HANDSHAKE_PACKET - ECIES_OVERHEAD;

// ---------------------------------------------------------------------------------------------
// auth / ack: openAuth(keyB, packet), openAck(keyA, packet)

type HandshakeInput =
  | { kind: 'roundtrip'; list: Rlp[]; padding: Uint8Array; iv: Uint8Array }
  | { kind: 'bytes'; packet: Uint8Array }
  | { kind: 'prefixed'; body: Uint8Array; point: 'valid' | 'arbitrary' | 'none'; prefixDelta: number }
  | { kind: 'mutated'; base: number; mutations: Mutation[]; fixPrefix: boolean }
  | { kind: 'sealed'; plain: Uint8Array };

const versionArb = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 0x7fffffff }).map((v) => v * 2 + 1));

function handshakeTarget(side: 'auth' | 'ack'): FuzzTarget<HandshakeInput> {
  const isAuth = side === 'auth';
  const key = isAuth ? keyB : keyA;
  const sealer = new FixedEcies(isAuth ? pubB : pubA, isAuth ? ephA : ephB);
  const open = isAuth ? (p: Uint8Array): AuthMessage | AckMessage => openAuth(key, p) : (p: Uint8Array) => openAck(key, p);
  const sizes = isAuth ? [65, 64, 32] : [64, 32];
  const validList = isAuth ? [hex(K.authSignature), pubA, nonceA, 4] : [publicKeyOf(ephB), nonceB, 4];
  const bases = isAuth
    ? [auth2, hex(vectors.auth.Auth3.packet), sealer.seal(concatBytes(RLP.encode(validList), new Uint8Array(150)))]
    : [ack2, hex(vectors.ack.Ack3.packet), sealer.seal(concatBytes(RLP.encode(validList), new Uint8Array(150)))];

  // The body of a packet: the right fields with arbitrary rest, or a perturbed shape.
  const fieldArbs = sizes.map((n) => exactBytes(n) as fc.Arbitrary<Rlp>);
  const validBody = fc
    .tuple(fc.tuple(...fieldArbs), versionArb, fc.array(rlpTree, { maxLength: 3 }))
    .map(([f, v, rest]): Rlp[] => [...f, uintBytes(BigInt(v)), ...rest]);
  const shapedBody = shaped([...sizes.map((n) => slot(exactBytes(n))), slot(uintField(4))]);
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
    name: side,
    calls: `${isAuth ? 'openAuth' : 'openAck'}(fixed key, packet)`,
    kinds: ['roundtrip', 'bytes', 'prefixed', 'mutated', 'sealed'],
    seededRuns: 1000,
    costHint: isAuth ? 70 : 66,
    arbitrary,
    check(input: HandshakeInput): void {
      const packet = packetOf(input);
      const show = (): string => hexOf(packet);
      const out = timed(side, show, () => open(packet));
      if (!out.ok) {
        if (input.kind === 'roundtrip') fail(`${side}: valid packet rejected: ${describe(out.error)}; input ${show()}`, out.error);
        return expectTyped(side, out.error, HandshakeError, show);
      }
      const m = out.value;
      const got = isAuth
        ? [(m as AuthMessage).signature, (m as AuthMessage).initiatorPublicKey, (m as AuthMessage).nonce]
        : [(m as AckMessage).ephemeralPublicKey, (m as AckMessage).nonce];
      got.forEach((f, i) => check(f instanceof Uint8Array && f.length === sizes[i], () => `${side}: field ${i} has the wrong size; input ${show()}`));
      check(Number.isSafeInteger(m.version) && m.version >= 0 && m.version <= 0xffffffff, () => `${side}: version ${m.version} out of range`);
      if (input.kind === 'roundtrip') {
        const want = input.list;
        got.forEach((f, i) => check(same(f, want[i] as Uint8Array), () => `${side}: field ${i} differs after a round trip; input ${show()}`));
        check(same(uintBytes(BigInt(m.version)), want[sizes.length] as Uint8Array), () => `${side}: version differs after a round trip`);
        check(same(RLP.encode(m.rest as Rlp[]), RLP.encode(want.slice(sizes.length + 1))), () => `${side}: rest differs after a round trip`);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// auth-body / ack-body: decodeAuth / decodeAck on decoded RLP lists, no crypto

type BodyInput =
  | { kind: 'roundtrip'; list: Rlp[] }
  | { kind: 'rlp'; list: Rlp[] }
  | { kind: 'shaped'; list: Rlp[] }
  | { kind: 'decoded'; bytes: Uint8Array };

function bodyTarget(side: 'auth' | 'ack'): FuzzTarget<BodyInput> {
  const isAuth = side === 'auth';
  const sizes = isAuth ? [65, 64, 32] : [64, 32];
  const decode = isAuth ? decodeAuth : decodeAck;
  const fieldArbs = sizes.map((n) => exactBytes(n) as fc.Arbitrary<Rlp>);
  const validBody = fc
    .tuple(fc.tuple(...fieldArbs), versionArb, fc.array(rlpTree, { maxLength: 3 }))
    .map(([f, v, rest]): Rlp[] => [...f, uintBytes(BigInt(v)), ...rest]);
  const arbitrary: fc.Arbitrary<BodyInput> = fc.oneof(
    fc.record({ kind: fc.constant('roundtrip' as const), list: validBody }),
    fc.record({ kind: fc.constant('rlp' as const), list: rlpList }),
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('shaped' as const), list: shaped([...sizes.map((n) => slot(exactBytes(n))), slot(uintField(4))]) }) },
    fc.record({ kind: fc.constant('decoded' as const), bytes: bytes(600) }),
  );
  const name = `${side}-body`;
  return {
    name,
    calls: `${isAuth ? 'decodeAuth' : 'decodeAck'}(decoded RLP list)`,
    kinds: ['roundtrip', 'rlp', 'shaped', 'decoded'],
    seededRuns: 3000,
    costHint: isAuth ? 34 : 27,
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
      const out = timed(name, show, () => decode(list));
      if (!out.ok) {
        if (input.kind === 'roundtrip') fail(`${name}: valid list rejected: ${describe(out.error)}; list ${show()}`, out.error);
        return expectTyped(name, out.error, HandshakeError, show);
      }
      const m = out.value;
      const got = isAuth
        ? [(m as AuthMessage).signature, (m as AuthMessage).initiatorPublicKey, (m as AuthMessage).nonce]
        : [(m as AckMessage).ephemeralPublicKey, (m as AckMessage).nonce];
      got.forEach((f, i) => {
        check(f instanceof Uint8Array && f.length === sizes[i], () => `${name}: field ${i} has the wrong size; list ${show()}`);
        check(same(f, list[i] as Uint8Array), () => `${name}: field ${i} is not the list's element; list ${show()}`);
      });
      check(Number.isSafeInteger(m.version) && m.version >= 0 && m.version <= 0xffffffff, () => `${name}: version ${m.version} out of range`);
      check(same(uintBytes(BigInt(m.version)), list[sizes.length] as Uint8Array), () => `${name}: accepted a non-canonical version; list ${show()}`);
      check(m.rest.length === list.length - sizes.length - 1 && m.rest.every((r, i) => r === list[sizes.length + 1 + i]), () => `${name}: rest is not the list's tail`);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// frame: FrameReader fed in arbitrary chunks; FrameSealer → FrameReader round trip

/**
 * The real session of the EIP-8 vectors (geth's), initiator → recipient. Its aes/mac secrets
 * come from deriveSecrets; fresh MAC states for each input are rebuilt from the same seed
 * (keccak(mac ^ recipientNonce ‖ authPacket)), which costs no ECDH. The seeded test checks
 * that a fresh reader reads what a sealer from deriveSecrets wrote.
 */
const realInitiator = deriveSecrets({
  initiator: true,
  ephemeralKey: ephA,
  remoteEphemeral: publicKeyOf(ephB),
  nonce: nonceA,
  remoteNonce: nonceB,
  authPacket: auth2,
  ackPacket: ack2,
  remotePublicKey: pubB,
});
const macSeed = xorBytes(realInitiator.mac, nonceB);

/** Fresh secrets for the initiator → recipient direction: seal with them, or read with them. */
export function freshSessionSecrets(): Secrets {
  const state = (): Secrets['egressMac'] => {
    const s = createKeccak256();
    s.update(macSeed);
    s.update(auth2);
    return s;
  };
  return { aes: realInitiator.aes, mac: realInitiator.mac, egressMac: state(), ingressMac: state(), remotePublicKey: pubB };
}

const helloPayload = encodeHello({
  version: 5,
  clientId: 'Geth/v1.17.0-stable/linux-amd64/go1.24',
  capabilities: [
    { name: 'eth', version: 69 },
    { name: 'snap', version: 1 },
  ],
  listenPort: 30303,
  nodeId: pubA,
});
const statusValue: EthStatus = {
  version: 69,
  networkId: 1n,
  genesisHash: hex('d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3'),
  forkId: { hash: hex('fc64ec04'), next: 1150000n },
  earliestBlock: 0n,
  latestBlock: 22_000_000n,
  latestBlockHash: filled(32, 7),
};
const statusPayload = encodeStatus(statusValue);

/** Frame bodies of a short real session: Hello, Ping, eth Status, a bulk message, Disconnect. */
export const REAL_BODIES: readonly Uint8Array[] = [
  encodeMessage(P2PCode.Hello, helloPayload, false),
  encodeMessage(P2PCode.Ping, EMPTY_LIST, true),
  encodeMessage(0x10, statusPayload, true),
  new Uint8Array(0),
  encodeMessage(0x15, filled(3000, 3), true),
  encodeMessage(P2PCode.Pong, EMPTY_LIST, true),
  encodeMessage(P2PCode.Disconnect, encodeDisconnect(DisconnectReason.TooManyPeers), true),
];
/** REAL_BODIES sealed by a sealer on deriveSecrets' own output. */
const realSealer = new FrameSealer(realInitiator);
const realFrames = REAL_BODIES.map((b) => realSealer.seal(b));
export const REAL_STREAM = concatBytes(...realFrames);

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
    if (!pushedOk.ok) fail(`frame: push threw ${describe(pushedOk.error)}; input ${show()}`, pushedOk.error);
    pushed += chunk.length;
    check(reader.buffered <= pushed - consumed, () => `frame: buffered ${reader.buffered} > ${pushed - consumed} pushed and unread; input ${show()}`);
    for (;;) {
      const out = timed('frame read', show, () => reader.read());
      if (!out.ok) {
        expectTyped('frame read', out.error, FrameError, show);
        check(reader.buffered === 0, () => `frame: ${reader.buffered} bytes still buffered after ${describe(out.error)}`);
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

function frameTarget(): FuzzTarget<FrameInput> {
  const arbitrary: fc.Arbitrary<FrameInput> = fc.oneof(
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('roundtrip' as const),
        bodies: fc.array(
          fc.oneof(
            { weight: 15, arbitrary: bytes(2048) },
            { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 20_000 }), fc.integer()).map(([n, s]) => filled(n, s)) },
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
    name: 'frame',
    calls: 'FrameReader.push/read (FrameSealer for round trips)',
    kinds: ['roundtrip', 'bytes', 'mutated', 'oversize'],
    seededRuns: 1500,
    costHint: 90,
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
          check(error === undefined, () => `frame: round trip failed with ${describe(error)}; ${show()}`);
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
          const body = filled(input.size, input.seed);
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

// ---------------------------------------------------------------------------------------------
// hello: decodeHello

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
/** What a string becomes after UTF-8 encoding and lenient decoding (lone surrogates → U+FFFD). */
const viaUtf8 = (s: string): string => fromUtf8.decode(utf8.encode(s));

const uint48 = fc.bigInt({ min: 0n, max: (1n << 48n) - 1n }).map(Number);

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

type HelloInput =
  | { kind: 'roundtrip'; hello: Hello; extra: Rlp[]; capExtra: Rlp[] }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'rlp'; tree: Rlp }
  | { kind: 'shaped'; list: Rlp[] }
  | { kind: 'mutated'; mutations: Mutation[] }
  | { kind: 'deep'; index: number };

function helloTarget(): FuzzTarget<HelloInput> {
  const capShape = slot(shaped([slot(fc.uint8Array({ maxLength: 10 })), slot(uintField(6))]));
  const arbitrary: fc.Arbitrary<HelloInput> = fc.oneof(
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('roundtrip' as const),
        hello: helloArb,
        extra: fc.oneof({ weight: 3, arbitrary: fc.constant<Rlp[]>([]) }, fc.array(rlpTree, { maxLength: 2 })),
        capExtra: fc.oneof({ weight: 3, arbitrary: fc.constant<Rlp[]>([]) }, fc.array(rlpTree, { maxLength: 2 })),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: bytes(BASE_PROTOCOL_MAX_MESSAGE_SIZE + 100) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('rlp' as const), tree: rlpTree }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('shaped' as const),
        list: shaped([
          slot(uintField(6)),
          slot(fc.uint8Array({ maxLength: 40 })),
          slot(fc.array(capShape, { maxLength: 4 })),
          slot(uintField(6)),
          slot(fc.oneof({ weight: 4, arbitrary: exactBytes(64) }, fc.uint8Array({ maxLength: 70 }))),
        ]),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('mutated' as const), mutations: mutationsArb() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('deep' as const), index: deepArb }) },
  );

  const payloadOf = (input: HelloInput): Uint8Array => {
    switch (input.kind) {
      case 'roundtrip': {
        const h = input.hello;
        if (input.extra.length === 0 && input.capExtra.length === 0) return encodeHello(h);
        // Extra elements at both levels: newer versions may add fields, which we must ignore.
        return RLP.encode([
          h.version,
          utf8.encode(h.clientId),
          h.capabilities.map((c) => [utf8.encode(c.name), c.version, ...input.capExtra]),
          h.listenPort,
          h.nodeId,
          ...input.extra,
        ]);
      }
      case 'bytes':
        return input.bytes;
      case 'rlp':
        return RLP.encode(input.tree);
      case 'shaped':
        return RLP.encode(input.list);
      case 'mutated':
        return mutate(helloPayload, input.mutations);
      case 'deep':
        return DEEP[input.index]!;
    }
  };

  return {
    name: 'hello',
    calls: 'decodeHello(payload)',
    kinds: ['roundtrip', 'bytes', 'rlp', 'shaped', 'mutated', 'deep'],
    seededRuns: 3000,
    costHint: 50,
    arbitrary,
    check(input: HelloInput): void {
      const payload = payloadOf(input);
      const show = (): string => hexOf(payload);
      const out = timed('hello', show, () => decodeHello(payload));
      const roundtrip = input.kind === 'roundtrip' && payload.length <= BASE_PROTOCOL_MAX_MESSAGE_SIZE;
      if (!out.ok) {
        if (roundtrip) fail(`hello: valid Hello rejected: ${describe(out.error)}; input ${show()}`, out.error);
        return expectTyped('hello', out.error, ProtocolError, show);
      }
      const h = out.value;
      check(payload.length <= BASE_PROTOCOL_MAX_MESSAGE_SIZE, () => `hello: accepted ${payload.length} bytes, above the limit`);
      check(h.nodeId instanceof Uint8Array && h.nodeId.length === 64, () => `hello: nodeId of ${h.nodeId.length} bytes; input ${show()}`);
      for (const n of [h.version, h.listenPort, ...h.capabilities.map((c) => c.version)]) {
        check(Number.isSafeInteger(n) && n >= 0 && n < 2 ** 48, () => `hello: integer ${n} out of range; input ${show()}`);
      }
      check(typeof h.clientId === 'string' && h.capabilities.every((c) => typeof c.name === 'string'), () => `hello: non-string text; input ${show()}`);
      if (roundtrip) {
        const want = (input as Extract<HelloInput, { kind: 'roundtrip' }>).hello;
        const ok =
          h.version === want.version &&
          h.clientId === viaUtf8(want.clientId) &&
          h.listenPort === want.listenPort &&
          same(h.nodeId, want.nodeId) &&
          h.capabilities.length === want.capabilities.length &&
          h.capabilities.every((c, i) => c.name === viaUtf8(want.capabilities[i]!.name) && c.version === want.capabilities[i]!.version);
        check(ok, () => `hello: round trip differs: ${JSON.stringify(h, bigintSafe)}; input ${show()}`);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// disconnect: decodeDisconnect never throws

type DisconnectInput =
  | { kind: 'roundtrip'; reason: number }
  | { kind: 'bare'; byte: number }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'rlp'; tree: Rlp }
  | { kind: 'mutated'; reason: number; compressed: boolean; mutations: Mutation[] }
  | { kind: 'deep'; index: number };

function disconnectTarget(): FuzzTarget<DisconnectInput> {
  const reasonArb = fc.integer({ min: 0, max: 255 });
  const arbitrary: fc.Arbitrary<DisconnectInput> = fc.oneof(
    fc.record({ kind: fc.constant('roundtrip' as const), reason: reasonArb }),
    fc.record({ kind: fc.constant('bare' as const), byte: reasonArb }),
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: bytes(300) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('rlp' as const), tree: rlpTree }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('mutated' as const), reason: reasonArb, compressed: fc.boolean(), mutations: mutationsArb(3) }) },
    fc.record({ kind: fc.constant('deep' as const), index: deepArb }),
  );
  const payloadOf = (input: DisconnectInput): Uint8Array => {
    switch (input.kind) {
      case 'roundtrip':
        return encodeDisconnect(input.reason as DisconnectReason);
      case 'bare':
        return Uint8Array.of(input.byte);
      case 'bytes':
        return input.bytes;
      case 'rlp':
        return RLP.encode(input.tree);
      case 'mutated': {
        const p = encodeDisconnect(input.reason as DisconnectReason);
        return mutate(input.compressed ? snappyCompress(p) : p, input.mutations);
      }
      case 'deep':
        return DEEP[input.index]!;
    }
  };
  return {
    name: 'disconnect',
    calls: 'decodeDisconnect(payload)',
    kinds: ['roundtrip', 'bare', 'bytes', 'rlp', 'mutated', 'deep'],
    seededRuns: 3000,
    costHint: 16,
    arbitrary,
    check(input: DisconnectInput): void {
      const payload = payloadOf(input);
      const show = (): string => hexOf(payload);
      const out = timed('disconnect', show, () => decodeDisconnect(payload));
      if (!out.ok) fail(`disconnect: decodeDisconnect threw ${describe(out.error)} (it must never throw); input ${show()}`, out.error);
      const r = out.value;
      check(r === undefined || (Number.isInteger(r) && r >= 0 && r <= 255), () => `disconnect: reason ${String(r)} is not a byte; input ${show()}`);
      if (input.kind === 'roundtrip') check(r === input.reason, () => `disconnect: round trip of ${input.reason} gave ${String(r)}`);
      if (input.kind === 'bare' && input.byte < 0x80) check(r === input.byte, () => `disconnect: bare reason byte ${input.byte} gave ${String(r)}`);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// message: decodeMessage (code + snappy); ping: the same on Ping/Pong bodies

const maxSizeArb = fc.oneof({ weight: 3, arbitrary: fc.constant(MAX_DECODED_SIZE) }, fc.integer({ min: 0, max: 4096 }));

const codeArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 0x30 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
  { weight: 1, arbitrary: uint48 },
);

/**
 * decodeMessage on `body`, with the checks every message shares: typed errors only (SnappyError
 * only when decompressing), a canonical code, a payload within maxSize, the raw payload being
 * the body's tail. `valid` bodies must decode to `want`.
 */
function checkMessage(
  name: string,
  body: Uint8Array,
  decompress: boolean,
  maxSize: number,
  want?: { code: number; payload: Uint8Array },
): void {
  const show = (): string => `${hexOf(body)}, decompress ${decompress}, maxSize ${maxSize}`;
  const out = timed(name, show, () => decodeMessage(body, decompress, maxSize));
  if (!out.ok) {
    if (want) fail(`${name}: valid message rejected: ${describe(out.error)}; input ${show()}`, out.error);
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

function messageTarget(): FuzzTarget<MessageInput> {
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
    name: 'message',
    calls: 'decodeMessage(body, decompress, maxSize)',
    kinds: ['roundtrip', 'bytes', 'mutated'],
    seededRuns: 3000,
    costHint: 20,
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

/** Ping and Pong carry [] (0xc0), snappy-compressed after Hello; the peer ignores the payload. */
type PingInput =
  | { kind: 'compressed' | 'raw'; code: number; decompress: boolean; maxSize: number }
  | { kind: 'bytes'; code: number; payload: Uint8Array; decompress: boolean; maxSize: number }
  | { kind: 'mutated'; code: number; mutations: Mutation[]; decompress: boolean; maxSize: number };

function pingTarget(): FuzzTarget<PingInput> {
  const compressed = snappyCompress(EMPTY_LIST);
  const common = {
    code: fc.constantFrom(P2PCode.Ping, P2PCode.Pong),
    decompress: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, fc.constant(false)),
    maxSize: maxSizeArb,
  };
  const arbitrary: fc.Arbitrary<PingInput> = fc.oneof(
    fc.record({ kind: fc.constantFrom('compressed' as const, 'raw' as const), ...common }),
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('bytes' as const), payload: bytes(64), ...common }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('mutated' as const), mutations: mutationsArb(3), ...common }) },
  );
  return {
    name: 'ping',
    calls: 'decodeMessage(Ping/Pong body, decompress, maxSize)',
    kinds: ['compressed', 'raw', 'bytes', 'mutated'],
    seededRuns: 3000,
    costHint: 21,
    arbitrary,
    check(input: PingInput): void {
      let payload: Uint8Array;
      if (input.kind === 'bytes') payload = input.payload;
      else if (input.kind === 'mutated') payload = mutate(compressed, input.mutations);
      else payload = input.kind === 'compressed' ? compressed : EMPTY_LIST;
      const body = concatBytes(encodeCode(input.code), payload);
      // A Ping as sent: compressed after Hello, raw before.
      const valid = (input.kind === 'compressed' && input.decompress && input.maxSize >= EMPTY_LIST.length) || (input.kind === 'raw' && !input.decompress);
      checkMessage('ping', body, input.decompress, input.maxSize, valid ? { code: input.code, payload: EMPTY_LIST } : undefined);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// snappy: snappyDecompress

/**
 * Snappy bombs: small inputs that expand a lot. Their decoded sizes stop at 4 MiB because
 * decoding costs ~3 ns per output byte here: a full 16 MiB (MAX_DECODED_SIZE) payload, bomb
 * or not, takes ~45-55 ms on this 2-core machine, at the edge of CALL_BUDGET_MS. That is the
 * cost of the cap, not of the decoder, and run.ts reports it separately (see the report).
 */
const BOMBS: readonly Uint8Array[] = [
  snappyCompress(new Uint8Array(64 * 1024)),
  snappyCompress(new Uint8Array(1 << 20)),
  snappyCompress(new Uint8Array(4 << 20).fill(0x61)),
  snappyCompress(filled(1 << 20, 9)),
  // Preamble says MAX_DECODED_SIZE, body is junk: rejected after the decoder sized its output.
  concatBytes(Uint8Array.of(0xff, 0xff, 0xff, 0x07), new Uint8Array(64).fill(0xfe)),
  // One byte over the cap, and 2^32 - 1: must be refused from the preamble alone.
  concatBytes(Uint8Array.of(0x80, 0x80, 0x80, 0x08), new Uint8Array(16)),
  concatBytes(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f), new Uint8Array(16)),
];

const SNAPPY_BASES: readonly Uint8Array[] = [
  snappyCompress(EMPTY_LIST),
  snappyCompress(helloPayload),
  snappyCompress(statusPayload),
  snappyCompress(utf8.encode('the quick brown fox jumps over the lazy dog '.repeat(40))),
  snappyCompress(filled(1500, 4)),
  snappyCompress(new Uint8Array(5000)),
];

type SnappyInput =
  | { kind: 'roundtrip'; data: Uint8Array; capBelow: number }
  | { kind: 'bytes'; data: Uint8Array; maxSize: number }
  | { kind: 'preamble'; declared: number; tail: Uint8Array; maxSize: number }
  | { kind: 'mutated'; base: number; mutations: Mutation[]; maxSize: number }
  | { kind: 'bomb'; index: number; mutations: Mutation[]; maxSize: number };

function varint(n: number): Uint8Array {
  const out: number[] = [];
  for (let v = n; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      out.push(v);
      return Uint8Array.from(out);
    }
    out.push((v % 128) | 0x80);
  }
}

function snappyTarget(): FuzzTarget<SnappyInput> {
  const repetitive = fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 8000 }))
    .map(([unit, n]) => new Uint8Array(n).map((_, i) => unit[i % unit.length]!));
  const arbitrary: fc.Arbitrary<SnappyInput> = fc.oneof(
    {
      weight: 120,
      arbitrary: fc.record({
        kind: fc.constant('roundtrip' as const),
        data: fc.oneof(bytes(4096), repetitive),
        capBelow: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 100 })),
      }),
    },
    { weight: 120, arbitrary: fc.record({ kind: fc.constant('bytes' as const), data: bytes(1024), maxSize: maxSizeArb }) },
    {
      weight: 80,
      arbitrary: fc.record({
        kind: fc.constant('preamble' as const),
        declared: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.nat(), fc.integer({ min: 0, max: 2 ** 36 })),
        tail: bytes(256),
        maxSize: maxSizeArb,
      }),
    },
    {
      weight: 120,
      arbitrary: fc.record({
        kind: fc.constant('mutated' as const),
        base: fc.integer({ min: 0, max: SNAPPY_BASES.length - 1 }),
        mutations: mutationsArb(),
        maxSize: maxSizeArb,
      }),
    },
    {
      // Rare (about 1 input in 400): each costs up to ~12 ms.
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('bomb' as const),
        index: fc.integer({ min: 0, max: BOMBS.length - 1 }),
        mutations: fc.oneof(fc.constant<Mutation[]>([]), mutationsArb(2)),
        maxSize: fc.oneof({ weight: 3, arbitrary: fc.constant(MAX_DECODED_SIZE) }, fc.integer({ min: 0, max: 8 << 20 })),
      }),
    },
  );
  const dataOf = (input: SnappyInput): { data: Uint8Array; maxSize: number } => {
    switch (input.kind) {
      case 'roundtrip': {
        const c = snappyCompress(input.data);
        return { data: c, maxSize: input.capBelow === 0 ? input.data.length : Math.max(0, input.data.length - input.capBelow) };
      }
      case 'bytes':
        return { data: input.data, maxSize: input.maxSize };
      case 'preamble':
        return { data: concatBytes(varint(input.declared), input.tail), maxSize: input.maxSize };
      case 'mutated':
        return { data: mutate(SNAPPY_BASES[input.base]!, input.mutations), maxSize: input.maxSize };
      case 'bomb':
        return { data: input.mutations.length ? mutate(BOMBS[input.index]!, input.mutations) : BOMBS[input.index]!, maxSize: input.maxSize };
    }
  };
  return {
    name: 'snappy',
    calls: 'snappyDecompress(data, maxSize)',
    kinds: ['roundtrip', 'bytes', 'preamble', 'mutated', 'bomb'],
    seededRuns: 3000,
    costHint: 32,
    arbitrary,
    check(input: SnappyInput): void {
      const { data, maxSize } = dataOf(input);
      const show = (): string => `${hexOf(data)}, maxSize ${maxSize}`;
      const out = timed('snappy', show, () => snappyDecompress(data, maxSize));
      if (input.kind === 'roundtrip') {
        if (input.capBelow === 0 || input.data.length === 0) {
          if (!out.ok) fail(`snappy: valid data rejected: ${describe(out.error)}; input ${show()}`, out.error);
          check(same(out.value, input.data), () => `snappy: round trip differs; input ${show()}`);
        } else {
          check(!out.ok && out.error instanceof SnappyError, () => `snappy: ${input.data.length} bytes decoded under a ${maxSize}-byte cap`);
        }
        return;
      }
      if (!out.ok) return expectTyped('snappy', out.error, SnappyError, show);
      const declared = snappyDecodedLength(data);
      check(out.value.length === declared, () => `snappy: decoded ${out.value.length} bytes, preamble says ${declared}; input ${show()}`);
      check(out.value.length <= maxSize, () => `snappy: decoded ${out.value.length} bytes above the ${maxSize}-byte cap; input ${show()}`);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// enode: parseEnode

/** Valid node ids (public keys): computed once, they cost an EC multiplication each. */
const NODE_IDS: readonly Uint8Array[] = Array.from({ length: 8 }, (_, i) => publicKeyOf(filled(32, 100 + i)));
const REAL_ENODE = formatEnode({ id: pubA, host: '10.3.58.6', port: 30303, discport: 30301 });

type EnodeInput =
  | { kind: 'roundtrip'; enode: Enode }
  | { kind: 'string'; url: string }
  | { kind: 'shaped'; parts: string[] }
  | { kind: 'mutated'; mutations: Mutation[] };

function enodeTarget(): FuzzTarget<EnodeInput> {
  const host = fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain(), fc.ipV4Extended());
  const portArb = fc.integer({ min: 0, max: 65535 });
  const idHex = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: NODE_IDS.length - 1 }).map((i) => bytesToHex(NODE_IDS[i]!)) },
    { weight: 1, arbitrary: exactBytes(64).map(bytesToHex) },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFxg@:'), maxLength: 130 }) },
  );
  const junk = fc.string({ unit: 'binary', maxLength: 12 });
  const arbitrary: fc.Arbitrary<EnodeInput> = fc.oneof(
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('roundtrip' as const),
        enode: fc.record(
          {
            id: fc.integer({ min: 0, max: NODE_IDS.length - 1 }).map((i) => NODE_IDS[i]!),
            host,
            port: portArb,
            discport: portArb,
          },
          { requiredKeys: ['id', 'host', 'port'] },
        ),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('string' as const), url: fc.string({ unit: 'binary', maxLength: 300 }) }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('shaped' as const),
        parts: fc.tuple(
          fc.oneof({ weight: 4, arbitrary: fc.constant('enode://') }, junk),
          idHex,
          fc.oneof({ weight: 4, arbitrary: fc.constant('@') }, junk),
          fc.oneof({ weight: 3, arbitrary: host }, host.map((h) => `[${h}]`), junk),
          fc.oneof({ weight: 4, arbitrary: fc.constant(':') }, junk),
          fc.oneof({ weight: 3, arbitrary: portArb.map(String) }, fc.string({ unit: fc.constantFrom(...'0123456789+-. e'), maxLength: 8 }), junk),
          fc.oneof(
            { weight: 2, arbitrary: fc.constant('') },
            portArb.map((p) => `?discport=${p}`),
            junk.map((j) => `?discport=${j}`),
            junk.map((j) => `?${j}`),
          ),
          fc.oneof({ weight: 4, arbitrary: fc.constant('') }, junk),
        ),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('mutated' as const), mutations: mutationsArb() }) },
  );
  const urlOf = (input: EnodeInput): string => {
    switch (input.kind) {
      case 'roundtrip':
        return formatEnode(input.enode);
      case 'string':
        return input.url;
      case 'shaped':
        return input.parts.join('');
      case 'mutated':
        return Buffer.from(mutate(utf8.encode(REAL_ENODE), input.mutations)).toString('latin1');
    }
  };
  return {
    name: 'enode',
    calls: 'parseEnode(url) (formatEnode for round trips)',
    kinds: ['roundtrip', 'string', 'shaped', 'mutated'],
    seededRuns: 3000,
    costHint: 22,
    arbitrary,
    check(input: EnodeInput): void {
      const url = urlOf(input);
      const show = (): string => JSON.stringify(url);
      const out = timed('enode', show, () => parseEnode(url));
      if (!out.ok) {
        if (input.kind === 'roundtrip') fail(`enode: formatted enode rejected: ${describe(out.error)}; input ${show()}`, out.error);
        if (out.error instanceof FuzzViolation) throw out.error;
        if (!(out.error instanceof EnodeError)) fail(`enode: parseEnode threw ${describe(out.error)}, not an EnodeError; input ${show()}`, out.error);
        return;
      }
      const e = out.value;
      check(e.id.length === 64 && isValidPublicKey(e.id), () => `enode: accepted a node id that is not a public key; input ${show()}`);
      const portOk = (p: number | undefined): boolean => p === undefined || (Number.isInteger(p) && p >= 0 && p <= 65535);
      check(portOk(e.port) && portOk(e.discport) && e.host.length > 0, () => `enode: bad port or host in ${JSON.stringify(e, bigintSafe)}; input ${show()}`);
      // Whatever parses formats back to a URL that parses to the same node (discport = port is dropped).
      const again = timed('enode', show, () => parseEnode(formatEnode(e)));
      const disc0 = e.discport !== undefined && e.discport !== e.port ? e.discport : undefined;
      check(
        again.ok && same(again.value.id, e.id) && again.value.host === e.host && again.value.port === e.port && again.value.discport === disc0,
        () => `enode: ${JSON.stringify(formatEnode(e))} does not parse back to ${JSON.stringify(e, bigintSafe)}; input ${show()}`,
      );
      if (input.kind === 'roundtrip') {
        const want = input.enode;
        const disc = want.discport !== undefined && want.discport !== want.port ? want.discport : undefined;
        check(
          same(e.id, want.id) && e.host === want.host && e.port === want.port && e.discport === disc,
          () => `enode: round trip differs: got ${JSON.stringify(e, bigintSafe)}; input ${show()}`,
        );
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// status: decodeStatus (eth/69)

const uint64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const statusArb: fc.Arbitrary<EthStatus> = fc.record({
  version: fc.oneof(fc.integer({ min: 60, max: 80 }), fc.maxSafeNat()),
  networkId: fc.oneof(fc.constantFrom(1n, 11155111n, 17000n), uint64),
  genesisHash: exactBytes(32),
  forkId: fc.record({ hash: exactBytes(4), next: fc.oneof(fc.constant(0n), uint64) }),
  earliestBlock: uint64,
  latestBlock: uint64,
  latestBlockHash: exactBytes(32),
});

type StatusInput =
  | { kind: 'roundtrip'; status: EthStatus; extra: Rlp[]; forkExtra: Rlp[] }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'rlp'; tree: Rlp }
  | { kind: 'shaped'; list: Rlp[] }
  | { kind: 'mutated'; mutations: Mutation[] }
  | { kind: 'deep'; index: number };

function statusTarget(): FuzzTarget<StatusInput> {
  const hashSlot = (n: number): fc.Arbitrary<Rlp> => slot(fc.oneof({ weight: 4, arbitrary: exactBytes(n) }, fc.uint8Array({ maxLength: n + 2 })));
  const arbitrary: fc.Arbitrary<StatusInput> = fc.oneof(
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('roundtrip' as const),
        status: statusArb,
        extra: fc.oneof({ weight: 3, arbitrary: fc.constant<Rlp[]>([]) }, fc.array(rlpTree, { maxLength: 2 })),
        forkExtra: fc.oneof({ weight: 3, arbitrary: fc.constant<Rlp[]>([]) }, fc.array(rlpTree, { maxLength: 2 })),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: bytes(400) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('rlp' as const), tree: rlpTree }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('shaped' as const),
        list: shaped([
          slot(uintField(8)),
          slot(uintField(8)),
          hashSlot(32),
          slot(shaped([hashSlot(4), slot(uintField(8))])),
          slot(uintField(8)),
          slot(uintField(8)),
          hashSlot(32),
        ]),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('mutated' as const), mutations: mutationsArb() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('deep' as const), index: deepArb }) },
  );
  const payloadOf = (input: StatusInput): Uint8Array => {
    switch (input.kind) {
      case 'roundtrip': {
        const s = input.status;
        if (input.extra.length === 0 && input.forkExtra.length === 0) return encodeStatus(s);
        return RLP.encode([
          s.version,
          s.networkId,
          s.genesisHash,
          [s.forkId.hash, s.forkId.next, ...input.forkExtra],
          s.earliestBlock,
          s.latestBlock,
          s.latestBlockHash,
          ...input.extra,
        ]);
      }
      case 'bytes':
        return input.bytes;
      case 'rlp':
        return RLP.encode(input.tree);
      case 'shaped':
        return RLP.encode(input.list);
      case 'mutated':
        return mutate(statusPayload, input.mutations);
      case 'deep':
        return DEEP[input.index]!;
    }
  };
  return {
    name: 'status',
    calls: 'decodeStatus(payload)',
    kinds: ['roundtrip', 'bytes', 'rlp', 'shaped', 'mutated', 'deep'],
    seededRuns: 3000,
    costHint: 42,
    arbitrary,
    check(input: StatusInput): void {
      const payload = payloadOf(input);
      const show = (): string => hexOf(payload);
      const out = timed('status', show, () => decodeStatus(payload));
      if (!out.ok) {
        if (input.kind === 'roundtrip') fail(`status: valid Status rejected: ${describe(out.error)}; input ${show()}`, out.error);
        expectTyped('status', out.error, ProtocolError, show);
        const reason = (out.error as ProtocolError).reason;
        check(reason === DisconnectReason.SubprotocolError, () => `status: error carries reason ${reason}, not SubprotocolError; input ${show()}`);
        return;
      }
      const s = out.value;
      const u64 = (v: bigint): boolean => typeof v === 'bigint' && v >= 0n && v < 1n << 64n;
      check(
        u64(s.networkId) && u64(s.forkId.next) && u64(s.earliestBlock) && u64(s.latestBlock) && Number.isInteger(s.version) && s.version >= 0,
        () => `status: integer out of range in ${JSON.stringify(s, bigintSafe)}`,
      );
      check(s.genesisHash.length === 32 && s.latestBlockHash.length === 32 && s.forkId.hash.length === 4, () => `status: hash of the wrong size`);
      if (input.kind === 'roundtrip') {
        const w = input.status;
        const ok =
          s.version === w.version &&
          s.networkId === w.networkId &&
          same(s.genesisHash, w.genesisHash) &&
          same(s.forkId.hash, w.forkId.hash) &&
          s.forkId.next === w.forkId.next &&
          s.earliestBlock === w.earliestBlock &&
          s.latestBlock === w.latestBlock &&
          same(s.latestBlockHash, w.latestBlockHash);
        check(ok, () => `status: round trip differs: ${JSON.stringify(s, bigintSafe)}; input ${show()}`);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// code: decodeCode

type CodeInput = { kind: 'roundtrip'; code: number; tail: Uint8Array } | { kind: 'bytes'; body: Uint8Array };

function codeTarget(): FuzzTarget<CodeInput> {
  const arbitrary: fc.Arbitrary<CodeInput> = fc.oneof(
    fc.record({ kind: fc.constant('roundtrip' as const), code: codeArb, tail: fc.uint8Array({ maxLength: 8 }) }),
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('bytes' as const), body: fc.uint8Array({ maxLength: 10, size: 'max' }) }) },
  );
  return {
    name: 'code',
    calls: 'decodeCode(body)',
    kinds: ['roundtrip', 'bytes'],
    seededRuns: 3000,
    costHint: 9,
    arbitrary,
    check(input: CodeInput): void {
      const body = input.kind === 'roundtrip' ? concatBytes(encodeCode(input.code), input.tail) : input.body;
      const show = (): string => hexOf(body);
      const out = timed('code', show, () => decodeCode(body));
      if (!out.ok) {
        if (input.kind === 'roundtrip') fail(`code: encodeCode(${input.code}) rejected: ${describe(out.error)}; input ${show()}`, out.error);
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

// ---------------------------------------------------------------------------------------------

/** Every target, in the order the runner reports them. */
export const targets: readonly AnyTarget[] = [
  handshakeTarget('auth'),
  handshakeTarget('ack'),
  bodyTarget('auth'),
  bodyTarget('ack'),
  frameTarget(),
  helloTarget(),
  disconnectTarget(),
  messageTarget(),
  pingTarget(),
  snappyTarget(),
  enodeTarget(),
  statusTarget(),
  codeTarget(),
  ...ethTargets(),
];

/**
 * What the largest legal inputs cost (not a fuzz property: see BOMBS): ms, [fastest, slowest]
 * of `tries`, each on a fresh input so allocation and page faults are counted as in real life.
 */
export function maximalInputCosts(tries = 3): Record<string, [number, number]> {
  const range = (fn: () => () => void): [number, number] => {
    const ms: number[] = [];
    for (let i = 0; i < tries; i++) {
      const call = fn();
      const t0 = performance.now();
      call();
      ms.push(performance.now() - t0);
    }
    return [Math.min(...ms), Math.max(...ms)];
  };
  const fullBomb = snappyCompress(new Uint8Array(MAX_DECODED_SIZE));
  const bigBody = new Uint8Array(MAX_FRAME_SIZE);
  return {
    [`snappyDecompress of a ${MAX_DECODED_SIZE}-byte payload (${fullBomb.length} bytes compressed)`]: range(() => () => snappyDecompress(fullBomb)),
    [`FrameReader.read of one ${MAX_FRAME_SIZE}-byte frame (MACs and decryption)`]: range(() => {
      const s = freshSessionSecrets();
      const reader = new FrameReader(s);
      reader.push(new FrameSealer(s).seal(bigBody));
      return () => reader.read();
    }),
  };
}
