/**
 * A serving node against bad input, on loopback (no geth): malformed, oversized and unknown
 * requests close the peer with 0x10; transactions and announcements are ignored; a flood of
 * requests from a peer that does not read its replies holds memory bounded while another
 * peer is still served; and the probe's "serves" check against our node, whole or truncated.
 * The store is the ethtest chain (go-ethereum's testdata).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RLP } from '@ethereumjs/rlp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import type { Chain } from '../../src/eth/chain.js';
import type { ChainSource } from '../../src/eth/chain-source.js';
import { FileStore } from '../../src/eth/file-store.js';
import { chainFromGenesis, genesisHeaderOf } from '../../src/eth/genesis.js';
import { encodeGetBlockHeaders, encodeHashesRequest, EthCode } from '../../src/eth/messages.js';
import { ethStatusResponder, type EthResponder, type LocalHead } from '../../src/eth/protocol.js';
import { encodeRawList, iterate, readOne } from '../../src/eth/rlp-view.js';
import type { ProtocolChannel } from '../../src/peer/channel.js';
import type { Peer } from '../../src/peer/peer.js';
import type { Server } from '../../src/peer/server.js';
import { DisconnectReason } from '../../src/reasons.js';
import { Cli, lastJson } from '../helpers/cli.js';
import { ask, rawEth } from '../helpers/eth-ask.js';
import { ethtestData } from '../helpers/geth-chain.js';
import { Resources, sleep, testDial, testServer, within } from '../helpers/loopback.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const data = ethtestData();
const res = new Resources();
afterEach(() => res.closeAll());

describe('serving: bad input', () => {
  let store: FileStore;
  let chain: Chain;
  let head: LocalHead;
  beforeAll(async () => {
    const text = readFileSync(data.genesis, 'utf8');
    chain = chainFromGenesis(text);
    store = await FileStore.open(join(data.chain, '..'), { genesisHeader: genesisHeaderOf(JSON.parse(text) as Record<string, unknown>) });
    const h = await store.head();
    head = { earliestBlock: 0n, latestBlock: h.number, latestBlockHash: h.hash, time: h.time };
  });
  afterAll(() => store.close());

  const server = async (): Promise<{ enode: string; eth: EthResponder; server: Server }> => {
    const eth = ethStatusResponder({ chain, head: () => head, source: store });
    const s = await testServer(res, { protocols: eth.protocols });
    return { enode: s.enode, eth, server: s };
  };
  const client = async (enode: string): Promise<{ peer: Peer; channel: ProtocolChannel }> => {
    const eth = rawEth(chain, head);
    const peer = await testDial(res, enode, { protocols: eth.protocols, privateKey: generatePrivateKey() });
    return { peer, channel: await eth.channel(peer) };
  };
  const headersOf = (reply: Uint8Array): number => [...iterate([...iterate(readOne(reply))][1]!)].length;
  const oneHeader = (id: bigint): Uint8Array => encodeGetBlockHeaders({ requestId: id, origin: 5n, amount: 1n, skip: 0n, reverse: false });

  it.each([
    ['a GetBlockHeaders of the wrong shape', EthCode.GetBlockHeaders, RLP.encode([1, [5, 1, 0]])],
    ['a hash that is not 32 bytes', EthCode.GetBlockBodies, RLP.encode([1, [new Uint8Array(31)]])],
    ['a non-canonical request id', EthCode.GetBlockBodies, Uint8Array.of(0xc4, 0x82, 0x00, 0x01, 0xc0)],
    ['not RLP', EthCode.GetReceipts, Uint8Array.of(0xf9, 0xff)],
    ['a code eth does not use (0x0b)', 0x0b, RLP.encode([1, []])],
    // geth (eth/69+) refuses the PoW announcements as codes it does not handle.
    ['NewBlockHashes (0x01)', 0x01, RLP.encode([[new Uint8Array(32), 1]])],
    ['NewBlock (0x07)', 0x07, RLP.encode([[1], 2])],
    ['a response nobody asked for', EthCode.BlockHeaders, RLP.encode([99, []])],
    ['a second Status', EthCode.Status, RLP.encode([72, 1, new Uint8Array(32), [new Uint8Array(4), 0], 0, 0, new Uint8Array(32)])],
    ['a request over 10 MiB', EthCode.GetBlockBodies, encodeRawList([RLP.encode(1), encodeRawList(Array.from({ length: 330_000 }, () => RLP.encode(new Uint8Array(32))))])],
  ])('%s: closed with 0x10, the error named', async (_what, code, payload) => {
    const { enode, server: s } = await server();
    const remote = new Promise<Peer>((r) => s.once('peer', r));
    const { peer, channel } = await client(enode);
    await channel.send(code, payload);
    const info = await within(peer.closed, 5_000, 'close');
    expect(info).toMatchObject({ reason: DisconnectReason.SubprotocolError, initiator: 'remote' });
    const ours = await within((await remote).closed, 2_000, 'our close');
    expect(ours).toMatchObject({ reason: DisconnectReason.SubprotocolError, initiator: 'local' });
    expect(ours.error?.name).toMatch(/^(Message|Response)Error$/);
  });

  it("a malformed request is reported as 'refused'", async () => {
    const { enode, eth } = await server();
    const refused = new Promise<Error>((r) => eth.once('refused', (_p, err) => r(err)));
    const { channel } = await client(enode);
    await channel.send(EthCode.GetBlockHeaders, RLP.encode([1, [5, 1, 0]]));
    expect((await within(refused, 5_000, 'refused')).message).toMatch(/GetBlockHeaders query/);
  });

  it('when our head moves, announceRange() sends every peer a BlockRangeUpdate', async () => {
    let ours: LocalHead = { ...head, latestBlock: 500n, latestBlockHash: store.hashAt(500)! };
    const eth = ethStatusResponder({ chain, head: () => ours, source: store });
    const s = await testServer(res, { protocols: eth.protocols });
    const theirs = ethStatusResponder({ chain, head: () => head });
    const peer = await testDial(res, s.enode, { protocols: theirs.protocols, privateKey: generatePrivateKey() });
    expect((await within(theirs.status(peer), 5_000, 'status')).status.latestBlock).toBe(500n);
    const moved = new Promise<bigint>((r) => theirs.once('range', (_p, range) => r(range.latestBlock)));
    ours = head;
    expect(await eth.announceRange()).toBe(1);
    expect(await within(moved, 5_000, 'BlockRangeUpdate')).toBe(600n);
  });

  it('a source that fails: the request is answered empty, the peer stays, the failure is reported', async () => {
    const failing: ChainSource = {
      head: () => store.head(),
      earliest: () => store.earliest(),
      headerByNumber: (n) => store.headerByNumber(n),
      headerByHash: (h) => store.headerByHash(h),
      body: async () => {
        throw new Error('chain.rlp is gone');
      },
      receipts: (h) => store.receipts(h),
      blockAccessList: (h) => store.blockAccessList(h),
    };
    const eth = ethStatusResponder({ chain, head: () => head, source: failing });
    const failed = new Promise<Error>((r) => eth.once('sourceError', (_p, err) => r(err)));
    const s = await testServer(res, { protocols: eth.protocols });
    const { peer, channel } = await client(s.enode);
    const reply = await ask(channel, EthCode.GetBlockBodies, encodeHashesRequest({ requestId: 3n, hashes: [store.hashAt(5)!] }), EthCode.BlockBodies);
    expect([...iterate([...iterate(readOne(reply))][1]!)]).toHaveLength(0);
    expect((await within(failed, 1_000, 'sourceError')).message).toBe('chain.rlp is gone');
    expect(headersOf(await ask(channel, EthCode.GetBlockHeaders, oneHeader(4n), EthCode.BlockHeaders))).toBe(1);
    expect(peer.isClosing).toBe(false);
  });

  it('transactions and announcements are ignored: the peer stays and is served', async () => {
    const { enode } = await server();
    const { peer, channel } = await client(enode);
    await channel.send(EthCode.Transactions, RLP.encode([[1, 2, 3]]));
    await channel.send(EthCode.NewPooledTransactionHashes, RLP.encode([new Uint8Array(1), [1], [new Uint8Array(32)], new Uint8Array(16)]));
    expect(headersOf(await ask(channel, EthCode.GetBlockHeaders, oneHeader(7n), EthCode.BlockHeaders))).toBe(1);
    expect(peer.isClosing).toBe(false);
    // No pool: pooled transactions are unknown, and the reply says so with no items.
    const pooled = await ask(channel, EthCode.GetPooledTransactions, encodeHashesRequest({ requestId: 8n, hashes: [new Uint8Array(32)] }), EthCode.PooledTransactions);
    expect([...iterate([...iterate(readOne(pooled))][1]!)]).toHaveLength(0);
  });

  it('a flood from a peer that never reads its replies: memory stays bounded, another peer is served', async () => {
    const { enode } = await server();
    const flooder = await client(enode);
    const other = await client(enode);
    gc();
    const before = process.memoryUsage();
    // 5,000 requests for 100 headers (~55 KB each): 275 MB of replies if nothing pushed back.
    const sends: Array<Promise<void>> = [];
    for (let i = 0; i < 5000; i++) sends.push(flooder.channel.send(EthCode.GetBlockHeaders, encodeGetBlockHeaders({ requestId: BigInt(i), origin: 1n, amount: 100n, skip: 0n, reverse: false })).catch(() => {}));
    await sleep(2_000);
    const started = performance.now();
    expect(headersOf(await ask(other.channel, EthCode.GetBlockHeaders, oneHeader(1n), EthCode.BlockHeaders, 5_000))).toBe(1);
    const answeredIn = performance.now() - started;
    gc();
    const after = process.memoryUsage();
    const held = after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers;
    console.log(`flood: another peer answered in ${answeredIn.toFixed(0)} ms; ${(held / 1e6).toFixed(1)} MB held by both ends`);
    expect(held).toBeLessThan(64e6);
    expect(flooder.peer.isClosing).toBe(false);
    flooder.peer.destroy();
    await Promise.all(sends);
  }, 30_000);
});

describe('serves, against our serving node', () => {
  const cli = new Cli();
  afterEach(() => cli.killAll());
  let full: FileStore;
  let chain: Chain;
  let head: LocalHead;
  beforeAll(async () => {
    const text = readFileSync(data.genesis, 'utf8');
    chain = chainFromGenesis(text);
    full = await FileStore.open(join(data.chain, '..'), { genesisHeader: genesisHeaderOf(JSON.parse(text) as Record<string, unknown>) });
    const h = await full.head();
    head = { earliestBlock: 0n, latestBlock: h.number, latestBlockHash: h.hash, time: h.time };
  });
  afterAll(() => full.close());

  const ping = async (source: FileStore): Promise<{ code: number | null; eth: { latestBlock: number; serves: boolean; servesReason: string | null } }> => {
    const s = await testServer(res, { protocols: ethStatusResponder({ chain, head: () => head, source }).protocols });
    const r = await cli.run(['ping', s.enode, '--eth', '--genesis', data.genesis, '--json', '--count', '1'], { timeout: 15_000 });
    return { code: r.code, eth: lastJson<{ eth: { latestBlock: number; serves: boolean; servesReason: string | null } }>(r.stdout).eth };
  };

  it('the whole chain: serves true, exit 0', async () => {
    expect(await ping(full)).toMatchObject({ code: 0, eth: { latestBlock: 600, serves: true } });
  });

  it('a store truncated at block 300 below the head it advertises (600): serves false, exit 1', async () => {
    const truncated = await FileStore.open(join(data.chain, '..'), { genesisHeader: genesisHeaderOf(JSON.parse(readFileSync(data.genesis, 'utf8')) as Record<string, unknown>), maxBlock: 300n });
    try {
      expect((await truncated.head()).number).toBe(300n);
      const r = await ping(truncated);
      expect(r).toMatchObject({ code: 1, eth: { latestBlock: 600, serves: false } });
      expect(r.eth.servesReason).toMatch(/\S/);
    } finally {
      await truncated.close();
    }
  });
});
