/**
 * crawl() against real nodes on 127.0.0.1: our listeners (with and without eth), a full
 * listener, a closed port, a TCP server that never answers, a node that stops answering Pings,
 * an @ethereumjs/devp2p node. Every field of every result is checked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { crawl, type CrawlOptions } from '../../src/crawl/crawl.js';
import type { NodeResult } from '../../src/crawl/result.js';
import { SeedSet, parseEnodeList } from '../../src/crawl/seeds.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { CHAINS } from '../../src/eth/chain.js';
import { forkId } from '../../src/eth/forkid.js';
import { ethStatusResponder } from '../../src/eth/protocol.js';
import { EnodeError, formatEnode } from '../../src/peer/enode.js';
import { startRefNode } from '../helpers/ethereumjs.js';
import { freePort } from '../helpers/geth.js';
import { closedPort, HOST, Resources, silentServer, testPair, testServer, within } from '../helpers/loopback.js';
import { rawServer } from '../helpers/raw-remote.js';
import { encodeDisconnect } from '../../src/peer/disconnect.js';
import { P2PCode } from '../../src/peer/p2p.js';
import { DisconnectReason } from '../../src/reasons.js';
import { byEnode, expectTargetFields } from './expect-result.js';

const res = new Resources();
afterEach(() => res.closeAll());

async function run(seeds: Parameters<typeof crawl>[0], options: CrawlOptions = {}): Promise<NodeResult[]> {
  const out: NodeResult[] = [];
  for await (const r of crawl(seeds, { timeout: 1_500, ...options })) out.push(r);
  return out;
}

const hex = (b: Uint8Array): string => `0x${bytesToHex(b)}`;

describe('crawl: one result per node, every field', () => {
  it('our listeners, a full one, a closed port, a silent port, one that stops answering Pings, an ethereumjs node', async () => {
    const plain = await Promise.all([1, 2, 3].map((i) => testServer(res, { clientId: `Plain/v1.2.${i}-beta/linux-amd64/go1.2${i}` })));
    // Full: its one slot taken by another peer.
    const full = await testServer(res, { clientId: 'Full/v9.0.0', maxPeers: 1 });
    await testPair(res, full);
    const mute = await testServer(res, { clientId: 'Mute/v0.0.1', answerPings: false });
    const silent = await silentServer(res);
    const closed = formatEnode({ id: publicKeyOf(generatePrivateKey()), host: HOST, port: await closedPort() });
    const refPort = await freePort();
    const ref = await startRefNode({ clientId: 'EthereumJS/v10.0.0/linux-x64/node20', listenPort: refPort });
    res.add(() => ref.close());
    const refEnode = formatEnode({ id: ref.id, host: HOST, port: refPort });

    const enodes = [...plain.map((s) => s.enode), full.enode, mute.enode, silent.enode, closed, refEnode];
    const since = Date.now();
    const results = await within(run(enodes), 10_000, 'the crawl');
    expect(results).toHaveLength(enodes.length);
    const got = byEnode(results);
    enodes.forEach((e, i) => expectTargetFields(got.get(e)!, e, { sources: [`seed:${i + 1}`], maxMs: 3_000, since }));

    plain.forEach((s, i) => {
      const r = got.get(s.enode)!;
      expect(r.outcome).toBe('reachable');
      expect(r.hello).toEqual({
        clientId: `Plain/v1.2.${i + 1}-beta/linux-amd64/go1.2${i + 1}`,
        client: { name: 'Plain', version: `1.2.${i + 1}`, versionSuffix: '-beta', os: 'linux', arch: 'amd64', lang: `go1.2${i + 1}` },
        p2pVersion: 5,
        caps: [],
        listenPort: s.address.port,
      });
      expect(r.eth).toBeNull(); // no eth shared
      expect(r.rttMs).toBeGreaterThan(0);
      expect(r.rttMs).toBeLessThan(1_500);
      expect(r.disconnect).toEqual({ reason: 8, name: 'client quitting', by: 'local' });
      expect(r.error).toBeNull();
    });

    // Full: refused with 0x04 in place of Hello; reachable, not a failure.
    expect(got.get(full.enode)).toMatchObject({ outcome: 'full', hello: null, eth: null, rttMs: null, error: null, disconnect: { reason: 4, name: 'too many peers', by: 'remote' } });

    // Hello, then no Pong: reachable, the Ping timed out at the node's deadline, we left with 0x08.
    const m = got.get(mute.enode)!;
    expect(m.outcome).toBe('reachable');
    expect(m.hello).toMatchObject({ clientId: 'Mute/v0.0.1', client: { name: 'Mute', version: '0.0.1' }, p2pVersion: 5, caps: [], listenPort: mute.address.port });
    expect(m).toMatchObject({ eth: null, rttMs: null, disconnect: { reason: 8, name: 'client quitting', by: 'local' } });
    expect(m.error).toEqual({ stage: 'ping', class: 'timeout', name: 'TimeoutError', message: 'node deadline of 1500 ms passed' });
    expect(m.durationMs).toBeGreaterThanOrEqual(1_400);

    // Accepts TCP, never answers the auth: the handshake times out at the deadline.
    const s = got.get(silent.enode)!;
    expect(s).toMatchObject({ outcome: 'failed', hello: null, eth: null, rttMs: null, disconnect: null });
    expect(s.error).toEqual({ stage: 'rlpx', class: 'timeout', name: 'TimeoutError', message: 'node deadline of 1500 ms passed' });
    expect(silent.accepted()).toBe(1);

    const c = got.get(closed)!;
    expect(c).toMatchObject({ outcome: 'failed', hello: null, eth: null, rttMs: null, disconnect: null });
    expect(c.error).toMatchObject({ stage: 'tcp', class: 'refused', name: 'NetworkError' });
    expect(c.error!.message).toMatch(/ECONNREFUSED/);
    expect(c.durationMs).toBeLessThan(500);

    // @ethereumjs/devp2p: its Hello, snap/1 shared (we offer it beside eth), its Pong.
    const e = got.get(refEnode)!;
    expect(e.outcome).toBe('reachable');
    expect(e.hello).toEqual({
      clientId: 'EthereumJS/v10.0.0/linux-x64/node20',
      client: { name: 'EthereumJS', version: '10.0.0', os: 'linux', arch: 'x64', lang: 'node20' },
      p2pVersion: 5,
      caps: ['snap/1'],
      listenPort: refPort,
    });
    expect(e).toMatchObject({ eth: null, error: null, disconnect: { reason: 8, name: 'client quitting', by: 'local' } });
    expect(e.rttMs).toBeGreaterThan(0);
    expect((await ref.nextRemoved()).disconnectWe).toBe(false); // it saw our Disconnect
  });

  it('a node on eth: its Status, unchecked without a chain, compatible or incompatible with one', async () => {
    const sepolia = CHAINS.sepolia!;
    const eth = ethStatusResponder({ chain: sepolia });
    const node = await testServer(res, { clientId: 'Eth/v2.0.0', protocols: eth.protocols });
    const genesisFork = forkId(sepolia, { number: 0n, time: sepolia.genesisTime });
    const status = {
      version: 72,
      networkId: 11155111,
      genesis: hex(sepolia.genesisHash),
      forkId: { hash: hex(genesisFork.hash), next: Number(genesisFork.next) },
      earliestBlock: 0,
      latestBlock: 0,
      latestBlockHash: hex(sepolia.genesisHash),
    };
    const [mirror] = await run([node.enode]);
    expect(mirror!.hello!.caps).toEqual(['eth/69', 'eth/70', 'eth/71', 'eth/72']);
    // Our node holds no blocks: it answers the header request empty, so it does not serve.
    const noServe = { serves: false, servesReason: 'an empty answer: the node does not have the block it announces' };
    expect(mirror!.eth).toEqual({ ...status, fork: 'unchecked', forkDetail: null, ...noServe });
    expect(mirror).toMatchObject({ outcome: 'reachable', error: null, disconnect: { reason: 8, by: 'local' } });
    expect(mirror!.rttMs).toBeGreaterThan(0);

    const [own] = await run([node.enode], { chain: sepolia });
    expect(own!.eth).toEqual({ ...status, fork: 'compatible', forkDetail: 'same fork state (rule 1)', ...noServe });
    expect(own).toMatchObject({ outcome: 'reachable', error: null, disconnect: { reason: 8, by: 'local' } });

    const [other] = await run([node.enode], { chain: CHAINS.mainnet! });
    expect(other!.eth).toMatchObject({ ...status, fork: 'incompatible' });
    expect(other!.eth!.forkDetail).toMatch(/network 11155111 != 1/);
    // Not the node's fault: it is reachable, on another chain; we closed with 0x10.
    expect(other).toMatchObject({ outcome: 'reachable', error: null, disconnect: { reason: 0x10, by: 'local' } });
  });
});

describe('crawl: nodes that send Disconnect', () => {
  it('before Hello with 0x03: failed, class disconnected with its reason; after Hello with 0x04: full, with its Hello; after Hello with 0x03: reachable, the Ping failed', async () => {
    const useless = await rawServer(res, { hello: false, first: { code: P2PCode.Disconnect, payload: encodeDisconnect(DisconnectReason.UselessPeer) } });
    const busy = await rawServer(res, { hello: { clientId: 'Busy/v1.0.0/linux-x64/dotnet9' }, answerPings: false });
    const leaving = await rawServer(res, { hello: { clientId: 'Leaving/v2.0.0' }, answerPings: false });
    const remotes: Promise<void>[] = [];
    remotes.push(leaving.next().then(async (r) => void (await r.send(P2PCode.Disconnect, encodeDisconnect(DisconnectReason.UselessPeer), false))));
    // Hello, then "too many peers", as some clients do once they see who we are.
    remotes.push(busy.next().then(async (r) => void (await r.send(P2PCode.Disconnect, encodeDisconnect(DisconnectReason.TooManyPeers), false))));
    const since = Date.now();
    const got = byEnode(await run([useless.enode, busy.enode, leaving.enode]));
    await Promise.all(remotes);
    for (const e of [useless.enode, busy.enode, leaving.enode]) expectTargetFields(got.get(e)!, e, { maxMs: 1_500, since });
    expect(got.get(useless.enode)).toMatchObject({ outcome: 'failed', hello: null, eth: null, rttMs: null, disconnect: null });
    expect(got.get(useless.enode)!.error).toEqual({
      stage: 'hello', class: 'disconnected', name: 'DisconnectedError', message: 'remote disconnected before Hello: reason 3', remoteReason: 3,
    });
    const b = got.get(busy.enode)!;
    expect(b).toMatchObject({ outcome: 'full', eth: null, rttMs: null, error: null, disconnect: { reason: 4, name: 'too many peers', by: 'remote' } });
    expect(b.hello).toMatchObject({ clientId: 'Busy/v1.0.0/linux-x64/dotnet9', client: { name: 'Busy', version: '1.0.0', os: 'linux', arch: 'x64', lang: 'dotnet9' } });
    // Hello, then 0x03 under our Ping: reachable, the Ping failed because the node left.
    const l = got.get(leaving.enode)!;
    expect(l).toMatchObject({ outcome: 'reachable', eth: null, rttMs: null, disconnect: { reason: 3, name: 'useless peer', by: 'remote' } });
    expect(l.hello).toMatchObject({ clientId: 'Leaving/v2.0.0', client: { name: 'Leaving', version: '2.0.0' } });
    expect(l.error).toMatchObject({ stage: 'ping', class: 'disconnected', remoteReason: 3 });
    expect(l.error!.message).toMatch(/^disconnected by the remote \(useless peer\)/);
  });
});

describe('crawl: politeness', () => {
  it('dials each node once however many seeds name it, merging their sources', async () => {
    const s = await testServer(res);
    let accepted = 0;
    s.on('peer', () => accepted++);
    const list = parseEnodeList(`${s.enode}\n# again\n${s.enode}?discport=1\n`, 'nodes.txt');
    const set = new SeedSet();
    for (const seed of list.seeds) set.add(seed);
    const c = crawl([...set.targets, s.enode], { timeout: 1_500 });
    const results: NodeResult[] = [];
    for await (const r of c) results.push(r);
    expect(results).toHaveLength(1);
    expect(results[0]!.sources).toEqual(['nodes.txt:1', 'nodes.txt:3', 'seed:2']);
    expect(c.duplicates).toBe(1);
    expect(set.duplicates).toBe(1);
    expect(accepted).toBe(1);
  });

  it('skips the ids it is told to, and refuses a malformed seed with a typed error before dialing', async () => {
    const [a, b] = [await testServer(res), await testServer(res)];
    const first = await run([a.enode]);
    const c = crawl([a.enode, b.enode], { skip: [first[0]!.id] });
    const rest: NodeResult[] = [];
    for await (const r of c) rest.push(r);
    expect(rest.map((r) => r.enode)).toEqual([b.enode]);
    expect(c.skipped).toBe(1);
    expect(() => crawl(['enode://nope@127.0.0.1:1'])).toThrow(EnodeError);
    expect(() => crawl([], { concurrency: 0 })).toThrow(RangeError);
  });

  it('keeps to the dial rate', async () => {
    const servers = await Promise.all(Array.from({ length: 12 }, () => testServer(res)));
    const t0 = performance.now();
    const results = await run(servers.map((s) => s.enode), { rate: 20, burst: 1 });
    const secs = (performance.now() - t0) / 1000;
    expect(results.every((r) => r.outcome === 'reachable')).toBe(true);
    // 12 dials at 20/s with a burst of 1: the 12th goes out 0.55 s after the first.
    expect(secs).toBeGreaterThanOrEqual(0.5);
    const starts = results.map((r) => Date.parse(r.startedAt)).sort((x, y) => x - y);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(40);
  });

  it('keeps to the concurrency bound: nodes that hold their slot until the deadline, three at a time', async () => {
    // They never answer a Ping, so each session lasts the whole 400 ms deadline.
    const servers = await Promise.all(Array.from({ length: 7 }, () => testServer(res, { answerPings: false })));
    let now = 0;
    let most = 0;
    for (const s of servers) s.on('peer', (p) => ((most = Math.max(most, ++now)), void p.closed.then(() => now--)));
    const t0 = performance.now();
    const results = await run(servers.map((s) => s.enode), { rate: 0, concurrency: 3, timeout: 400 });
    expect(results.map((r) => r.error?.class)).toEqual(Array(7).fill('timeout'));
    expect(most).toBe(3);
    // Three rounds of at least 400 ms each.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1_150);
  });

  it('stops every node in progress when aborted, and when the loop breaks', async () => {
    const silent = await Promise.all([1, 2, 3].map(() => silentServer(res)));
    const ac = new AbortController();
    const c = crawl(silent.map((s) => s.enode), { timeout: 30_000, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('enough')), 200);
    const t0 = performance.now();
    await expect(within((async () => { for await (const _ of c) void _; })(), 3_000, 'the aborted crawl')).rejects.toThrow('enough');
    expect(performance.now() - t0).toBeLessThan(1_500);
    expect(c.inFlight).toBe(0);

    const a = await testServer(res);
    const b = crawl([a.enode, ...silent.map((s) => s.enode)], { timeout: 30_000, concurrency: 4 });
    for await (const r of b) {
      expect(r.enode).toBe(a.enode);
      break;
    }
    expect(b.inFlight).toBe(0);
  });
});
