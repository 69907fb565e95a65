/**
 * Fuzz targets of the eth decoders and checks: BlockRangeUpdate, the Status and fork ID
 * checks, and genesis.json. Same properties as every other target: a well-formed value or the
 * documented named error (never an untyped one), within the time budget.
 */
import fc from 'fast-check';
import { RLP } from '@ethereumjs/rlp';
import { bytesToHex } from '../../../src/crypto/bytes.js';
import type { Chain } from '../../../src/eth/chain.js';
import { BlockRangeError, GenesisError } from '../../../src/eth/errors.js';
import { StatusError } from '../../../src/eth/status.js';
import { checkForkId, forkId } from '../../../src/eth/forkid.js';
import { chainFromGenesis } from '../../../src/eth/genesis.js';
import { decodeBlockRangeUpdate, encodeBlockRangeUpdate, validateBlockRange, type BlockRange } from '../../../src/eth/range.js';
import { validateStatus, type EthStatus } from '../../../src/eth/status.js';
import { DisconnectReason } from '../../../src/reasons.js';
import { expectTyped, FuzzViolation, timed, type AnyTarget, type FuzzTarget, type Outcome } from '../harness.js';
import { mutate, rlpTree, type Mutation, type Rlp } from '../generators.js';

/** `fn` under the time budget; an error must be `expected`, with reason 0x10 if it has one. */
function outcome<T>(name: string, show: () => string, expected: abstract new (...a: never[]) => Error, fn: () => T): Outcome<T> {
  const out = timed(name, show, fn);
  if (out.ok) return out;
  expectTyped(name, out.error, expected, show);
  const reason = (out.error as { reason?: unknown }).reason;
  if (reason !== undefined && reason !== DisconnectReason.SubprotocolError) throw new FuzzViolation(`${name}: reason ${String(reason)}, not 0x10; input ${show()}`);
  return out;
}

function holds(cond: boolean, message: () => string): void {
  if (!cond) throw new FuzzViolation(message());
}

const mutations = (): fc.Arbitrary<Mutation[]> =>
  fc.array(fc.record({ op: fc.integer({ min: 0, max: 5 }), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), len: fc.integer({ min: 1, max: 32 }) }), { minLength: 1, maxLength: 4 });

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const b4 = fc.uint8Array({ minLength: 4, maxLength: 4 });
const hexOf = (b: Uint8Array): string => `0x${bytesToHex(b.subarray(0, 300))} (${b.length} bytes)`;

type RangeInput = { kind: 'roundtrip'; range: BlockRange } | { kind: 'bytes'; bytes: Uint8Array } | { kind: 'rlp'; tree: Rlp } | { kind: 'mutated'; mutations: Mutation[] };

function blockRangeTarget(): FuzzTarget<RangeInput> {
  const rangeArb = fc.record({ earliestBlock: u64, latestBlock: u64, latestBlockHash: fc.oneof(bytes32, fc.constant(new Uint8Array(32))) });
  const base = encodeBlockRangeUpdate({ earliestBlock: 1n, latestBlock: 600n, latestBlockHash: new Uint8Array(32).fill(7) });
  const payloadOf = (i: RangeInput): Uint8Array =>
    i.kind === 'roundtrip' ? encodeBlockRangeUpdate(i.range) : i.kind === 'bytes' ? i.bytes : i.kind === 'rlp' ? RLP.encode(i.tree) : mutate(base, i.mutations);
  return {
    name: 'block-range',
    calls: 'decodeBlockRangeUpdate(payload) + validateBlockRange',
    kinds: ['roundtrip', 'bytes', 'rlp', 'mutated'],
    seededRuns: 2000,
    costHint: 70,
    arbitrary: fc.oneof(
      fc.record({ kind: fc.constant('roundtrip' as const), range: rangeArb }),
      fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 1200 }) }),
      fc.record({ kind: fc.constant('rlp' as const), tree: rlpTree }),
      fc.record({ kind: fc.constant('mutated' as const), mutations: mutations() }),
    ),
    check(input: RangeInput): void {
      const payload = payloadOf(input);
      const show = (): string => hexOf(payload);
      const out = outcome('block-range', show, BlockRangeError, () => {
        const r = decodeBlockRangeUpdate(payload);
        validateBlockRange(r);
        return r;
      });
      if (input.kind !== 'roundtrip') return;
      const want = input.range;
      const valid = want.earliestBlock <= want.latestBlock && want.latestBlockHash.some((b) => b !== 0);
      holds(out.ok === valid, () => `block-range: valid=${valid} but ok=${out.ok}; input ${show()}`);
      if (out.ok) holds(out.value.latestBlock === want.latestBlock && out.value.earliestBlock === want.earliestBlock, () => `block-range: round trip differs; input ${show()}`);
    },
  };
}

type CheckInput = { kind: 'status'; status: EthStatus; head: [bigint, bigint] } | { kind: 'near'; fork: number; next: bigint; head: [bigint, bigint] };

/** validateStatus and checkForkId on any decoded Status, against a chain with forks of both kinds. */
function statusCheckTarget(): FuzzTarget<CheckInput> {
  const chain: Chain = { name: 'fuzz', networkId: 5n, genesisHash: new Uint8Array(32).fill(3), genesisTime: 10n, forkBlocks: [0n, 100n, 100n, 200n], forkTimes: [5n, 1_500_000_000n, 1_600_000_000n] };
  const headArb = fc.tuple(fc.oneof(fc.bigInt({ min: 0n, max: 300n }), u64), fc.oneof(fc.bigInt({ min: 0n, max: 1_700_000_000n }), u64));
  const statusArb = fc.record({
    version: fc.integer({ min: 68, max: 73 }),
    networkId: fc.oneof(fc.constant(5n), u64),
    genesisHash: fc.oneof(fc.constant(chain.genesisHash), bytes32),
    forkId: fc.record({ hash: b4, next: fc.oneof(fc.constant(0n), u64) }),
    earliestBlock: u64,
    latestBlock: u64,
    latestBlockHash: fc.oneof(bytes32, fc.constant(new Uint8Array(32))),
  });
  const heads = [0n, 99n, 100n, 250n];
  return {
    name: 'status-check',
    calls: 'validateStatus(status, chain) and checkForkId',
    kinds: ['status', 'near'],
    seededRuns: 2000,
    costHint: 90,
    arbitrary: fc.oneof(
      fc.record({ kind: fc.constant('status' as const), status: statusArb, head: headArb }),
      // Real fork hashes of the chain with any next: where the rules branch.
      fc.record({ kind: fc.constant('near' as const), fork: fc.integer({ min: 0, max: heads.length - 1 }), next: fc.oneof(fc.constant(0n), u64, fc.bigInt({ min: 0n, max: 1_700_000_000n })), head: headArb }),
    ),
    check(input: CheckInput): void {
      const head = { number: input.head[0], time: input.head[1] };
      const show = (): string => JSON.stringify(input, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? bytesToHex(v) : v));
      if (input.kind === 'near') {
        const remote = { hash: forkId(chain, { number: heads[input.fork]!, time: 0n }).hash, next: input.next };
        // checkForkId must not throw at all: no error is a FuzzViolation of its own.
        const out = outcome('checkForkId', show, FuzzViolation, () => checkForkId(chain, head, remote));
        holds(out.ok && ['compatible', 'remote-stale', 'incompatible'].includes(out.value.verdict), () => `checkForkId: bad verdict; input ${show()}`);
        return;
      }
      const out = outcome('validateStatus', show, StatusError, () => validateStatus(input.status, { version: 69, chain, head }));
      if (out.ok) {
        const s = input.status;
        holds(s.networkId === 5n && s.version === 69 && s.earliestBlock <= s.latestBlock && out.value?.verdict === 'compatible', () => `validateStatus accepted a bad Status; input ${show()}`);
      } else {
        const e = out.error as StatusError;
        holds(e.status === input.status && e.fork !== undefined, () => `validateStatus: the error lacks the Status or the verdict; input ${show()}`);
      }
    },
  };
}

type GenesisInput = { kind: 'json'; value: unknown } | { kind: 'text'; text: string };

function genesisTarget(): FuzzTarget<GenesisInput> {
  const num = fc.oneof(fc.integer({ min: -2, max: 2 ** 40 }), fc.constantFrom('0x0', '0x10', '12', 'x', '0x', 1.5, null), fc.bigInt({ min: 0n, max: 1n << 70n }).map((v) => `0x${v.toString(16)}`));
  const hexStr = fc.oneof(fc.uint8Array({ maxLength: 40 }).map((b) => `0x${bytesToHex(b)}`), fc.string({ maxLength: 10 }));
  const account = fc.record({ balance: num, nonce: num, code: hexStr, storage: fc.dictionary(hexStr, hexStr, { maxKeys: 3 }) }, { requiredKeys: [] });
  const config = fc.record({ chainId: num, londonBlock: num, shanghaiTime: num, cancunTime: num, pragueTime: num, amsterdamTime: num, homesteadBlock: num }, { requiredKeys: [] });
  const genesis = fc.record(
    { config: fc.oneof(config, fc.constant(null), fc.constant([])), alloc: fc.dictionary(hexStr, fc.oneof(account, fc.constant(1)), { maxKeys: 4 }), gasLimit: num, difficulty: num, timestamp: num, extraData: hexStr, mixHash: hexStr, nonce: num, baseFeePerGas: num, excessBlobGas: num },
    { requiredKeys: ['config'] },
  );
  return {
    name: 'genesis',
    calls: 'chainFromGenesis(text)',
    kinds: ['json', 'text'],
    seededRuns: 500,
    costHint: 200,
    arbitrary: fc.oneof({ weight: 4, arbitrary: fc.record({ kind: fc.constant('json' as const), value: genesis }) }, fc.record({ kind: fc.constant('text' as const), text: fc.string({ maxLength: 200 }) })),
    check(input: GenesisInput): void {
      const text = input.kind === 'json' ? JSON.stringify(input.value) : input.text;
      const out = outcome('genesis', () => text.slice(0, 2000), GenesisError, () => chainFromGenesis(text));
      if (out.ok) holds(out.value.genesisHash.length === 32 && out.value.networkId >= 0n, () => `genesis: bad chain from ${text.slice(0, 2000)}`);
    },
  };
}

/** The eth targets, for decoders.ts's list. */
export function ethTargets(): AnyTarget[] {
  return [blockRangeTarget(), statusCheckTarget(), genesisTarget()] as unknown as AnyTarget[];
}
