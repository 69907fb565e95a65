/**
 * geth's header rules where the ethtest chain cannot reach: a side chain. An in-memory source
 * holds a canonical chain 0..20 and a fork of 5 blocks off block 10 (numbers 11..15), whose
 * headers are found by hash but are not canonical; plus the limits on amount and lookups.
 */
import { RLP } from '@ethereumjs/rlp';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import type { ChainSource, StoredHeader } from '../../src/eth/chain-source.js';
import { serveBodies, serveHeaders, serveReceipts70 } from '../../src/eth/serve.js';

/** A header-like RLP item: [parentHash, number, salt] is all the walk needs (raw bytes + hash). */
function header(number: number, parent: Uint8Array, salt: number): StoredHeader {
  const raw = RLP.encode([parent, number, salt]);
  return { number: BigInt(number), hash: keccak256(raw), parentHash: parent, raw };
}

function memorySource(): { source: ChainSource; canonical: StoredHeader[]; fork: StoredHeader[] } {
  const canonical: StoredHeader[] = [header(0, new Uint8Array(32), 0)];
  for (let n = 1; n <= 20; n++) canonical.push(header(n, canonical[n - 1]!.hash, 0));
  const fork: StoredHeader[] = [];
  let parent = canonical[10]!;
  for (let n = 11; n <= 15; n++) fork.push((parent = header(n, parent.hash, 1)));
  const byHash = new Map([...canonical, ...fork].map((h) => [bytesToHex(h.hash), h]));
  const head = canonical[20]!;
  const source: ChainSource = {
    head: async () => ({ number: head.number, hash: head.hash, time: 0n }),
    earliest: async () => 0n,
    headerByNumber: async (n) => canonical[Number(n)],
    headerByHash: async (h) => byHash.get(bytesToHex(h)),
    body: async (h) => (byHash.has(bytesToHex(h)) ? Uint8Array.of(0xc2, 0xc0, 0xc0) : undefined),
    receipts: async (h) => (byHash.has(bytesToHex(h)) ? RLP.encode([[0, Uint8Array.of(1), 21000, []], [2, Uint8Array.of(1), 42000, []]]) : undefined),
    blockAccessList: async () => undefined,
  };
  return { source, canonical, fork };
}

const numbers = (raws: Uint8Array[]): number[] => raws.map((r) => Number(`0x${bytesToHex((RLP.decode(r) as Uint8Array[])[1]!) || '0'}`));

describe('serving headers by geth v1.17.5 rules', () => {
  const { source, canonical, fork } = memorySource();

  it('a non-canonical origin: forward gives the origin only; reverse follows its parents into the canonical chain', async () => {
    const side = fork[2]!; // block 13 of the fork
    expect(numbers(await serveHeaders(source, { origin: side.hash, amount: 5n, skip: 0n, reverse: false }))).toEqual([13]);
    const back = await serveHeaders(source, { origin: side.hash, amount: 5n, skip: 0n, reverse: true });
    expect(back.map((r) => bytesToHex(keccak256(r)))).toEqual([fork[2]!, fork[1]!, fork[0]!, canonical[10]!, canonical[9]!].map((h) => bytesToHex(h.hash)));
  });

  it('a skip walk by hash from a side block reaches the canonical chain through its ancestors', async () => {
    const back = await serveHeaders(source, { origin: fork[4]!.hash, amount: 4n, skip: 2n, reverse: true });
    expect(numbers(back)).toEqual([15, 12, 9, 6]);
    expect(bytesToHex(keccak256(back[1]!))).toBe(bytesToHex(fork[1]!.hash)); // 12 is the fork's
    // Forward from a side block: block 18's ancestor at 15 is canonical 15, not the fork's: stop.
    expect(numbers(await serveHeaders(source, { origin: fork[4]!.hash, amount: 3n, skip: 2n, reverse: false }))).toEqual([15]);
  });

  it('by number: clipped at the head, prefix semantics, amount 0 empty, overflow stops', async () => {
    expect(numbers(await serveHeaders(source, { origin: 18n, amount: 10n, skip: 0n, reverse: false }))).toEqual([18, 19, 20]);
    expect(numbers(await serveHeaders(source, { origin: 2n, amount: 10n, skip: 0n, reverse: true }))).toEqual([2, 1, 0]);
    expect(await serveHeaders(source, { origin: 5n, amount: 0n, skip: 0n, reverse: false })).toEqual([]);
    expect(numbers(await serveHeaders(source, { origin: 5n, amount: 3n, skip: (1n << 64n) - 1n, reverse: false }))).toEqual([5]);
    expect(numbers(await serveHeaders(source, { origin: 3n, amount: 10n, skip: 4n, reverse: false }))).toEqual([3, 8, 13, 18]);
  });

  it('bodies stop at the first unknown hash; receipts page from firstBlockReceiptIndex', async () => {
    const hs = [canonical[1]!.hash, new Uint8Array(32).fill(9), canonical[2]!.hash];
    expect(await serveBodies(source, hs)).toHaveLength(1);
    const r = await serveReceipts70(source, [canonical[1]!.hash, canonical[2]!.hash], 1n);
    expect(r.lastBlockIncomplete).toBe(false);
    expect((RLP.decode(r.lists[0]!) as unknown[]).length).toBe(1); // the second receipt of block 1 only
    expect((RLP.decode(r.lists[1]!) as unknown[]).length).toBe(2);
  });
});
