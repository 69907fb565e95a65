/** listen() and the Server over real sockets on 127.0.0.1: the peer table's limits, pending handshakes, close. */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DisconnectedError, NetworkError, ProtocolError, RefusedError, type RlpxError } from '../../src/errors.js';
import { DisconnectReason } from '../../src/reasons.js';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { listen, type Server } from '../../src/peer/server.js';
import { dial, type DialOptions } from '../../src/peer/dial.js';
import type { CloseInfo, Peer } from '../../src/peer/peer.js';
import { HOST, settle, sleep, waitUntil, within } from '../helpers/loopback.js';
import { peerSuite } from '../helpers/peer-suite.js';

const { res, server, dialPeer } = peerSuite();

/** Dial and wait until the server has the peer in its table (keyed by the dialer's id). */
async function admitted(s: Server, opts: Partial<DialOptions> = {}): Promise<{ peer: Peer; id: string }> {
  const privateKey = opts.privateKey ?? generatePrivateKey();
  const id = bytesToHex(publicKeyOf(privateKey));
  const peer = await dialPeer(s.enode, { ...opts, privateKey });
  await waitUntil(() => s.peers.has(id), 2_000, 'admission');
  return { peer, id };
}

/**
 * How a dial that the server refuses ends for the dialer: a rejected dial (the reason in the
 * error), or a resolved dial whose peer is then closed. Returns the reason and who sent it.
 */
async function refusal(enode: string, opts: Partial<DialOptions> = {}): Promise<{ dialRejected: boolean; reason: number; initiator: string; error: unknown }> {
  const r = await settle(within(dial(enode, { privateKey: generatePrivateKey(), pingInterval: 0, ...opts }), 3_000, 'dial'));
  if (!r.ok) {
    const e = r.error as RlpxError;
    if (e instanceof DisconnectedError) return { dialRejected: true, reason: e.remoteReason, initiator: 'remote', error: e };
    return { dialRejected: true, reason: e.reason, initiator: 'local', error: e };
  }
  const peer = res.peer(r.value);
  const info: CloseInfo = await within(peer.closed, 3_000, 'refused peer to close');
  return { dialRejected: false, reason: info.reason, initiator: info.initiator, error: info.error };
}

function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = res.socket(connect({ host: HOST, port }));
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

describe('maxPeers', () => {
  it('a dialer beyond maxPeers is closed by the server with 0x04 TooManyPeers and kept out of the table', async () => {
    const s = await server({ maxPeers: 1 });
    const first = await admitted(s);
    expect(s.peers.size).toBe(1);
    const rejected: Error[] = [];
    s.on('rejected', (i) => rejected.push(i.error));

    const r = await refusal(s.enode);
    expect(r.initiator).toBe('remote');
    expect(r.reason).toBe(DisconnectReason.TooManyPeers);
    if (r.dialRejected) expect(r.error).toBeInstanceOf(DisconnectedError);
    expect([...s.peers.keys()]).toEqual([first.id]);
    await waitUntil(() => rejected.length === 1, 1_000, "server 'rejected'");
    expect(first.peer.isClosing).toBe(false);
  });

  // geth refuses over-limit, duplicate and self connections right after the RLPx handshake
  // (checkpointPostHandshake), before any Hello: the dialer's protocol handshake then fails.
  it("the refused dialer's dial() rejects (the refusal comes instead of the server's Hello)", async () => {
    const s = await server({ maxPeers: 1 });
    await admitted(s);

    const r = await refusal(s.enode);
    expect(r.reason).toBe(DisconnectReason.TooManyPeers);
    expect(r.initiator).toBe('remote');
    expect(r.dialRejected).toBe(true);
  });

  it('maxPeers 0 refuses everyone', async () => {
    const s = await server({ maxPeers: 0 });
    const r = await refusal(s.enode);
    expect(r).toMatchObject({ reason: DisconnectReason.TooManyPeers, initiator: 'remote' });
    expect(s.peers.size).toBe(0);
  });

  it('a slot freed by a disconnect can be taken again', async () => {
    const s = await server({ maxPeers: 1 });
    const first = await admitted(s);
    await first.peer.disconnect();
    await waitUntil(() => s.peers.size === 0, 2_000, 'table to empty');
    const second = await admitted(s);
    await sleep(50);
    expect(second.peer.isClosing).toBe(false);
    expect([...s.peers.keys()]).toEqual([second.id]);
  });
});

describe('already connected', () => {
  it('a second connection from the same node id gets 0x05 AlreadyConnected; the first stays', async () => {
    const s = await server();
    const key = generatePrivateKey();
    const id = bytesToHex(publicKeyOf(key));
    const first = await dialPeer(s.enode, { privateKey: key });
    await waitUntil(() => s.peers.has(id), 2_000, 'first admitted');
    const serverSide = s.peers.get(id)!;

    const r = await refusal(s.enode, { privateKey: key });
    expect(r.initiator).toBe('remote');
    expect(r.reason).toBe(DisconnectReason.AlreadyConnected);

    await sleep(50);
    expect(first.isClosing).toBe(false);
    expect(s.peers.size).toBe(1);
    expect(s.peers.get(id)).toBe(serverSide);
    expect(await within(first.ping(), 1_000, 'ping on the first connection')).toBeGreaterThanOrEqual(0);
  });

  it('server.dial() to a node already in the table throws RefusedError without dialing', async () => {
    const a = await server();
    const b = await server();
    const peer = res.peer(await a.dial(b.enode));
    expect(a.peers.get(bytesToHex(b.publicKey))).toBe(peer);
    await waitUntil(() => b.peers.has(bytesToHex(a.publicKey)), 2_000, 'b to admit a');
    await expect(a.dial(b.enode)).rejects.toBeInstanceOf(RefusedError);
    expect(a.peers.size).toBe(1);
  });
});

describe('connecting to self', () => {
  it('dialing the server with its own key ends with 0x0a ConnectedToSelf', async () => {
    const key = generatePrivateKey();
    const s = await server({ privateKey: key });
    const rejected: Error[] = [];
    s.on('rejected', (i) => rejected.push(i.error));

    const r = await refusal(s.enode, { privateKey: key });
    // src checks at Hello on both sides, so the dialer usually fails first (local 0x0a);
    // either way 0x0a is the reason.
    expect(r.reason).toBe(DisconnectReason.ConnectedToSelf);
    if (r.initiator === 'local') expect(r.error).toBeInstanceOf(ProtocolError);

    // The server refuses it too, whichever side noticed first.
    await waitUntil(() => rejected.length >= 1, 2_000, "server 'rejected'");
    const e = rejected[0] as RlpxError;
    const mentionsSelf =
      (e instanceof ProtocolError && e.reason === DisconnectReason.ConnectedToSelf) ||
      (e instanceof DisconnectedError && e.remoteReason === DisconnectReason.ConnectedToSelf) ||
      e.message.includes('connected to self');
    expect(mentionsSelf).toBe(true);
    expect(s.peers.size).toBe(0);
  });
});

describe('maxPendingHandshakes', () => {
  it('leaves as many connections as the cap waiting unread, destroys the rest at once, and never handshakes more than the cap', async () => {
    const cap = 3;
    const waiting = cap; // the backlog is as deep as the cap
    const extra = 2;
    const s = await server({ maxPendingHandshakes: cap, handshakeTimeout: 700 });
    let maxSeen = 0;
    const sample = setInterval(() => (maxSeen = Math.max(maxSeen, s.pendingHandshakes)), 2);
    res.add(() => clearInterval(sample));
    const rejected: Error[] = [];
    s.on('rejected', (i) => {
      maxSeen = Math.max(maxSeen, s.pendingHandshakes);
      rejected.push(i.error);
    });

    const sockets: Socket[] = [];
    const closedAt = new Map<Socket, number>();
    const t0 = performance.now();
    for (let i = 0; i < cap + waiting + extra; i++) {
      const sock = await rawSocket(s.address.port);
      sock.once('close', () => closedAt.set(sock, performance.now() - t0));
      sockets.push(sock);
    }

    // The extra ones are closed by the server at once.
    await waitUntil(() => closedAt.size === extra, 500, `${extra} sockets closed by the server`);
    expect(Math.max(...closedAt.values())).toBeLessThan(400);
    expect(rejected).toHaveLength(extra);
    for (const e of rejected) expect(e).toBeInstanceOf(RefusedError);
    expect(s.pendingHandshakes).toBe(cap);
    expect(s.backlog).toBe(waiting);
    // The first `cap + waiting` are the ones still held.
    expect(sockets.slice(0, cap + waiting).every((x) => !closedAt.has(x))).toBe(true);

    await sleep(100);
    expect(closedAt.size).toBe(extra);
    expect(s.pendingHandshakes).toBe(cap);

    // The held ones time out (handshakeTimeout 700) and free their slots; the waiting ones
    // take them and time out in turn.
    await waitUntil(() => closedAt.size === cap + waiting + extra, 2_500, 'held sockets closed by the handshake timeout');
    await waitUntil(() => s.pendingHandshakes === 0, 500, 'pending count back to 0');
    expect(maxSeen).toBeLessThanOrEqual(cap);
    expect(maxSeen).toBe(cap);

    // And a real peer gets in afterwards.
    const p = await dialPeer(s.enode);
    await waitUntil(() => s.peers.size === 1, 2_000, 'admission after the flood');
    expect(p.isClosing).toBe(false);
  });

  it("the server's 'rejected' event names the remote address even for sockets it drops at once", async () => {
    const s = await server({ netRestrict: ['10.0.0.0/8'] }); // loopback is not in it: dropped at once
    const rejected = new Promise<string>((r) => s.once('rejected', (i) => r(i.remote)));
    await dial(s.enode, { privateKey: generatePrivateKey(), handshakeTimeout: 500 }).catch(() => {});
    expect(await within(rejected, 2_000, 'rejected')).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});

describe('server.close()', () => {
  it('sends 0x08 ClientQuitting to every peer and empties the table', async () => {
    const s = await server();
    const peers: Peer[] = [];
    for (let i = 0; i < 3; i++) peers.push(await dialPeer(s.enode));
    await waitUntil(() => s.peers.size === 3, 2_000, '3 admitted');
    const serverSide = [...s.peers.values()];
    const enode = s.enode; // address() is null once the listener is closed
    let closeEvent = 0;
    s.on('close', () => closeEvent++);

    await within(s.close(), 3_000, 'server.close()');
    expect(s.peers.size).toBe(0);
    expect(closeEvent).toBe(1);

    for (const p of peers) {
      const info = await within(p.closed, 2_000, 'dialer closed');
      expect(info).toMatchObject({ initiator: 'remote', reason: DisconnectReason.ClientQuitting, name: 'client quitting' });
    }
    for (const p of serverSide) {
      expect(p.closeInfo).toMatchObject({ initiator: 'local', reason: DisconnectReason.ClientQuitting });
    }

    // Nothing listens any more.
    const r = await settle(dial(enode, { privateKey: generatePrivateKey() }));
    expect(r.ok).toBe(false);
    expect((r as { error: unknown }).error).toBeInstanceOf(NetworkError);
    // close() is idempotent.
    await within(s.close(), 1_000, 'second close()');
    expect(closeEvent).toBe(1);
  });

  it('address and enode stay readable after close()', async () => {
    const s = await server();
    const enode = s.enode;
    const port = s.address.port;
    await within(s.close(), 2_000, 'server.close()');
    // Callers log or clean up with these after closing (e.g. admin_removePeer(server.enode)).
    expect(() => s.enode).not.toThrow();
    expect(s.enode).toBe(enode);
    expect(s.address.port).toBe(port);
  });

  it('close() with a connection mid-handshake does not hang', async () => {
    const s = await server({ handshakeTimeout: 5_000 });
    await rawSocket(s.address.port);
    await waitUntil(() => s.pendingHandshakes === 1, 1_000, 'pending handshake');
    await within(s.close(), 2_000, 'server.close() with a pending handshake');
    await waitUntil(() => s.pendingHandshakes === 0, 1_000, 'pending released');
  });
});

describe('peer table upkeep', () => {
  it('a peer that disconnects is removed from server.peers', async () => {
    const s = await server();
    const a = await admitted(s);
    const b = await admitted(s);
    expect(s.peers.size).toBe(2);
    const serverSideA = s.peers.get(a.id)!;
    const events: string[] = [];
    serverSideA.on('close', () => events.push('close'));

    await a.peer.disconnect();
    await waitUntil(() => !s.peers.has(a.id), 2_000, 'a removed');
    expect([...s.peers.keys()]).toEqual([b.id]);
    const info = await within(serverSideA.closed, 1_000, 'server side closed');
    expect(info).toMatchObject({ initiator: 'remote', reason: DisconnectReason.Requested });
    expect(b.peer.isClosing).toBe(false);
  });

  it('a peer whose socket just dies is removed too', async () => {
    const s = await server();
    const a = await admitted(s);
    a.peer.destroy();
    await waitUntil(() => s.peers.size === 0, 2_000, 'removed after a dead socket');
  });
});

describe('options are refused before a socket exists', () => {
  it('listen() with an aborted signal refuses to start', async () => {
    await expect(listen({ privateKey: generatePrivateKey(), port: 0, signal: AbortSignal.abort() })).rejects.toThrow();
  });
});
