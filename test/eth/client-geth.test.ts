/**
 * The request client against a real geth with the ethtest chain (600 blocks): every header
 * hash equals geth's eth_getBlockByNumber, every body and receipts list verifies against its
 * header, many requests in flight at once; and geth's own requests to us get empty answers
 * with their ids (geth keeps us).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import type { Chain } from '../../src/eth/chain.js';
import { EthClient } from '../../src/eth/client.js';
import { readGenesisFile } from '../../src/eth/genesis.js';
import type { BlockHeader } from '../../src/eth/header.js';
import { ethStatusResponder, type EthResponder } from '../../src/eth/protocol.js';
import { verifyHeaderChain } from '../../src/eth/verify.js';
import { dial } from '../../src/peer/dial.js';
import type { Peer } from '../../src/peer/peer.js';
import { gethBinaries, type GethNode } from '../helpers/geth.js';
import { ETHTEST_BLOCKS, ethtestData, gethPerFile, startChainGeth } from '../helpers/geth-chain.js';
import { within } from '../helpers/loopback.js';

const bin = gethBinaries();
const hex = (b: Uint8Array): string => `0x${bytesToHex(b)}`;

describe.skipIf(!bin)('EthClient against geth with the ethtest chain', () => {
  const { geth: gethNode, res } = gethPerFile(() => startChainGeth(bin!));
  let geth: GethNode;
  let chain: Chain;
  beforeAll(() => {
    geth = gethNode();
    chain = readGenesisFile(ethtestData().genesis);
  });

  const connect = async (): Promise<{ peer: Peer; eth: EthResponder; client: EthClient }> => {
    const eth = ethStatusResponder({ chain });
    const peer = res.peer(await dial(geth.enode, { privateKey: generatePrivateKey(), protocols: eth.protocols, pingInterval: 0 }));
    await within(eth.status(peer), 5_000, 'status');
    return { peer, eth, client: new EthClient(eth) };
  };

  it('all 600 headers, bodies and receipts: hashes equal geth RPC, everything verifies', async () => {
    const { peer, client } = await connect();
    const headers: BlockHeader[] = [];
    for (let from = 1; from <= ETHTEST_BLOCKS; from += 256) {
      headers.push(...(await client.getBlockHeaders(peer, { origin: from, amount: Math.min(256, ETHTEST_BLOCKS - from + 1) })));
    }
    expect(headers).toHaveLength(ETHTEST_BLOCKS);
    verifyHeaderChain(headers);
    for (const n of [1, 2, 300, 599, 600]) {
      const b = await geth.rpc<{ hash: string }>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false]);
      expect(hex(headers[n - 1]!.hash)).toBe(b.hash);
    }
    // Every hash, against RPC (20 calls at a time).
    const rpcHashes: string[] = [];
    for (let i = 0; i < headers.length; i += 20) {
      const batch = headers.slice(i, i + 20).map((h) => geth.rpc<{ hash: string }>('eth_getBlockByNumber', [`0x${h.number.toString(16)}`, false]));
      rpcHashes.push(...(await Promise.all(batch)).map((b) => b.hash));
    }
    expect(headers.map((h) => hex(h.hash))).toEqual(rpcHashes);
    // Bodies and receipts by header (so each is verified), 8 requests in flight at once.
    const chunks: BlockHeader[][] = [];
    for (let i = 0; i < headers.length; i += 75) chunks.push(headers.slice(i, i + 75));
    const bodies = (await Promise.all(chunks.map((c) => client.getBlockBodies(peer, c)))).flat();
    const receipts = (await Promise.all(chunks.map((c) => client.getReceipts(peer, c)))).flat();
    expect(bodies).toHaveLength(ETHTEST_BLOCKS);
    expect(receipts).toHaveLength(ETHTEST_BLOCKS);
    expect(receipts.reduce((n, r) => n + r.length, 0)).toBe(bodies.reduce((n, b) => n + b.transactions.length, 0));
    expect(peer.isClosing).toBe(false);
  }, 120_000);

  it('by hash, reverse, skip; the head by its hash; past the head is empty', async () => {
    const { peer, eth, client } = await connect();
    const st = eth.range(peer)!;
    const [head] = await client.getBlockHeaders(peer, { origin: st.latestBlockHash, amount: 1 });
    expect(head!.number).toBe(600n);
    const rev = await client.getBlockHeaders(peer, { origin: st.latestBlockHash, amount: 5, reverse: true });
    expect(rev.map((h) => h.number)).toEqual([600n, 599n, 598n, 597n, 596n]);
    const skipped = await client.getBlockHeaders(peer, { origin: 10, amount: 4, skip: 9 });
    expect(skipped.map((h) => h.number)).toEqual([10n, 20n, 30n, 40n]);
    expect(await client.getBlockHeaders(peer, { origin: 601, amount: 3 })).toEqual([]);
    expect(await client.getBlockBodies(peer, [new Uint8Array(32).fill(9)])).toEqual([]);
    expect(await client.getPooledTransactions(peer, [new Uint8Array(32).fill(9)])).toEqual([]);
    expect(peer.isClosing).toBe(false);
  });
});
