/**
 * Our discv4 nodes against each other and against hostile datagrams, on real UDP sockets on
 * loopback: the bond dance, ENR and FINDNODE, lookups over a small network, and every class of
 * bad input counted and dropped while an honest node is still served.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { concatBytes } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { generatePrivateKey, publicKeyOf, sign } from '../../src/crypto/secp256k1.js';
import { makeNode, type DiscoveryNode } from '../../src/discovery/node.js';
import { startDiscoveryV4, type DiscoveryV4 } from '../../src/discovery/v4-discovery.js';
import { decodePacket, encodePacket, expirationFromNow, type V4Packet } from '../../src/discovery/v4-packet.js';

const nodes: DiscoveryV4[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
  for (const s of sockets.splice(0)) s.close();
});

async function start(options: Partial<Parameters<typeof startDiscoveryV4>[0]> = {}): Promise<DiscoveryV4> {
  const n = await startDiscoveryV4({ privateKey: generatePrivateKey(), host: '127.0.0.1', revalidateIntervalMs: 0, refreshIntervalMs: 0, ...options });
  nodes.push(n);
  return n;
}

function asNode(d: DiscoveryV4): DiscoveryNode {
  return makeNode(d.publicKey, '127.0.0.1', d.address.port, d.address.port);
}

/** A raw UDP client with its own key: sends what we want, collects what comes back. */
async function rawClient(): Promise<{ key: Uint8Array; port: number; send: (b: Uint8Array, to: DiscoveryV4) => void; got: ReturnType<typeof decodePacket>[]; raw: Uint8Array[] }> {
  const s = createSocket('udp4');
  sockets.push(s);
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const got: ReturnType<typeof decodePacket>[] = [];
  const raw: Uint8Array[] = [];
  s.on('message', (m) => {
    raw.push(new Uint8Array(m));
    try {
      got.push(decodePacket(new Uint8Array(m)));
    } catch {
      // not ours to judge here
    }
  });
  return { key: generatePrivateKey(), port: s.address().port, send: (b, to) => s.send(b, to.address.port, '127.0.0.1'), got, raw };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 3000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe('discv4 between our own nodes', () => {
  it('ping, then requestEnr and findNode after the bond dance; both tables learn the other', async () => {
    const a = await start();
    const b = await start({ eth: { forkHash: Uint8Array.of(0xfc, 0x64, 0xec, 0x04), forkNext: 1150000n } });
    const pong = await a.ping(asNode(b));
    expect(pong.enrSeq).toBe(b.enr.seq);
    const enr = await a.requestEnr(asNode(b));
    expect(enr.raw).toEqual(b.enr.raw);
    expect(enr.eth?.forkNext).toBe(1150000n);
    expect(enr.udp).toBe(b.address.port);
    // b pinged a back during the dance and put it in its table once a answered.
    await until(() => b.table.has(a.id));
    const found = await b.findNode(asNode(a), publicKeyOf(generatePrivateKey()));
    // a's table holds b alone (geth does not leave the requester out either).
    expect(found.map((n) => n.id)).toEqual([b.id]);
    expect(a.counters.dropped.unbonded).toBe(0);
  });

  it('a lookup from one bootnode finds every node of a 12-node network', async () => {
    const boot = await start();
    const others: DiscoveryV4[] = [];
    for (let i = 0; i < 10; i++) others.push(await start({ bootnodes: [boot.enode], refreshIntervalMs: 0 }));
    // Each joins by a self lookup against the bootnode.
    await Promise.all(others.map((o) => o.lookup(o.publicKey)));
    const me = await start({ bootnodes: [boot.enode] });
    // The bootnode is a seed, not something found.
    const seen = new Set<string>([Buffer.from(boot.id).toString('hex')]);
    for (let i = 0; i < 3 && seen.size < 11; i++) {
      await me.lookup(undefined, { onFound: (n) => seen.add(Buffer.from(n.id).toString('hex')) });
    }
    const want = [boot, ...others].map((n) => Buffer.from(n.id).toString('hex'));
    expect(want.filter((id) => !seen.has(id))).toEqual([]);
    expect(me.table.size).toBeGreaterThanOrEqual(10);
  }, 30_000);

  it('requests take { signal } and fail with a timeout against a silent address', async () => {
    const a = await start();
    const silent = makeNode(publicKeyOf(generatePrivateKey()), '127.0.0.1', 9, 9);
    await expect(a.ping(silent)).rejects.toMatchObject({ kind: 'timeout' });
    const ac = new AbortController();
    const p = a.findNode(silent, publicKeyOf(generatePrivateKey()), { signal: ac.signal });
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(a.counters.pending).toBe(0);
  });
});

describe('discv4 bad input on loopback: counted and dropped, others still served', () => {
  it('every malformed class, unsolicited replies, expired packets, unbonded queries and oversized datagrams', async () => {
    const victim = await start();
    const evil = await rawClient();
    const pkt = (p: V4Packet): Uint8Array => encodePacket(p, evil.key).bytes;
    const frame = (type: number, body: Uint8Array): Uint8Array => {
      const typed = concatBytes(Uint8Array.of(type), body);
      const sig = sign(keccak256(typed), evil.key);
      return concatBytes(keccak256(sig, typed), sig, typed);
    };
    const good = pkt({ kind: 'ping', version: 4n, from: { ip: '127.0.0.1', udp: evil.port, tcp: 0 }, to: { ip: '127.0.0.1', udp: victim.address.port, tcp: 0 }, expiration: expirationFromNow() });
    const badHash = new Uint8Array(good);
    badHash[5] ^= 1;
    const badSig = new Uint8Array(good);
    badSig[96] = 7;
    badSig.set(keccak256(badSig.subarray(32)), 0);
    const oversized = frame(1, new Uint8Array(1300).fill(0x80));
    const sends: [string, Uint8Array][] = [
      ['bad-hash', badHash],
      ['too-small', Uint8Array.of(1, 2, 3)],
      ['bad-signature', badSig],
      ['unknown-type', frame(9, Uint8Array.of(0xc0))],
      ['malformed', frame(3, Uint8Array.of(0xc2, 0x80, 0x80))],
      ['too-large', oversized],
      ['expired', pkt({ kind: 'ping', version: 4n, from: { ip: '127.0.0.1', udp: evil.port, tcp: 0 }, to: { udp: 0, tcp: 0 }, expiration: 1 })],
      ['unsolicited', pkt({ kind: 'neighbors', nodes: [{ ip: '1.2.3.4', udp: 30303, tcp: 30303, publicKey: publicKeyOf(generatePrivateKey()) }], expiration: expirationFromNow() })],
      ['unsolicited', pkt({ kind: 'pong', to: { ip: '127.0.0.1', udp: 1, tcp: 0 }, replyToken: new Uint8Array(32), expiration: expirationFromNow() })],
      ['unbonded', pkt({ kind: 'findnode', target: publicKeyOf(generatePrivateKey()), expiration: expirationFromNow() })],
      ['unbonded', pkt({ kind: 'enrRequest', expiration: expirationFromNow() })],
    ];
    for (const [, bytes] of sends) evil.send(bytes, victim);
    const want: Record<string, number> = {};
    for (const [k] of sends) want[k] = (want[k] ?? 0) + 1;
    await until(() => Object.entries(want).every(([k, n]) => victim.counters.dropped[k as keyof typeof victim.counters.dropped] >= n)).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(victim.counters.dropped)}`);
    });
    // No answer to any of it: the victim never spoke to this address.
    await sleep(100);
    expect(evil.raw).toHaveLength(0);
    // An honest node is still served.
    const honest = await start();
    expect((await honest.requestEnr(asNode(victim))).raw).toEqual(victim.enr.raw);
  });

  it('a flood from one address is rate-limited; pending replies and bonds stay bounded', async () => {
    const victim = await start({ limits: { packetsPerSecond: 50, packetBurst: 100, maxPending: 64 } });
    const evil = await rawClient();
    // 2,000 signed PINGs from one address, each asking for a PONG and a ping-back.
    const pings = Array.from({ length: 2000 }, () =>
      encodePacket({ kind: 'ping', version: 4n, from: { ip: '127.0.0.1', udp: evil.port, tcp: 0 }, to: { udp: 0, tcp: 0 }, expiration: expirationFromNow() }, evil.key).bytes,
    );
    // In batches, so the kernel's receive buffer does not drop most of them before we see them.
    const t0 = Date.now();
    for (let i = 0; i < pings.length; i += 100) {
      for (const p of pings.slice(i, i + 100)) evil.send(p, victim);
      await sleep(10);
    }
    await until(() => victim.counters.received.ping + victim.counters.dropped['rate-limited'] >= 1500, 10_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(victim.counters)}`);
    });
    const seconds = (Date.now() - t0) / 1000;
    expect(victim.counters.dropped['rate-limited']).toBeGreaterThan(1000);
    // The burst, then 50 a second.
    expect(victim.counters.received.ping).toBeLessThanOrEqual(100 + Math.ceil(50 * seconds) + 1);
    expect(victim.counters.pending).toBeLessThanOrEqual(64);
    expect(victim.counters.bonds).toBe(1);
    // Another source is served meanwhile.
    const honest = await start();
    await expect(honest.ping(asNode(victim))).resolves.toMatchObject({ enrSeq: victim.enr.seq });
  }, 20_000);
});

describe('UdpPort shared by discv4 and another protocol', () => {
  it('discv4 claims what passes its hash check; the rest goes to the next handler; nothing is lost', async () => {
    const { UdpPort } = await import('../../src/discovery/udp-port.js');
    const port = await UdpPort.bind({ host: '127.0.0.1' });
    const other: Uint8Array[] = [];
    try {
      const v4 = await start({ udp: port });
      port.addHandler((data) => {
        other.push(new Uint8Array(data));
        return true;
      });
      const evil = await rawClient();
      const notV4 = new Uint8Array(200).fill(7); // a discv5-sized datagram: no keccak framing
      evil.send(notV4, v4);
      // And a discv4 PING on the same port is answered.
      const client = await start();
      await expect(client.ping(asNode(v4))).resolves.toBeDefined();
      await until(() => other.length === 1);
      expect(other[0]).toEqual(notV4);
      expect(port.unclaimed).toBe(0);
      // Closing discv4 leaves a shared port open for the other protocol.
      await v4.close();
      expect(port.closed).toBe(false);
    } finally {
      await port.close();
    }
  });
});
