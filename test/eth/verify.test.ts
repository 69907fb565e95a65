/**
 * Verification helpers on real data: go-ethereum's ethtest chain (600 blocks, legacy to
 * Prague) as its chain.rlp holds it, and its receipts as a real geth computed them
 * (eth_getBlockReceipts). Every block must verify; any change must not.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hexToBytes } from '../../src/crypto/bytes.js';
import { decodeBlocks, encodeBlock, type Block } from '../../src/eth/block.js';
import { VerifyError } from '../../src/eth/errors.js';
import { makeHeader } from '../../src/eth/header.js';
import type { Receipt } from '../../src/eth/receipt.js';
import { makeTransaction } from '../../src/eth/transaction.js';
import { verifyBody, verifyHeader, verifyHeaderChain, verifyReceipts } from '../../src/eth/verify.js';
import { ETHTEST_BLOCKS, ethtestData, startChainGeth } from '../helpers/geth-chain.js';
import { gethBinaries, type GethNode } from '../helpers/geth.js';

const chainBytes = readFileSync(ethtestData().chain);
const blocks: Block[] = [...decodeBlocks(chainBytes)];

function failsWith(check: string, fn: () => void): void {
  let error: unknown;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(VerifyError);
  expect((error as VerifyError).check).toBe(check);
}

describe('the ethtest chain.rlp', () => {
  it('decodes to 600 blocks that re-encode to the same bytes', () => {
    expect(blocks).toHaveLength(ETHTEST_BLOCKS);
    let at = 0;
    for (const b of blocks) {
      const enc = encodeBlock(b);
      expect(Buffer.from(chainBytes.subarray(at, at + enc.length)).equals(enc)).toBe(true);
      at += enc.length;
    }
    expect(at).toBe(chainBytes.length);
    // It has transactions of several types, and headers of several forks.
    const types = new Set(blocks.flatMap((b) => b.transactions.map((t) => t.type)));
    expect(types.size).toBeGreaterThan(1);
    expect(blocks.some((b) => b.header.requestsHash)).toBe(true);
  });

  it('headers form a chain, every body matches its header', () => {
    verifyHeaderChain(blocks.map((b) => b.header));
    for (const b of blocks) verifyBody(b.header, b);
  });

  it('a broken link, a changed transaction or withdrawal, a missing withdrawals list all fail', () => {
    const hs = blocks.slice(0, 3).map((b) => b.header);
    failsWith('number', () => verifyHeaderChain([hs[0]!, hs[2]!]));
    failsWith('parent', () => verifyHeaderChain([hs[1]!], makeHeader({ ...hs[0]!, extraData: Uint8Array.of(1) })));
    failsWith('hash', () => verifyHeader(hs[1]!, { hash: hs[0]!.hash }));
    failsWith('number', () => verifyHeader(hs[1]!, { hash: hs[1]!.hash, number: 7n }));
    const withTx = blocks.find((b) => b.transactions.length > 0)!;
    const t = withTx.transactions[0]!;
    failsWith('transactions', () => verifyBody(withTx.header, { ...withTx, transactions: [makeTransaction({ ...t, nonce: t.nonce + 1n }), ...withTx.transactions.slice(1)] }));
    failsWith('transactions', () => verifyBody(withTx.header, { ...withTx, transactions: [...withTx.transactions].reverse().concat(withTx.transactions.length === 1 ? [t] : []) }));
    failsWith('ommers', () => verifyBody(withTx.header, { ...withTx, uncles: [hs[0]!] }));
    const withW = blocks.find((b) => (b.withdrawals?.length ?? 0) > 0);
    const shanghai = blocks.find((b) => b.header.withdrawalsRoot)!;
    failsWith('withdrawals', () => verifyBody(shanghai.header, { transactions: shanghai.transactions, uncles: shanghai.uncles }));
    if (withW) failsWith('withdrawals', () => verifyBody(withW.header, { ...withW, withdrawals: withW.withdrawals!.map((w) => ({ ...w, amount: w.amount + 1n })) }));
    else failsWith('withdrawals', () => verifyBody(shanghai.header, { ...shanghai, withdrawals: [{ index: 0n, validatorIndex: 0n, address: new Uint8Array(20), amount: 1n }] }));
  });
});

interface RpcReceipt {
  type: string;
  status?: string;
  root?: string;
  cumulativeGasUsed: string;
  logs: Array<{ address: string; topics: string[]; data: string }>;
}

const bin = gethBinaries();
describe.runIf(bin)('receipts as geth computed them', () => {
  let geth: GethNode;
  beforeAll(async () => void (geth = await startChainGeth(bin!)), 120_000);
  afterAll(() => geth?.stop());

  const fromRpc = (r: RpcReceipt): Receipt => ({
    type: Number(r.type),
    postStateOrStatus: r.root ? hexToBytes(r.root.slice(2)) : r.status === '0x1' ? Uint8Array.of(1) : new Uint8Array(0),
    cumulativeGasUsed: BigInt(r.cumulativeGasUsed),
    logs: r.logs.map((l) => ({ address: hexToBytes(l.address.slice(2)), topics: l.topics.map((t) => hexToBytes(t.slice(2))), data: hexToBytes(l.data.slice(2)) })),
  });

  it('every block with transactions: receipts root and logs bloom verify; a changed log fails', async () => {
    let checked = 0;
    let withLogs: { b: Block; rs: Receipt[] } | undefined;
    for (const b of blocks) {
      if (b.transactions.length === 0) continue;
      const rs = (await geth.rpc<RpcReceipt[]>('eth_getBlockReceipts', [`0x${b.header.number.toString(16)}`])).map(fromRpc);
      verifyReceipts(b.header, rs);
      checked++;
      if (!withLogs && rs.some((r) => r.logs.length > 0)) withLogs = { b, rs };
    }
    expect(checked).toBeGreaterThan(100);
    const { b, rs } = withLogs!;
    const i = rs.findIndex((r) => r.logs.length > 0);
    const changed = rs.map((r, j) => (j === i ? { ...r, logs: [{ ...r.logs[0]!, data: Uint8Array.of(1, 2, 3) }, ...r.logs.slice(1)] } : r));
    failsWith('receipts', () => verifyReceipts(b.header, changed));
    failsWith('receipts', () => verifyReceipts(b.header, rs.slice(1)));
  }, 120_000);
});
