/**
 * The eth responder on real loopback sockets: our Status both ways between two of ours, the
 * range and its updates, and hostile Status and BlockRangeUpdate messages, each closing the
 * session with 0x10 and its named error, never with a crash or an unhandled rejection.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RLP } from '@ethereumjs/rlp';
import type { Chain } from '../../src/eth/chain.js';
import { BlockRangeError } from '../../src/eth/errors.js';
import { StatusError } from '../../src/eth/status.js';
import { forkId } from '../../src/eth/forkid.js';
import { ethStatusResponder, type EthResponder } from '../../src/eth/protocol.js';
import { BLOCK_RANGE_UPDATE_CODE, encodeBlockRangeUpdate, type PeerRange } from '../../src/eth/range.js';
import { encodeStatus, ETH_STATUS_CODE, MAX_STATUS_SIZE, type EthStatus } from '../../src/eth/status.js';
import type { ProtocolChannel } from '../../src/peer/channel.js';
import type { Peer, Protocol } from '../../src/peer/peer.js';
import { DisconnectReason } from '../../src/reasons.js';
import { Resources, testDial, testServer, waitUntil, within } from '../helpers/loopback.js';

const chain: Chain = {
  name: 'test',
  networkId: 4242n,
  genesisHash: new Uint8Array(32).fill(0x11),
  genesisTime: 0n,
  forkBlocks: [0n, 0n],
  forkTimes: [0n, 60n, 120n],
};
const HEAD = { number: 600n, time: 6000n };
const hash = (b: number): Uint8Array => new Uint8Array(32).fill(b);
const good: EthStatus = {
  version: 69,
  networkId: chain.networkId,
  genesisHash: chain.genesisHash,
  forkId: forkId(chain, HEAD),
  earliestBlock: 0n,
  latestBlock: 600n,
  latestBlockHash: hash(0x22),
};

/** A hand-driven eth/69 peer: it sends `script` on start and whatever the test sends later. */
function hostile(script: (ch: ProtocolChannel) => void): { protocols: Protocol[]; channel: Promise<ProtocolChannel> } {
  let ready!: (ch: ProtocolChannel) => void;
  const channel = new Promise<ProtocolChannel>((r) => (ready = r));
  return { protocols: [{ name: 'eth', version: 69, length: 18, run: (ch) => (ready(ch), script(ch)) }], channel };
}

const res = new Resources();
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown): void => void unhandled.push(e);
beforeAll(() => void process.on('unhandledRejection', onUnhandled));
afterAll(() => void process.off('unhandledRejection', onUnhandled));
afterEach(async () => {
  await res.closeAll();
  expect(unhandled).toEqual([]);
});

/**
 * We dial with `eth` a listener running `protocols`. (This way round, a remote that we close
 * at once is still one `dial` returned; a listener does not announce peers closed before it
 * admitted them.)
 */
async function connect(eth: EthResponder, protocols: Protocol[]): Promise<{ local: Peer; remote: Peer }> {
  const server = await testServer(res, { protocols });
  const arrived = new Promise<Peer>((r) => server.once('peer', r));
  const local = await testDial(res, server.enode, { protocols: eth.protocols });
  return { local, remote: await within(arrived, 2_000, 'peer') };
}

describe('eth responder, ours on both ends', () => {
  it('with a chain each side speaks first, checks the other and reads its range', async () => {
    const a = ethStatusResponder({ chain, now: () => HEAD.time });
    const b = ethStatusResponder({ chain, head: () => ({ earliestBlock: 5n, latestBlock: 600n, latestBlockHash: hash(0x33), time: HEAD.time }) });
    const { local, remote } = await connect(a, b.protocols);
    const [ha, hb] = await within(Promise.all([a.status(local), b.status(remote)]), 3_000, 'both statuses');
    // a sees b's head: block 600, fork ID of that head; b sees a at genesis.
    expect(ha).toMatchObject({ fork: 'compatible', status: { version: 72, networkId: 4242n, earliestBlock: 5n, latestBlock: 600n, forkId: forkId(chain, HEAD) } });
    expect(hb).toMatchObject({ fork: 'compatible', status: { latestBlock: 0n, latestBlockHash: chain.genesisHash, forkId: forkId(chain, { number: 0n, time: 0n }) } });
    expect(a.range(local)).toMatchObject({ earliestBlock: 5n, latestBlock: 600n, latestBlockHash: hash(0x33) });

    // b moves its head: a emits 'range' and its view of b moves.
    const seen: PeerRange[] = [];
    a.on('range', (p, r) => p === local && seen.push(r));
    await b.sendBlockRange(remote, { earliestBlock: 5n, latestBlock: 601n, latestBlockHash: hash(0x44) });
    await b.sendBlockRange(remote, { earliestBlock: 6n, latestBlock: 601n, latestBlockHash: hash(0x45) });
    await waitUntil(() => seen.length === 2, 2_000, 'two range events');
    expect(seen.map((r) => [r.earliestBlock, r.latestBlock])).toEqual([[5n, 601n], [6n, 601n]]);
    expect(a.range(local)).toMatchObject({ latestBlock: 601n, latestBlockHash: hash(0x45) });
    expect(a.range(local)!.updatedAt).toBeGreaterThan(Date.now() - 5_000);
    expect(() => b.sendBlockRange(remote, { earliestBlock: 9n, latestBlock: 1n, latestBlockHash: hash(1) })).toThrow(BlockRangeError);
  });

  it('with statusDelay we hear first: a remote on another network never gets our Status', async () => {
    const eth = ethStatusResponder({ chain, statusDelay: 300 });
    const got: number[] = [];
    const h = hostile((ch) => {
      ch.on('message', (code) => got.push(code));
      void ch.send(ETH_STATUS_CODE, encodeStatus({ ...good, networkId: 1n })).catch(() => {});
    });
    const { local, remote } = await connect(eth, h.protocols);
    await expect(eth.status(local)).rejects.toMatchObject({ check: 'network' });
    await within(remote.closed, 2_000, 'remote close');
    expect(got).toEqual([]);
    // Two of ours that both wait still meet: each speaks when its delay is up.
    const a = ethStatusResponder({ chain, statusDelay: 100 });
    const b = ethStatusResponder({ chain, statusDelay: 100 });
    const pair = await connect(a, b.protocols);
    expect((await within(a.status(pair.local), 2_000, 'status')).fork).toBe('compatible');
    expect((await within(b.status(pair.remote), 2_000, 'status')).fork).toBe('compatible');
  });

  it('a head() we must not advertise (zero hash) closes that peer with 0x10, not the process', async () => {
    const eth = ethStatusResponder({ chain, statusDelay: 50, head: () => ({ earliestBlock: 0n, latestBlock: 1n, latestBlockHash: new Uint8Array(32), time: 0n }) });
    const server = await testServer(res, { protocols: ethStatusResponder({ chain }).protocols });
    const local = await testDial(res, server.enode, { protocols: eth.protocols });
    const info = await within(local.closed, 2_000, 'close');
    expect(info).toMatchObject({ reason: 0x10, initiator: 'local', error: { name: 'BlockRangeError', check: 'hash' } });
    expect(() => eth.localHead()).toThrow(BlockRangeError);
  });

  it('a chain responder and a mirroring one agree: the mirror says "unchecked"', async () => {
    const withChain = ethStatusResponder({ chain });
    const mirror = ethStatusResponder();
    const { local, remote } = await connect(mirror, withChain.protocols);
    expect((await mirror.status(local)).fork).toBe('unchecked');
    expect((await withChain.status(remote)).status.genesisHash).toEqual(chain.genesisHash);
  });
});

describe('eth responder, hostile remotes', () => {
  const cases: Array<[string, Uint8Array, string]> = [
    ['earliest > latest', encodeStatus({ ...good, earliestBlock: 601n }), 'range'],
    ['a zero latest hash', encodeStatus({ ...good, latestBlockHash: new Uint8Array(32) }), 'hash'],
    ['a wrong network', encodeStatus({ ...good, networkId: 1n }), 'network'],
    ['a wrong genesis', encodeStatus({ ...good, genesisHash: hash(0x99) }), 'genesis'],
    ['a fork ID of another chain', encodeStatus({ ...good, forkId: { hash: Uint8Array.of(1, 2, 3, 4), next: 0n } }), 'forkid'],
    ['another version', encodeStatus({ ...good, version: 70 }), 'version'],
    ['an oversized Status', RLP.encode([...RLP.decode(encodeStatus(good)) as Uint8Array[], new Uint8Array(MAX_STATUS_SIZE)]), 'size'],
    ['a Status that is not RLP', Uint8Array.of(0xf8, 0xff, 1), 'rlp'],
  ];
  for (const [what, payload, check] of cases) {
    it(`a Status with ${what}: StatusError '${check}', 0x10`, async () => {
      const eth = ethStatusResponder({ chain, now: () => HEAD.time });
      const h = hostile((ch) => void ch.send(ETH_STATUS_CODE, payload).catch(() => {}));
      const { local, remote } = await connect(eth, h.protocols);
      const err = await eth.status(local).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(StatusError);
      expect(err).toMatchObject({ check, reason: DisconnectReason.SubprotocolError });
      expect(await within(local.closed, 2_000, 'local close')).toMatchObject({ reason: 0x10, initiator: 'local', error: err });
      expect(await within(remote.closed, 2_000, 'remote close')).toMatchObject({ reason: 0x10, initiator: 'remote' });
      if (check === 'network') expect((err as StatusError).status?.networkId).toBe(1n); // still says where the node is
    });
  }

  const updates: Array<[string, Uint8Array[], string]> = [
    ['going backwards', [encodeBlockRangeUpdate({ earliestBlock: 0n, latestBlock: 700n, latestBlockHash: hash(1) }), encodeBlockRangeUpdate({ earliestBlock: 0n, latestBlock: 650n, latestBlockHash: hash(2) })], 'backwards'],
    ['earliest > latest', [encodeBlockRangeUpdate({ earliestBlock: 800n, latestBlock: 700n, latestBlockHash: hash(1) })], 'range'],
    ['a zero hash', [encodeBlockRangeUpdate({ earliestBlock: 0n, latestBlock: 700n, latestBlockHash: new Uint8Array(32) })], 'hash'],
    ['garbage', [Uint8Array.of(0xc3, 0x01, 0x02)], 'rlp'],
    ['an oversized update', [RLP.encode([1, 2, new Uint8Array(2000)])], 'size'],
  ];
  for (const [what, payloads, check] of updates) {
    it(`a BlockRangeUpdate ${what}: BlockRangeError '${check}', 0x10`, async () => {
      const eth = ethStatusResponder({ chain, now: () => HEAD.time });
      const h = hostile((ch) => void ch.send(ETH_STATUS_CODE, encodeStatus(good)).catch(() => {}));
      const { local, remote } = await connect(eth, h.protocols);
      expect((await eth.status(local)).fork).toBe('compatible');
      const ranges: bigint[] = [];
      eth.on('range', (_p, r) => ranges.push(r.latestBlock));
      const ch = await h.channel;
      for (const p of payloads) await ch.send(BLOCK_RANGE_UPDATE_CODE, p).catch(() => {});
      const info = await within(local.closed, 2_000, 'local close');
      expect(info.error).toBeInstanceOf(BlockRangeError);
      expect(info).toMatchObject({ reason: 0x10, initiator: 'local', error: { check } });
      expect(await within(remote.closed, 2_000, 'remote close')).toMatchObject({ reason: 0x10, initiator: 'remote' });
      expect(ranges).toEqual(payloads.length > 1 ? [700n] : []);
    });
  }
});
