/**
 * discv5 against an independent implementation, @chainsafe/discv5 (a dev dependency, pinned
 * 11.0.0, the one that installs from the registry here), on loopback: ping, FINDNODE and
 * lookups work both ways.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Discv5 } from '@chainsafe/discv5';
import { ENR, SignableENR } from '@chainsafe/enr';
// @chainsafe/discv5's own dependency: its nodes need a libp2p key.
import { generateKeyPair } from '@libp2p/crypto/keys';
import { multiaddr } from '@multiformats/multiaddr';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import { startDiscoveryV5, type DiscoveryV5 } from '../../src/discovery/v5-node.js';
import { startDiscovery } from '../../src/discovery/discovery.js';
import { decodeEnr } from '../../src/discovery/enr.js';
import { makeNode, nodeFromEnr } from '../../src/discovery/node.js';
import { startDiscoveryV4 } from '../../src/discovery/v4-discovery.js';
import { freePort } from '../helpers/geth.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** Their key type, as @chainsafe/discv5 declares it (its @libp2p/crypto resolves a newer @libp2p/interface, the same at run time). */
type TheirKey = Parameters<typeof Discv5.create>[0]['privateKey'];

async function chainsafe(): Promise<Discv5> {
  const privateKey = (await generateKeyPair('secp256k1')) as unknown as TheirKey;
  const port = await freePort();
  const enr = SignableENR.createFromPrivateKey(privateKey);
  enr.ip = '127.0.0.1';
  enr.udp = port;
  const node = Discv5.create({ enr, privateKey, bindAddrs: { ip4: multiaddr(`/ip4/127.0.0.1/udp/${port}`) }, config: { requestTimeout: 2000 } });
  await node.start();
  closers.push(() => node.stop());
  return node;
}

async function ours(bootnodes: string[] = []): Promise<DiscoveryV5> {
  const node = await startDiscoveryV5({ privateKey: generatePrivateKey(), host: '127.0.0.1', bootnodes, refreshIntervalMs: 0, revalidateIntervalMs: 100 });
  closers.push(() => node.close());
  return node;
}

const liveIn = async (n: DiscoveryV5, count: number): Promise<void> => {
  for (let i = 0; i < 100 && [...n.table.entries()].filter((e) => e.livenessChecks > 0).length < count; i++) await new Promise((r) => setTimeout(r, 50));
};

describe('discv5 against @chainsafe/discv5 11.0.0', () => {
  it('ping and FINDNODE both ways', async () => {
    const cs = await chainsafe();
    const us = await ours();
    const csText = cs.enr.encodeTxt();
    // Us to them.
    const pong = await us.ping(csText);
    expect(pong).toMatchObject({ ip: '127.0.0.1', port: us.address.port });
    const theirs = await us.requestEnr(csText);
    expect(bytesToHex(theirs.nodeId)).toBe(cs.enr.nodeId);
    // Them to us.
    const ourEnr = ENR.decodeTxt(us.enr.toText());
    const back = await cs.sendPing(ourEnr);
    expect(back.enrSeq).toBe(us.enr.seq);
    const mine = await cs.sendFindNode(ourEnr, [0]);
    expect(mine.map((e) => e.nodeId)).toEqual([bytesToHex(us.id)]);
  }, 30_000);

  it('1,000 PINGs to them all answered: they read a request id as an integer, and ours never starts with a zero byte', async () => {
    // Their PONG echoes the id without its leading zero bytes; an id starting 0x00 (1 in 256,
    // before ids avoided it) got an answer that matched nothing, and the PING timed out.
    const cs = await chainsafe();
    const us = await ours();
    const csText = cs.enr.encodeTxt();
    let answered = 0;
    for (let i = 0; i < 1000; i++) if ((await us.ping(csText)).port === us.address.port) answered++;
    expect(answered).toBe(1000);
    expect(us.transport.counters['unsolicited-response']).toBe(0);
  }, 60_000);

  it('lookups both ways: each finds the nodes the other knows', async () => {
    // Our bootnode knows two of our nodes; their lookup through it finds both.
    const boot = await ours();
    const a = await ours();
    const b = await ours();
    await Promise.all([a.ping(boot.enr), b.ping(boot.enr)]);
    await liveIn(boot, 2);
    const cs = await chainsafe();
    cs.addEnr(boot.enr.toText());
    const seen = new Set<string>();
    for (let i = 0; i < 10 && !(seen.has(bytesToHex(a.id)) && seen.has(bytesToHex(b.id))); i++) {
      // Lookups for each node's id: a random target asks only the distances near it.
      for (const target of [a.id, b.id]) for (const e of await cs.findNode(bytesToHex(target))) seen.add(e.nodeId);
      for (const e of cs.kadValues()) seen.add(e.nodeId);
    }
    expect(seen).toContain(bytesToHex(a.id));
    expect(seen).toContain(bytesToHex(b.id));

    // Their node knows ours (a and b talked to it); our lookup seeded with it alone finds them.
    const cs2 = await chainsafe();
    await Promise.all([a.ping(cs2.enr.encodeTxt()), b.ping(cs2.enr.encodeTxt())]);
    const seeker = await ours([cs2.enr.encodeTxt()]);
    const found = new Set<string>();
    for (let i = 0; i < 10 && !(found.has(bytesToHex(a.id)) && found.has(bytesToHex(b.id))); i++) {
      for (const target of [a.id, b.id]) await seeker.lookup(target, { onFound: (n) => found.add(bytesToHex(n.id)) });
      for (const n of seeker.table.nodes()) found.add(bytesToHex(n.id));
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(found).toContain(bytesToHex(a.id));
    expect(found).toContain(bytesToHex(b.id));
  }, 60_000);

  it('beside discv4 (one table): their v5-only node stays while our v4 PINGs to it fail, and v4 is struck off it', async () => {
    // A v5 PING answered late fails its check, and one failure divides the checks by 3 (as geth
    // does), which ends a node checked twice. The requests run in this test's worker, so a stall
    // of its event loop (a GC under the whole suite) can outlast a 1 s timeout: they get 5 s.
    const us = await startDiscovery({
      protocols: { v4: true, v5: true }, privateKey: generatePrivateKey(), host: '127.0.0.1', refreshIntervalMs: 0, revalidateIntervalMs: 50, requestTimeoutMs: 5000,
    });
    closers.push(() => us.close());
    const cs = await chainsafe();
    const csNode = nodeFromEnr(decodeEnr(cs.enr.encodeTxt()))!;
    // They handshake with us: their record puts them in the table as v5; our v5 PINGs prove them.
    await cs.sendPing(ENR.decodeTxt(us.record.enr.toText()));
    const v5checks = (): number => us.table.get(csNode.id)?.protocols.get('v5')?.checks ?? 0;
    // Checked 3 times, so one failed PING divides the count by 3 without ending it. (What CI saw
    // fail here was their PONG to an id starting with a zero byte, which our ids now avoid: see
    // the 1,000 PINGs above. A PING later than the 5 s above would still fail a check.)
    for (let i = 0; i < 400 && v5checks() < 3; i++) await new Promise((r) => setTimeout(r, 25));
    expect(v5checks()).toBeGreaterThanOrEqual(3);
    // A discv4 node of ours lists them in its NEIGHBORS, as if they spoke v4: our v4 lookup tags them v4 too.
    const a4 = await startDiscoveryV4({ privateKey: generatePrivateKey(), host: '127.0.0.1', refreshIntervalMs: 0, revalidateIntervalMs: 0 });
    closers.push(() => a4.close());
    a4.table.add(csNode, { live: true });
    await a4.ping(makeNode(us.v4!.publicKey, '127.0.0.1', us.address.port, us.address.port));
    for (let i = 0; i < 100 && !us.table.has(a4.id); i++) await new Promise((r) => setTimeout(r, 25));
    // (Read as the lookup hears of them: our v4 revalidation may strike v4 off before the lookup ends.)
    let tagged: string[] = [];
    await us.v4!.lookup(csNode.publicKey, {
      onFound: (n) => {
        if (bytesToHex(n.id) === bytesToHex(csNode.id)) tagged = [...us.table.get(n.id)!.protocols.keys()].sort();
      },
    });
    expect(tagged).toEqual(['v4', 'v5']);
    const removed: string[] = [];
    us.table.on('removed', (n) => removed.push(bytesToHex(n.id)));
    // Our v4 PING goes unanswered (they speak no v4): v4 is struck off, the node stays.
    for (let i = 0; i < 200 && us.table.get(csNode.id)?.protocols.has('v4'); i++) await new Promise((r) => setTimeout(r, 25));
    expect([...(us.table.get(csNode.id)?.protocols.keys() ?? [])]).toEqual(['v5']);
    // Several more rounds of v5 checks: still there.
    // (Up to 20 s: a failed PING costs its 5 s timeout, then the count climbs back from a third.)
    const after = v5checks();
    for (let i = 0; i < 800 && v5checks() < after + 4; i++) await new Promise((r) => setTimeout(r, 25));
    expect(v5checks()).toBeGreaterThanOrEqual(after + 4);
    expect(removed).not.toContain(bytesToHex(csNode.id));
    expect(us.table.has(csNode.id)).toBe(true);
  }, 60_000);
});
