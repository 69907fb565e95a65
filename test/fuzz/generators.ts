/** fast-check arbitraries shared by the targets: bytes, mutations of valid encodings, RLP shapes. */
import fc from 'fast-check';
import { concatBytes } from '../../src/crypto/bytes.js';
import { MAX_DECODED_SIZE } from '../../src/wire/snappy.js';
import { seededBytes } from '../helpers/bytes.js';
import { hex } from '../helpers/vectors.js';

/** Arbitrary bytes: mostly short (where parsers branch), some medium, a few long. */
export function bytes(max: number): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.uint8Array({ maxLength: Math.min(max, 40), size: 'max' }) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: max, size: 'medium' }) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: 0, max }), fc.integer()).map(([n, seed]) => seededBytes(n, seed)),
    },
  );
}

export const exactBytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });

/** One edit of a valid encoding. `at` is taken modulo the length at the time it applies. */
export interface Mutation {
  op: number;
  at: number;
  value: number;
  len: number;
}

const MUTATION_OPS = ['flip', 'set', 'insert', 'delete', 'truncate', 'duplicate'] as const;

export const mutationsArb = (maxCount = 4): fc.Arbitrary<Mutation[]> =>
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

export const rlpList: fc.Arbitrary<Rlp[]> = fc.array(rlpTree, { maxLength: 9 });

/** Minimal big-endian bytes of a non-negative integer: RLP's canonical integer. */
export function uintBytes(v: bigint): Uint8Array {
  if (v === 0n) return new Uint8Array(0);
  let h = v.toString(16);
  if (h.length % 2) h = '0' + h;
  return hex(h);
}

/** An integer field: usually canonical of at most `maxBytes`, sometimes too long or zero-led. */
export const uintField = (maxBytes: number): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.bigInt({ min: 0n, max: (1n << BigInt(8 * maxBytes)) - 1n }).map(uintBytes) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: maxBytes + 2, size: 'max' }) },
  );

/** A field slot of a message shape: usually of the right kind, sometimes any RLP item. */
export const slot = (valid: fc.Arbitrary<Rlp>): fc.Arbitrary<Rlp> =>
  fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: rlpTree });

/** A message shape: the fields in order, maybe cut short, maybe with extra elements. */
export const shaped = (fields: fc.Arbitrary<Rlp>[]): fc.Arbitrary<Rlp[]> =>
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
export const DEEP: readonly Uint8Array[] = [
  nestedLists(100),
  nestedLists(2_000),
  nestedLists(20_000),
  nestedLists(200_000),
  new Uint8Array(4096).fill(0xc1), // lists that each claim one byte
  new Uint8Array(3000).map((_, i) => (i % 3 === 0 ? 0xf9 : 0xff)), // lists that each claim 65535 bytes
];
export const deepArb = fc.integer({ min: 0, max: DEEP.length - 1 });

/** Integers up to 2^48 - 1, the range a Hello's numbers are read into. */
export const uint48 = fc.bigInt({ min: 0n, max: (1n << 48n) - 1n }).map(Number);

/** Message codes: mostly near the base protocol and the first subprotocol, sometimes large. */
export const codeArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 0x30 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
  { weight: 1, arbitrary: uint48 },
);

/** A decompression cap: usually the real one, sometimes small enough to bite. */
export const maxSizeArb = fc.oneof({ weight: 3, arbitrary: fc.constant(MAX_DECODED_SIZE) }, fc.integer({ min: 0, max: 4096 }));

/** A handshake version: small, or anywhere in the uint64 range geth reads. */
export const versionArb = fc.oneof(fc.bigInt({ min: 0n, max: 300n }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));

/** What a decoder must make of a canonical uint64 element: its value as a (possibly rounded) number. */
export function readsAsUint64(el: unknown, value: number): boolean {
  if (!(el instanceof Uint8Array) || el.length > 8 || (el.length > 0 && el[0] === 0)) return false;
  let v = 0n;
  for (const b of el) v = (v << 8n) | BigInt(b);
  return Number(v) === value;
}
