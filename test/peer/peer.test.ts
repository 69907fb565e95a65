/**
 * Peer over real sockets on 127.0.0.1: Hello, capabilities, subprotocol messages, Ping/Pong
 * health, deadlines, Disconnect handling, close races and cancellation. Misbehaving remotes
 * are raw RlpxConnections driven by hand (see helpers/loopback.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DisconnectedError, NetworkError, ProtocolError, TimeoutError } from '../../src/errors.js';
import { DisconnectReason } from '../../src/reasons.js';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { encodeDisconnect } from '../../src/peer/disconnect.js';
import { encodeHello } from '../../src/peer/hello.js';
import type { ListenOptions, Server } from '../../src/peer/server.js';
import { dial, type DialOptions } from '../../src/peer/dial.js';
import type { HealthEvent, Peer, Protocol, ProtocolChannel } from '../../src/peer/peer.js';
import {
  closedPort,
  closeEvents,
  rawServer,
  Resources,
  settle,
  silentServer,
  sleep,
  testDial,
  testServer,
  waitUntil,
  within,
} from '../helpers/loopback.js';

const res = new Resources();
afterEach(() => res.closeAll());

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

const server = (opts: Partial<ListenOptions> = {}): Promise<Server> => testServer(res, opts);
const dialPeer = (enode: string, opts: Partial<DialOptions> = {}): Promise<Peer> => testDial(res, enode, opts);

/** The server-side Peer for the next 'peer' event. */
function nextServerPeer(s: Server): Promise<Peer> {
  return within(new Promise<Peer>((r) => s.once('peer', r)), 3_000, "server 'peer' event");
}

/** Dial and return both ends once the server has admitted the peer. */
async function pair(s: Server, opts: Partial<DialOptions> = {}): Promise<{ client: Peer; remote: Peer }> {
  const admitted = nextServerPeer(s);
  const client = await dialPeer(s.enode, opts);
  const remote = await admitted;
  return { client, remote };
}

describe('Hello exchange', () => {
  it('both sides see the other clientId, node id and listen port', async () => {
    const s = await server({ clientId: 'the-server/v9' });
    const key = generatePrivateKey();
    const { client, remote } = await pair(s, { privateKey: key, clientId: 'the-dialer/v1', listenPort: 30999 });

    expect(client.remoteHello?.clientId).toBe('the-server/v9');
    expect(client.id).toBe(bytesToHex(s.publicKey));
    expect(bytesToHex(client.remoteHello!.nodeId)).toBe(bytesToHex(s.publicKey));
    expect(client.remoteHello?.listenPort).toBe(s.address.port);
    expect(client.remoteHello?.version).toBe(5);

    expect(remote.remoteHello?.clientId).toBe('the-dialer/v1');
    expect(remote.id).toBe(bytesToHex(publicKeyOf(key)));
    expect(bytesToHex(remote.remoteHello!.nodeId)).toBe(bytesToHex(publicKeyOf(key)));
    expect(remote.remoteHello?.listenPort).toBe(30999);

    expect(await client.ready).toBe(client.remoteHello);
    expect(client.isClosing).toBe(false);
    expect(remote.isClosing).toBe(false);
    expect(s.peers.get(remote.id)).toBe(remote);
  });
});

describe('capability negotiation', () => {
  const proto = (name: string, version: number, length: number): Protocol => ({ name, version, length });

  it('runs the shared protocols at offsets from 0x10, the same on both sides', async () => {
    const s = await server({ protocols: [proto('eth', 67, 17), proto('eth', 68, 17), proto('snap', 1, 8)] });
    const { client, remote } = await pair(s, { protocols: [proto('snap', 1, 8), proto('eth', 68, 17), proto('les', 4, 24)] });

    const summary = (p: Peer): unknown => p.protocols.map((c) => [c.name, c.version, c.offset, c.length]);
    expect(summary(client)).toEqual([
      ['eth', 68, 0x10, 17],
      ['snap', 1, 0x21, 8],
    ]);
    expect(summary(remote)).toEqual(summary(client));
    expect(client.remoteHello?.capabilities).toEqual([
      { name: 'eth', version: 67 },
      { name: 'eth', version: 68 },
      { name: 'snap', version: 1 },
    ]);
    expect(client.protocol('les')).toBeUndefined();
  });

  it('closes with 0x03 UselessPeer when nothing is shared: dial rejects, server rejects', async () => {
    const s = await server({ protocols: [proto('eth', 68, 17)] });
    const rejected = within(new Promise<Error>((r) => s.once('rejected', (i) => r(i.error))), 3_000, "'rejected'");
    const r = await settle(dialPeer(s.enode, { protocols: [proto('snap', 1, 8)] }));

    // The dialer checks the server's Hello, which arrives before anything else.
    expect(r.ok).toBe(false);
    const err = (r as { error: unknown }).error;
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).reason).toBe(DisconnectReason.UselessPeer);

    // The server either found no shared protocol itself (local 0x03) or was told so first.
    const serverErr = await rejected;
    const serverReason =
      serverErr instanceof DisconnectedError ? serverErr.remoteReason : (serverErr as ProtocolError).reason;
    expect(serverReason).toBe(DisconnectReason.UselessPeer);
    expect(s.peers.size).toBe(0);
  });

  it('a dialer with no protocols is refused with 0x03 by a server that has some', async () => {
    const s = await server({ protocols: [proto('eth', 68, 17)] });
    // requireSharedProtocol defaults to true only when protocols are given: the dialer
    // requires nothing and accepts the server's Hello; the server finds nothing shared.
    const r = await settle(dialPeer(s.enode, {}));
    if (r.ok) {
      const info = await within(r.value.closed, 2_000, 'closed');
      expect(info).toMatchObject({ reason: DisconnectReason.UselessPeer, initiator: 'remote' });
    } else {
      expect(r.error).toBeInstanceOf(DisconnectedError);
      expect((r.error as DisconnectedError).remoteReason).toBe(DisconnectReason.UselessPeer);
    }
  });
});

describe('subprotocol messages', () => {
  const protocols = (log: Array<[string, number, number[]]>): Protocol[] => [
    { name: 'bbb', version: 1, length: 3 },
    {
      name: 'aaa',
      version: 2,
      length: 5,
      run(ch) {
        ch.on('message', (code, payload) => log.push([ch.name, code, [...payload]]));
      },
    },
  ];

  it('round-trips both ways with protocol-relative codes (channel and peer events)', async () => {
    const serverLog: Array<[string, number, number[]]> = [];
    const clientLog: Array<[string, number, number[]]> = [];
    const s = await server({ protocols: protocols(serverLog) });
    const { client, remote } = await pair(s, { protocols: protocols(clientLog) });

    expect(client.protocol('aaa')).toMatchObject({ offset: 0x10, length: 5 });
    expect(client.protocol('bbb')).toMatchObject({ offset: 0x15, length: 3 });

    const peerEvents: Array<[string, number, number[]]> = [];
    remote.on('message', (name, code, payload) => peerEvents.push([name, code, [...payload]]));
    const bbbAtServer: Array<[number, number[]]> = [];
    remote.protocol('bbb')!.on('message', (code, payload) => bbbAtServer.push([code, [...payload]]));

    await client.protocol('aaa')!.send(4, bytes(1, 2, 3));
    await client.protocol('bbb')!.send(0, bytes(9));
    await remote.protocol('aaa')!.send(1, bytes(7, 7));

    await waitUntil(() => serverLog.length === 1 && bbbAtServer.length === 1 && clientLog.length === 1, 2_000, 'messages');
    expect(serverLog).toEqual([['aaa', 4, [1, 2, 3]]]);
    expect(bbbAtServer).toEqual([[0, [9]]]);
    expect(peerEvents).toEqual([
      ['aaa', 4, [1, 2, 3]],
      ['bbb', 0, [9]],
    ]);
    expect(clientLog).toEqual([['aaa', 1, [7, 7]]]);
  });

  it('puts offset + code on the wire and maps wire codes back (raw remote)', async () => {
    const raw = await rawServer(res, { hello: { capabilities: [{ name: 'aaa', version: 2 }, { name: 'bbb', version: 1 }] } });
    const remoteP = raw.next();
    const client = await dialPeer(raw.enode, { protocols: protocols([]) });
    const remote = await remoteP;
    await remote.hello;

    await client.protocol('bbb')!.send(2, bytes(0xab, 0xcd));
    const m = await remote.waitForMessage(0x15 + 2);
    expect([...m.payload]).toEqual([0xab, 0xcd]);

    const got = new Promise<[number, number[]]>((r) => client.protocol('bbb')!.once('message', (c, p) => r([c, [...p]])));
    await remote.send(0x16, bytes(5, 6));
    expect(await within(got, 2_000, 'bbb message')).toEqual([1, [5, 6]]);
  });

  it('channel.messages() delivers everything that arrived before a Disconnect, then ends', async () => {
    const raw = await rawServer(res, { hello: { capabilities: [{ name: 'aaa', version: 2 }] } });
    const remoteP = raw.next();
    const client = await dialPeer(raw.enode, { protocols: protocols([]) });
    const remote = await remoteP;
    await remote.hello;

    const got: number[] = [];
    const done = (async () => {
      for await (const { code } of client.protocol('aaa')!.messages()) {
        got.push(code);
        await sleep(20); // a slow consumer
      }
    })();
    for (let i = 0; i < 4; i++) void remote.send(0x10 + i, bytes(i));
    void remote.send(0x01, encodeDisconnect(DisconnectReason.ClientQuitting));
    await within(done, 2_000, 'messages() to end');
    expect(got).toEqual([0, 1, 2, 3]);
    expect(await client.closed).toMatchObject({ initiator: 'remote', reason: DisconnectReason.ClientQuitting });
  });

  it('rejects a code outside the protocol range without sending', async () => {
    const s = await server({ protocols: protocols([]) });
    const { client } = await pair(s, { protocols: protocols([]) });
    await expect(client.protocol('bbb')!.send(3, bytes())).rejects.toBeInstanceOf(RangeError);
    await expect(client.protocol('bbb')!.send(-1, bytes())).rejects.toBeInstanceOf(RangeError);
    expect(client.isClosing).toBe(false);
  });

  it('channel.messages() yields messages in order and ends when the peer closes', async () => {
    const s = await server({ protocols: protocols([]) });
    const { client, remote } = await pair(s, { protocols: protocols([]) });
    const ch = remote.protocol('aaa')! as ProtocolChannel;

    const collected: Array<[number, number[]]> = [];
    const done = (async () => {
      for await (const { code, payload } of ch.messages()) collected.push([code, [...payload]]);
    })();

    for (let i = 0; i < 5; i++) await client.protocol('aaa')!.send(i, bytes(i, i));
    await waitUntil(() => collected.length === 5, 2_000, '5 messages');
    expect(collected).toEqual([0, 1, 2, 3, 4].map((i) => [i, [i, i]]));

    await client.disconnect();
    await within(done, 2_000, 'messages() to end');
  });
});

describe('ping and RTT', () => {
  it('peer.ping() measures round trips and fills the RTT statistics', async () => {
    const s = await server();
    const { client } = await pair(s);
    expect(client.rtt).toEqual({ sent: 0, received: 0, missed: 0 });

    const samples: number[] = [];
    for (let i = 0; i < 6; i++) samples.push(await client.ping());
    for (const rtt of samples) {
      expect(rtt).toBeGreaterThanOrEqual(0);
      expect(rtt).toBeLessThan(1_000);
    }
    const r = client.rtt;
    expect(r.sent).toBe(6);
    expect(r.received).toBe(6);
    expect(r.missed).toBe(0);
    expect(r.min).toBe(Math.min(...samples));
    expect(r.max).toBe(Math.max(...samples));
    expect(r.min!).toBeLessThanOrEqual(r.mean!);
    expect(r.mean!).toBeLessThanOrEqual(r.max!);
    expect(r.mean).toBeCloseTo(samples.reduce((a, b) => a + b) / samples.length, 6);
    expect(r.last).toBe(samples[5]);
    expect(typeof r.jitter).toBe('number');
    expect(r.jitter!).toBeGreaterThanOrEqual(0);
    expect(r.median!).toBeGreaterThanOrEqual(r.min!);
    expect(r.median!).toBeLessThanOrEqual(r.max!);
    expect(client.health).toBe('healthy');
  });

  it('concurrent pings each resolve', async () => {
    const s = await server();
    const { client } = await pair(s);
    const rtts = await within(Promise.all([client.ping(), client.ping(), client.ping()]), 2_000, 'pings');
    expect(rtts).toHaveLength(3);
    expect(client.rtt.received).toBe(3);
  });

  it('the automatic ping loop fills the statistics within a few intervals', async () => {
    const s = await server();
    const { client, remote } = await pair(s, { pingInterval: 50, pongTimeout: 400 });
    const pongs: number[] = [];
    client.on('pong', (rtt) => pongs.push(rtt));
    let pingsSeen = 0;
    remote.on('ping', () => pingsSeen++);

    await waitUntil(() => client.rtt.received >= 3, 1_000, '3 pongs from the ping loop');
    const r = client.rtt;
    expect(r.sent).toBeGreaterThanOrEqual(3);
    expect(r.min!).toBeLessThanOrEqual(r.max!);
    expect(pongs.length).toBeGreaterThanOrEqual(1);
    expect(pingsSeen).toBeGreaterThanOrEqual(3);
    expect(client.health).toBe('healthy');
  });
});

describe('pong deadline (L7 health)', () => {
  it("closes with 0x0b ReadTimeout, initiator 'local', when the remote never answers Pings", async () => {
    const raw = await rawServer(res, { answerPings: false });
    const remoteP = raw.next();
    const client = await dialPeer(raw.enode, { pingInterval: 100, pongTimeout: 400 });
    const remote = await remoteP;
    const health: HealthEvent[] = [];
    client.on('health', (e) => health.push(e));

    const t0 = performance.now();
    const info = await within(client.closed, 2_000, 'close on missing Pong');
    const elapsed = performance.now() - t0;

    expect(info.initiator).toBe('local');
    expect(info.reason).toBe(DisconnectReason.ReadTimeout);
    expect(info.name).toBe('read timeout');
    expect(info.error).toBeInstanceOf(TimeoutError);
    // First Ping at ~100 ms, deadline 400 ms after it.
    expect(elapsed).toBeGreaterThan(300);
    expect(elapsed).toBeLessThan(1_500);
    expect(remote.pings).toBeGreaterThanOrEqual(1);
    expect(client.rtt.missed).toBeGreaterThanOrEqual(1);
    expect(client.rtt.received).toBe(0);

    // The health events say why, ending in 'unresponsive'.
    expect(health.length).toBeGreaterThanOrEqual(1);
    expect(health.some((e) => e.state === 'late' || e.state === 'unresponsive')).toBe(true);
    expect(health.at(-1)!.state).toBe('unresponsive');
    expect(client.health).toBe('unresponsive');

    // The silent remote is told why.
    const d = await within(remote.disconnect, 2_000, 'Disconnect at the raw remote');
    expect(d.reason).toBe(DisconnectReason.ReadTimeout);
  });

  it("healthMode 'geth' with the same silent remote does not close within 3x pongTimeout", async () => {
    const raw = await rawServer(res, { answerPings: false });
    const remoteP = raw.next();
    const client = await dialPeer(raw.enode, { pingInterval: 100, pongTimeout: 300, healthMode: 'geth' });
    const remote = await remoteP;
    const health: HealthEvent[] = [];
    client.on('health', (e) => health.push(e));

    await sleep(1_000);
    expect(client.isClosing).toBe(false);
    expect(client.closeInfo).toBeUndefined();
    expect(remote.pings).toBeGreaterThanOrEqual(5);
    expect(client.rtt.received).toBe(0);
    // Lateness is still reported, just not acted on.
    expect(client.health).toBe('late');
    expect(health.map((e) => e.state)).toContain('late');
    expect(health.map((e) => e.state)).not.toContain('unresponsive');
  });

  it("geth mode: an on-demand ping() to a silent remote rejects with TimeoutError, the peer stays", async () => {
    const raw = await rawServer(res, { answerPings: false });
    const client = await dialPeer(raw.enode, { pongTimeout: 300, healthMode: 'geth' });
    await raw.next();
    const r = await settle(within(client.ping(), 2_000, 'ping'));
    expect(r.ok).toBe(false);
    expect((r as { error: unknown }).error).toBeInstanceOf(TimeoutError);
    expect(client.isClosing).toBe(false);
  });

  it("L7 mode: a 'health' event reports 'late' before the peer is dropped", async () => {
    const raw = await rawServer(res, { answerPings: false });
    const client = await dialPeer(raw.enode, { pingInterval: 50, pongTimeout: 500 });
    await raw.next();
    const first = await within(new Promise<HealthEvent>((r) => client.once('health', r)), 2_000, "'health'");
    expect(['late', 'unresponsive']).toContain(first.state);
    expect(first.previous).toBe('healthy');
    expect(first.rtt.sent).toBeGreaterThanOrEqual(1);
    await within(client.closed, 2_000, 'close');
  });
});

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

describe('Disconnect from the remote', () => {
  const variants: Array<[string, number, (send: (payload: Uint8Array, compress: boolean) => Promise<void>) => Promise<void>]> = [
    ['[reason], snappy-compressed', 0x04, (send) => send(encodeDisconnect(0x04), true)],
    ['[reason], uncompressed', 0x05, (send) => send(encodeDisconnect(0x05), false)],
    ['bare reason byte, uncompressed', 0x08, (send) => send(bytes(0x08), false)],
    ['bare reason byte, snappy-compressed', 0x10, (send) => send(bytes(0x10), true)],
    ['[unknown reason 0x20], snappy-compressed', 0x20, (send) => send(encodeDisconnect(0x20 as DisconnectReason), true)],
  ];

  it.each(variants)("%s ends the peer with initiator 'remote' and that reason", async (_name, reason, sendIt) => {
    const raw = await rawServer(res);
    const remoteP = raw.next();
    const client = await dialPeer(raw.enode);
    const remote = await remoteP;
    await remote.hello;
    expect(remote.snappy).toBe(true);
    const events = closeEvents(client);

    await sendIt((payload, compress) => remote.send(0x01, payload, compress));
    const info = await within(client.closed, 2_000, 'close on Disconnect');
    expect(info.initiator).toBe('remote');
    expect(info.reason).toBe(reason);
    expect(info.error === undefined || info.error instanceof DisconnectedError).toBe(true);
    await sleep(20);
    expect(events).toHaveLength(1);
  });

  it.each([
    ['uncompressed', false],
    ['snappy-compressed', true],
  ])("an empty payload (%s) ends the peer as 'remote', reason 0 with a DisconnectedError", async (_name, compress) => {
    const raw = await rawServer(res);
    const remoteP = raw.next();
    const client = await dialPeer(raw.enode);
    const remote = await remoteP;
    await remote.hello;

    await remote.send(0x01, bytes(), compress);
    const info = await within(client.closed, 2_000, 'close on Disconnect');
    expect(info.initiator).toBe('remote');
    // src: a Disconnect with no readable reason is reported as 0x00 Requested, with the
    // error saying so (DisconnectedError, remoteReason -1).
    expect(info.reason).toBe(DisconnectReason.Requested);
    expect(info.error).toBeInstanceOf(DisconnectedError);
    expect((info.error as DisconnectedError).remoteReason).toBe(-1);
  });

  it('a Disconnect instead of Hello makes dial reject with the remote reason', async () => {
    const raw = await rawServer(res, { hello: false, first: { code: 0x01, payload: encodeDisconnect(0x04) } });
    const r = await settle(dialPeer(raw.enode));
    expect(r.ok).toBe(false);
    const err = (r as { error: unknown }).error as DisconnectedError;
    expect(err).toBeInstanceOf(DisconnectedError);
    expect(err.remoteReason).toBe(DisconnectReason.TooManyPeers);
  });
});

describe('Hello violations', () => {
  it('a Hello whose nodeId differs from the handshake key gets 0x09 UnexpectedIdentity', async () => {
    const raw = await rawServer(res, { hello: { nodeId: publicKeyOf(generatePrivateKey()) } });
    const remoteP = raw.next();
    const r = await settle(dialPeer(raw.enode));
    const remote = await remoteP;

    expect(r.ok).toBe(false);
    const err = (r as { error: unknown }).error as ProtocolError;
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err.reason).toBe(DisconnectReason.UnexpectedIdentity);
    const d = await within(remote.disconnect, 2_000, 'Disconnect at the raw remote');
    expect(d.reason).toBe(DisconnectReason.UnexpectedIdentity);
    await within(remote.ended, 2_000, 'socket closed');
  });

  it('a first message other than Hello gets 0x02 ProtocolError', async () => {
    const raw = await rawServer(res, { hello: false, first: { code: 0x02, payload: bytes(0xc0) } });
    const remoteP = raw.next();
    const r = await settle(dialPeer(raw.enode));
    const remote = await remoteP;

    expect(r.ok).toBe(false);
    const err = (r as { error: unknown }).error as ProtocolError;
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err.reason).toBe(DisconnectReason.ProtocolError);
    const d = await within(remote.disconnect, 2_000, 'Disconnect at the raw remote');
    expect(d.reason).toBe(DisconnectReason.ProtocolError);
  });

  it('a second Hello after the exchange gets 0x02', async () => {
    const raw = await rawServer(res);
    const remoteP = raw.next();
    const client = await dialPeer(raw.enode);
    const remote = await remoteP;
    await remote.hello;
    await remote.send(0x00, encodeHello({ version: 5, clientId: 'again', capabilities: [], listenPort: 0, nodeId: remote.publicKey }), false);
    const info = await within(client.closed, 2_000, 'close');
    expect(info).toMatchObject({ initiator: 'local', reason: DisconnectReason.ProtocolError });
  });

  it('a Hello that never comes closes after helloTimeout with 0x0b', async () => {
    const raw = await rawServer(res, { hello: false });
    const r = await settle(within(dialPeer(raw.enode, { helloTimeout: 300 }), 2_000, 'dial'));
    expect(r.ok).toBe(false);
    expect((r as { error: unknown }).error).toBeInstanceOf(TimeoutError);
    expect(((r as { error: unknown }).error as TimeoutError).reason).toBe(DisconnectReason.ReadTimeout);
  });
});

describe('close racing with writes', () => {
  const proto: Protocol = { name: 'test', version: 1, length: 2 };

  async function race(end: (p: Peer) => unknown): Promise<{ settled: PromiseSettledResult<void>[]; closes: number; unhandled: unknown[] }> {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
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
      return { settled, closes: events.length, unhandled };
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  }

  it('many sends and disconnect(): every send settles, one close, no unhandled rejection', async () => {
    const { settled, closes, unhandled } = await race((p) => p.disconnect());
    expect(settled).toHaveLength(250);
    for (const s of settled) if (s.status === 'rejected') expect(s.reason).toBeInstanceOf(NetworkError);
    // Sends issued after disconnect() are refused.
    expect(settled.slice(200).every((s) => s.status === 'rejected')).toBe(true);
    expect(closes).toBe(1);
    expect(unhandled).toEqual([]);
  });

  it('many sends and destroy(): every send settles, one close, no unhandled rejection', async () => {
    const { settled, closes, unhandled } = await race((p) => p.destroy());
    expect(settled).toHaveLength(250);
    for (const s of settled) if (s.status === 'rejected') expect(s.reason).toBeInstanceOf(NetworkError);
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

describe('AbortSignal and dial failures', () => {
  it('ping({signal}) aborted rejects with the abort reason; the peer stays up', async () => {
    const s = await server();
    const { client } = await pair(s, { pongTimeout: 2_000 });

    const ac = new AbortController();
    const reason = new Error('stop waiting');
    const p = client.ping({ signal: ac.signal });
    ac.abort(reason);
    await expect(p).rejects.toBe(reason);

    const pre = new AbortController();
    pre.abort('already');
    await expect(client.ping({ signal: pre.signal })).rejects.toBe('already');

    // Still up, and later Pings still match their Pongs.
    await sleep(50);
    expect(client.isClosing).toBe(false);
    const rtt = await within(client.ping(), 2_000, 'ping after abort');
    expect(rtt).toBeGreaterThanOrEqual(0);
    expect(client.isClosing).toBe(false);
  });

  it('dial with an already-aborted signal rejects without connecting', async () => {
    const silent = await silentServer(res);
    const ac = new AbortController();
    const reason = new Error('no');
    ac.abort(reason);
    await expect(dial(silent.enode, { privateKey: generatePrivateKey(), signal: ac.signal })).rejects.toBe(reason);
    await sleep(50);
    expect(silent.accepted()).toBe(0);
  });

  it('dial with a signal aborted mid-handshake rejects promptly', async () => {
    const silent = await silentServer(res);
    const ac = new AbortController();
    const reason = new Error('changed my mind');
    const t0 = performance.now();
    const dialing = settle(dial(silent.enode, { privateKey: generatePrivateKey(), handshakeTimeout: 5_000, signal: ac.signal }));
    await waitUntil(() => silent.accepted() === 1, 2_000, 'TCP accept');
    setTimeout(() => ac.abort(reason), 100);
    const r = await within(dialing, 1_000, 'dial');
    const elapsed = performance.now() - t0;

    expect(r.ok).toBe(false);
    expect(elapsed).toBeLessThan(800);
    const err = (r as { error: unknown }).error;
    // Either the abort reason itself or an error caused by it.
    expect(err === reason || (err as Error).cause === reason).toBe(true);
  });

  it('dial with a signal aborted while waiting for Hello rejects with the abort reason', async () => {
    const raw = await rawServer(res, { hello: false });
    const remoteP = raw.next();
    const ac = new AbortController();
    const reason = new Error('enough');
    const dialing = settle(dial(raw.enode, { privateKey: generatePrivateKey(), signal: ac.signal }));
    const remote = await remoteP;
    await remote.hello; // our Hello went out: we are in the Hello phase
    ac.abort(reason);
    const r = await within(dialing, 1_000, 'dial');
    expect(r.ok).toBe(false);
    expect((r as { error: unknown }).error).toBe(reason);
    await within(remote.ended, 1_000, 'connection closed');
  });

  it('the handshake times out with TimeoutError against a server that never answers', async () => {
    const silent = await silentServer(res);
    const t0 = performance.now();
    const r = await settle(within(dial(silent.enode, { privateKey: generatePrivateKey(), handshakeTimeout: 300 }), 2_000, 'dial'));
    const elapsed = performance.now() - t0;
    expect(r.ok).toBe(false);
    expect((r as { error: unknown }).error).toBeInstanceOf(TimeoutError);
    expect(elapsed).toBeGreaterThan(250);
    expect(elapsed).toBeLessThan(1_500);
  });

  it('dial to a closed port rejects with NetworkError', async () => {
    const port = await closedPort();
    const id = bytesToHex(publicKeyOf(generatePrivateKey()));
    const r = await settle(within(dial(`enode://${id}@127.0.0.1:${port}`, { privateKey: generatePrivateKey() }), 2_000, 'dial'));
    expect(r.ok).toBe(false);
    expect((r as { error: unknown }).error).toBeInstanceOf(NetworkError);
  });

  it('dial to the wrong node id fails the handshake', async () => {
    const s = await server();
    const { port } = s.address;
    const wrong = bytesToHex(publicKeyOf(generatePrivateKey()));
    const r = await settle(within(dial(`enode://${wrong}@127.0.0.1:${port}`, { privateKey: generatePrivateKey(), handshakeTimeout: 1_000 }), 3_000, 'dial'));
    expect(r.ok).toBe(false);
    expect(s.peers.size).toBe(0);
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

describe('option validation', () => {
  it('dial with invalid peer options rejects with RangeError and leaves no connection open', async () => {
    const s = await server();
    const r = await settle(within(dial(s.enode, { privateKey: generatePrivateKey(), pingInterval: -1 }), 2_000, 'dial'));
    expect(r.ok).toBe(false);
    expect((r as { error: unknown }).error).toBeInstanceOf(RangeError);
    // The server holds a connection (pending Hello) as long as the dialer's socket is open.
    // The dialer should not leave it open until the server's 5 s Hello timeout.
    await waitUntil(() => s.pendingHandshakes === 0, 1_000, 'the dialer to close its socket');
  });
});
