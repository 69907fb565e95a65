/**
 * Adversarial peers against one listening Server: a peer that stops reading, against the write buffer and deadline. The arena, its four checks and the
 * attacker levels are described in helpers/arena.ts.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RlpxError, TimeoutError } from '../../src/errors.js';
import { DisconnectReason } from '../../src/reasons.js';
import { frameWireSize } from '../../src/wire/frame.js';
import { snappyCompress } from '../../src/wire/snappy.js';
import type { ListenOptions } from '../../src/peer/server.js';
import type { Peer } from '../../src/peer/peer.js';
import type { ProtocolChannel } from '../../src/peer/channel.js';
import { adversarialSuite, closedWithin, expectRlpxError, MiB, type Arena } from '../helpers/arena.js';
import { waitUntil, within } from '../helpers/loopback.js';
import { rawDial, type RawRemote } from '../helpers/raw-remote.js';

const { res, arena } = adversarialSuite();

describe('write backpressure', () => {
  const BULK = { name: 'bulk', version: 1, length: 1 };

  async function bulkArena(opts: Partial<ListenOptions>): Promise<{ a: Arena; remote: RawRemote; peer: Peer; ch: ProtocolChannel }> {
    const channels = new Map<string, ProtocolChannel>();
    const a = await arena({
      protocols: [{ ...BULK, run: (ch, peer) => void channels.set(peer.id, ch) }],
      requireSharedProtocol: false,
      readTimeout: 0,
      ...opts,
    });
    const remote = await rawDial(res, a.s.enode, { hello: { capabilities: [{ name: BULK.name, version: BULK.version }] } });
    await remote.hello;
    const peer = await a.serverPeer(remote.publicKey);
    await waitUntil(() => channels.has(peer.id), 1_000, 'bulk channel');
    return { a, remote, peer, ch: channels.get(peer.id)! };
  }

  it('14. a peer that stops reading: sends wait past maxWriteBuffer, the buffer stays bounded, the write deadline closes it and fails what waits', async () => {
    const maxWriteBuffer = 1 * MiB;
    const { a, remote, peer, ch } = await bulkArena({ maxWriteBuffer, writeTimeout: 500 });
    const since = a.honest.mark();

    remote.conn.socket.pause(); // stop reading: the kernel buffers fill, then ours
    const payload = randomBytes(64 * 1024); // random: snappy cannot shrink it
    const oneFrame = frameWireSize(snappyCompress(payload).length + 2);
    const sock = peer.connection.socket;
    const errors: unknown[] = [];
    let sent = 0;
    let ok = 0;
    let maxPending = 0;
    const t0 = performance.now();
    while (!peer.isClosing && performance.now() - t0 < 5_000) {
      ch.send(0, payload).then(
        () => ok++,
        (err: unknown) => errors.push(err),
      );
      sent++;
      maxPending = Math.max(maxPending, sock.writableLength);
      await new Promise((r) => setImmediate(r));
    }

    const info = await closedWithin(peer);
    expect(info).toMatchObject({ reason: DisconnectReason.NetworkError, initiator: 'local' });
    const e = expectRlpxError(info.error, TimeoutError, DisconnectReason.NetworkError);
    expect(e.message).toMatch(/writes stalled for 500 ms/);
    // Every send settles: those still waiting when the deadline closed the peer fail with it.
    await waitUntil(() => ok + errors.length === sent, 2_000, 'every send to settle');
    expect(errors.length).toBeGreaterThan(0);
    for (const err of errors) expect(err).toBeInstanceOf(RlpxError);
    expect(errors.some((err) => err === info.error)).toBe(true);
    expect(maxPending).toBeGreaterThan(0);
    expect(maxPending).toBeLessThanOrEqual(maxWriteBuffer + oneFrame);
    await a.honest.expectAlive(since);
  });

  it('14b. sends that wait for a full buffer do not desynchronise the stream: once the remote reads again, every message arrives intact, in order', async () => {
    const maxWriteBuffer = 256 * 1024;
    const { a, remote, peer, ch } = await bulkArena({ maxWriteBuffer, writeTimeout: 10_000 });
    const since = a.honest.mark();

    remote.conn.socket.pause();
    const payload = randomBytes(32 * 1024);
    const sends: Array<Promise<void>> = [];
    const sock = peer.connection.socket;
    const t0 = performance.now();
    // Until a send waits in our queue: one that does not grow a socket buffer that is not empty.
    for (let queued = false; !queued && performance.now() - t0 < 5_000; ) {
      const before = sock.writableLength;
      sends.push(ch.send(0, payload));
      queued = before > 0 && sock.writableLength === before;
      await new Promise((r) => setImmediate(r));
    }
    const waiting = sends.length;
    for (let i = 0; i < 10; i++) sends.push(ch.send(0, payload));
    expect(sock.writableLength).toBeLessThanOrEqual(maxWriteBuffer + frameWireSize(payload.length + 64));

    // Read again; everything sent arrives, then one more message with a marker.
    remote.conn.socket.resume();
    await within(Promise.all(sends), 5_000, 'every send');
    const accepted = sends.length;
    expect(accepted).toBeGreaterThan(waiting);
    await waitUntil(() => remote.received.filter((m) => m.code === 0x10).length === accepted, 5_000, 'accepted messages');
    const marker = Uint8Array.of(0xde, 0xad, 0xbe, 0xef);
    await ch.send(0, marker);
    await waitUntil(() => remote.received.filter((m) => m.code === 0x10).length === accepted + 1, 2_000, 'marker message');
    expect([...remote.received.at(-1)!.payload]).toEqual([...marker]);
    expect(peer.isClosing).toBe(false);
    await a.honest.expectAlive(since);
  });
});
