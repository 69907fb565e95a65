/**
 * Adversarial peers against one listening Server: attacks on frames: tampered MACs, a header without its body. The arena, its four checks and the
 * attacker levels are described in helpers/arena.ts.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FrameError, TimeoutError } from '../../src/errors.js';
import { DisconnectReason } from '../../src/reasons.js';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { snappyCompress } from '../../src/wire/snappy.js';
import { adversarialSuite, arrayBufferWatch, closedWithin, expectRlpxError, MiB } from '../helpers/arena.js';
import { waitUntil, within } from '../helpers/loopback.js';
import { tamper } from '../helpers/raw-client.js';

const { res, arena, rawClient } = adversarialSuite();

describe('frame attacks', () => {
  it('5a. a frame with a tampered header MAC closes with FrameError 0x02', async () => {
    const a = await arena();
    const low = await rawClient(a.s);
    low.write(tamper(low.helloFrame(), 'headerMac', 4));

    const e = (await a.rejection()).error;
    expectRlpxError(e, FrameError, DisconnectReason.ProtocolError);
    expect(e.message).toMatch(/bad header MAC/);
    expect(await low.disconnectReason()).toBe(DisconnectReason.ProtocolError);
    await within(low.closed, 2_000, 'low client closed');
    expect(a.s.peers.size).toBe(1);
    await a.honest.expectAlive(a.since);
  });

  it('5b. a frame with a tampered frame MAC (after Hello) closes with FrameError 0x02', async () => {
    const a = await arena();
    const low = await rawClient(a.s);
    low.write(low.helloFrame());
    const peer = await a.serverPeer(low.publicKey);
    low.write(tamper(low.message(0x02, snappyCompress(Uint8Array.of(0xc0))), 'frameMac', -1));

    const info = await closedWithin(peer);
    expect(info).toMatchObject({ reason: DisconnectReason.ProtocolError, initiator: 'local' });
    const e = expectRlpxError(info.error, FrameError, DisconnectReason.ProtocolError);
    expect(e.message).toMatch(/bad frame MAC/);
    expect(await low.disconnectReason()).toBe(DisconnectReason.ProtocolError);
    await waitUntil(() => !a.s.peers.has(bytesToHex(low.publicKey)), 1_000, 'attacker out of the table');
    await a.honest.expectAlive(a.since);
  });

  it('6a. a header that claims a 16 MiB body and stalls after Hello: nothing allocated, read deadline 0x0b', async () => {
    const a = await arena({ readTimeout: 400 });
    const low = await rawClient(a.s);
    low.write(low.helloFrame());
    const peer = await a.serverPeer(low.publicKey);
    const header = low.header(0xffffff); // sealed (16 MiB here, not in the server) before the watch
    const watch = arrayBufferWatch();
    low.write(header);
    low.write(randomBytes(100)); // a little of the body, then nothing

    const info = await closedWithin(peer);
    const grew = watch.stop();
    expect(info).toMatchObject({ reason: DisconnectReason.ReadTimeout, initiator: 'local' });
    expectRlpxError(info.error, TimeoutError, DisconnectReason.ReadTimeout);
    expect(info.error!.message).toMatch(/no message for 400 ms/);
    expect(grew, 'arrayBuffers growth while the 16 MiB frame was pending').toBeLessThan(4 * MiB);
    expect(await low.disconnectReason()).toBe(DisconnectReason.ReadTimeout);
    await a.honest.expectAlive(a.since);
  });

  it('6b. the same header before Hello: refused, nothing allocated', async () => {
    const a = await arena({ helloTimeout: 500, readTimeout: 0 });
    const low = await rawClient(a.s);
    const header = low.header(0xffffff); // sealed (16 MiB here, not in the server) before the watch
    const watch = arrayBufferWatch();
    const t0 = performance.now();
    low.write(header);
    const drip = setInterval(() => {
      if (!low.socket.destroyed) low.write(randomBytes(64));
    }, 50);
    res.add(() => clearInterval(drip));

    const e = (await a.rejection()).error;
    const after = performance.now() - t0;
    clearInterval(drip);
    const grew = watch.stop();
    // Two correct outcomes: with a pre-Hello frame cap (only a Hello-sized frame is legal
    // before Hello) the header is refused at once; without one the Hello deadline ends it.
    if (e instanceof FrameError) {
      expectRlpxError(e, FrameError, DisconnectReason.ProtocolError);
      expect(e.message).toMatch(/body of 16777215 bytes exceeds/);
      expect(after).toBeLessThan(400);
    } else {
      expectRlpxError(e, TimeoutError, DisconnectReason.ReadTimeout);
      expect(e.message).toMatch(/no Hello within 500 ms/);
    }
    expect(grew, 'arrayBuffers growth while the 16 MiB frame was pending').toBeLessThan(4 * MiB);
    await within(low.closed, 2_000, 'low client closed');
    await a.honest.expectAlive(a.since);
  });

  it('6c. a Hello-sized frame whose body is trickled in (frame-level slowloris) hits the Hello deadline (TimeoutError 0x0b)', async () => {
    const a = await arena({ helloTimeout: 500, readTimeout: 0 });
    const low = await rawClient(a.s);
    const t0 = performance.now();
    low.write(low.header(2_000)); // under any Hello cap; the body never completes in time
    const drip = setInterval(() => {
      if (!low.socket.destroyed) low.write(randomBytes(16));
    }, 50);
    res.add(() => clearInterval(drip));

    const e = (await a.rejection()).error;
    const after = performance.now() - t0;
    clearInterval(drip);
    expectRlpxError(e, TimeoutError, DisconnectReason.ReadTimeout);
    expect(e.message).toMatch(/no Hello within 500 ms/);
    expect(after).toBeGreaterThanOrEqual(400);
    expect(await low.disconnectReason()).toBe(DisconnectReason.ReadTimeout);
    await within(low.closed, 2_000, 'low client closed');
    await a.honest.expectAlive(a.since);
  });
});
