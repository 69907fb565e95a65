/**
 * The Peer over real sockets on 127.0.0.1: the read deadline, the rules for messages after
 * Hello, listeners that throw, and close racing with writes. Misbehaving remotes are raw
 * RlpxConnections driven by hand (see helpers/raw-remote.ts).
 */
import { describe, expect, it } from 'vitest';
import { ClosedError, NetworkError, ProtocolError, TimeoutError } from '../../src/errors.js';
import { DisconnectReason } from '../../src/reasons.js';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import { dial, type DialOptions } from '../../src/peer/dial.js';
import type { Peer, Protocol } from '../../src/peer/peer.js';
import { closeEvents, sleep, within } from '../helpers/loopback.js';
import { rawServer } from '../helpers/raw-remote.js';
import { EscapeWatch } from '../helpers/process-guard.js';
import { peerSuite } from '../helpers/peer-suite.js';

const { res, server, dialPeer, pair } = peerSuite();
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const PROTO = { name: 'tst', version: 1, length: 4 };

describe('read deadline', () => {
  it('closes with a TimeoutError and 0x0b when a remote goes silent after Hello', async () => {
    const raw = await rawServer(res);
    const remoteP = raw.next();
    const t0 = performance.now();
    const client = await dialPeer(raw.enode, { pingInterval: 0, readTimeout: 500 });
    const remote = await remoteP;

    const info = await within(client.closed, 2_000, 'close on read timeout');
    const elapsed = performance.now() - t0;
    expect(info.initiator).toBe('local');
    expect(info.reason).toBe(DisconnectReason.ReadTimeout);
    expect(info.error).toBeInstanceOf(TimeoutError);
    expect(elapsed).toBeGreaterThan(450);
    expect(elapsed).toBeLessThan(1_500);
    const d = await within(remote.disconnect, 2_000, 'Disconnect at the raw remote');
    expect(d.reason).toBe(DisconnectReason.ReadTimeout);
  });

  it('traffic from the remote keeps the read deadline from firing', async () => {
    const raw = await rawServer(res, { answerPings: true });
    const client = await dialPeer(raw.enode, { pingInterval: 100, pongTimeout: 400, readTimeout: 300 });
    await raw.next();
    await sleep(900);
    expect(client.isClosing).toBe(false);
    expect(client.rtt.received).toBeGreaterThanOrEqual(3);
  });
});

describe('message rules after Hello', () => {
  async function connected(opts: Partial<DialOptions> = {}, caps = [{ name: 'aaa', version: 1 }]) {
    const raw = await rawServer(res, { hello: { capabilities: caps }, answerPings: true });
    const remoteP = raw.next();
    const client = await dialPeer(raw.enode, opts);
    const remote = await remoteP;
    await remote.hello;
    return { client, remote };
  }

  it('a code that belongs to no running protocol closes with 0x02', async () => {
    const { client, remote } = await connected({ protocols: [{ name: 'aaa', version: 1, length: 4 }] });
    await remote.send(0x10 + 4, bytes(0xc0));
    const info = await within(client.closed, 2_000, 'close');
    expect(info).toMatchObject({ initiator: 'local', reason: DisconnectReason.ProtocolError });
    expect((await within(remote.disconnect, 2_000, 'Disconnect')).reason).toBe(DisconnectReason.ProtocolError);
  });

  it('reserved base-protocol codes 0x04-0x0f are ignored', async () => {
    const { client, remote } = await connected();
    for (const code of [0x04, 0x09, 0x0f]) await remote.send(code, bytes(0xc0));
    await sleep(50);
    expect(client.isClosing).toBe(false);
    expect(await within(client.ping(), 1_000, 'ping')).toBeGreaterThanOrEqual(0);
  });

  it('a protocol whose run() throws closes the peer with 0x10 SubprotocolError', async () => {
    const { client, remote } = await connected({
      protocols: [{ name: 'aaa', version: 1, length: 4, run: () => { throw new Error('boom'); } }],
    });
    const info = await within(client.closed, 2_000, 'close');
    expect(info).toMatchObject({ initiator: 'local', reason: DisconnectReason.SubprotocolError });
    expect(info.error?.message).toContain('boom');
    expect((await within(remote.disconnect, 2_000, 'Disconnect')).reason).toBe(DisconnectReason.SubprotocolError);
  });

  it("a 'message' listener that throws closes the peer with 0x10", async () => {
    const { client, remote } = await connected({
      protocols: [{ name: 'aaa', version: 1, length: 4, run: (ch) => ch.on('message', () => { throw new Error('bad message'); }) }],
    });
    await remote.send(0x11, bytes(0xc0));
    const info = await within(client.closed, 2_000, 'close');
    expect(info).toMatchObject({ initiator: 'local', reason: DisconnectReason.SubprotocolError });
  });

  it('answers Pings, and closes with 0x02 on a Ping flood beyond the burst', async () => {
    const { client, remote } = await connected({ maxPingRate: 1, pingBurst: 3 });
    await remote.send(0x02, bytes(0xc0));
    await remote.waitForMessage(0x03);
    expect(client.isClosing).toBe(false);

    for (let i = 0; i < 6; i++) void remote.send(0x02, bytes(0xc0)).catch(() => {});
    const info = await within(client.closed, 2_000, 'close on Ping flood');
    expect(info).toMatchObject({ initiator: 'local', reason: DisconnectReason.ProtocolError });
    expect(remote.received.filter((m) => m.code === 0x03).length).toBeLessThanOrEqual(3);
  });

  it('a message whose payload exceeds maxMessageSize closes with 0x02', async () => {
    const { client, remote } = await connected({ maxMessageSize: 1024, protocols: [{ name: 'aaa', version: 1, length: 4 }] });
    await remote.send(0x10, new Uint8Array(1024).fill(1));
    await sleep(30);
    expect(client.isClosing).toBe(false);
    await remote.send(0x10, new Uint8Array(1025).fill(1));
    const info = await within(client.closed, 2_000, 'close');
    expect(info).toMatchObject({ initiator: 'local', reason: DisconnectReason.ProtocolError });
  });
});

describe('user listeners that throw or reject close the peer with 0x10, never the process', () => {
  it("a throwing 'pong' listener", async () => {
    const { client: ours, remote: theirs } = await pair(await server());
    ours.on('pong', () => {
      throw new Error('listener bug');
    });
    await ours.ping().catch(() => {});
    const info = await within(ours.closed, 2_000, 'close');
    expect(info).toMatchObject({ initiator: 'local', reason: DisconnectReason.SubprotocolError });
    expect(info.error).toBeInstanceOf(ProtocolError);
    expect((await within(theirs.closed, 2_000, 'remote close')).reason).toBe(DisconnectReason.SubprotocolError);
  });

  it("a throwing 'health' listener (fired from a timer)", async () => {
    const { client: ours } = await pair(await server({ answerPings: false }), { pingInterval: 50, pongTimeout: 200, healthMode: 'geth' });
    ours.on('health', () => {
      throw new Error('listener bug');
    });
    const info = await within(ours.closed, 3_000, 'close');
    expect(info).toMatchObject({ initiator: 'local', reason: DisconnectReason.SubprotocolError });
  });

  it('an async run() that rejects', async () => {
    const s = await server({ protocols: [PROTO] });
    const peer = res.peer(
      await dial(s.enode, {
        privateKey: generatePrivateKey(),
        pingInterval: 0,
        protocols: [{ ...PROTO, run: async () => Promise.reject(new Error('async bug')) }],
      }),
    );
    const info = await within(peer.closed, 2_000, 'close');
    expect(info).toMatchObject({ initiator: 'local', reason: DisconnectReason.SubprotocolError });
    expect(info.error?.message).toMatch(/async bug/);
  });

  it("an async channel 'message' listener that rejects", async () => {
    const { client: ours, remote: theirs } = await pair(await server({ protocols: [PROTO] }), { protocols: [PROTO] });
    ours.protocol('tst')!.on('message', async () => {
      throw new Error('async listener bug');
    });
    await theirs.protocol('tst')!.send(1, Uint8Array.of(1));
    const info = await within(ours.closed, 2_000, 'close');
    expect(info).toMatchObject({ initiator: 'local', reason: DisconnectReason.SubprotocolError });
  });
});

describe('close racing with writes', () => {
  const proto: Protocol = { name: 'test', version: 1, length: 2 };

  async function race(end: (p: Peer) => unknown): Promise<{ settled: PromiseSettledResult<void>[]; closes: number; unhandled: unknown[] }> {
    const escapes = new EscapeWatch();
    try {
      const s = await server({ protocols: [proto] });
      const { client } = await pair(s, { protocols: [proto] });
      const events = closeEvents(client);
      const ch = client.protocol('test')!;
      const payload = new Uint8Array(4096).fill(7);

      const sends: Promise<void>[] = [];
      for (let i = 0; i < 200; i++) sends.push(ch.send(i % 2, payload));
      const ended = end(client);
      for (let i = 0; i < 50; i++) sends.push(ch.send(0, payload));

      const settled = await within(Promise.allSettled(sends), 3_000, 'all sends to settle');
      await within(client.closed, 3_000, 'closed');
      await ended;
      // 'close' is emitted on a later tick; give stray duplicates a chance to show up.
      await sleep(50);
      // Unhandled rejections are reported after a macrotask or two.
      await new Promise((r) => setImmediate(r));
      return { settled, closes: events.length, unhandled: escapes.unhandled };
    } finally {
      escapes.stop();
    }
  }

  it('many sends and disconnect(): every send settles, one close, no unhandled rejection', async () => {
    const { settled, closes, unhandled } = await race((p) => p.disconnect());
    expect(settled).toHaveLength(250);
    for (const s of settled) if (s.status === 'rejected') expect(s.reason instanceof ClosedError || s.reason instanceof NetworkError).toBe(true);
    // Sends issued after disconnect() are refused.
    expect(settled.slice(200).every((s) => s.status === 'rejected')).toBe(true);
    expect(closes).toBe(1);
    expect(unhandled).toEqual([]);
  });

  it('many sends and destroy(): every send settles, one close, no unhandled rejection', async () => {
    const { settled, closes, unhandled } = await race((p) => p.destroy());
    expect(settled).toHaveLength(250);
    for (const s of settled) if (s.status === 'rejected') expect(s.reason instanceof ClosedError || s.reason instanceof NetworkError).toBe(true);
    expect(closes).toBe(1);
    expect(unhandled).toEqual([]);
  });

  it('disconnect() twice and destroy() resolve to the same close info, emitted once', async () => {
    const s = await server();
    const { client, remote } = await pair(s);
    const events = closeEvents(client);
    const a = client.disconnect(DisconnectReason.ClientQuitting);
    const b = client.disconnect(DisconnectReason.TooManyPeers);
    client.destroy();
    const [ia, ib] = await within(Promise.all([a, b]), 2_000, 'disconnect');
    expect(ia).toBe(ib);
    expect(ia).toMatchObject({ initiator: 'local', reason: DisconnectReason.ClientQuitting });
    const ir = await within(remote.closed, 2_000, 'remote closed');
    expect(ir).toMatchObject({ initiator: 'remote', reason: DisconnectReason.ClientQuitting });
    await sleep(20);
    expect(events).toHaveLength(1);
  });
});
