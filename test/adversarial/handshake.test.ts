/**
 * Adversarial peers against one listening Server: attacks on the RLPx handshake. The arena, its four checks and the
 * attacker levels are described in helpers/arena.ts.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EciesError, HandshakeError, RefusedError, TimeoutError } from '../../src/errors.js';
import { DisconnectReason } from '../../src/reasons.js';
import { concatBytes } from '../../src/crypto/bytes.js';
import { isValidPublicKey } from '../../src/crypto/secp256k1.js';
import { adversarialSuite, authFor, expectRlpxError } from '../helpers/arena.js';
import { sleep, waitUntil, within } from '../helpers/loopback.js';

const { res, arena, dialHonest, tcp } = adversarialSuite();

describe('handshake attacks', () => {
  it('1. garbage instead of auth is refused with a HandshakeError (0x02)', async () => {
    const a = await arena();
    // An HTTP request: its first two bytes read as a 0x4745-byte packet, far over the cap.
    const http = await tcp(a.s.address.port);
    http.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const e1 = (await a.rejection(1)).error;
    expectRlpxError(e1, HandshakeError, DisconnectReason.ProtocolError);
    expect(e1.message).toMatch(/exceeds the 2048-byte limit/);
    await within(http.closed, 1_000, 'http socket closed');

    // A plausible size prefix followed by random bytes: read in full, then fails to decrypt.
    const junk = await tcp(a.s.address.port);
    const body = randomBytes(300);
    body[0] = 0x05; // not the 0x04 of an uncompressed point
    junk.socket.write(concatBytes(Uint8Array.of(0x01, 0x2c), body));
    const e2 = (await a.rejection(2)).error;
    expectRlpxError(e2, HandshakeError, DisconnectReason.ProtocolError);
    expect(e2.cause).toBeInstanceOf(EciesError);
    await within(junk.closed, 1_000, 'junk socket closed');

    // A size prefix below the ECIES overhead.
    const tiny = await tcp(a.s.address.port);
    tiny.socket.write(Uint8Array.of(0x00, 0x10, 1, 2, 3));
    const e3 = (await a.rejection(3)).error;
    expectRlpxError(e3, HandshakeError, DisconnectReason.ProtocolError);
    expect(e3.message).toMatch(/too small/);
    await within(tiny.closed, 1_000, 'tiny socket closed');

    expect(a.s.pendingHandshakes).toBe(0);
    await a.honest.expectAlive(a.since);
  });

  it('2. an auth size prefix over 2048 (0xffff, 0x0801) is refused at once, without waiting for the body', async () => {
    // A long handshake deadline: a refusal that waited for the body (or the deadline) would show.
    const a = await arena({ handshakeTimeout: 5_000 });
    let n = 0;
    for (const prefix of [[0xff, 0xff], [0x08, 0x01]]) {
      const c = await tcp(a.s.address.port);
      c.socket.write(Uint8Array.from(prefix)); // the two size bytes and nothing else
      const closedAfter = await within(c.closed, 1_000, 'oversized auth refused');
      expect(closedAfter).toBeLessThan(500);
      const e = (await a.rejection(++n)).error;
      expectRlpxError(e, HandshakeError, DisconnectReason.ProtocolError);
      expect(e.message).toMatch(/exceeds the 2048-byte limit/);
    }
    expect(a.s.pendingHandshakes).toBe(0);
    await a.honest.expectAlive(a.since);
  });

  it('3. an auth whose ECIES ephemeral key is off the curve is refused (HandshakeError caused by EciesError)', async () => {
    const a = await arena();
    const valid = authFor(a.s);
    // Packet layout: size(2) ‖ 0x04 ‖ R(64) ‖ IV(16) ‖ c ‖ tag(32). R sits at [3, 67).
    const R = valid.subarray(3, 67);
    expect(valid[2]).toBe(0x04);
    expect(isValidPublicKey(R)).toBe(true);
    const yFlipped = R.slice();
    yFlipped[63]! ^= 0x01;
    const oneOne = new Uint8Array(64);
    oneOne[31] = 1;
    oneOne[63] = 1; // (1, 1): 1 != 1 + 7
    const infinity = new Uint8Array(64);
    const xOverP = R.slice();
    xOverP.fill(0xff, 0, 32); // x >= p
    const variants = [yFlipped, oneOne, infinity, xOverP];

    for (const [i, point] of variants.entries()) {
      expect(isValidPublicKey(point)).toBe(false);
      const packet = valid.slice();
      packet.set(point, 3);
      const c = await tcp(a.s.address.port);
      c.socket.write(packet);
      const e = (await a.rejection(i + 1)).error;
      expectRlpxError(e, HandshakeError, DisconnectReason.ProtocolError);
      expect(e.cause).toBeInstanceOf(EciesError);
      expect(e.message).toMatch(/ephemeral key/);
      await within(c.closed, 1_000, 'socket closed');
    }
    expect(a.s.peers.size).toBe(1);
    await a.honest.expectAlive(a.since);
  });

  it('4. an auth with a tampered ECIES tag is refused (bad tag)', async () => {
    const a = await arena();
    const packet = authFor(a.s);
    packet[packet.length - 1]! ^= 0x80;
    const c = await tcp(a.s.address.port);
    c.socket.write(packet);
    const e = (await a.rejection()).error;
    expectRlpxError(e, HandshakeError, DisconnectReason.ProtocolError);
    expect(e.cause).toBeInstanceOf(EciesError);
    expect(e.message).toMatch(/bad tag/);
    await within(c.closed, 1_000, 'socket closed');

    // The size prefix is authenticated too (it is the ECIES shared MAC data).
    const again = authFor(a.s);
    const size = ((again[0]! << 8) | again[1]!) + 1;
    const resized = concatBytes(Uint8Array.of(size >> 8, size & 0xff), again.subarray(2), Uint8Array.of(0));
    const c2 = await tcp(a.s.address.port);
    c2.socket.write(resized);
    const e2 = (await a.rejection(2)).error;
    expectRlpxError(e2, HandshakeError, DisconnectReason.ProtocolError);
    expect(e2.message).toMatch(/bad tag/);
    await within(c2.closed, 1_000, 'socket closed');

    await a.honest.expectAlive(a.since);
  });

  it('11. slowloris: one byte of auth every 100 ms hits the handshake deadline (TimeoutError 0x0b)', async () => {
    const a = await arena({ handshakeTimeout: 500 });
    const packet = authFor(a.s);
    const c = await tcp(a.s.address.port);
    let sent = 0;
    const drip = setInterval(() => {
      if (c.socket.destroyed || sent >= packet.length) return;
      c.socket.write(packet.subarray(sent, sent + 1));
      sent++;
    }, 100);
    res.add(() => clearInterval(drip));
    c.socket.write(packet.subarray(0, 1));
    sent = 1;

    const closedAfter = await within(c.closed, 2_000, 'slowloris socket closed');
    clearInterval(drip);
    expect(closedAfter).toBeGreaterThanOrEqual(400);
    expect(closedAfter).toBeLessThan(1_200);
    expect(sent).toBeLessThan(packet.length);
    const e = (await a.rejection()).error;
    expectRlpxError(e, TimeoutError, DisconnectReason.ReadTimeout);
    expect(e.message).toMatch(/handshake did not complete within 500 ms/);
    expect(a.s.pendingHandshakes).toBe(0);
    await a.honest.expectAlive(a.since);
  });

  it('15. more concurrent handshakes than maxPendingHandshakes: as many wait unread, the rest are destroyed at once, the cap holds, the honest peer is unaffected', async () => {
    const cap = 4;
    const total = 20;
    const a = await arena({ maxPendingHandshakes: cap, handshakeTimeout: 600 });
    let maxSeen = 0;
    const sample = setInterval(() => (maxSeen = Math.max(maxSeen, a.s.pendingHandshakes)), 2);
    res.add(() => clearInterval(sample));
    a.s.on('rejected', () => (maxSeen = Math.max(maxSeen, a.s.pendingHandshakes)));

    const silent = await Promise.all(Array.from({ length: total }, () => tcp(a.s.address.port)));
    const closedAt: number[] = [];
    for (const c of silent) void c.closed.then((ms) => closedAt.push(ms));

    // `cap` handshake, `cap` more wait unread in the backlog, the rest are destroyed at once.
    const dropped = total - 2 * cap;
    await waitUntil(() => closedAt.length >= dropped, 1_000, 'extra sockets destroyed');
    expect(Math.max(...closedAt)).toBeLessThan(400);
    await sleep(50);
    expect(closedAt).toHaveLength(dropped);
    expect(a.s.pendingHandshakes).toBe(cap);
    expect(a.s.backlog).toBe(cap);
    const early = a.rejected.slice();
    expect(early).toHaveLength(dropped);
    for (const r of early) {
      expect(r.error).toBeInstanceOf(RefusedError);
      expect(r.error.message).toMatch(/too many pending handshakes/);
    }

    // The held ones hit the handshake deadline and free their slots; the backlog takes them
    // and times out in turn.
    await waitUntil(() => closedAt.length === total, 3_000, 'held and backlogged sockets timed out');
    await waitUntil(() => a.s.pendingHandshakes === 0, 1_000, 'pending back to 0');
    expect(a.s.backlog).toBe(0);
    const late = a.rejected.slice(dropped);
    expect(late).toHaveLength(2 * cap);
    for (const r of late) expectRlpxError(r.error, TimeoutError, DisconnectReason.ReadTimeout);
    expect(maxSeen).toBe(cap);

    await a.honest.expectAlive(a.since);
    // A new honest dial gets in afterwards.
    const second = await dialHonest(a.s);
    expect(second.peer.isClosing).toBe(false);
    expect(a.s.peers.size).toBe(2);
  });
});
