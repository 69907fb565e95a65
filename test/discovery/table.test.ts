import { describe, expect, it } from 'vitest';
import { keccak256 } from '../../src/crypto/keccak.js';
import { publicKeyOf } from '../../src/crypto/secp256k1.js';
import { compareDistance, logDistance, makeNode, type DiscoveryNode } from '../../src/discovery/node.js';
import { BUCKET_SIZE, MAX_REPLACEMENTS, N_BUCKETS, Table } from '../../src/discovery/table.js';
import { seededBytes } from '../helpers/bytes.js';

/** A node at a chosen id (the table only reads id, ip and ports; the key is a real one). */
const pub = publicKeyOf(seededBytes(32, 1));
function nodeAt(id: Uint8Array, ip = '127.0.0.1', udp = 30303): DiscoveryNode {
  return { id, publicKey: pub, ip, udp, tcp: udp };
}
/** An id at log-distance d from self (d in 1..256), varied by `n` in its low bits. */
function idAtDistance(self: Uint8Array, d: number, n: number): Uint8Array {
  const id = new Uint8Array(self);
  const bit = d - 1; // flip bit d-1 counted from the least significant end
  id[31 - (bit >> 3)]! ^= 1 << (bit & 7);
  // vary the bits below it
  if (bit >= 16) {
    id[31] ^= n & 0xff;
    id[30] ^= (n >> 8) & 0xff;
  }
  return id;
}

describe('node distance', () => {
  it('logDistance counts from the first differing bit', () => {
    const a = new Uint8Array(32);
    expect(logDistance(a, a)).toBe(0);
    const b = a.slice();
    b[31] = 1;
    expect(logDistance(a, b)).toBe(1);
    b[0] = 0x80;
    expect(logDistance(a, b)).toBe(256);
    const c = a.slice();
    c[1] = 0x01;
    expect(logDistance(a, c)).toBe(241);
  });
  it('compareDistance orders by XOR', () => {
    const t = new Uint8Array(32);
    const near = t.slice();
    near[31] = 1;
    const far = t.slice();
    far[0] = 1;
    expect(compareDistance(t, near, far)).toBeLessThan(0);
    expect(compareDistance(t, far, near)).toBeGreaterThan(0);
  });
  it('makeNode derives the id by keccak', () => {
    expect(makeNode(pub, '127.0.0.1', 1, 2).id).toEqual(keccak256(pub));
  });
});

describe('Table', () => {
  const self = new Uint8Array(keccak256(Uint8Array.of(1)));

  it('never adds itself, and buckets by log-distance (everything within 239 in bucket 0)', () => {
    const t = new Table({ selfId: self });
    expect(t.add(nodeAt(self))).toBe('self');
    expect(t.bucketIndex(idAtDistance(self, 256, 0))).toBe(N_BUCKETS - 1);
    expect(t.bucketIndex(idAtDistance(self, 240, 0))).toBe(0);
    expect(t.bucketIndex(idAtDistance(self, 200, 0))).toBe(0);
    expect(t.bucketIndex(idAtDistance(self, 241, 0))).toBe(1);
  });

  it('keeps 16 per bucket and 10 replacements, memory bounded whatever is added', () => {
    const t = new Table({ selfId: self });
    const results: string[] = [];
    for (let i = 0; i < 100; i++) results.push(t.add(nodeAt(idAtDistance(self, 256, i + 1))));
    expect(results.filter((r) => r === 'added')).toHaveLength(BUCKET_SIZE);
    expect(results.filter((r) => r === 'replacement')).toHaveLength(100 - BUCKET_SIZE);
    expect(t.size).toBe(BUCKET_SIZE);
    // A removed entry is replaced by one of the last 10 replacements.
    const first = idAtDistance(self, 256, 1);
    expect(t.remove(first)).toBe(true);
    expect(t.size).toBe(BUCKET_SIZE);
    expect(t.has(first)).toBe(false);
    const lateIds = Array.from({ length: MAX_REPLACEMENTS }, (_, k) => idAtDistance(self, 256, 100 - k));
    const inTable = [...t.nodes()].filter((n) => lateIds.some((id) => compareDistance(self, id, n.id) === 0));
    expect(inTable).toHaveLength(1);
  });

  it('limits a public /24 to 2 per bucket and 10 per table; loopback and LAN are exempt', () => {
    const t = new Table({ selfId: self });
    const res = [1, 2, 3].map((i) => t.add(nodeAt(idAtDistance(self, 256, i), `8.8.8.${i}`)));
    expect(res).toEqual(['added', 'added', 'ip-limit']);
    let added = 2;
    for (let d = 241; d <= 255; d++) {
      for (let i = 0; i < 2; i++) if (t.add(nodeAt(idAtDistance(self, d, i + 1), `8.8.8.${d % 200}`)) === 'added') added++;
    }
    expect(added).toBe(10);
    for (let i = 0; i < 16; i++) expect(t.add(nodeAt(idAtDistance(self, 250, 100 + i), '10.0.0.1'))).not.toBe('ip-limit');
    for (let i = 0; i < 16; i++) expect(t.add(nodeAt(idAtDistance(self, 249, 100 + i), '127.0.0.1'))).not.toBe('ip-limit');
    // Removing frees the /24's count.
    t.remove(idAtDistance(self, 256, 1));
    expect(t.add(nodeAt(idAtDistance(self, 256, 9), '8.8.8.9'))).toBe('added');
  });

  it('returns the closest nodes, live ones first when asked', () => {
    const t = new Table({ selfId: self });
    const ids = [256, 250, 245, 241].map((d) => idAtDistance(self, d, 1));
    t.add(nodeAt(ids[0]!), { live: true });
    for (const id of ids.slice(1)) t.add(nodeAt(id));
    expect(t.closest(self, 2).map((n) => n.id)).toEqual([ids[3], ids[2]]);
    expect(t.closest(self, 2, { preferLive: true }).map((n) => n.id)).toEqual([ids[0]]);
  });

  it('revalidates the least recently checked node; a dead one is dropped and replaced', async () => {
    let now = 1000;
    const t = new Table({ selfId: self, now: () => now });
    for (let i = 0; i < BUCKET_SIZE + 1; i++) t.add(nodeAt(idAtDistance(self, 256, i + 1)));
    const seen: DiscoveryNode[] = [];
    now++;
    const checked = await t.revalidate(async (n) => {
      seen.push(n);
      return { alive: false };
    });
    expect(checked).toBe(seen[0]);
    expect(t.has(checked!.id)).toBe(false);
    expect(t.size).toBe(BUCKET_SIZE);
    now++;
    const next = await t.revalidate(async () => ({ alive: true }));
    expect(t.get(next!.id)!.livenessChecks).toBe(1);
    expect(next).not.toBe(checked);
    expect(await new Table({ selfId: self }).revalidate(async () => ({ alive: true }))).toBeUndefined();
  });
});

describe('Table shared by discv4 and discv5', () => {
  const self = new Uint8Array(keccak256(Uint8Array.of(2)));
  const v5only = nodeAt(idAtDistance(self, 256, 1), '127.0.0.1', 30001);
  const both = nodeAt(idAtDistance(self, 255, 1), '127.0.0.1', 30002);
  const v4only = nodeAt(idAtDistance(self, 254, 1), '127.0.0.1', 30003);
  function shared(now: () => number): Table {
    const t = new Table({ selfId: self, now });
    t.add(v5only, { protocol: 'v5', live: true });
    t.add(both, { protocol: 'v4', live: true });
    t.add(both, { protocol: 'v5', live: true });
    t.add(v4only, { protocol: 'v4', live: true });
    return t;
  }
  const protocolsOf = (t: Table, n: DiscoveryNode): string[] => [...(t.get(n.id)?.protocols.keys() ?? [])].sort();

  it('remembers which protocols a node spoke; another endpoint adds none', () => {
    const t = shared(() => 1);
    expect(protocolsOf(t, both)).toEqual(['v4', 'v5']);
    expect(protocolsOf(t, v5only)).toEqual(['v5']);
    expect(t.add({ ...v5only, udp: 40000 }, { protocol: 'v4', live: true })).toBe('updated');
    expect(protocolsOf(t, v5only)).toEqual(['v5']);
    expect(t.closest(self, 16, { protocol: 'v4' }).map((n) => n.udp).sort()).toEqual([30002, 30003]);
    expect(t.closest(self, 16, { protocol: 'v5' }).map((n) => n.udp).sort()).toEqual([30001, 30002]);
  });

  it("a protocol's revalidation checks only its nodes; a failing protocol is struck off, the node stays while another answers", async () => {
    let now = 1000;
    const t = shared(() => now);
    const pingedV4 = new Set<number>();
    for (let round = 0; round < 12; round++) {
      now += 1000;
      // v4 answers nobody, v5 everybody.
      await t.revalidate(async (n) => (pingedV4.add(n.udp), { alive: false }), { protocol: 'v4' });
      await t.revalidate(async () => ({ alive: true }), { protocol: 'v5' });
    }
    expect(pingedV4.has(v5only.udp)).toBe(false); // never pinged over v4
    expect(pingedV4.has(both.udp)).toBe(true);
    expect(t.has(v5only.id) && t.has(both.id)).toBe(true);
    expect(protocolsOf(t, both)).toEqual(['v5']);
    expect(t.get(both.id)!.livenessChecks).toBeGreaterThan(1);
    expect(t.has(v4only.id)).toBe(false); // its only protocol failed
  });

  it('a node heard through both protocols takes one place and counts once against the IP limits', () => {
    const t = new Table({ selfId: self });
    const nodes = Array.from({ length: 10 }, (_, i) => nodeAt(idAtDistance(self, 246 + i, 1), `8.8.4.${i + 1}`));
    for (const n of nodes) expect(t.add(n, { protocol: 'v4' })).toBe('added');
    for (const n of nodes) expect(t.add(n, { protocol: 'v5' })).toBe('updated');
    expect(t.size).toBe(10);
    expect(t.add(nodeAt(idAtDistance(self, 245, 1), '8.8.4.99'), { protocol: 'v5' })).toBe('ip-limit'); // 10 per /24 in the table
  });

  it('a node that speaks both is evicted when both fail, and remove(id, protocol) strikes one', async () => {
    let now = 1000;
    const t = shared(() => now);
    const removed: DiscoveryNode[] = [];
    t.on('removed', (n) => removed.push(n));
    for (let round = 0; round < 6; round++) {
      now += 1000;
      await t.revalidate(async () => ({ alive: false }), { protocol: 'v4' });
      await t.revalidate(async () => ({ alive: false }), { protocol: 'v5' });
    }
    expect(t.size).toBe(0);
    expect(removed.map((n) => n.udp).sort()).toEqual([30001, 30002, 30003]);
    const u = shared(() => now);
    expect(u.remove(both.id, 'v4')).toBe(true);
    expect(protocolsOf(u, both)).toEqual(['v5']);
    expect(u.remove(both.id, 'v4')).toBe(false);
    expect(u.remove(both.id, 'v5')).toBe(true);
    expect(u.has(both.id)).toBe(false);
  });
});
