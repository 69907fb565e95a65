/**
 * The discv5 session layer between transports wired in memory: handshakes both ways, sessions,
 * and every class of bad input counted and dropped with bounded state.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../../src/crypto/random.js';
import { generatePrivateKey, nodeIdOf, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { encodeEnr, type Enr } from '../../src/discovery/enr.js';
import { makeNode, type DiscoveryNode } from '../../src/discovery/node.js';
import { V5RequestError } from '../../src/discovery/v5-errors.js';
import { randomPacket, whoareyouPacket } from '../../src/discovery/v5-handshake.js';
import { MAX_REQUEST_SIZE, V5Transport, type Endpoint, type InboundRequest, type V5Request, type V5TransportOptions } from '../../src/discovery/v5-transport.js';

interface Peer {
  t: V5Transport;
  key: Uint8Array;
  id: Uint8Array;
  ep: Endpoint;
  enr: Enr;
  node: DiscoveryNode;
  /** Every datagram this peer sent, in order. */
  sent: { packet: Uint8Array; to: Endpoint }[];
}

/** Peers on a fake network: a datagram to an endpoint reaches the peer bound there, on the next tick. */
function network() {
  const peers = new Map<string, Peer>();
  let nextPort = 40000;
  const add = (overrides: Partial<V5TransportOptions> & { onReq?: (p: Peer, r: InboundRequest) => void; ip?: string } = {}): Peer => {
    const key = generatePrivateKey();
    const id = nodeIdOf(publicKeyOf(key));
    const ep = { ip: overrides.ip ?? '127.0.0.1', port: nextPort++ };
    const enr = encodeEnr({ ip: ep.ip, udp: ep.port }, key);
    const peer = { key, id, ep, enr, node: makeNode(publicKeyOf(key), ep.ip, ep.port, 0, enr), sent: [] } as unknown as Peer;
    peer.t = new V5Transport({
      privateKey: key,
      localId: id,
      localRecord: () => enr,
      send: (packet, to) => {
        peer.sent.push({ packet, to });
        setImmediate(() => peers.get(`${to.ip}:${to.port}`)?.t.handlePacket(packet, ep));
      },
      onRequest: (r) => {
        if (overrides.onReq) return overrides.onReq(peer, r);
        const m = r.message;
        if (m.type === 'ping') peer.t.respond(r.id, r.from, { type: 'pong', reqId: m.reqId, enrSeq: enr.seq, ip: r.from.ip, port: r.from.port });
        if (m.type === 'talkreq') peer.t.respond(r.id, r.from, { type: 'talkresp', reqId: m.reqId, response: m.request });
      },
      requestTimeoutMs: 500,
      ...overrides,
    });
    peers.set(`${ep.ip}:${ep.port}`, peer);
    return peer;
  };
  return { add };
}

const ping = (seq = 1n): V5Request => ({ type: 'ping', enrSeq: seq });
const tick = () => new Promise((r) => setTimeout(r, 20));

describe('discv5 transport', () => {
  it('handshakes on the first request, then reuses the session both ways', async () => {
    const net = network();
    const a = net.add();
    const b = net.add();
    const [pong] = await a.t.request(b.node, ping());
    expect(pong).toMatchObject({ type: 'pong', ip: a.ep.ip, port: a.ep.port });
    expect(b.t.counters.handshakes).toBe(1);
    // random packet, handshake: two packets from A; then one sealed request, no new handshake.
    expect(a.sent.length).toBe(2);
    await a.t.request(b.node, ping());
    expect(a.sent.length).toBe(3);
    // B now talks to A over the session A opened (no WHOAREYOU either way).
    const [resp] = await b.t.request(a.node, { type: 'talkreq', protocol: new Uint8Array([1]), request: new Uint8Array([7]) });
    expect(resp).toMatchObject({ type: 'talkresp', response: new Uint8Array([7]) });
    expect(a.t.counters.handshakes + b.t.counters.handshakes).toBe(1);
  });

  it('handshakes started by both sides at once still carry both requests', async () => {
    const net = network();
    const a = net.add();
    const b = net.add();
    const [ab, ba] = await Promise.all([a.t.request(b.node, ping()), b.t.request(a.node, ping())]);
    expect([ab[0]!.type, ba[0]!.type]).toEqual(['pong', 'pong']);
    expect(a.t.counters.handshakes + b.t.counters.handshakes).toBe(2);
    // And the sessions both keep work for later requests.
    const [ab2, ba2] = await Promise.all([a.t.request(b.node, ping()), b.t.request(a.node, ping())]);
    expect([ab2[0]!.type, ba2[0]!.type]).toEqual(['pong', 'pong']);
  });

  it('queues concurrent requests to one node behind its handshake', async () => {
    const net = network();
    const a = net.add();
    const b = net.add();
    const all = await Promise.all(Array.from({ length: 5 }, () => a.t.request(b.node, ping())));
    expect(all.map((r) => r[0]!.type)).toEqual(Array(5).fill('pong'));
    expect(b.t.counters.handshakes).toBe(1);
  });

  it('drops a WHOAREYOU for no request, a replayed handshake, and malformed datagrams', async () => {
    const net = network();
    const a = net.add();
    const b = net.add();
    await a.t.request(b.node, ping());
    const handshake = a.sent[1]!.packet;
    const answered = b.sent.length;
    // Replayed handshake: its challenge was used once.
    b.t.handlePacket(handshake, a.ep);
    expect(b.t.counters['bad-handshake']).toBe(1);
    // WHOAREYOU that answers nothing of ours.
    a.t.handlePacket(whoareyouPacket(a.id, randomBytes(12), 0n).packet, b.ep);
    expect(a.t.counters['unsolicited-whoareyou']).toBe(1);
    // Junk, short, long, and a packet masked for someone else.
    for (const junk of [randomBytes(10), randomBytes(200), randomBytes(1300), randomPacket(a.id, b.id).packet]) b.t.handlePacket(junk, a.ep);
    expect(b.t.counters['malformed-header']).toBe(4);
    await tick();
    expect(b.sent.length).toBe(answered);
    // The session still works.
    expect((await a.t.request(b.node, ping()))[0]!.type).toBe('pong');
  });

  it('a request too large for a handshake packet is refused before it is sent', async () => {
    const net = network();
    const a = net.add();
    const b = net.add();
    await expect(a.t.request(b.node, { type: 'talkreq', protocol: new Uint8Array(1), request: new Uint8Array(900) })).rejects.toBeInstanceOf(RangeError);
    expect(a.sent.length).toBe(0);
    expect(a.t.pendingRequests).toBe(0);
    // The largest allowed one goes through a handshake.
    const [r] = await a.t.request(b.node, { type: 'talkreq', protocol: new Uint8Array(1), request: new Uint8Array(MAX_REQUEST_SIZE - 20) });
    expect(r!.type).toBe('talkresp');
  });

  it('an unanswered request times out; an aborted one rejects with the reason; close fails the rest', async () => {
    const net = network();
    const a = net.add();
    const ghost = makeNode(publicKeyOf(generatePrivateKey()), '127.0.0.1', 1, 0);
    await expect(a.t.request(ghost, ping(), { timeoutMs: 50 })).rejects.toMatchObject({ kind: 'timeout' });
    const ac = new AbortController();
    const p = a.t.request(ghost, ping(), { signal: ac.signal });
    const queued = a.t.request(ghost, ping());
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    a.t.close();
    await expect(queued).rejects.toBeInstanceOf(V5RequestError);
    expect(a.t.pendingRequests).toBe(0);
  });

  it('a flood of handshakes from one address is rate-limited and the challenges stay bounded', async () => {
    const net = network();
    const b = net.add({ challengeRate: 10, maxChallenges: 50 });
    const before = b.sent.length;
    for (let i = 0; i < 500; i++) b.t.handlePacket(randomPacket(b.id, randomBytes(32)).packet, { ip: '10.0.0.9', port: 30303 });
    expect(b.sent.length - before).toBe(20); // the burst, then nothing
    expect(b.t.counters['rate-limited']).toBe(480);
    expect(b.t.challengeCount).toBeLessThanOrEqual(50);
    // Another source is still answered.
    b.t.handlePacket(randomPacket(b.id, randomBytes(32)).packet, { ip: '10.0.0.10', port: 30303 });
    expect(b.sent.length - before).toBe(21);
  });

  it('sessions are bounded in number', async () => {
    const net = network();
    const b = net.add({ maxSessions: 3 });
    for (let i = 0; i < 8; i++) await net.add().t.request(b.node, ping());
    expect(b.t.sessionCount).toBe(3);
  });

  it('NODES past the announced count and the limit of 5 are dropped and counted', async () => {
    const net = network();
    const a = net.add();
    const b = net.add({
      onReq: (peer, r) => {
        if (r.message.type !== 'findnode') return;
        for (let i = 0; i < 9; i++) peer.t.respond(r.id, r.from, { type: 'nodes', reqId: r.message.reqId, total: 9, records: [peer.enr.raw] });
      },
    });
    const nodes = await a.t.request(b.node, { type: 'findnode', distances: [0] });
    expect(nodes.length).toBe(5);
    await tick();
    expect(a.t.counters['unsolicited-response']).toBe(4);
  });

  it('a session is bound to the address it was made from', async () => {
    const net = network();
    const a = net.add();
    const b = net.add();
    await a.t.request(b.node, ping());
    await a.t.request(b.node, ping()); // a sealed packet, not the handshake
    // A's sealed packet replayed from another address cannot use the session: B challenges it.
    const whoareyous = b.sent.length;
    b.t.handlePacket(a.sent[a.sent.length - 1]!.packet, { ip: '127.0.0.2', port: a.ep.port });
    expect(b.sent.length).toBe(whoareyous + 1);
    expect(b.t.counters.handshakes).toBe(1);
  });
});
