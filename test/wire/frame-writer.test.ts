/**
 * The write path under a full buffer: sends wait in order instead of failing, nothing is
 * sealed before it can be written, aborts and closes settle waiting sends, and a Pong is never
 * dropped. Real sockets: the remote stops reading, so the kernel's buffers and then ours fill.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ClosedError, TimeoutError } from '../../src/errors.js';
import type { ProtocolChannel } from '../../src/peer/channel.js';
import type { Peer } from '../../src/peer/peer.js';
import { Resources, settle, sleep, testServer, waitUntil, within } from '../helpers/loopback.js';
import { rawDial, type RawRemote } from '../helpers/raw-remote.js';

const res = new Resources();
afterEach(() => res.closeAll());

const BULK = { name: 'bulk', version: 1, length: 1 };
const KiB = 1024;

/** A server peer with a 'bulk' channel and a raw remote that can stop reading. */
async function bulkPair(opts: { maxWriteBuffer: number; writeTimeout?: number }): Promise<{ peer: Peer; ch: ProtocolChannel; remote: RawRemote }> {
  let got: { peer: Peer; ch: ProtocolChannel } | undefined;
  const s = await testServer(res, {
    protocols: [{ ...BULK, run: (ch, peer) => void (got = { peer, ch }) }],
    requireSharedProtocol: false,
    readTimeout: 0,
    writeTimeout: opts.writeTimeout ?? 10_000,
    maxWriteBuffer: opts.maxWriteBuffer,
  });
  const remote = await rawDial(res, s.enode, { hello: { capabilities: [{ name: BULK.name, version: BULK.version }] } });
  await remote.hello;
  await waitUntil(() => got !== undefined, 2_000, 'bulk channel');
  return { ...got!, remote };
}

/**
 * Send without awaiting until a send waits: one that has not resolved a macrotask later. A
 * send with room resolves once its frame is queued for the tick's write, so the first one
 * still pending is the first held back by the cap. After that every later send waits too, in
 * order.
 */
async function fill(_peer: Peer, ch: ProtocolChannel, payload: Uint8Array): Promise<Array<Promise<void>>> {
  const sends: Array<Promise<void>> = [];
  for (let i = 0; i < 20_000; i++) {
    let settled = false;
    const p = ch.send(0, payload);
    p.then(
      () => (settled = true),
      () => (settled = true),
    );
    sends.push(p);
    await new Promise((r) => setImmediate(r));
    if (!settled) return sends;
  }
  throw new Error('the buffer never filled');
}

/** A filler-sized payload that says which it is. */
function marked(tag: number): Uint8Array {
  const b = new Uint8Array(16 * KiB).fill(7);
  new DataView(b.buffer).setUint32(0, tag);
  return b;
}

const bulkReceived = (remote: RawRemote): number => remote.received.filter((m) => m.code === 0x10).length;

describe('send() under a full write buffer', () => {
  it('waits instead of failing, then every message arrives intact and in order', async () => {
    const { ch, remote, peer } = await bulkPair({ maxWriteBuffer: 128 * KiB });
    remote.conn.socket.pause();
    const filler = await fill(peer, ch, randomBytes(16 * KiB));
    // Queued while full: numbered, so order can be checked at the other end.
    const numbered = Array.from({ length: 50 }, (_, i) => ch.send(0, Uint8Array.of(0xaa, i)));
    await sleep(50);
    expect(peer.connection.socket.writableLength).toBeLessThanOrEqual(128 * KiB + 20 * KiB);
    expect(peer.isClosing).toBe(false);

    remote.conn.socket.resume();
    await within(Promise.all([...filler, ...numbered]), 5_000, 'every send');
    const total = filler.length + numbered.length;
    await waitUntil(() => bulkReceived(remote) === total, 5_000, 'every message at the remote');
    const tail = remote.received.filter((m) => m.code === 0x10).slice(-50);
    expect(tail.map((m) => [...m.payload])).toEqual(Array.from({ length: 50 }, (_, i) => [0xaa, i]));
  });

  it('an echo that does not await its sends loses nothing', async () => {
    const { ch, remote } = await bulkPair({ maxWriteBuffer: 64 * KiB });
    ch.on('message', (_code, payload) => void ch.send(0, payload).catch(() => {})); // no await: the sharp edge
    remote.conn.socket.pause();
    const n = 200;
    for (let i = 0; i < n; i++) await remote.send(0x10, randomBytes(8 * KiB));
    await sleep(100);
    remote.conn.socket.resume();
    await waitUntil(() => bulkReceived(remote) === n, 5_000, 'every echo');
  });

  it('writable() resolves once the buffer has room again', async () => {
    const { ch, remote, peer } = await bulkPair({ maxWriteBuffer: 64 * KiB });
    remote.conn.socket.pause();
    const sends = await fill(peer, ch, randomBytes(16 * KiB));
    sends.push(ch.send(0, marked(3)));
    let room = false;
    const writable = ch.writable().then(() => (room = true));
    await sleep(50);
    expect(room).toBe(false);
    remote.conn.socket.resume();
    await within(writable, 5_000, 'writable');
    await Promise.all(sends);
  });

  it('an aborted waiting send rejects with the reason and is never sealed: later ones still arrive intact', async () => {
    const { ch, remote, peer } = await bulkPair({ maxWriteBuffer: 64 * KiB });
    remote.conn.socket.pause();
    const sends = await fill(peer, ch, randomBytes(16 * KiB));
    const ac = new AbortController();
    // As large as the fillers, so neither fits in what room is left: both wait.
    const aborted = ch.send(0, marked(0xdead), { signal: ac.signal });
    const after = ch.send(0, marked(0xbeef));
    ac.abort(new Error('changed my mind'));
    await expect(aborted).rejects.toThrow('changed my mind');
    remote.conn.socket.resume();
    await within(Promise.all([...sends, after]), 5_000, 'the rest');
    await waitUntil(() => bulkReceived(remote) === sends.length + 1, 5_000, 'the rest at the remote');
    expect(Buffer.compare(remote.received.at(-1)!.payload, marked(0xbeef))).toBe(0);
  });

  it('waiting sends reject with ClosedError when the peer closes', async () => {
    const { ch, remote, peer } = await bulkPair({ maxWriteBuffer: 64 * KiB });
    remote.conn.socket.pause();
    await fill(peer, ch, randomBytes(16 * KiB));
    const waiting = ch.send(0, marked(1));
    peer.destroy();
    const r = await settle(waiting);
    expect(r.ok).toBe(false);
    expect((r as { error: unknown }).error).toBeInstanceOf(ClosedError);
  });

  it('a remote that never reads again: the write deadline fails the peer and every waiting send', async () => {
    const { ch, remote, peer } = await bulkPair({ maxWriteBuffer: 64 * KiB, writeTimeout: 300 });
    remote.conn.socket.pause();
    await fill(peer, ch, randomBytes(16 * KiB));
    const waiting = settle(ch.send(0, marked(2)));
    const info = await within(peer.closed, 3_000, 'write deadline');
    expect(info.error).toBeInstanceOf(TimeoutError);
    expect(info.error?.message).toMatch(/writes stalled for 300 ms/);
    const r = await waiting;
    expect(r.ok).toBe(false);
    expect((r as { error: unknown }).error).toBe(info.error);
  });

  it('a Pong is never dropped under a full buffer: every Ping gets its Pong once the remote reads', async () => {
    const { ch, remote, peer } = await bulkPair({ maxWriteBuffer: 64 * KiB });
    remote.conn.socket.pause();
    await fill(peer, ch, randomBytes(16 * KiB));
    for (let i = 0; i < 5; i++) await remote.send(0x02, Uint8Array.of(0xc0));
    await sleep(50);
    remote.conn.socket.resume();
    await waitUntil(() => remote.received.filter((m) => m.code === 0x03).length === 5, 5_000, 'five Pongs');
  });

  it('the largest legal message goes out even though it is larger than maxWriteBuffer', async () => {
    const { ch, remote } = await bulkPair({ maxWriteBuffer: 64 * KiB });
    // Random bytes do not compress: the frame body is at its largest legal size.
    const payload = randomBytes(16 * 1024 * 1024 - 1024);
    await within(ch.send(0, payload), 10_000, 'big send');
    await waitUntil(() => bulkReceived(remote) === 1, 10_000, 'big message');
    expect(Buffer.compare(remote.received.at(-1)!.payload, payload)).toBe(0);
  });
});
