/**
 * The file store: what it loads from the ethtest chain (go-ethereum's chain.rlp and
 * genesis.json), what it refuses (broken links, bodies or receipts that are not their
 * header's, another genesis), and a 100,000-block file loaded in bounded memory.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RLP } from '@ethereumjs/rlp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { ChainFileError, FileStore } from '../../src/eth/file-store.js';
import { chainFromGenesis, genesisHeaderOf } from '../../src/eth/genesis.js';
import { decodeHeader, EMPTY_OMMERS_HASH } from '../../src/eth/header.js';
import { encodeRawList, iterate, readItem, readOne } from '../../src/eth/rlp-view.js';
import { EMPTY_TRIE_ROOT, trieRoot } from '../../src/eth/trie.js';
import { ethtestData } from '../helpers/geth-chain.js';

const data = ethtestData();
const genesisText = readFileSync(data.genesis, 'utf8');
const genesisHeader = genesisHeaderOf(JSON.parse(genesisText) as Record<string, unknown>);
const chain = chainFromGenesis(genesisText);

/** The blocks of chain.rlp, raw. */
function blocksOf(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let pos = 0; pos < bytes.length; ) {
    const { item, end } = readItem(bytes, pos);
    out.push(item.raw);
    pos = end;
  }
  return out;
}

/** A real collection before each heap reading: garbage of the load is not what it holds. */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const concat = (parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);

describe('FileStore', () => {
  let dir: string;
  const blocks = blocksOf(readFileSync(data.chain));
  beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'rlpx-store-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const storeOf = async (parts: Uint8Array[], options: Parameters<typeof FileStore.open>[1] = { genesisHeader }): Promise<FileStore> => {
    const file = join(dir, `chain-${Math.random().toString(36).slice(2)}.rlp`);
    writeFileSync(file, concat(parts));
    return FileStore.open(dir, { ...options, chainFile: file });
  };

  it('loads the ethtest chain: 600 blocks after the genesis of genesis.json, indexed by number and hash', async () => {
    const store = await FileStore.open(join(data.chain, '..'), { genesisHeader, genesisHash: chain.genesisHash });
    try {
      const head = await store.head();
      expect(head.number).toBe(600n);
      expect(head.time).toBe(6000n);
      expect(bytesToHex(head.hash)).toBe('44e3809c9a3cda717f00aea3a9da336d149612c8d5657fbc0028176ef8d94d2a');
      const genesis = await store.headerByNumber(0n);
      expect(bytesToHex(genesis!.hash)).toBe(bytesToHex(chain.genesisHash));
      for (const n of [1n, 54n, 600n]) {
        const h = (await store.headerByNumber(n))!;
        expect(bytesToHex(keccak256(h.raw))).toBe(bytesToHex(h.hash));
        expect(decodeHeader(h.raw).number).toBe(n);
        expect((await store.headerByHash(h.hash))!.raw).toEqual(h.raw);
        // The body is the block's [txs, uncles, withdrawals] as chain.rlp has them.
        const block = readOne(blocks[Number(n) - 1]!);
        const parts = [...iterate(block)].slice(1).map((p) => p.raw);
        expect(await store.body(h.hash)).toEqual(encodeRawList(parts));
      }
      expect(await store.headerByNumber(601n)).toBeUndefined();
      expect(await store.headerByHash(new Uint8Array(32).fill(7))).toBeUndefined();
      expect(await store.receipts(head.hash)).toBeUndefined(); // no receipts file here
    } finally {
      await store.close();
    }
  });

  it('refuses a gap, a body of another block, another genesis, and a file from block 1 without a genesis', async () => {
    await expect(storeOf([blocks[0]!, blocks[2]!])).rejects.toThrow(/block 3: follows block 1/);
    // Block 54's body inside block 75's header: its transactions root no longer matches.
    const b54 = [...iterate(readOne(blocks[53]!))];
    const b75 = [...iterate(readOne(blocks[74]!))];
    const forged = encodeRawList([b75[0]!.raw, ...b54.slice(1).map((p) => p.raw)]);
    await expect(storeOf([...blocks.slice(0, 74), forged])).rejects.toThrow(/block 75: .*transactions root/);
    await expect(storeOf(blocks.slice(0, 3), { genesisHeader, genesisHash: new Uint8Array(32).fill(1) })).rejects.toThrow(ChainFileError);
    await expect(storeOf(blocks.slice(0, 3), {})).rejects.toThrow(/does not start at block 0, and no genesis/);
    // With block 0 in the file, no genesis file is needed.
    const store = await storeOf([encodeRawList([genesisHeader, Uint8Array.of(0xc0), Uint8Array.of(0xc0), Uint8Array.of(0xc0)]), ...blocks.slice(0, 3)], {});
    expect((await store.head()).number).toBe(3n);
    await store.close();
  });

  it('a receipts file whose lists are not their blocks\' is refused', async () => {
    const h1 = (decodeHeader([...iterate(readOne(blocks[0]!))][0]!.raw)).hash;
    const h2 = (decodeHeader([...iterate(readOne(blocks[1]!))][0]!.raw)).hash;
    const file = join(dir, 'receipts-bad.rlp');
    // A receipt that no block 1 has: its root is not block 1's receipts root.
    writeFileSync(file, concat([RLP.encode([1, h1, [[2, Uint8Array.of(1), 21000, []]]]), RLP.encode([2, h2, []])]));
    const chainFile = join(dir, 'chain-small.rlp');
    writeFileSync(chainFile, concat(blocks.slice(0, 2)));
    await expect(FileStore.open(dir, { genesisHeader, chainFile, receiptsFile: file })).rejects.toThrow(/receipts of block 1: .*receipts root/);
  });

  it('loads a 100,000-block file of 100 MB in bounded memory, serving bodies from the file', async () => {
    const big = mkdtempSync(join(tmpdir(), 'rlpx-big-'));
    try {
      const file = join(big, 'chain.rlp');
      const fd = openSync(file, 'w');
      const data = new Uint8Array(500).fill(0xab);
      // One transaction in every block (its root computed once): the file's size is in bodies.
      const tx = RLP.encode([1, 1, 21_000, new Uint8Array(20), 0, data, 27, 1, 1]);
      const txRoot = trieRoot([[RLP.encode(0), tx]]);
      // Legacy-shape headers (15 fields) over one transaction each, linked by parent hash.
      const header = (n: number, parent: Uint8Array, txRoot: Uint8Array): Uint8Array =>
        RLP.encode([parent, EMPTY_OMMERS_HASH, new Uint8Array(20), new Uint8Array(32), txRoot, EMPTY_TRIE_ROOT, new Uint8Array(256), 0, n, 30_000_000, 0, n, new Uint8Array(0), new Uint8Array(32), new Uint8Array(8)]);
      let parent: Uint8Array = new Uint8Array(32);
      let size = 0;
      const chunk: Uint8Array[] = [];
      for (let n = 0; n < 100_000; n++) {
        const txs = n === 0 ? [] : [tx];
        const h = header(n, parent, n === 0 ? EMPTY_TRIE_ROOT : txRoot);
        const block = encodeRawList([h, encodeRawList(txs), Uint8Array.of(0xc0)]);
        chunk.push(block);
        size += block.length;
        parent = keccak256(h);
        if (chunk.length === 1000) writeSync(fd, Buffer.concat(chunk.splice(0)));
      }
      writeSync(fd, Buffer.concat(chunk.splice(0)));
      closeSync(fd);
      expect(size).toBeGreaterThan(100e6);
      const started = performance.now();
      gc();
      const before = process.memoryUsage();
      const store = await FileStore.open(big);
      gc();
      const after = process.memoryUsage();
      try {
        expect((await store.head()).number).toBe(99_999n);
        const body = await store.body(store.hashAt(77_777)!);
        expect(body!.length).toBeGreaterThan(500);
        // The index is ~60 bytes a block; nothing near the file's size stays.
        const held = after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers;
        console.log(`100,000 blocks, ${(size / 1e6).toFixed(1)} MB: loaded in ${((performance.now() - started) / 1000).toFixed(1)} s, ${(held / 1e6).toFixed(1)} MB held`);
        expect(held).toBeLessThan(30e6);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(big, { recursive: true, force: true });
    }
  }, 120_000);
});
