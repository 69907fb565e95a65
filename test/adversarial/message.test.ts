/**
 * Adversarial peers against one listening Server: attacks at the message level: snappy bombs, bad Hellos, silence, Ping floods. The arena, its four checks and the
 * attacker levels are described in helpers/arena.ts.
 */
import { describe, expect, it } from 'vitest';
import { RLP } from '@ethereumjs/rlp';
import { FrameError, ProtocolError, SnappyError, TimeoutError } from '../../src/errors.js';
import { DisconnectReason } from '../../src/reasons.js';
import { bytesToHex, concatBytes } from '../../src/crypto/bytes.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { snappyCompress } from '../../src/wire/snappy.js';
import { adversarialSuite, arrayBufferWatch, closedWithin, expectRlpxError, MiB } from '../helpers/arena.js';
import { within } from '../helpers/loopback.js';
import { rawDial } from '../helpers/raw-remote.js';

const { res, arena } = adversarialSuite();

describe('message attacks', () => {
  it('7. a snappy bomb after Hello (declared > 16 MiB) closes with SnappyError 0x02 without allocating it', async () => {
    const a = await arena();
    // varint preambles: 16 MiB exactly (one over the cap) and 4 GiB - 1.
    const preambles = [Uint8Array.of(0x80, 0x80, 0x80, 0x08), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f)];
    for (const preamble of preambles) {
      const remote = await rawDial(res, a.s.enode);
      await remote.hello;
      const peer = await a.serverPeer(remote.publicKey);
      expect(remote.snappy).toBe(true);
      const watch = arrayBufferWatch();
      // A literal run that claims to expand to far more than it holds.
      const bomb = concatBytes(preamble, Uint8Array.of(0xfc, 0xff, 0xff), new Uint8Array(64));
      await remote.send(0x02, bomb, false);

      const info = await closedWithin(peer);
      const grew = watch.stop();
      expect(info).toMatchObject({ reason: DisconnectReason.ProtocolError, initiator: 'local' });
      const e = expectRlpxError(info.error, SnappyError, DisconnectReason.ProtocolError);
      expect(e.message).toMatch(/exceeds the 16777215-byte limit/);
      expect(grew, 'arrayBuffers growth from the bomb').toBeLessThan(4 * MiB);
      expect((await within(remote.disconnect, 2_000, 'Disconnect')).reason).toBe(DisconnectReason.ProtocolError);
    }
    await a.honest.expectAlive(a.since);
  });

  it('8. a Hello that is not valid RLP, and one over 2 KiB, are refused with 0x02', async () => {
    const a = await arena();
    const notRlp = Uint8Array.of(0xf8, 0xff, 0x01, 0x02); // a list that claims 255 bytes
    const big = RLP.encode([5, new TextEncoder().encode('x'.repeat(3_000)), [], 0, publicKeyOf(generatePrivateKey())]);
    expect(big.length).toBeGreaterThan(2_048);
    const cases: Array<[Uint8Array, RegExp]> = [
      [notRlp, /not valid RLP/],
      [big, /exceeds the (2048|2064)-byte limit/],
    ];
    for (const [i, [payload, message]] of cases.entries()) {
      const remote = await rawDial(res, a.s.enode, { hello: false, first: { code: 0x00, payload } });
      const e = (await a.rejection(i + 1)).error;
      // An oversized Hello is a ProtocolError from the Hello decoder, or a FrameError when a
      // pre-Hello frame cap refuses its frame first; 0x02 either way.
      if (payload === big && e instanceof FrameError) expectRlpxError(e, FrameError, DisconnectReason.ProtocolError);
      else expectRlpxError(e, ProtocolError, DisconnectReason.ProtocolError);
      expect(e.message).toMatch(message);
      expect((await within(remote.disconnect, 2_000, 'Disconnect')).reason).toBe(DisconnectReason.ProtocolError);
      await within(remote.ended, 2_000, 'raw remote ended');
    }
    expect(a.s.peers.size).toBe(1);
    await a.honest.expectAlive(a.since);
  });

  it('9. a Hello whose node id differs from the handshake identity closes with 0x09', async () => {
    const a = await arena();
    const remote = await rawDial(res, a.s.enode, { hello: { nodeId: publicKeyOf(generatePrivateKey()) } });
    const e = (await a.rejection()).error;
    expectRlpxError(e, ProtocolError, DisconnectReason.UnexpectedIdentity);
    expect((await within(remote.disconnect, 2_000, 'Disconnect')).reason).toBe(DisconnectReason.UnexpectedIdentity);
    expect(a.s.peers.has(bytesToHex(remote.publicKey))).toBe(false);
    await a.honest.expectAlive(a.since);
  });

  it('10. a peer that goes silent after Hello hits the read deadline (TimeoutError 0x0b)', async () => {
    const a = await arena({ readTimeout: 400 });
    const remote = await rawDial(res, a.s.enode);
    const peer = await a.serverPeer(remote.publicKey);
    const t0 = performance.now();
    const info = await closedWithin(peer);
    expect(performance.now() - t0).toBeLessThan(1_500);
    expect(info).toMatchObject({ reason: DisconnectReason.ReadTimeout, initiator: 'local' });
    const e = expectRlpxError(info.error, TimeoutError, DisconnectReason.ReadTimeout);
    expect(e.message).toMatch(/no message for 400 ms/);
    expect((await within(remote.disconnect, 2_000, 'Disconnect')).reason).toBe(DisconnectReason.ReadTimeout);
    await a.honest.expectAlive(a.since);
  });

  it('12. a Ping flood closes with ProtocolError 0x02, and the Pongs we sent stay bounded', async () => {
    const a = await arena(); // maxPingRate 10/s, pingBurst 50
    const remote = await rawDial(res, a.s.enode);
    await remote.hello;
    const peer = await a.serverPeer(remote.publicKey);
    let processed = 0;
    peer.on('ping', () => processed++);
    const watch = arrayBufferWatch();
    const flood = 5_000;
    const ping = snappyCompress(Uint8Array.of(0xc0));
    for (let i = 0; i < flood; i++) void remote.send(0x02, ping, false).catch(() => {});

    const info = await closedWithin(peer);
    const grew = watch.stop();
    expect(info).toMatchObject({ reason: DisconnectReason.ProtocolError, initiator: 'local' });
    const e = expectRlpxError(info.error, ProtocolError, DisconnectReason.ProtocolError);
    expect(e.message).toMatch(/Ping flood/);
    await within(remote.ended, 2_000, 'raw remote ended');
    // The server stopped reading at the violation: it handled the burst of 50 (plus what
    // 10/s refills while the flood is read) and the Ping that broke the limit, no more. Every
    // handled Ping but the last was answered, so Pongs sent <= burst + refill.
    expect(processed).toBeGreaterThan(50);
    expect(processed).toBeLessThanOrEqual(56);
    const pongsSent = processed - 1;
    expect(pongsSent).toBeLessThanOrEqual(55);
    // What reached the flooder is fewer still: the server closes with the rest of the flood
    // unread, so its kernel resets the connection and the flooder may lose the tail.
    const pongsReceived = remote.received.filter((m) => m.code === 0x03).length;
    expect(pongsReceived).toBeLessThanOrEqual(pongsSent);
    expect(pongsReceived).toBeLessThan(flood);
    expect(grew, 'arrayBuffers growth during the flood').toBeLessThan(8 * MiB);
    await a.honest.expectAlive(a.since);
  });

  it('13. a peer that never answers Pings is closed at the pong deadline (TimeoutError 0x0b)', async () => {
    const a = await arena({ pingInterval: 100, pongTimeout: 300 });
    const remote = await rawDial(res, a.s.enode, { answerPings: false });
    const peer = await a.serverPeer(remote.publicKey);
    const info = await closedWithin(peer);
    expect(info).toMatchObject({ reason: DisconnectReason.ReadTimeout, initiator: 'local' });
    const e = expectRlpxError(info.error, TimeoutError, DisconnectReason.ReadTimeout);
    expect(e.message).toMatch(/no Pong within 300 ms/);
    expect(remote.pings).toBeGreaterThanOrEqual(1);
    expect(peer.rtt.missed).toBeGreaterThanOrEqual(1);
    expect(peer.health).toBe('unresponsive');
    // The honest peer, pinged by the same server, answers and stays.
    await a.honest.expectAlive(a.since);
    const honestServerSide = a.s.peers.get(a.honest.id)!;
    expect(honestServerSide.rtt.received).toBeGreaterThan(0);
    expect(honestServerSide.health).not.toBe('unresponsive');
  });
});
