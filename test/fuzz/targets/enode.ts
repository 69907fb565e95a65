/** enode: parseEnode on formatted, shaped, arbitrary and mutated URLs. */
import fc from 'fast-check';
import { bytesToHex } from '../../../src/crypto/bytes.js';
import { isValidPublicKey, publicKeyOf } from '../../../src/crypto/secp256k1.js';
import { EnodeError, formatEnode, parseEnode, type Enode } from '../../../src/peer/enode.js';
import { seededBytes } from '../../helpers/bytes.js';
import { pubA } from '../fixtures.js';
import { exactBytes, mutate, mutationsArb, type Mutation } from '../generators.js';
import { bigintSafe, check, describeError, fail, FuzzViolation, same, timed, type TargetBody } from '../harness.js';

const utf8 = new TextEncoder();


/** Valid node ids (public keys): computed once, they cost an EC multiplication each. */
const NODE_IDS: readonly Uint8Array[] = Array.from({ length: 8 }, (_, i) => publicKeyOf(seededBytes(32, 100 + i)));
const REAL_ENODE = formatEnode({ id: pubA, host: '10.3.58.6', port: 30303, discport: 30301 });

type EnodeInput =
  | { kind: 'roundtrip'; enode: Enode }
  | { kind: 'string'; url: string }
  | { kind: 'shaped'; parts: string[] }
  | { kind: 'mutated'; mutations: Mutation[] };

export function enodeTarget(): TargetBody<EnodeInput> {
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
    kinds: ['roundtrip', 'string', 'shaped', 'mutated'],
    arbitrary,
    check(input: EnodeInput): void {
      const url = urlOf(input);
      const show = (): string => JSON.stringify(url);
      const out = timed('enode', show, () => parseEnode(url));
      if (!out.ok) {
        if (input.kind === 'roundtrip') fail(`enode: formatted enode rejected: ${describeError(out.error)}; input ${show()}`, out.error);
        if (out.error instanceof FuzzViolation) throw out.error;
        if (!(out.error instanceof EnodeError)) fail(`enode: parseEnode threw ${describeError(out.error)}, not an EnodeError; input ${show()}`, out.error);
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
