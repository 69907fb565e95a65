/**
 * Fuzz targets of the eth/69-72 message codecs and their item decoders (headers,
 * transactions, receipts, chain files). Properties: a value or a ProtocolError with reason
 * 0x10, within the time budget; and, because decoding is strict, any accepted input
 * re-encodes to exactly the same bytes (there is one encoding of each value).
 */
import fc from 'fast-check';
import { RLP } from '@ethereumjs/rlp';
import { ProtocolError } from '../../../src/errors.js';
import { DisconnectReason } from '../../../src/reasons.js';
import { decodeBlocks, encodeBlock } from '../../../src/eth/block.js';
import { decodeHeader, encodeHeader, makeHeader, EMPTY_OMMERS_HASH, type HeaderFields } from '../../../src/eth/header.js';
import { decodeMessage, encodeMessage, EthCode, type MessageName } from '../../../src/eth/messages.js';
import { decodeReceiptList, encodeReceiptList, type Receipt } from '../../../src/eth/receipt.js';
import { readOne } from '../../../src/eth/rlp-view.js';
import { encodeReceiptsEntry, readReceiptsFile } from '../../../src/eth/receipts-file.js';
import { decodePooledTransactionItem, encodeTransaction, makeTransaction, pooledTransactionItem, type TransactionFields } from '../../../src/eth/transaction.js';
import { exactBytes, mutate, mutationsArb, rlpTree, bytes, type Mutation, type Rlp } from '../generators.js';
import { bigintSafe, check, expectTyped, hexOf, same, timed, type AnyTarget, type FuzzTarget, type Outcome } from '../harness.js';

function outcome<T>(name: string, show: () => string, fn: () => T): Outcome<T> {
  const out = timed(name, show, fn);
  if (out.ok) return out;
  expectTyped(name, out.error, ProtocolError, show);
  check((out.error as ProtocolError).reason === DisconnectReason.SubprotocolError, () => `${name}: reason ${(out.error as ProtocolError).reason}, not 0x10; input ${show()}`);
  return out;
}

const u64 = fc.oneof(fc.bigInt({ min: 0n, max: 300n }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
const u256 = fc.oneof(fc.bigInt({ min: 0n, max: 1000n }), fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }));
const h32 = exactBytes(32);
const addr = exactBytes(20);

const TAIL = ['baseFeePerGas', 'withdrawalsRoot', 'blobGasUsed', 'excessBlobGas', 'parentBeaconBlockRoot', 'requestsHash', 'blockAccessListHash', 'slotNumber'] as const;
const headerArb: fc.Arbitrary<HeaderFields> = fc
  .record({
    parentHash: h32, ommersHash: fc.constant(EMPTY_OMMERS_HASH), coinbase: addr, stateRoot: h32, transactionsRoot: h32, receiptsRoot: h32,
    logsBloom: exactBytes(256), difficulty: u256, number: u64, gasLimit: u64, gasUsed: u64, timestamp: u64, extraData: fc.uint8Array({ maxLength: 40 }),
    mixHash: h32, nonce: exactBytes(8), tail: fc.integer({ min: 0, max: TAIL.length }), a: u256, b: h32, c: u64,
  })
  .map(({ tail, a, b, c, ...h }) => {
    const out: HeaderFields = { ...h };
    TAIL.slice(0, tail).forEach((name) => {
      (out as unknown as Record<string, unknown>)[name] = name === 'baseFeePerGas' ? a : name.endsWith('Root') || name.endsWith('Hash') ? b : c;
    });
    return out;
  });

const txArb: fc.Arbitrary<TransactionFields> = fc
  .record({
    type: fc.integer({ min: 0, max: 4 }), chainId: u256, nonce: u64, fee: u256, fee2: u256, gas: u64, to: fc.option(addr), value: u256, data: fc.uint8Array({ maxLength: 40 }),
    keys: fc.array(h32, { maxLength: 2 }), v: u256, r: u256, s: u256,
  })
  .map(({ type, fee, fee2, keys, to, ...t }) => {
    const access = keys.length ? [{ address: new Uint8Array(20).fill(1), storageKeys: keys }] : [];
    const common = { nonce: t.nonce, gas: t.gas, value: t.value, data: t.data, v: t.v, r: t.r, s: t.s };
    switch (type) {
      case 0: return { type: 0 as const, ...common, gasPrice: fee, to };
      case 1: return { type: 1 as const, ...common, chainId: t.chainId, gasPrice: fee, to, accessList: access };
      case 2: return { type: 2 as const, ...common, chainId: t.chainId, maxPriorityFeePerGas: fee, maxFeePerGas: fee2, to, accessList: access };
      case 3: return { type: 3 as const, ...common, chainId: t.chainId, maxPriorityFeePerGas: fee, maxFeePerGas: fee2, to: to ?? new Uint8Array(20), accessList: access, maxFeePerBlobGas: fee, blobVersionedHashes: keys };
      default: return { type: 4 as const, ...common, chainId: t.chainId, maxPriorityFeePerGas: fee, maxFeePerGas: fee2, to: to ?? new Uint8Array(20), accessList: access, authorizationList: [{ chainId: t.chainId, address: new Uint8Array(20).fill(2), nonce: t.nonce, yParity: 1n, r: t.r, s: t.s }] };
    }
  });

const receiptArb: fc.Arbitrary<Receipt> = fc.record({
  type: fc.integer({ min: 0, max: 4 }),
  postStateOrStatus: fc.oneof(fc.constant(new Uint8Array(0)), fc.constant(Uint8Array.of(1)), h32),
  cumulativeGasUsed: u64,
  logs: fc.array(fc.record({ address: addr, topics: fc.array(h32, { maxLength: 4 }), data: fc.uint8Array({ maxLength: 40 }) }), { maxLength: 3 }),
});

/** A valid sample of every message, built from arbitrary values. */
function sampleArb(): fc.Arbitrary<{ version: number; name: MessageName; payload: Uint8Array }> {
  const hashes = fc.array(h32, { maxLength: 3 });
  const mask = exactBytes(16);
  return fc
    .record({
      version: fc.integer({ min: 69, max: 72 }),
      pick: fc.integer({ min: 0, max: 12 }),
      rid: u64,
      origin: fc.oneof(u64, h32),
      amount: u64,
      skip: u64,
      reverse: fc.boolean(),
      hashes,
      headers: fc.array(headerArb, { maxLength: 2 }),
      txs: fc.array(txArb, { maxLength: 3 }),
      receipts: fc.array(fc.array(receiptArb, { maxLength: 2 }), { maxLength: 2 }),
      flag: fc.boolean(),
      mask,
      first: u64,
    })
    .map((r) => {
      const v = r.version;
      const withdrawals = r.flag ? [{ index: r.first, validatorIndex: r.skip, address: new Uint8Array(20).fill(3), amount: r.amount }] : undefined;
      const headers = r.headers.map(makeHeader);
      const txs = r.txs.map(makeTransaction);
      const msgs: Array<[MessageName, unknown]> = [
        ['GetBlockHeaders', { requestId: r.rid, origin: r.origin, amount: r.amount, skip: r.skip, reverse: r.reverse }],
        ['BlockHeaders', { requestId: r.rid, headers }],
        ['GetBlockBodies', { requestId: r.rid, hashes: r.hashes }],
        ['BlockBodies', { requestId: r.rid, bodies: [{ transactions: txs, uncles: headers, ...(withdrawals ? { withdrawals } : {}) }] }],
        ['Transactions', { transactions: txs }],
        ['NewPooledTransactionHashes', { types: Uint8Array.from(r.hashes.map((_, i) => i)), sizes: r.hashes.map((_, i) => i * 100), hashes: r.hashes, ...(v >= 72 ? { cells: r.mask } : {}) }],
        ['GetPooledTransactions', { requestId: r.rid, hashes: r.hashes }],
        ['PooledTransactions', { requestId: r.rid, transactions: txs }],
        ['GetReceipts', { requestId: r.rid, hashes: r.hashes, ...(v >= 70 ? { firstBlockReceiptIndex: r.first } : {}) }],
        ['Receipts', { requestId: r.rid, receipts: r.receipts, ...(v >= 70 ? { lastBlockIncomplete: r.flag } : {}) }],
        ['GetBlockAccessLists', { requestId: r.rid, hashes: r.hashes }],
        ['GetCells', { requestId: r.rid, hashes: r.hashes, mask: r.mask, nested: r.flag }],
        ['Cells', { requestId: r.rid, hashes: r.hashes, cells: r.hashes.map(() => [new Uint8Array(2048).fill(5)]), mask: r.mask, nested: r.flag }],
      ];
      let [name, m] = msgs[r.pick]!;
      // Messages the version lacks fall back to one every version has.
      if ((name === 'GetBlockAccessLists' && v < 71) || ((name === 'GetCells' || name === 'Cells') && v < 72)) [name, m] = msgs[0]!;
      return { version: v, name, payload: encodeMessage(v, name, m as never).payload };
    });
}

type MessageInput =
  | { kind: 'roundtrip'; sample: { version: number; name: MessageName; payload: Uint8Array } }
  | { kind: 'mutated'; sample: { version: number; name: MessageName; payload: Uint8Array }; mutations: Mutation[] }
  | { kind: 'bytes'; version: number; code: number; bytes: Uint8Array }
  | { kind: 'rlp'; version: number; code: number; tree: Rlp };

/** Re-encoding an accepted message must give back its bytes (strict, canonical decoding). */
function reencodes(version: number, decoded: ReturnType<typeof decodeMessage>, payload: Uint8Array): boolean {
  // Status and BlockRangeUpdate tolerate extra fields (devp2p's rule for them); 0x80-elided blobs come back as 0xc0.
  if (decoded.name === 'Status' || decoded.name === 'BlockRangeUpdate') return true;
  if (decoded.name === 'PooledTransactions' && decoded.message.transactions.some((t) => t.sidecar?.blobs === null)) return true;
  return same(encodeMessage(version, decoded.name, decoded.message as never).payload, payload);
}

function messageTarget(): FuzzTarget<MessageInput> {
  const sample = sampleArb();
  const codeArb = fc.oneof(fc.constantFrom(...Object.values(EthCode)), fc.integer({ min: 0, max: 0x17 }));
  const versionArb = fc.integer({ min: 69, max: 72 });
  return {
    name: 'eth-message',
    calls: 'decodeMessage(version, code, payload) for every eth/69-72 message',
    kinds: ['roundtrip', 'mutated', 'bytes', 'rlp'],
    seededRuns: 1500,
    costHint: 600,
    arbitrary: fc.oneof(
      fc.record({ kind: fc.constant('roundtrip' as const), sample }),
      fc.record({ kind: fc.constant('mutated' as const), sample, mutations: mutationsArb() }),
      fc.record({ kind: fc.constant('bytes' as const), version: versionArb, code: codeArb, bytes: bytes(600) }),
      fc.record({ kind: fc.constant('rlp' as const), version: versionArb, code: codeArb, tree: rlpTree }),
    ),
    check(input: MessageInput): void {
      const [version, code, payload] =
        input.kind === 'roundtrip' ? [input.sample.version, EthCode[input.sample.name], input.sample.payload]
        : input.kind === 'mutated' ? [input.sample.version, EthCode[input.sample.name], mutate(input.sample.payload, input.mutations)]
        : input.kind === 'bytes' ? [input.version, input.code, input.bytes]
        : [input.version, input.code, RLP.encode(input.tree)];
      const show = (): string => `eth/${version} code 0x${code.toString(16)} ${hexOf(payload)}`;
      const out = outcome('eth-message', show, () => decodeMessage(version, code, payload));
      if (input.kind === 'roundtrip') check(out.ok, () => `eth-message: a valid message was refused: ${out.ok ? '' : String(out.error)}; input ${show()}`);
      if (out.ok) check(reencodes(version, out.value, payload), () => `eth-message: accepted bytes do not re-encode to themselves; input ${show()}`);
    },
  };
}

type ItemInput<V> = { kind: 'roundtrip'; value: V } | { kind: 'mutated'; value: V; mutations: Mutation[] } | { kind: 'bytes'; bytes: Uint8Array } | { kind: 'rlp'; tree: Rlp };

/** A decoder of one item, with an encoder to make valid inputs; accepted input must re-encode to itself. */
function itemTarget<V, D>(name: string, calls: string, costHint: number, arb: fc.Arbitrary<V>, encode: (v: V) => Uint8Array, decode: (b: Uint8Array) => D, reencode: (d: D) => Uint8Array | undefined): FuzzTarget<ItemInput<V>> {
  return {
    name,
    calls,
    kinds: ['roundtrip', 'mutated', 'bytes', 'rlp'],
    seededRuns: 1000,
    costHint,
    arbitrary: fc.oneof(
      fc.record({ kind: fc.constant('roundtrip' as const), value: arb }),
      fc.record({ kind: fc.constant('mutated' as const), value: arb, mutations: mutationsArb() }),
      fc.record({ kind: fc.constant('bytes' as const), bytes: bytes(700) }),
      fc.record({ kind: fc.constant('rlp' as const), tree: rlpTree }),
    ),
    check(input: ItemInput<V>): void {
      const payload = input.kind === 'roundtrip' ? encode(input.value) : input.kind === 'mutated' ? mutate(encode(input.value), input.mutations) : input.kind === 'bytes' ? input.bytes : RLP.encode(input.tree);
      const show = (): string => hexOf(payload);
      const out = outcome(name, show, () => decode(payload));
      if (input.kind === 'roundtrip') check(out.ok, () => `${name}: a valid item was refused: ${out.ok ? '' : String(out.error)}; value ${JSON.stringify(input.value, bigintSafe)}`);
      if (!out.ok) return;
      const again = reencode(out.value);
      if (again) check(same(again, payload), () => `${name}: accepted bytes do not re-encode to themselves; input ${show()}`);
    },
  };
}

/** The eth message targets, for targets/index.ts. */
export function ethMessageTargets(): AnyTarget[] {
  const blockArb = fc.record({ header: headerArb, txs: fc.array(txArb, { maxLength: 2 }) });
  return [
    messageTarget(),
    itemTarget('eth-header', 'decodeHeader(rlp)', 490, headerArb, encodeHeader, decodeHeader, encodeHeader),
    itemTarget('eth-transaction', 'decodePooledTransactionItem(item) (typed 0-4, blob wrappers)', 330, txArb, (t) => pooledTransactionItem({ raw: encodeTransaction(t) }), (b) => decodePooledTransactionItem(readOne(b)), (d) => (d.sidecar?.blobs === null ? undefined : pooledTransactionItem(d))),
    itemTarget('eth-receipts', 'decodeReceiptList(list)', 250, fc.array(receiptArb, { maxLength: 3 }), encodeReceiptList, (b) => decodeReceiptList(readOne(b)), encodeReceiptList),
    itemTarget(
      'eth-chain-file',
      'decodeBlocks(chain.rlp bytes)',
      590,
      fc.array(blockArb, { maxLength: 2 }),
      (bs) => {
        const parts = bs.map((b) => encodeBlock({ header: makeHeader(b.header), transactions: b.txs.map(makeTransaction), uncles: [] }));
        const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) (out.set(p, at), (at += p.length));
        return out;
      },
      (b) => [...decodeBlocks(b)],
      (blocks) => {
        const parts = blocks.map(encodeBlock);
        const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) (out.set(p, at), (at += p.length));
        return out;
      },
    ),
    itemTarget(
      'eth-receipts-file',
      'readReceiptsFile(receipts.rlp bytes)',
      250,
      fc.array(fc.record({ number: u64, hash: h32, receipts: fc.array(receiptArb, { maxLength: 2 }) }), { maxLength: 3 }),
      (es) => concat(es.map((e) => encodeReceiptsEntry(e.number, e.hash, e.receipts))),
      (b) => [...readReceiptsFile(b)],
      (es) => concat(es.map((e) => encodeReceiptsEntry(e.number, e.hash, e.receipts))),
    ),
  ] as unknown as AnyTarget[];
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}
