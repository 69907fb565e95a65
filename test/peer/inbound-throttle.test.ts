/**
 * Inbound throttling as geth's checkInboundConn: a per-address history, loopback and LAN
 * exempt by default, an optional netRestrict, and connections beyond maxPendingHandshakes
 * left waiting instead of destroyed. Several sources are simulated by binding client sockets
 * to different 127.0.0.x addresses.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RefusedError } from '../../src/errors.js';
import { InboundThrottle } from '../../src/peer/inbound-throttle.js';
import { listenConfig } from '../../src/options.js';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import { Resources, testDial, testServer, waitUntil } from '../helpers/loopback.js';

const res = new Resources();
afterEach(() => res.closeAll());

const throttle = (o: Partial<ConstructorParameters<typeof InboundThrottle>[0]> = {}): InboundThrottle =>
  new InboundThrottle({ window: 30_000, exemptLoopback: true, exemptLan: true, netRestrict: undefined, ...o });

describe('InboundThrottle', () => {
  it('refuses an address seen within the window, until the window has passed', () => {
    const t = throttle();
    expect(t.check('203.0.113.7', 0)).toBeUndefined();
    expect(t.check('203.0.113.7', 1_000)).toMatch(/too many connection attempts from 203\.0\.113\.7/);
    expect(t.check('203.0.113.8', 1_000)).toBeUndefined();
    expect(t.check('203.0.113.7', 30_001)).toBeUndefined();
  });

  it('exempts loopback and LAN by default, each configurable; IPv4-mapped IPv6 counts as IPv4', () => {
    const t = throttle();
    for (const ip of ['127.0.0.1', '::1', '10.1.2.3', '192.168.0.9', '172.20.0.1', 'fe80::1', '::ffff:127.0.0.1']) {
      expect(t.check(ip, 0), ip).toBeUndefined();
      expect(t.check(ip, 1), ip).toBeUndefined();
    }
    const strict = throttle({ exemptLoopback: false, exemptLan: false });
    expect(strict.check('::ffff:127.0.0.2', 0)).toBeUndefined();
    expect(strict.check('127.0.0.2', 1)).toMatch(/too many/);
    expect(strict.check('10.0.0.1', 0)).toBeUndefined();
    expect(strict.check('10.0.0.1', 1)).toMatch(/too many/);
  });

  it('netRestrict lets only its CIDRs in; a bad CIDR is a RangeError at listen time', () => {
    const t = throttle({ netRestrict: ['127.0.0.0/30', '2001:db8::/32'] });
    expect(t.check('127.0.0.2', 0)).toBeUndefined();
    expect(t.check('127.0.0.9', 0)).toMatch(/not in netRestrict/);
    expect(t.check('2001:db8::1', 0)).toBeUndefined();
    for (const bad of ['127.0.0.1', '10.0.0.0/33', 'nonsense/8', '::/129']) {
      expect(() => listenConfig({ privateKey: generatePrivateKey(), netRestrict: [bad] }), bad).toThrow(RangeError);
    }
    expect(() => listenConfig({ privateKey: generatePrivateKey(), netRestrict: '10.0.0.0/8' as never })).toThrow(TypeError);
  });
});

/** A TCP connection from `localAddress` that never says anything (a pending handshake). */
function hold(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', localAddress }, () => resolve(s));
    s.once('error', reject);
    res.socket(s);
  });
}

describe('a server under a connection flood', () => {
  it('one address cannot hold every pending slot while other addresses still get through', async () => {
    const cap = 4;
    const s = await testServer(res, { maxPendingHandshakes: cap, throttleLoopback: true, handshakeTimeout: 5_000 });
    const rejected: Error[] = [];
    s.on('rejected', (r) => rejected.push(r.error));
    // The flooder: ten connections from 127.0.0.2. Only its first is taken.
    const flood = await Promise.all(Array.from({ length: 10 }, () => hold(s.address.port, '127.0.0.2')));
    await waitUntil(() => rejected.length === 9, 2_000, 'nine throttled');
    for (const e of rejected) {
      expect(e).toBeInstanceOf(RefusedError);
      expect(e.message).toMatch(/too many connection attempts from 127\.0\.0\.2/);
    }
    expect(s.pendingHandshakes).toBe(1);
    // Honest nodes from other addresses still complete the handshake and Hello.
    for (const addr of ['127.0.0.3', '127.0.0.4']) {
      const peer = await testDial(res, s.enode, { localAddress: addr });
      expect(peer.isClosing).toBe(false);
    }
    void flood;
  });

  it('beyond maxPendingHandshakes connections wait unread, and are served once a slot frees', async () => {
    const cap = 2;
    const s = await testServer(res, { maxPendingHandshakes: cap, handshakeTimeout: 1_000 });
    const rejected: Array<{ error: Error; at: number }> = [];
    s.on('rejected', (r) => rejected.push({ error: r.error, at: performance.now() }));
    await Promise.all([hold(s.address.port, '127.0.0.1'), hold(s.address.port, '127.0.0.1')]);
    await waitUntil(() => s.pendingHandshakes === cap, 1_000, 'slots taken');
    // An honest dialer beyond the cap is not destroyed: it waits, then gets through once the
    // silent ones hit the handshake deadline.
    const dialing = testDial(res, s.enode, { handshakeTimeout: 5_000 });
    await waitUntil(() => s.backlog === 1, 1_000, 'the dialer waiting in the backlog');
    const peer = await dialing;
    const admittedAt = performance.now();
    expect(peer.isClosing).toBe(false);
    const timedOut = rejected.filter((r) => /handshake did not complete/.test(r.error.message));
    expect(timedOut).toHaveLength(2);
    expect(Math.min(...timedOut.map((r) => r.at))).toBeLessThan(admittedAt);
  });
});
