/**
 * Subprotocol channels over real sockets: protocol-relative codes, the 'message' event and the
 * messages() iterator with its backpressure.
 */
import { describe, expect, it } from 'vitest';
import { DisconnectReason } from '../../src/reasons.js';
import { encodeDisconnect } from '../../src/peer/disconnect.js';
import type { Protocol } from '../../src/peer/peer.js';
import type { ProtocolChannel } from '../../src/peer/channel.js';
import { sleep, waitUntil, within } from '../helpers/loopback.js';
import { rawServer } from '../helpers/raw-remote.js';
import { peerSuite } from '../helpers/peer-suite.js';

const { res, server, dialPeer, pair } = peerSuite();
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const PROTO = { name: 'tst', version: 1, length: 4 };

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

describe('a slow messages() consumer', () => {
  it('pauses reading past the high-water mark, suspends the read deadline, and loses nothing', async () => {
    const { client: ours, remote: theirs } = await pair(await server({ protocols: [PROTO] }), { protocols: [PROTO], readTimeout: 300 });
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
