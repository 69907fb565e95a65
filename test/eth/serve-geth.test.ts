/**
 * "geth's rules", byte for byte: the same random requests (huge skips and amounts, hash and
 * number origins, unknown hashes, paged receipts) to a geth that imported the ethtest chain
 * and to our node serving that chain; every reply must be the same bytes. Then our own client
 * fetches and verifies the whole chain from our serving node, dialing it and dialed by it.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/crypto/bytes.js';
import type { Chain } from '../../src/eth/chain.js';
import { EthClient } from '../../src/eth/client.js';
import { FileStore } from '../../src/eth/file-store.js';
import { verifyHeaderChain } from '../../src/eth/verify.js';
import { chainFromGenesis, genesisHeaderOf } from '../../src/eth/genesis.js';
import { encodeGetBlockHeaders, encodeGetReceipts, encodeHashesRequest, EthCode } from '../../src/eth/messages.js';
import { ethStatusResponder, type LocalHead } from '../../src/eth/protocol.js';
import type { ProtocolChannel } from '../../src/peer/channel.js';
import { dial } from '../../src/peer/dial.js';
import type { Peer } from '../../src/peer/peer.js';
import { listen, type Server } from '../../src/peer/server.js';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import { ask, rawEth } from '../helpers/eth-ask.js';
import { gethBinaries, type GethNode } from '../helpers/geth.js';
import { gethPerFile, startChainGeth } from '../helpers/geth-chain.js';
import { servedChainDir } from '../helpers/served-chain.js';
import { within } from '../helpers/loopback.js';

const bin = gethBinaries();
const U64 = (1n << 64n) - 1n;

/** xorshift32: the same requests on every run (the seed is in the test name). */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

const SEED = 20261203;

describe.skipIf(!bin)('our replies are geth\'s, byte for byte', () => {
  const { geth: gethNode } = gethPerFile(() => startChainGeth(bin!));
  let geth: GethNode;
  let served: Awaited<ReturnType<typeof servedChainDir>>;
  let store: FileStore;
  let chain: Chain;
  let head: LocalHead;
  let ours: ProtocolChannel;
  let theirs: ProtocolChannel;
  let server: Server | undefined;
  const peers: Peer[] = [];
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const p of peers) p.destroy();
    for (const c of closers) await c();
    await server?.close();
    await store?.close();
    served?.cleanup();
  });

  beforeAll(async () => {
    geth = gethNode();
    served = await servedChainDir(geth);
    const text = readFileSync(served.genesis, 'utf8');
    chain = chainFromGenesis(text);
    store = await FileStore.open(served.dir, { genesisHeader: genesisHeaderOf(JSON.parse(text) as Record<string, unknown>) });
    const h = await store.head();
    head = { earliestBlock: 0n, latestBlock: h.number, latestBlockHash: h.hash, time: h.time };
    server = await listen({ privateKey: generatePrivateKey(), port: 0, pingInterval: 0, protocols: ethStatusResponder({ chain, head: () => head, source: store }).protocols });
    const channelTo = async (enode: string): Promise<ProtocolChannel> => {
      const eth = rawEth(chain, head);
      const peer = await dial(enode, { privateKey: generatePrivateKey(), pingInterval: 0, protocols: eth.protocols });
      peers.push(peer);
      return eth.channel(peer);
    };
    ours = await channelTo(server.enode);
    theirs = await channelTo(geth.enode);
  }, 120_000);

  const same = async (what: string, code: number, payload: Uint8Array, replyCode: number): Promise<void> => {
    const [a, b] = await Promise.all([ask(theirs, code, payload, replyCode, 30_000), ask(ours, code, payload, replyCode, 30_000)]);
    if (bytesToHex(a) !== bytesToHex(b)) expect.fail(`${what}: geth replied ${a.length} bytes, we ${b.length}`);
  };

  it(`GetBlockHeaders: 1,000 random queries (seed ${SEED})`, async () => {
    const r = rng(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[r(xs.length)]!;
    for (let i = 0; i < 1000; i++) {
      const byHash = r(3) === 0;
      const origin = byHash
        ? r(10) === 0
          ? new Uint8Array(32).fill(r(256))
          : store.hashAt(r(601))!
        : pick([0n, 1n, 599n, 600n, 601n, U64, U64 - 1n, 1n << 63n, BigInt(r(700))]);
      const amount = pick([0n, 1n, 2n, 3n, 1024n, 1025n, 5000n, U64, BigInt(r(60))]);
      const skip = pick([0n, 0n, 1n, 2n, 599n, 600n, U64, U64 - 1n, 1n << 63n, BigInt(r(20))]);
      const reverse = r(2) === 1;
      const q = { requestId: BigInt(i), origin, amount, skip, reverse };
      await same(`GetBlockHeaders ${JSON.stringify({ ...q, origin: origin instanceof Uint8Array ? bytesToHex(origin) : String(origin) }, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`, EthCode.GetBlockHeaders, encodeGetBlockHeaders(q), EthCode.BlockHeaders);
    }
  }, 240_000);

  it(`GetBlockBodies, GetReceipts (paged) and GetBlockAccessLists: random hash lists (seed ${SEED})`, async () => {
    const r = rng(SEED + 1);
    const hashes = (): Uint8Array[] => Array.from({ length: r(12) }, () => (r(8) === 0 ? new Uint8Array(32).fill(1 + r(255)) : store.hashAt(r(601))!));
    for (let i = 0; i < 60; i++) {
      await same('GetBlockBodies', EthCode.GetBlockBodies, encodeHashesRequest({ requestId: BigInt(i), hashes: hashes() }), EthCode.BlockBodies);
      // Block 11's receipts are over 10 MiB: they come in pages.
      const hs = r(3) === 0 ? [store.hashAt(10)!, store.hashAt(11)!, store.hashAt(12)!] : hashes();
      await same('GetReceipts', EthCode.GetReceipts, encodeGetReceipts(72, { requestId: BigInt(i), firstBlockReceiptIndex: BigInt(r(3) === 0 ? r(40) : 0), hashes: hs }), EthCode.Receipts);
      await same('GetBlockAccessLists', EthCode.GetBlockAccessLists, encodeHashesRequest({ requestId: BigInt(i), hashes: hashes() }), EthCode.BlockAccessLists);
    }
  }, 240_000);

  it.each(['dials', 'is dialed by'] as const)('our client %s our serving node: the whole chain, every item verified', async (how) => {
    const eth = ethStatusResponder({ chain, head: () => head });
    const client = new EthClient(eth);
    let peer: Peer;
    if (how === 'dials') {
      peer = await dial(server!.enode, { privateKey: generatePrivateKey(), pingInterval: 0, protocols: eth.protocols });
    } else {
      // The serving node dials a listening client.
      const listener = await listen({ privateKey: generatePrivateKey(), port: 0, pingInterval: 0, protocols: eth.protocols });
      const arrived = new Promise<Peer>((r) => listener.once('peer', r));
      const serving = ethStatusResponder({ chain, head: () => head, source: store });
      peers.push(await dial(listener.enode, { privateKey: generatePrivateKey(), pingInterval: 0, protocols: serving.protocols }));
      peer = await within(arrived, 5_000, 'the serving node to dial');
      closers.push(() => listener.close());
    }
    peers.push(peer);
    await within(eth.status(peer), 5_000, 'status');
    const headers = await client.getBlockHeaders(peer, { origin: 0, amount: 601 });
    expect(headers.map((h) => bytesToHex(h.hash))).toEqual(Array.from({ length: 601 }, (_, n) => bytesToHex(store.hashAt(n)!)));
    verifyHeaderChain(headers);
    const blocks = headers.slice(1);
    const bodies = await client.getBlockBodies(peer, blocks);
    expect(bodies).toHaveLength(600);
    // Receipts in requests of 100 blocks; block 11's (over 10 MiB) come in pages.
    let receipts = 0;
    for (let i = 0; i < blocks.length; i += 100) receipts += (await client.getReceipts(peer, blocks.slice(i, i + 100), { timeout: 30_000 })).length;
    expect(receipts).toBe(600);
    expect(peer.isClosing).toBe(false);
  }, 120_000);
});
