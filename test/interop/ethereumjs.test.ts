/**
 * Interop with a peer nobody here wrote: @ethereumjs/devp2p 10.0.0's RLPx, in both
 * directions (we dial its listener; it dials ours). Both sides run snap/1, which has no
 * Status exchange, so everything on the wire is the base protocol we are testing.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { RLP } from '@ethereumjs/rlp';
import { DISCONNECT_REASON, SNAP, type Peer as RefPeer } from '@ethereumjs/devp2p';
import {
  DisconnectReason,
  bytesToHex,
  dial,
  generatePrivateKey,
  listen,
  parseEnode,
  publicKeyOf,
  type CloseInfo,
  type Peer,
  type Server,
} from '../../src/index.js';
import { SNAP_PROTOCOL, startRefNode, type RefNode } from '../helpers/ethereumjs.js';
import { closedPort, Resources, within } from '../helpers/loopback.js';

const OUR_CLIENT = 'rlpx-interop/0.1.0';
const REF_CLIENT = 'ethereumjs-interop/10.0.0';
/** Its ping timeout: a Ping of its own unanswered this long makes it disconnect us with 0x0b. */
const REF_PING_TIMEOUT = 3_000;

type Direction = 'we dial it' | 'it dials us';

interface Pair {
  ours: Peer;
  theirs: RefPeer;
  ref: RefNode;
  ourKey: Uint8Array;
  /** Our listener, when it dialed us. */
  server?: Server;
}

/** What the running test opened, closed last-in first-out by afterEach. */
const res = new Resources();
afterEach(() => res.closeAll());

function closeOurs(peer: Peer): Promise<CloseInfo> {
  if (!peer.isClosing) void peer.disconnect(DisconnectReason.ClientQuitting);
  return within(peer.closed, 2_000, 'our peer to close');
}

async function connect(direction: Direction): Promise<Pair> {
  const ourKey = generatePrivateKey();
  const ourOptions = {
    privateKey: ourKey,
    clientId: OUR_CLIENT,
    protocols: [SNAP_PROTOCOL],
    pingInterval: 200,
    pongTimeout: 2_000,
    helloTimeout: 3_000,
    handshakeTimeout: 3_000,
  };

  if (direction === 'we dial it') {
    const port = await closedPort();
    const ref = await startRefNode({ clientId: REF_CLIENT, listenPort: port, timeout: REF_PING_TIMEOUT });
    res.add(() => ref.close());
    const ours = await within(dial({ id: ref.id, host: '127.0.0.1', port }, { ...ourOptions, connectTimeout: 2_000 }), 4_000, 'dial');
    res.add(() => closeOurs(ours));
    const theirs = await ref.nextAdded();
    return { ours, theirs, ref, ourKey };
  }

  const server = await listen({ ...ourOptions, host: '127.0.0.1', port: 0 });
  res.add(() => within(server.close(), 3_000, 'our server to close'));
  const ref = await startRefNode({ clientId: REF_CLIENT, timeout: REF_PING_TIMEOUT });
  res.add(() => ref.close());
  const rejected: Error[] = [];
  server.on('rejected', ({ error }) => rejected.push(error));
  const accepted = once(server, 'peer') as Promise<[Peer]>;
  const node = parseEnode(server.enode);
  await within(ref.rlpx.connect({ id: node.id, address: node.host, tcpPort: node.port }), 3_000, 'its TCP connect');
  const [ours] = await within(accepted, 4_000, `our server to accept it (rejected: ${rejected.map((e) => e.message).join('; ') || 'none'})`);
  res.add(() => closeOurs(ours));
  const theirs = await ref.nextAdded();
  return { ours, theirs, ref, ourKey, server };
}

/** Nested byte strings as hex, so Buffer and Uint8Array compare equal. */
function hexTree(v: unknown): unknown {
  return Array.isArray(v) ? v.map(hexTree) : bytesToHex(v as Uint8Array);
}

/** Poll `check` until it is true, for at most `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe.each<Direction>(['we dial it', 'it dials us'])('interop with @ethereumjs/devp2p: %s', (direction) => {
  it('handshakes and exchanges Hellos', async () => {
    const { ours, theirs, ref, ourKey, server } = await connect(direction);

    // What we saw of it.
    expect(bytesToHex(ours.remotePublicKey)).toBe(bytesToHex(ref.id));
    const hello = ours.remoteHello!;
    expect(hello.version).toBe(5);
    expect(hello.clientId).toBe(REF_CLIENT);
    expect(hello.capabilities).toEqual([{ name: 'snap', version: 1 }]);
    expect(bytesToHex(hello.nodeId)).toBe(bytesToHex(ref.id));
    // It announces its listen port, or an empty one (read as 0) when it does not listen.
    expect(hello.listenPort).toBe(ref.port ?? 0);
    expect(ours.protocols.map((c) => [c.name, c.version, c.offset, c.length])).toEqual([['snap', 1, 0x10, 8]]);

    // What it saw of us.
    const ourId = bytesToHex(publicKeyOf(ourKey));
    expect(bytesToHex(theirs.getId()!)).toBe(ourId);
    const theirHello = theirs.getHelloMessage()!;
    expect(theirHello.protocolVersion).toBe(5);
    expect(theirHello.clientId).toBe(OUR_CLIENT);
    expect(theirHello.capabilities).toEqual([{ name: 'snap', version: 1 }]);
    expect(bytesToHex(theirHello.id)).toBe(ourId);
    expect(theirHello.port).toBe(server ? server.address.port : 0);
    expect(theirs.getProtocols()).toHaveLength(1);
    expect(theirs.getProtocols()[0]).toBeInstanceOf(SNAP);

    expect(ours.isClosing).toBe(false);
    expect(ref.removed).toEqual([]);
  });

  it('answers Pings both ways', async () => {
    const { ours, theirs, ref } = await connect(direction);

    // Ours, on demand (the 200 ms ping loop runs as well).
    const rtts: number[] = [];
    for (let i = 0; i < 3; i++) rtts.push(await within(ours.ping(), 2_000, `our Ping #${i + 1}`));
    for (const rtt of rtts) {
      expect(Number.isFinite(rtt)).toBe(true);
      expect(rtt).toBeGreaterThanOrEqual(0);
      expect(rtt).toBeLessThan(2_000);
    }
    expect(ours.rtt.received).toBeGreaterThanOrEqual(3);
    expect(ours.rtt.missed).toBe(0);
    expect(ours.health).toBe('healthy');

    // Its own Pings go out every 15 s, a constant; send them through its _sendPing(), the
    // same method its ping interval calls, and count the Pongs its _handlePong() sees.
    let ourPingsSeen = 0;
    ours.on('ping', () => ourPingsSeen++);
    let pongsSeen = 0;
    const handlePong = theirs._handlePong.bind(theirs);
    theirs._handlePong = () => {
      pongsSeen++;
      handlePong();
    };
    for (let i = 1; i <= 3; i++) {
      theirs._sendPing();
      await until(() => pongsSeen >= i, 2_000, `a Pong to its Ping #${i}`);
    }
    expect(ourPingsSeen).toBe(3);

    // Had a Pong gone missing, its ping timeout would have sent us 0x0b by now or soon;
    // our ping loop keeps running meanwhile.
    const received = ours.rtt.received;
    await until(() => ours.rtt.received >= received + 2, 2_000, 'two more Pongs to our ping loop');
    expect(ours.isClosing).toBe(false);
    expect(ref.removed).toEqual([]);
  });

  it('reports our Disconnect reason 0x08 on its side', async () => {
    const { ours, theirs, ref } = await connect(direction);

    const info = await within(ours.disconnect(DisconnectReason.ClientQuitting), 2_000, 'our disconnect');
    expect(info).toMatchObject({ initiator: 'local', reason: DisconnectReason.ClientQuitting, name: 'client quitting' });

    const removed = await ref.nextRemoved();
    expect(removed.peer).toBe(theirs);
    expect(removed.reason).toBe(DISCONNECT_REASON.CLIENT_QUITTING);
    expect(removed.disconnectWe).toBe(false);
  });

  it.each([
    ['DISCONNECT_REQUESTED', DISCONNECT_REASON.DISCONNECT_REQUESTED],
    ['TOO_MANY_PEERS', DISCONNECT_REASON.TOO_MANY_PEERS],
    ['SUBPROTOCOL_ERROR', DISCONNECT_REASON.SUBPROTOCOL_ERROR],
  ] as const)('reports its Disconnect reason %s on our side', async (_name, reason) => {
    const { ours, theirs, ref } = await connect(direction);

    theirs.disconnect(reason);
    const info = await within(ours.closed, 2_000, 'our peer to close');
    expect(info).toMatchObject({ initiator: 'remote', reason });
    // A reason we could read: no "Disconnect without a readable reason" error.
    expect(info.error).toBeUndefined();

    const removed = await ref.nextRemoved();
    expect(removed.peer).toBe(theirs);
    expect(removed.reason).toBe(reason);
    expect(removed.disconnectWe).toBe(true);
  });

  it('carries snap messages both ways', async () => {
    const { ours, theirs } = await connect(direction);
    const ourSnap = ours.protocol('snap')!;
    const theirSnap = theirs.getProtocols()[0] as SNAP;

    // It → us: GetAccountRange [reqId, root, origin, limit, bytes], snappy-compressed by it.
    const root = new Uint8Array(32).fill(0xaa);
    const origin = new Uint8Array(32);
    const limit = new Uint8Array(32).fill(0xff);
    const got = once(ourSnap, 'message') as Promise<[number, Uint8Array]>;
    theirSnap.sendMessage(0x00, [Uint8Array.of(7), root, origin, limit, Uint8Array.of(0x10, 0x00)]);
    const [code, payload] = await within(got, 2_000, 'its GetAccountRange');
    expect(code).toBe(0x00);
    expect(hexTree(RLP.decode(payload))).toEqual(hexTree([Uint8Array.of(7), root, origin, limit, Uint8Array.of(0x10, 0x00)]));

    // Us → it: AccountRange [reqId, accounts, proof].
    const theirGot = new Promise<[number, unknown]>((resolve) => theirSnap.events.once('message', (c, p) => resolve([c, p])));
    await ourSnap.send(0x01, RLP.encode([7, [], []]));
    const [theirCode, theirPayload] = await within(theirGot, 2_000, 'our AccountRange');
    expect(theirCode).toBe(0x01);
    expect(hexTree(theirPayload)).toEqual(hexTree([Uint8Array.of(7), [], []]));
    expect(ours.isClosing).toBe(false);
  });
});
