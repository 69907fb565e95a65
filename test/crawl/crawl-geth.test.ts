/**
 * crawl() against real geths: one with go-ethereum's 600-block ethtest chain and one with a
 * bare genesis (network 1337). Each result is checked against what geth says over RPC.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crawl, type CrawlOptions } from '../../src/crawl/crawl.js';
import type { NodeResult } from '../../src/crawl/result.js';
import { bytesToHex } from '../../src/crypto/bytes.js';
import type { Chain } from '../../src/eth/chain.js';
import { forkId } from '../../src/eth/forkid.js';
import { readGenesisFile } from '../../src/eth/genesis.js';
import { gethBinaries, startGeth, GETH_NETWORK_ID, type GethNode } from '../helpers/geth.js';
import { ETHTEST_BLOCKS, ETHTEST_NETWORK_ID, ethtestData, gethEthInfo, gethHead, startChainGeth, type GethBlock } from '../helpers/geth-chain.js';
import { byEnode, expectTargetFields } from './expect-result.js';
import { dial } from '../../src/peer/dial.js';
import { ethStatusResponder } from '../../src/eth/protocol.js';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';

const bin = gethBinaries();
const hex = (b: Uint8Array): string => `0x${bytesToHex(b)}`;

describe.skipIf(!bin)('crawl: real geths, with and without a chain', () => {
  let withChain: GethNode;
  let bare: GethNode;
  let chain: Chain;
  let head: GethBlock;
  let bareGenesis: string;

  beforeAll(async () => {
    [withChain, bare] = await Promise.all([startChainGeth(bin!), startGeth(bin!, { nodeKeyHex: '11'.repeat(32), maxPeers: 2 })]);
    chain = readGenesisFile(ethtestData().genesis);
    head = await gethHead(withChain);
    bareGenesis = (await gethEthInfo(bare)).genesis;
  }, 180_000);
  afterAll(async () => {
    await Promise.all([withChain?.stop(), bare?.stop()]);
  });

  async function run(options: CrawlOptions = {}): Promise<Map<string, NodeResult>> {
    const out: NodeResult[] = [];
    const since = Date.now();
    for await (const r of crawl([withChain.enode, bare.enode], { timeout: 8_000, ...options })) out.push(r);
    expect(out).toHaveLength(2);
    out.forEach((r) => expectTargetFields(r, r.enode, { maxMs: 8_000, since }));
    return byEnode(out);
  }

  /** What geth sends in its Hello, whichever Status follows. */
  function expectGethHello(r: NodeResult, geth: GethNode): void {
    expect(r.outcome).toBe('reachable');
    expect(r.publicKey).toBe(geth.id);
    const h = r.hello!;
    expect(h.clientId).toMatch(new RegExp(`^Geth/v${bin!.version.replace(/-.*/, '').replace(/\./g, '\\.')}-`));
    expect(h.client).toMatchObject({ name: 'Geth', version: bin!.version.replace(/-.*/, ''), os: 'linux', arch: expect.any(String), lang: expect.stringMatching(/^go\d/) });
    expect(h.client!.versionSuffix).toMatch(/^-stable/);
    expect(h.p2pVersion).toBe(5);
    expect(h.caps).toEqual(['eth/69', 'eth/70', 'eth/71', 'eth/72', 'snap/1']);
    expect(h.listenPort).toBe(0); // geth has sent 0 since it stopped using the field
    expect(r.rttMs).toBeGreaterThan(0);
  }

  it('without --chain: both Statuses as sent, unchecked, ended by our 0x08', async () => {
    const got = await run();
    const c = got.get(withChain.enode)!;
    expectGethHello(c, withChain);
    const fid = forkId(chain, { number: BigInt(head.number), time: BigInt(head.timestamp) });
    expect(c.eth).toEqual({
      version: 72,
      networkId: ETHTEST_NETWORK_ID,
      genesis: hex(chain.genesisHash),
      forkId: { hash: hex(fid.hash), next: Number(fid.next) },
      fork: 'unchecked',
      forkDetail: null,
      earliestBlock: 0,
      latestBlock: ETHTEST_BLOCKS,
      latestBlockHash: head.hash,
      serves: true,
      servesReason: null,
    });
    expect(c.disconnect).toEqual({ reason: 8, name: 'client quitting', by: 'local' });
    expect(c.error).toBeNull();

    const b = got.get(bare.enode)!;
    expectGethHello(b, bare);
    expect(b.eth).toMatchObject({ version: 72, networkId: GETH_NETWORK_ID, genesis: bareGenesis, fork: 'unchecked', earliestBlock: 0, latestBlock: 0, latestBlockHash: bareGenesis, serves: true });
    expect(b.eth!.forkId.hash).toMatch(/^0x[0-9a-f]{8}$/);
    expect(b).toMatchObject({ error: null, disconnect: { reason: 8, name: 'client quitting', by: 'local' } });
  });

  it('with the ethtest chain: that geth compatible, the bare one incompatible (another network)', async () => {
    const got = await run({ chain });
    const c = got.get(withChain.enode)!;
    expectGethHello(c, withChain);
    expect(c.eth).toMatchObject({ networkId: ETHTEST_NETWORK_ID, genesis: hex(chain.genesisHash), fork: 'compatible', latestBlock: ETHTEST_BLOCKS, latestBlockHash: head.hash });
    expect(c.eth!.forkDetail).toMatch(/rule/);
    expect(c).toMatchObject({ error: null, disconnect: { reason: 8, by: 'local' } });

    const b = got.get(bare.enode)!;
    expect(b.outcome).toBe('reachable');
    expect(b.hello!.client!.name).toBe('Geth');
    expect(b.eth).toMatchObject({ networkId: GETH_NETWORK_ID, genesis: bareGenesis, fork: 'incompatible', latestBlock: 0 });
    expect(b.eth!.forkDetail).toMatch(new RegExp(`network ${GETH_NETWORK_ID} != ${ETHTEST_NETWORK_ID}`));
    // We heard its Status first (statusDelay) and closed with 0x10; no fault of the node.
    expect(b).toMatchObject({ error: null, disconnect: { reason: 0x10, by: 'local' } });
  });

  it('a geth at its --maxpeers is full: refused with 0x04, reachable, not failed', async () => {
    // --maxpeers 2 leaves geth one inbound slot (it keeps maxpeers/3, at least 1, for dialing):
    // another peer takes it and keeps it (its Status mirrored back).
    const eth = ethStatusResponder();
    const holder = await dial(bare.enode, { privateKey: generatePrivateKey(), protocols: eth.protocols, pingInterval: 0 });
    try {
      await eth.status(holder, { signal: AbortSignal.timeout(5_000) });
      for (let i = 0; i < 50 && (await bare.rpc<unknown[]>('admin_peers')).length < 1; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await bare.rpc<unknown[]>('admin_peers')).toHaveLength(1);
      const since = Date.now();
      const out: NodeResult[] = [];
      for await (const r of crawl([bare.enode], { timeout: 8_000 })) out.push(r);
      expect(out).toHaveLength(1);
      const r = out[0]!;
      expectTargetFields(r, bare.enode, { sources: ['seed:1'], maxMs: 8_000, since });
      expect(r).toMatchObject({ outcome: 'full', eth: null, rttMs: null, error: null, disconnect: { reason: 4, name: 'too many peers', by: 'remote' } });
      // geth refuses right after the RLPx handshake, before any Hello.
      expect(r.hello).toBeNull();
    } finally {
      await holder.disconnect();
    }
  });
});
