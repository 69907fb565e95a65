/**
 * The request client and the answering side on loopback: our node without a chain answers
 * every request empty with its id; a hand-driven peer sends what a broken or hostile node
 * would (unsolicited, wrong code, too many items, 10 MiB+, malformed items, a header of
 * another hash, late answers), and each gets its named error and a 0x10 close, or is dropped
 * quietly when it is a late answer to a request we gave up on.
 */
import { RLP } from '@ethereumjs/rlp';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TimeoutError } from '../../src/errors.js';
import type { Chain } from '../../src/eth/chain.js';
import { EthClient } from '../../src/eth/client.js';
import { MessageError, ResponseError } from '../../src/eth/errors.js';
import { forkId } from '../../src/eth/forkid.js';
import { EMPTY_OMMERS_HASH, makeHeader, type BlockHeader } from '../../src/eth/header.js';
import { decodeMessage, encodeBlockBodies, encodeBlockHeaders, encodeReceipts, EthCode, MAX_DECODED_ITEMS, MAX_ETH_MESSAGE_SIZE } from '../../src/eth/messages.js';
import { ethStatusResponder } from '../../src/eth/protocol.js';
import { encodeRawList } from '../../src/eth/rlp-view.js';
import { logsBloom } from '../../src/eth/receipt.js';
import { receiptsRoot } from '../../src/eth/verify.js';
import { encodeStatus, ETH_STATUS_CODE, type EthStatus } from '../../src/eth/status.js';
import type { ProtocolChannel } from '../../src/peer/channel.js';
import type { Peer, Protocol } from '../../src/peer/peer.js';
import { DisconnectReason } from '../../src/reasons.js';
import { hostileReply, type HostileKind } from '../helpers/hostile-replies.js';
import { Resources, settle, testDial, testServer, within } from '../helpers/loopback.js';

const chain: Chain = { name: 'test', networkId: 4242n, genesisHash: new Uint8Array(32).fill(0x11), genesisTime: 0n, forkBlocks: [0n, 0n], forkTimes: [0n, 60n, 120n] };

function header(n: bigint, parent: Uint8Array = new Uint8Array(32)): BlockHeader {
  return makeHeader({
    parentHash: parent, ommersHash: EMPTY_OMMERS_HASH, coinbase: new Uint8Array(20), stateRoot: new Uint8Array(32), transactionsRoot: new Uint8Array(32).fill(0x56),
    receiptsRoot: new Uint8Array(32), logsBloom: new Uint8Array(256), difficulty: 0n, number: n, gasLimit: 30_000_000n, gasUsed: 0n, timestamp: 6000n,
    extraData: new Uint8Array(0), mixHash: new Uint8Array(32), nonce: new Uint8Array(8), baseFeePerGas: 7n,
  });
}
const HEAD = header(600n);
const status: EthStatus = { version: 72, networkId: 4242n, genesisHash: chain.genesisHash, forkId: forkId(chain, { number: 600n, time: 6000n }), earliestBlock: 0n, latestBlock: 600n, latestBlockHash: HEAD.hash };

type Reply = (ch: ProtocolChannel, code: number, payload: Uint8Array) => void;

/** A hand-driven eth/72 node: sends its Status, then answers requests with `reply`. */
function handDriven(reply: Reply): { protocols: Protocol[]; channel: Promise<ProtocolChannel> } {
  let ready!: (ch: ProtocolChannel) => void;
  const channel = new Promise<ProtocolChannel>((r) => (ready = r));
  const run = (ch: ProtocolChannel): void => {
    ready(ch);
    void ch.send(ETH_STATUS_CODE, encodeStatus(status)).catch(() => {});
    ch.on('message', (code, payload) => {
      if (code !== ETH_STATUS_CODE) reply(ch, code, payload);
    });
  };
  return { protocols: [{ name: 'eth', version: 72, length: 22, run }], channel };
}

const requestId = (code: number, payload: Uint8Array): bigint => (decodeMessage(72, code, payload).message as { requestId: bigint }).requestId;

const res = new Resources();
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown): void => void unhandled.push(e);
beforeAll(() => void process.on('unhandledRejection', onUnhandled));
afterAll(() => void process.off('unhandledRejection', onUnhandled));
afterEach(async () => {
  await res.closeAll();
  expect(unhandled).toEqual([]);
});

async function connect(protocols: Protocol[]): Promise<{ peer: Peer; client: EthClient; remote: Peer }> {
  const eth = ethStatusResponder();
  const server = await testServer(res, { protocols });
  const arrived = new Promise<Peer>((r) => server.once('peer', r));
  const peer = await testDial(res, server.enode, { protocols: eth.protocols });
  await within(eth.status(peer), 3_000, 'status');
  return { peer, client: new EthClient(eth), remote: await within(arrived, 2_000, 'peer') };
}

/** The request fails with `error`, and the peer closes with 0x10 and the same kind of error. */
async function closesWith(peer: Peer, request: Promise<unknown>, error: abstract new (...a: never[]) => Error, check: string): Promise<void> {
  const out = await within(settle(request), 3_000, 'request');
  expect(out.ok).toBe(false);
  const err = (out as { error: unknown }).error;
  expect(err).toBeInstanceOf(error);
  expect((err as { check: string }).check).toBe(check);
  const info = await within(peer.closed, 3_000, 'close');
  expect(info.reason).toBe(DisconnectReason.SubprotocolError);
  expect(info.initiator).toBe('local');
}

describe('a node of ours without a chain', () => {
  it('answers every request empty, with its id, and stays connected', async () => {
    // b has a chain (it speaks first), a mirrors it; b asks a.
    const a = ethStatusResponder();
    const b = ethStatusResponder({ chain, head: () => ({ earliestBlock: 0n, latestBlock: 600n, latestBlockHash: HEAD.hash, time: 6000n }) });
    const server = await testServer(res, { protocols: a.protocols });
    const arrived = new Promise<Peer>((r) => server.once('peer', r));
    const peer = await testDial(res, server.enode, { protocols: b.protocols });
    await within(b.status(peer), 3_000, 'status');
    await within(a.status(await arrived), 3_000, 'status');
    const client = new EthClient(b);
    expect(await client.getBlockHeaders(peer, { origin: HEAD.hash, amount: 1 })).toEqual([]);
    expect(await client.getBlockBodies(peer, [HEAD.hash, HEAD])).toEqual([]);
    expect(await client.getReceipts(peer, [HEAD])).toEqual([]);
    expect(await client.getPooledTransactions(peer, [HEAD.hash])).toEqual([]);
    expect(await client.getBlockAccessLists(peer, [HEAD.hash])).toEqual([]);
    const mask = new Uint8Array(16).fill(1);
    for (const nested of [false, true]) expect(await client.getCells(peer, [HEAD.hash], mask, { nested })).toEqual({ requestId: expect.any(BigInt), hashes: [], cells: [], mask, nested });
    // Many at once, each matched to its own answer.
    const many = await Promise.all(Array.from({ length: 50 }, (_, i) => client.getBlockHeaders(peer, { origin: i, amount: 1 })));
    expect(many.every((h) => h.length === 0)).toBe(true);
    expect(peer.isClosing).toBe(false);
  });
});

describe('answers from a hand-driven node', () => {
  it('the right header, answers out of order, many in flight', async () => {
    const held: Array<[ProtocolChannel, Uint8Array]> = [];
    const h = handDriven((ch, code, payload) => {
      held.push([ch, payload]);
      if (held.length < 3) return;
      // Answer the three in reverse order, each with the header of the number asked.
      for (const [c, p] of held.reverse()) {
        const q = decodeMessage(72, code, p).message as { requestId: bigint; origin: bigint };
        void c.send(EthCode.BlockHeaders, encodeBlockHeaders({ requestId: q.requestId, headers: [header(q.origin)] }));
      }
    });
    const { peer, client } = await connect(h.protocols);
    const got = await Promise.all([1n, 2n, 3n].map((n) => client.getBlockHeaders(peer, { origin: n, amount: 1 })));
    expect(got.map((hs) => hs[0]!.number)).toEqual([1n, 2n, 3n]);
    expect(peer.isClosing).toBe(false);
  });

  it('an unsolicited response closes with 0x10 (ResponseError unsolicited)', async () => {
    const h = handDriven(() => {});
    const { peer } = await connect(h.protocols);
    const ch = await h.channel;
    await ch.send(EthCode.BlockHeaders, encodeBlockHeaders({ requestId: 77n, headers: [HEAD] }));
    const info = await within(peer.closed, 3_000, 'close');
    expect(info.reason).toBe(DisconnectReason.SubprotocolError);
    expect(info.error).toBeInstanceOf(ResponseError);
    expect((info.error as ResponseError).check).toBe('unsolicited');
  });

  it('a response of the wrong code', async () => {
    const h = handDriven((ch, code, p) => void ch.send(EthCode.BlockBodies, encodeBlockBodies({ requestId: requestId(code, p), bodies: [] })));
    const { peer, client } = await connect(h.protocols);
    await closesWith(peer, client.getBlockHeaders(peer, { origin: 1, amount: 1 }), ResponseError, 'code');
  });

  it('more items than asked', async () => {
    const h = handDriven((ch, code, p) => void ch.send(EthCode.BlockHeaders, encodeBlockHeaders({ requestId: requestId(code, p), headers: [header(1n), header(2n, header(1n).hash)] })));
    const { peer, client } = await connect(h.protocols);
    await closesWith(peer, client.getBlockHeaders(peer, { origin: 1, amount: 1 }), ResponseError, 'too-many');
  });

  it('a reply above 10 MiB', async () => {
    const h = handDriven((ch, code, p) => {
      const filler = RLP.encode(new Uint8Array(MAX_ETH_MESSAGE_SIZE));
      void ch.send(EthCode.BlockHeaders, encodeRawList([RLP.encode(requestId(code, p)), encodeRawList([filler])])).catch(() => {});
    });
    const { peer, client } = await connect(h.protocols);
    await closesWith(peer, client.getBlockHeaders(peer, { origin: 1, amount: 1 }), MessageError, 'size');
  });

  const malformed: Array<[string, number, (rid: bigint) => Uint8Array, (c: EthClient, p: Peer) => Promise<unknown>]> = [
    ['header', EthCode.BlockHeaders, (rid) => encodeRawList([RLP.encode(rid), encodeRawList([RLP.encode([1, 2, 3])])]), (c, p) => c.getBlockHeaders(p, { origin: 1, amount: 1 })],
    ['body', EthCode.BlockBodies, (rid) => encodeRawList([RLP.encode(rid), encodeRawList([RLP.encode([[Uint8Array.of(9, 0xc0) as Uint8Array], []])])]), (c, p) => c.getBlockBodies(p, [HEAD.hash])],
    ['receipt', EthCode.Receipts, (rid) => RLP.encode([rid, 0, [[[0, Uint8Array.of(2), 21000, []]]]]), (c, p) => c.getReceipts(p, [HEAD.hash])],
  ];
  for (const [what, code, reply, ask] of malformed) {
    it(`a malformed ${what}`, async () => {
      const h = handDriven((ch, c, p) => void ch.send(code, reply(requestId(c, p))));
      const { peer, client } = await connect(h.protocols);
      await closesWith(peer, ask(client, peer), MessageError, what === 'body' ? 'type' : what === 'receipt' ? 'field' : 'rlp');
    });
  }

  it('a header of another hash than asked (ResponseError mismatch)', async () => {
    const h = handDriven((ch, code, p) => void ch.send(EthCode.BlockHeaders, encodeBlockHeaders({ requestId: requestId(code, p), headers: [header(600n, new Uint8Array(32).fill(1))] })));
    const { peer, client } = await connect(h.protocols);
    await closesWith(peer, client.getBlockHeaders(peer, { origin: HEAD.hash, amount: 1 }), ResponseError, 'mismatch');
  });

  it('a body that does not match its header (ResponseError mismatch)', async () => {
    const h = handDriven((ch, code, p) => void ch.send(EthCode.BlockBodies, encodeBlockBodies({ requestId: requestId(code, p), bodies: [{ transactions: [], uncles: [] }] })));
    const { peer, client } = await connect(h.protocols);
    await closesWith(peer, client.getBlockBodies(peer, [HEAD]), ResponseError, 'mismatch');
  });

  it('getReceipts pages through lastBlockIncomplete (eth/70+) and verifies the whole list', async () => {
    const rs = Array.from({ length: 5 }, (_, i) => ({ type: 2, postStateOrStatus: Uint8Array.of(1), cumulativeGasUsed: BigInt(21000 * (i + 1)), logs: [{ address: new Uint8Array(20).fill(i), topics: [new Uint8Array(32).fill(i)], data: Uint8Array.of(i) }] }));
    const bloom = logsBloom(rs.flatMap((r) => r.logs));
    const a = makeHeader({ ...header(1n), receiptsRoot: receiptsRoot(rs.slice(0, 2)), logsBloom: logsBloom(rs.slice(0, 2).flatMap((r) => r.logs)) });
    const b = makeHeader({ ...header(2n, a.hash), receiptsRoot: receiptsRoot(rs), logsBloom: bloom });
    const asked: bigint[] = [];
    const h = handDriven((ch, code, p) => {
      const q = decodeMessage(72, code, p).message as { requestId: bigint; firstBlockReceiptIndex: bigint; hashes: Uint8Array[] };
      asked.push(q.firstBlockReceiptIndex);
      // Block a whole and 2 of b's 5, then 2 more of b, then the last one.
      const pages: Record<string, [boolean, typeof rs[]]> = { '0': [true, [rs.slice(0, 2), rs.slice(0, 2)]], '2': [true, [rs.slice(2, 4)]], '4': [false, [rs.slice(4)]] };
      const [incomplete, lists] = pages[String(q.firstBlockReceiptIndex)]!;
      void ch.send(EthCode.Receipts, encodeReceipts(72, { requestId: q.requestId, lastBlockIncomplete: incomplete, receipts: lists }));
    });
    const { peer, client } = await connect(h.protocols);
    const got = await client.getReceipts(peer, [a, b]);
    expect(asked).toEqual([0n, 2n, 4n]);
    expect(got.map((l) => l.length)).toEqual([2, 5]);
    expect(got[1]!.map((r) => r.cumulativeGasUsed)).toEqual(rs.map((r) => r.cumulativeGasUsed));
    expect(peer.isClosing).toBe(false);
  });

  it('a timeout rejects, the peer stays, the late answer is dropped quietly; abort likewise', async () => {
    const late: Array<() => void> = [];
    const h = handDriven((ch, code, p) => void late.push(() => void ch.send(EthCode.BlockHeaders, encodeBlockHeaders({ requestId: requestId(code, p), headers: [] }))));
    const { peer, client } = await connect(h.protocols);
    const t0 = Date.now();
    const out = await settle(client.getBlockHeaders(peer, { origin: 1, amount: 1 }, { timeout: 200 }));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect((out as { error: unknown }).error).toBeInstanceOf(TimeoutError);
    expect(((out as { error: TimeoutError }).error).deadline).toBe('request');
    const ac = new AbortController();
    const aborted = settle(client.getBlockHeaders(peer, { origin: 2, amount: 1 }, { signal: ac.signal }));
    ac.abort(new Error('stop'));
    expect(((await aborted) as { error: Error }).error.message).toBe('stop');
    for (const send of late) send();
    await new Promise((r) => setTimeout(r, 300));
    expect(peer.isClosing).toBe(false);
    // A second copy of the same late answer is unsolicited: the tombstone is used up.
    late[0]!();
    const info = await within(peer.closed, 3_000, 'close');
    expect((info.error as ResponseError).check).toBe('unsolicited');
  });
});

describe('a hostile reply of tiny items just under 10 MiB', () => {
  // Unbounded, such a reply decoded to 0.6-1.2 GB of objects (bench/decode-budget.ts). Now
  // decoding stops at MAX_DECODED_ITEMS, so the heap taken is bounded at the refusal itself.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const MiB = 2 ** 20;
  const cases: Array<[HostileKind, number, (c: EthClient, p: Peer) => Promise<unknown>]> = [
    ['BlockBodies', EthCode.BlockBodies, (c, p) => c.getBlockBodies(p, [HEAD.hash])],
    ['Receipts', EthCode.Receipts, (c, p) => c.getReceipts(p, [HEAD.hash])],
    ['Logs', EthCode.Receipts, (c, p) => c.getReceipts(p, [HEAD.hash])],
  ];
  for (const [kind, code, ask] of cases) {
    it(`${kind}: refused (MessageError size), 0x10, heap bounded`, async () => {
      const h = handDriven((ch, c, p) => void ch.send(code, hostileReply(kind, requestId(c, p), 1, 72)).catch(() => {}));
      const { peer, client } = await connect(h.protocols);
      gc();
      const base = process.memoryUsage().heapUsed;
      const out = await within(settle(ask(client, peer)), 20_000, 'request');
      // No gc before this reading: whatever the decoding built is still counted.
      const atRefusal = process.memoryUsage().heapUsed - base;
      expect(out.ok).toBe(false);
      const err = (out as { error: unknown }).error;
      expect(err).toBeInstanceOf(MessageError);
      expect((err as MessageError).check).toBe('size');
      expect((err as MessageError).message).toContain(`${MAX_DECODED_ITEMS} RLP items`);
      const info = await within(peer.closed, 3_000, 'close');
      expect(info.reason).toBe(DisconnectReason.SubprotocolError);
      gc();
      const after = process.memoryUsage().heapUsed - base;
      // Without the item budget these replies cost 0.6-1.2 GiB before any refusal; with it about
      // 35-70 MiB, plus garbage the collector has not reached yet (up to ~140 MiB seen in CI).
      expect(atRefusal).toBeLessThan(320 * MiB);
      expect(after).toBeLessThan(16 * MiB);
    }, 30_000);
  }
});
