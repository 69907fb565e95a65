/**
 * The eth handshake against a real geth that has a chain: go-ethereum's ethtest chain
 * (600 blocks, Cancun at time 60, Prague at 120), imported into one geth for this file.
 * Each check looks at both sides: ours through our API and CLI, geth's through its RPC.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../src/crypto/bytes.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import type { Chain } from '../../src/eth/chain.js';
import { forkId } from '../../src/eth/forkid.js';
import { readGenesisFile } from '../../src/eth/genesis.js';
import { ethStatusResponder, type EthHandshake } from '../../src/eth/protocol.js';
import { dial } from '../../src/peer/dial.js';
import type { Peer } from '../../src/peer/peer.js';
import { listen } from '../../src/peer/server.js';
import { lastJson, parseMetrics, sampleValue, type CliExit } from '../helpers/cli.js';
import { gethBinaries, type GethNode } from '../helpers/geth.js';
import { ETHTEST_BLOCKS, ETHTEST_NETWORK_ID, ethtestData, gethEthInfo, gethPerFile, startChainGeth } from '../helpers/geth-chain.js';
import { HOST, sleep, within } from '../helpers/loopback.js';

const bin = gethBinaries();
const hex = (b: Uint8Array): string => `0x${bytesToHex(b)}`;

interface Block {
  number: string;
  hash: string;
  timestamp: string;
}

describe.skipIf(!bin)('eth with a geth that has a chain', () => {
  const { geth: gethNode, cli, res } = gethPerFile(() => startChainGeth(bin!));
  let geth: GethNode;
  let chain: Chain;
  let head: Block;
  let genesisFile: string;

  beforeAll(async () => {
    genesisFile = ethtestData().genesis;
    geth = gethNode();
    chain = readGenesisFile(genesisFile);
    head = await geth.rpc<Block>('eth_getBlockByNumber', ['latest', false]);
  });

  /** geth's admin_peers entry for the eth protocol of a peer: "handshake", then an object once done. */
  const gethEthPeer = async (pub: Uint8Array): Promise<unknown> => {
    const peers = await geth.rpc<Array<{ enode: string; protocols: Record<string, unknown> }>>('admin_peers');
    return peers.find((p) => p.enode.includes(bytesToHex(pub)))?.protocols['eth'];
  };

  /** Waits (5 s at most) for geth to finish the eth handshake with a peer. */
  const gethListsEth = async (pub: Uint8Array): Promise<unknown> => {
    for (let i = 0; i < 50; i++) {
      const eth = await gethEthPeer(pub);
      if (typeof eth === 'object') return eth; // "handshake" while geth is still checking our Status
      await sleep(100);
    }
    return undefined;
  };

  /** What we must see of geth's Status: its head, and the fork ID we compute for that head. */
  const expectGethStatus = (h: EthHandshake): void => {
    expect(h.fork).toBe('compatible');
    expect(h.status).toMatchObject({ networkId: BigInt(ETHTEST_NETWORK_ID), genesisHash: chain.genesisHash, earliestBlock: 0n, latestBlock: BigInt(head.number) });
    expect(hex(h.status.latestBlockHash)).toBe(head.hash);
    expect(h.status.forkId).toEqual(forkId(chain, { number: BigInt(head.number), time: BigInt(head.timestamp) }));
  };

  it("geth's genesis hash is the one we compute from genesis.json, its head block 600", async () => {
    const info = await gethEthInfo(geth);
    expect(info.genesis).toBe(hex(chain.genesisHash));
    expect(info.network).toBe(ETHTEST_NETWORK_ID);
    expect(Number(await geth.rpc<string>('eth_blockNumber'))).toBe(ETHTEST_BLOCKS);
    expect(BigInt(head.timestamp)).toBe(6000n);
    // Cancun (60) and Prague (120) both passed at geth's head: that is the fork ID to expect.
    expect(forkId(chain, { number: 600n, time: 6000n }).next).toBe(0n);
  });

  it('we dial geth: our Status first, both checks pass, the range is its head, geth keeps us', async () => {
    const key = generatePrivateKey();
    const eth = ethStatusResponder({ chain });
    const peer = res.peer(await dial(geth.enode, { privateKey: key, protocols: eth.protocols, pingInterval: 0 }));
    expectGethStatus(await within(eth.status(peer), 5_000, 'status'));
    expect(eth.range(peer)).toMatchObject({ earliestBlock: 0n, latestBlock: 600n, latestBlockHash: hexToBytes(head.hash.slice(2)) });
    // geth accepted our Status (genesis range, fork ID at genesis): it lists us as an eth peer and keeps us.
    expect(await gethListsEth(publicKeyOf(key))).toMatchObject({ version: 72 });
    await sleep(1_000);
    expect(peer.isClosing).toBe(false);
    // An update of ours is one geth accepts too.
    await eth.sendBlockRange(peer, { earliestBlock: 0n, latestBlock: 0n, latestBlockHash: chain.genesisHash });
    await sleep(300);
    expect(peer.isClosing).toBe(false);
    expect(await gethEthPeer(publicKeyOf(key))).toBeDefined();
  });

  it('geth dials us: our listener with the chain passes its checks and reads its head', async () => {
    const key = generatePrivateKey();
    const eth = ethStatusResponder({ chain });
    const server = res.server(await listen({ privateKey: key, port: 0, protocols: eth.protocols, pingInterval: 0 }));
    res.add(() => geth.rpc('admin_removePeer', [server.enode]));
    const arrived = new Promise<Peer>((r) => server.once('peer', r));
    expect(await geth.rpc('admin_addPeer', [server.enode])).toBe(true);
    const peer = await within(arrived, 10_000, 'geth to dial us');
    expect(peer.id).toBe(geth.id);
    expectGethStatus(await within(eth.status(peer), 5_000, 'status'));
    expect(await gethListsEth(publicKeyOf(key))).toMatchObject({ version: 72 });
  });

  const expectExit = (r: CliExit, code: number): void => {
    expect({ code: r.code, timedOut: r.timedOut }, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toEqual({ code, timedOut: false });
  };

  it('ping --genesis: "compatible", exit 0, the eth object as specified', async () => {
    const r = await cli.run(['ping', geth.enode, '--genesis', genesisFile, '--json', '--count', '1'], { timeout: 15_000 });
    expectExit(r, 0);
    const j = lastJson<{ ok: boolean; eth: unknown; error: string | null }>(r.stdout);
    expect(j).toMatchObject({ ok: true, error: null });
    const id = forkId(chain, { number: 600n, time: 6000n });
    expect(j.eth).toEqual({
      version: 72,
      networkId: ETHTEST_NETWORK_ID,
      genesis: hex(chain.genesisHash),
      forkId: { hash: hex(id.hash), next: 0 },
      earliestBlock: 0,
      latestBlock: Number(await geth.rpc<string>('eth_blockNumber')),
      latestBlockHash: head.hash,
      fork: 'compatible',
      serves: true,
      servesReason: null,
    });
  });

  it('ping --chain mainnet: "incompatible" on another network, exit 1; human output says so', async () => {
    const r = await cli.run(['ping', geth.enode, '--chain', 'mainnet', '--json', '--count', '1'], { timeout: 15_000 });
    expectExit(r, 1);
    const j = lastJson<{ ok: boolean; eth: Record<string, unknown>; error: string; disconnect: unknown }>(r.stdout);
    expect(j.ok).toBe(false);
    expect(j.eth).toMatchObject({ networkId: ETHTEST_NETWORK_ID, genesis: hex(chain.genesisHash), latestBlock: 600, fork: 'incompatible' });
    expect(j.error).toMatch(/network 3503995874084926 != 1/);
    expect(j.disconnect).toMatchObject({ reason: 0x10, by: 'local' });

    const human = await cli.run(['ping', geth.enode, '--chain', 'mainnet', '--count', '1'], { timeout: 15_000 });
    expectExit(human, 1);
    expect(human.stdout).toMatch(/^ {2}eth {7}v72, network 3503995874084926, genesis 0xbd6a252af394d809…, fork id 0x[0-9a-f]{8}\/0: incompatible$/m);
    expect(human.stdout).toMatch(new RegExp(`^ {2}blocks {4}0\\.\\.600, latest ${head.hash}$`, 'm'));
    expect(human.stdout).toMatch(/^ {2}error {5}eth status: network .* \(the node is alive but on another chain/m);
  });

  it('ping --eth without a chain mirrors: "unchecked", exit 0', async () => {
    const r = await cli.run(['ping', geth.enode, '--eth', '--json', '--count', '1'], { timeout: 15_000 });
    expectExit(r, 0);
    expect(lastJson<{ eth: unknown }>(r.stdout).eth).toMatchObject({ latestBlock: 600, fork: 'unchecked' });
  });

  it('monitor: latest block, fork verdict and lag of geth and of a node at genesis', async () => {
    // A second target on the same chain that advertises only its genesis: 600 blocks behind geth.
    const behind = ethStatusResponder({ chain });
    const key = generatePrivateKey();
    const server = res.server(await listen({ privateKey: key, port: 0, protocols: behind.protocols, pingInterval: 0 }));
    const gethLabel = `${geth.id.slice(0, 16)}@${HOST}:${geth.port}`;
    const oursLabel = `${bytesToHex(publicKeyOf(key)).slice(0, 16)}@${HOST}:${server.address.port}`;
    const mon = cli.spawn(['monitor', geth.enode, server.enode, '--genesis', genesisFile, '--metrics-port', '0', '--interval', '500', '--json'], { timeout: 30_000 });
    const first = JSON.parse(await mon.waitForLine(() => true, 8_000, 'the first line')) as { url: string };
    const ev = (l: string): boolean => (JSON.parse(l) as { event: string }).event === 'eth';
    await mon.waitForLines(ev, 2, 8_000, "'eth' events");
    // The serves check of each: geth serves its head, ours (no blocks) answers empty.
    const sv = (l: string): boolean => (JSON.parse(l) as { event: string }).event === 'serves';
    const serves = (await mon.waitForLines(sv, 2, 8_000, "'serves' events")).map((l) => JSON.parse(l) as { target: string; serves: boolean });
    expect(serves.find((e) => e.target === geth.enode)?.serves).toBe(true);
    expect(serves.find((e) => e.target !== geth.enode)?.serves).toBe(false);
    const { samples, types } = parseMetrics(await (await fetch(first.url, { signal: AbortSignal.timeout(3_000) })).text());
    for (const name of ['rlpx_eth_latest_block', 'rlpx_eth_fork', 'rlpx_eth_lag_blocks']) expect(types.get(name), name).toBe('gauge');
    expect(sampleValue(samples, 'rlpx_eth_latest_block', { target: gethLabel })).toBe(600);
    expect(sampleValue(samples, 'rlpx_eth_latest_block', { target: oursLabel })).toBe(0);
    expect(sampleValue(samples, 'rlpx_eth_lag_blocks', { target: gethLabel })).toBe(0);
    expect(sampleValue(samples, 'rlpx_eth_lag_blocks', { target: oursLabel })).toBe(600);
    expect(sampleValue(samples, 'rlpx_eth_serves', { target: gethLabel })).toBe(1);
    expect(sampleValue(samples, 'rlpx_eth_serves', { target: oursLabel })).toBe(0);
    for (const target of [gethLabel, oursLabel]) {
      expect(sampleValue(samples, 'rlpx_eth_fork', { target, verdict: 'compatible' })).toBe(1);
      expect(sampleValue(samples, 'rlpx_eth_fork', { target, verdict: 'incompatible' })).toBe(0);
    }
    mon.kill('SIGTERM');
    expectExit(await mon.exited, 0);
  });

  // Last: it rewinds geth's chain.
  it("geth's BlockRangeUpdate after debug_setHead moves back: closed by default, followed with allowRangeRewind", async () => {
    const strict = ethStatusResponder({ chain });
    const lenient = ethStatusResponder({ chain, allowRangeRewind: true });
    const opts = { pingInterval: 0 };
    const [a, b] = await Promise.all([
      dial(geth.enode, { ...opts, privateKey: generatePrivateKey(), protocols: strict.protocols }),
      dial(geth.enode, { ...opts, privateKey: generatePrivateKey(), protocols: lenient.protocols }),
    ]);
    res.peer(a);
    res.peer(b);
    await Promise.all([strict.status(a), lenient.status(b)]);
    const moved = new Promise<bigint>((r) => lenient.once('range', (_p, range) => r(range.latestBlock)));
    await geth.rpc('debug_setHead', ['0x1f4']);
    expect(Number(await geth.rpc<string>('eth_blockNumber'))).toBe(500);
    expect(await within(moved, 5_000, "lenient 'range'")).toBe(500n);
    expect(lenient.range(b)).toMatchObject({ latestBlock: 500n });
    expect(b.isClosing).toBe(false);
    const info = await within(a.closed, 5_000, 'strict close');
    expect(info).toMatchObject({ reason: 0x10, initiator: 'local', error: { name: 'BlockRangeError', check: 'backwards' } });
  });
});
