/**
 * L7 health over real sockets: ping() and the RTT statistics, the pong deadline and its health
 * events, geth mode, and Pong pairing under load.
 */
import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../../src/errors.js';
import { DisconnectReason } from '../../src/reasons.js';
import type { HealthEvent } from '../../src/peer/peer.js';
import { settle, sleep, waitUntil, within } from '../helpers/loopback.js';
import { rawServer } from '../helpers/raw-remote.js';
import { peerSuite } from '../helpers/peer-suite.js';

const { res, server, dialPeer, pair } = peerSuite();
const PROTO = { name: 'tst', version: 1, length: 4 };

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

describe('Ping/Pong pairing', () => {
  it('every Ping is answered even when writes are backed up, so RTTs stay paired', async () => {
    const { client: ours, remote: theirs } = await pair(await server({ protocols: [PROTO] }), { protocols: [PROTO] });
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
