/**
 * discv4 and discv5 run together (startDiscovery): one table and one record for both, on real
 * sockets on loopback. A node whose v4 stopped answering stays while its v5 answers; a node
 * that went silent in both is evicted; both protocols serve the same record, and a change bumps
 * one seq for both.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import { startDiscovery, type Discovery } from '../../src/discovery/discovery.js';
import { makeNode, nodeFromEnr, type DiscoveryNode } from '../../src/discovery/node.js';
import { startDiscoveryV4 } from '../../src/discovery/v4-discovery.js';
import { startDiscoveryV5 } from '../../src/discovery/v5-node.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/**
 * v5 requests get 5 s by default: one late PONG divides a node's checks by 3 (as geth does),
 * which ends a node checked twice, and our nodes share this test's event loop, which the whole
 * suite's load can stall for longer than a short timeout. Only the eviction case wants it short.
 */
async function both(options: { revalidateIntervalMs?: number; requestTimeoutMs?: number } = {}): Promise<Discovery> {
  const d = await startDiscovery({ protocols: { v4: true, v5: true }, privateKey: generatePrivateKey(), host: '127.0.0.1', refreshIntervalMs: 0, requestTimeoutMs: 5000, ...options });
  closers.push(() => d.close());
  return d;
}

/** The node a v4 peer pings: our key at our socket. */
function nodeOf(d: Discovery): DiscoveryNode {
  return makeNode(d.v4!.publicKey, '127.0.0.1', d.address.port, d.address.port);
}

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** `peer` pings `us` over both protocols, and `us` proves it over both (its liveness checks). */
async function knownOverBoth(us: Discovery, peer: Discovery): Promise<void> {
  await peer.v4!.ping(nodeOf(us));
  await peer.v5!.ping(us.record.enr);
  const id = peer.v4!.id;
  const checks = (p: 'v4' | 'v5'): number => us.table.get(id)?.protocols.get(p)?.checks ?? 0;
  // v4's reply timeout is geth's fixed 500 ms: if a stalled loop fails an early check, the
  // protocol is struck off the peer, and only the peer's next PING brings it back.
  let pinged = Date.now();
  await until('the peer proven over v4 and v5', () => {
    if (Date.now() - pinged > 2000 && !us.table.get(id)?.protocols.has('v4')) {
      pinged = Date.now();
      void peer.v4!.ping(nodeOf(us)).catch(() => {});
    }
    return checks('v4') >= 2 && checks('v5') >= 2;
  });
}

describe('one table for discv4 and discv5', () => {
  it('a node whose v4 stopped answering stays through many rounds on its v5; v4 is struck off it', async () => {
    const us = await both({ revalidateIntervalMs: 50 });
    const peer = await both({ revalidateIntervalMs: 0 });
    await knownOverBoth(us, peer);
    const id = peer.v4!.id;
    const removed: DiscoveryNode[] = [];
    us.table.on('removed', (n) => removed.push(n));
    // Its v4 goes away; its v5 stays on the port, which now counts our v4 PINGs as garbage.
    await peer.v4!.close();
    const garbageBefore = peer.v5!.counters['malformed-header'];
    const v5ChecksBefore = us.table.get(id)!.protocols.get('v5')!.checks;
    await until('v4 struck off the peer', () => !us.table.get(id)?.protocols.has('v4'));
    expect(peer.v5!.counters['malformed-header']).toBeGreaterThan(garbageBefore); // our v4 PINGs reached it and failed
    // Several more v5 rounds (one every 150 ms at most for one node): it stays, and is still v5-live.
    const checks = us.table.get(id)!.protocols.get('v5')!.checks;
    await until('five more v5 checks', () => (us.table.get(id)?.protocols.get('v5')?.checks ?? 0) >= checks + 5);
    expect(removed).toEqual([]);
    expect([...us.table.get(id)!.protocols.keys()]).toEqual(['v5']);
    expect(us.table.get(id)!.protocols.get('v5')!.checks).toBeGreaterThan(v5ChecksBefore);
    // v4 NEIGHBORS leaves it out now, v5 NODES still serves it.
    expect(us.table.closest(id, 16, { protocol: 'v4' })).toEqual([]);
    expect(us.table.closest(id, 16, { protocol: 'v5' }).map((n) => n.udp)).toEqual([peer.address.port]);
  }, 30_000);

  it('a v5-only node (learned over v5) is never pinged over v4', async () => {
    const us = await both({ revalidateIntervalMs: 50 });
    const v5only = await startDiscoveryV5({ privateKey: generatePrivateKey(), host: '127.0.0.1', refreshIntervalMs: 0, revalidateIntervalMs: 0 });
    closers.push(() => v5only.close());
    await v5only.ping(us.record.enr); // the handshake brings its record: it enters our table as v5
    await until('five v5 checks of it', () => (us.table.get(v5only.id)?.protocols.get('v5')?.checks ?? 0) >= 5);
    expect(v5only.counters['malformed-header']).toBe(0); // not one v4 datagram reached it
    expect([...us.table.get(v5only.id)!.protocols.keys()]).toEqual(['v5']);
  }, 30_000);

  it('a node that speaks both and went silent is evicted', async () => {
    const us = await both({ revalidateIntervalMs: 50, requestTimeoutMs: 500 });
    const peer = await both({ revalidateIntervalMs: 0 });
    await knownOverBoth(us, peer);
    const id = peer.v4!.id;
    await peer.close();
    await until('the dead node evicted', () => !us.table.has(id), 20_000);
  }, 30_000);

  it("each protocol's lookups feed the one table, and each serves only the nodes proven over it", async () => {
    const us = await both({ revalidateIntervalMs: 50 });
    const quiet = { host: '127.0.0.1', refreshIntervalMs: 0, revalidateIntervalMs: 0 };
    const [a4, x4] = [await startDiscoveryV4({ privateKey: generatePrivateKey(), ...quiet }), await startDiscoveryV4({ privateKey: generatePrivateKey(), ...quiet })];
    const [b5, y5] = [await startDiscoveryV5({ privateKey: generatePrivateKey(), ...quiet }), await startDiscoveryV5({ privateKey: generatePrivateKey(), ...quiet })];
    closers.push(() => a4.close(), () => x4.close(), () => b5.close(), () => y5.close());
    const v4node = (d: typeof a4): DiscoveryNode => makeNode(d.publicKey, '127.0.0.1', d.address.port, d.address.port);
    // a4 knows x4 (v4 only), b5 knows y5 (v5 only); we know a4 and b5.
    a4.table.add(v4node(x4), { live: true });
    b5.table.add(nodeFromEnr(y5.enr)!, { live: true, protocol: 'v5' });
    await a4.ping(nodeOf(us));
    await b5.ping(us.record.enr);
    await until('a4 and b5 in the table', () => us.table.has(a4.id) && us.table.has(b5.id));
    await us.v4!.lookup(x4.publicKey);
    await us.v5!.lookup(y5.id);
    const speaks = (id: Uint8Array): string[] => [...(us.table.get(id)?.protocols.keys() ?? [])];
    expect(speaks(x4.id)).toEqual(['v4']);
    expect(speaks(y5.id)).toEqual(['v5']);
    await until('all four proven by their own protocol', () => [a4.id, x4.id, b5.id, y5.id].every((id) => (us.table.get(id)?.livenessChecks ?? 0) > 0));
    // A v4 client asking us hears of the v4 nodes only; a v5 client of the v5 nodes only.
    const c4 = await startDiscoveryV4({ privateKey: generatePrivateKey(), ...quiet });
    const c5 = await startDiscoveryV5({ privateKey: generatePrivateKey(), ...quiet });
    closers.push(() => c4.close(), () => c5.close());
    // (c4's bond dance put c4 itself in our table, as v4.)
    const viaV4 = (await c4.findNode(nodeOf(us), x4.publicKey)).map((n) => n.udp).filter((p) => p !== c4.address.port).sort();
    expect(viaV4).toEqual([a4.address.port, x4.address.port].sort());
    const viaV5 = (await c5.findNode(us.record.enr, Array.from({ length: 17 }, (_, i) => 256 - i))).map((e) => e.udp).sort();
    expect(viaV5).toEqual([b5.address.port, y5.address.port].sort());
  }, 30_000);
});

describe('one record for discv4 and discv5', () => {
  it('both serve the same record; an update re-signs it once, with one new seq, for both', async () => {
    const us = await both({ revalidateIntervalMs: 0 });
    const c4 = await startDiscoveryV4({ privateKey: generatePrivateKey(), host: '127.0.0.1', refreshIntervalMs: 0, revalidateIntervalMs: 0 });
    const c5 = await startDiscoveryV5({ privateKey: generatePrivateKey(), host: '127.0.0.1', refreshIntervalMs: 0, revalidateIntervalMs: 0 });
    closers.push(() => c4.close(), () => c5.close());
    expect(us.v4!.enr).toBe(us.v5!.enr);
    const before = us.record.enr;
    expect((await c4.requestEnr(nodeOf(us))).raw).toEqual(before.raw);
    expect((await c5.requestEnr(before)).raw).toEqual(before.raw);
    const after = us.record.update({ eth: { forkHash: Uint8Array.of(0xfc, 0x64, 0xec, 0x04), forkNext: 1150000n } });
    expect(after.seq).toBeGreaterThan(before.seq);
    expect(after.eth).toEqual({ forkHash: Uint8Array.of(0xfc, 0x64, 0xec, 0x04), forkNext: 1150000n });
    expect((await c4.ping(nodeOf(us))).enrSeq).toBe(after.seq);
    expect((await c5.ping(before)).enrSeq).toBe(after.seq);
    expect((await c4.requestEnr(nodeOf(us))).raw).toEqual(after.raw);
    expect((await c5.requestEnr(before)).raw).toEqual(after.raw);
  }, 30_000);
});
