/**
 * Regressions from review: options refused before any socket exists, user listeners that throw
 * or reject, bad disconnect reasons, and the reason a refused dial carries.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DisconnectedError, ProtocolError } from '../../src/errors.js';
import { DisconnectReason } from '../../src/reasons.js';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import { EnodeError } from '../../src/peer/enode.js';
import { dial, type DialOptions } from '../../src/peer/dial.js';
import { listen, type ListenOptions, type Server } from '../../src/peer/server.js';
import type { Peer } from '../../src/peer/peer.js';
import { HOST, Resources, silentServer, sleep, waitUntil, within } from '../helpers/loopback.js';

const res = new Resources();
const escaped: unknown[] = [];
const onEscape = (e: unknown): void => void escaped.push(e);
beforeEach(() => {
  escaped.length = 0;
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
});
afterEach(async () => {
  await res.closeAll();
  process.off('unhandledRejection', onEscape);
  process.off('uncaughtException', onEscape);
  expect(escaped).toEqual([]);
});

const PROTO = { name: 'tst', version: 1, length: 4 };

async function server(opts: Partial<ListenOptions> = {}): Promise<Server> {
  return res.server(await listen({ privateKey: generatePrivateKey(), port: 0, pingInterval: 0, ...opts })) as Server;
}

async function pair(
  serverOpts: Partial<ListenOptions> = {},
  dialOpts: Partial<DialOptions> = {},
): Promise<{ s: Server; ours: Peer; theirs: Peer }> {
  const s = await server(serverOpts);
  const arrived = new Promise<Peer>((r) => s.once('peer', r));
  const ours = res.peer(await dial(s.enode, { privateKey: generatePrivateKey(), pingInterval: 0, ...dialOpts }));
  return { s, ours, theirs: await within(arrived, 2_000, 'server peer') };
}

describe('options are refused before a socket exists', () => {
  it('a clientId that makes Hello exceed 2 KiB: listen() and dial() throw, nothing connects', async () => {
    const clientId = 'x'.repeat(3000);
    await expect(listen({ privateKey: generatePrivateKey(), port: 0, clientId })).rejects.toThrow(RangeError);
    const silent = await silentServer(res);
    await expect(dial(silent.enode, { privateKey: generatePrivateKey(), clientId })).rejects.toThrow(RangeError);
    await expect(dial(silent.enode, { privateKey: generatePrivateKey(), readTimeout: -1 })).rejects.toThrow(RangeError);
    await expect(dial(silent.enode, { privateKey: generatePrivateKey(), pongTimeout: 2 ** 31 })).rejects.toThrow(RangeError);
    await sleep(50);
    expect(silent.accepted()).toBe(0);
  });

  it('an Enode object with an off-curve id is refused with EnodeError before connecting', async () => {
    const silent = await silentServer(res);
    const id = new Uint8Array(64).fill(1);
    await expect(dial({ id, host: HOST, port: silent.port }, { privateKey: generatePrivateKey() })).rejects.toBeInstanceOf(EnodeError);
    await sleep(50);
    expect(silent.accepted()).toBe(0);
  });

  it('listen() with an aborted signal refuses to start', async () => {
    await expect(listen({ privateKey: generatePrivateKey(), port: 0, signal: AbortSignal.abort() })).rejects.toThrow();
  });
});

describe('user listeners that throw or reject close the peer with 0x10, never the process', () => {
  it("a throwing 'pong' listener", async () => {
    const { ours, theirs } = await pair();
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
    const { ours } = await pair({ answerPings: false }, { pingInterval: 50, pongTimeout: 200, healthMode: 'geth' });
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
    const { ours, theirs } = await pair({ protocols: [PROTO] }, { protocols: [PROTO] });
    ours.protocol('tst')!.on('message', async () => {
      throw new Error('async listener bug');
    });
    await theirs.protocol('tst')!.send(1, Uint8Array.of(1));
    const info = await within(ours.closed, 2_000, 'close');
    expect(info).toMatchObject({ initiator: 'local', reason: DisconnectReason.SubprotocolError });
  });
});

describe('disconnect reasons', () => {
  it('disconnect() with a reason outside [0, 255] throws and leaves the peer running', async () => {
    const { ours } = await pair();
    expect(() => ours.disconnect(-1 as DisconnectReason)).toThrow(RangeError);
    expect(() => ours.disconnect(256 as DisconnectReason)).toThrow(RangeError);
    expect(ours.isClosing).toBe(false);
    expect(await ours.ping()).toBeGreaterThan(0);
  });

  it("a refused dial's DisconnectedError carries the remote's reason", async () => {
    const s = await server({ maxPeers: 0 });
    const err = await dial(s.enode, { privateKey: generatePrivateKey() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DisconnectedError);
    expect((err as DisconnectedError).reason).toBe(DisconnectReason.TooManyPeers);
    expect((err as DisconnectedError).remoteReason).toBe(DisconnectReason.TooManyPeers);
  });

  it("the server's 'rejected' event names the remote address even for sockets it drops at once", async () => {
    const s = await server({ maxPendingHandshakes: 0 });
    const rejected = new Promise<string>((r) => s.once('rejected', (i) => r(i.remote)));
    await dial(s.enode, { privateKey: generatePrivateKey(), handshakeTimeout: 500 }).catch(() => {});
    expect(await within(rejected, 2_000, 'rejected')).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});

describe('Ping/Pong pairing', () => {
  it('every Ping is answered even when writes are backed up, so RTTs stay paired', async () => {
    const { ours, theirs } = await pair({ protocols: [PROTO] }, { protocols: [PROTO] });
    // Fill the server's write buffer towards us while we ping it.
    const blob = new Uint8Array(256 * 1024);
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) sends.push(theirs.protocol('tst')!.send(0, blob).catch(() => {}));
    const rtts: number[] = [];
    for (let i = 0; i < 5; i++) rtts.push(await ours.ping());
    await Promise.all(sends);
    // After the backlog drains, a fresh Ping is answered fast: the pairing did not slip.
    const after = await ours.ping();
    expect(after).toBeLessThan(200);
    expect(ours.rtt).toMatchObject({ sent: 6, received: 6, missed: 0 });
    await waitUntil(() => !ours.isClosing, 100);
  });
});

describe('a slow messages() consumer', () => {
  it('pauses reading past the high-water mark, suspends the read deadline, and loses nothing', async () => {
    const { ours, theirs } = await pair({ protocols: [PROTO] }, { protocols: [PROTO], readTimeout: 300 });
    const N = 200;
    const it = ours.protocol('tst')!.messages({ highWaterMark: 16 });
    const firstP = it.next(); // the generator starts listening now
    const sends: Promise<void>[] = [];
    for (let i = 0; i < N; i++) sends.push(theirs.protocol('tst')!.send(2, new Uint8Array(1024).fill(i & 0xff)));
    await Promise.all(sends);
    const first = await within(firstP, 2_000, 'message 0');
    // The consumer is stalled well past readTimeout while its queue is full: reading stops,
    // and the remote is not blamed for the silence that causes.
    await waitUntil(() => ours.connection.socket.isPaused(), 2_000, 'socket paused');
    await sleep(600);
    expect(ours.isClosing).toBe(false);
    const got: number[] = [first.value!.payload[0]!];
    for (let i = 1; i < N; i++) {
      const r = await within(it.next(), 2_000, `message ${i}`);
      got.push(r.value!.payload[0]!);
    }
    expect(got).toEqual(Array.from({ length: N }, (_, i) => i & 0xff));
    expect(ours.connection.socket.isPaused()).toBe(false);
    await it.return(undefined);
    expect(await ours.ping()).toBeGreaterThan(0);
  });
});
