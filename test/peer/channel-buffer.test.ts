/**
 * A channel keeps what arrives before anyone consumes it: a greeting sent from the remote's
 * run() reaches a consumer that awaited something first, and the buffer is bounded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ProtocolChannel } from '../../src/peer/channel.js';
import type { Peer } from '../../src/peer/peer.js';
import { Resources, sleep, testDial, testServer, waitUntil, within } from '../helpers/loopback.js';
import { rawDial } from '../helpers/raw-remote.js';

const res = new Resources();
afterEach(() => res.closeAll());

const GREET = { name: 'greet', version: 1, length: 2 };

/** A server whose greet/1 run() sends a greeting at once, and a dialer that does not listen yet. */
async function greetingPair(): Promise<{ client: Peer; ch: ProtocolChannel }> {
  const s = await testServer(res, { protocols: [{ ...GREET, run: (ch) => void ch.send(0, Uint8Array.of(1, 2, 3)).catch(() => {}) }] });
  const client = await testDial(res, s.enode, { protocols: [GREET] });
  return { client, ch: client.protocol('greet')! };
}

describe('early messages', () => {
  it('a greeting reaches a messages() consumer that awaited something first', async () => {
    const { ch } = await greetingPair();
    await sleep(100); // the greeting has arrived by now, with no consumer
    const it = ch.messages();
    const first = await within(it.next(), 1_000, 'first message');
    expect(first.value).toEqual({ code: 0, payload: Uint8Array.of(1, 2, 3) });
    await it.return(undefined);
  });

  it("a greeting reaches a 'message' listener attached late", async () => {
    const { ch } = await greetingPair();
    await sleep(100);
    const got: number[][] = [];
    ch.on('message', (_code, payload) => got.push([...payload]));
    await waitUntil(() => got.length === 1, 1_000, 'the greeting');
    expect(got).toEqual([[1, 2, 3]]);
  });

  it("a peer-level 'message' listener attached late gets it too", async () => {
    const { client } = await greetingPair();
    await sleep(100);
    const got: string[] = [];
    client.on('message', (protocol, code) => got.push(`${protocol}/${code}`));
    await waitUntil(() => got.length === 1, 1_000, 'the greeting');
    expect(got).toEqual(['greet/0']);
  });

  it('messages() subscribes when called: nothing between the call and the first next() is lost', async () => {
    const BULK = { name: 'bulk', version: 1, length: 1 };
    let serverCh: ProtocolChannel | undefined;
    const s = await testServer(res, { protocols: [{ ...BULK, run: (ch) => void (serverCh = ch) }] });
    const client = await testDial(res, s.enode, { protocols: [BULK] });
    const ch = client.protocol('bulk')!;
    ch.on('message', () => {}); // a consumer exists, so messages are not buffered as "early"
    const it = ch.messages();
    await waitUntil(() => serverCh !== undefined, 1_000, 'server channel');
    await serverCh!.send(0, Uint8Array.of(9));
    await sleep(100);
    const first = await within(it.next(), 1_000, 'first');
    expect(first.value?.payload).toEqual(Uint8Array.of(9));
    await it.return(undefined);
  });

  it('the early buffer is bounded: at 64 messages the peer stops reading, and resumes once consumed', async () => {
    const BULK = { name: 'bulk', version: 1, length: 1 };
    let peer: Peer | undefined;
    let ch: ProtocolChannel | undefined;
    const s = await testServer(res, { protocols: [{ ...BULK, run: (c, p) => void ((ch = c), (peer = p)) }], readTimeout: 0 });
    const remote = await rawDial(res, s.enode, { hello: { capabilities: [{ name: 'bulk', version: 1 }] } });
    await remote.hello;
    await waitUntil(() => peer !== undefined, 1_000, 'server peer');
    for (let i = 0; i < 100; i++) await remote.send(0x10, Uint8Array.of(i));
    await waitUntil(() => peer!.connection.socket.isPaused(), 2_000, 'socket paused at the high-water mark');
    const got: number[] = [];
    ch!.on('message', (_c, p) => got.push(p[0]!));
    await waitUntil(() => got.length === 100, 2_000, 'all 100 in order once consumed');
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(peer!.connection.socket.isPaused()).toBe(false);
  });
});
