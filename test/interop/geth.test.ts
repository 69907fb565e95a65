/**
 * Interop with a real geth built from source (scripts/build-geth.sh). Each test checks both
 * sides: ours through our API, geth's through its RPC and logs.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { ethStatusResponder } from '../../src/eth/protocol.js';
import { dial } from '../../src/peer/dial.js';
import type { Peer } from '../../src/peer/peer.js';
import { listen } from '../../src/peer/server.js';
import { DisconnectReason } from '../../src/reasons.js';
import { DisconnectedError, discReasonForError, HandshakeError } from '../../src/errors.js';
import { GETH_NETWORK_ID, gethBinaries, startGeth, type GethNode } from '../helpers/geth.js';
import { EscapeWatch } from '../helpers/process-guard.js';

const bin = gethBinaries();
const STAY_MS = 36_000; // geth pings every 15 s: two of its pings land inside this window

interface AdminPeer {
  id: string;
  enode: string;
  name: string;
  protocols: Record<string, unknown>;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const gethListsUs = async (geth: GethNode, pub: Uint8Array): Promise<AdminPeer | undefined> =>
  (await geth.rpc<AdminPeer[]>('admin_peers')).find((p) => p.enode.includes(bytesToHex(pub)));

function countPings(peer: Peer): () => number {
  let n = 0;
  peer.on('ping', () => n++);
  return () => n;
}

describe.skipIf(!bin)(`interop with geth ${bin?.version ?? ''}`, () => {
  let geth: GethNode;
  let genesisHash: string;

  beforeAll(async () => {
    geth = await startGeth(bin!, { verbosity: 5 }); // geth logs refused dials at trace level
    genesisHash = (await geth.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash;
  }, 120_000);
  afterAll(async () => {
    await geth?.stop();
  });

  it("geth's devp2p rlpx ping reaches our listener and prints our Hello", async () => {
    const key = generatePrivateKey();
    const server = await listen({ privateKey: key, port: 0 });
    try {
      const { stdout } = await promisify(execFile)(bin!.devp2p, ['rlpx', 'ping', server.enode], { timeout: 20_000 });
      expect(stdout).toMatch(/Version:5/);
      expect(stdout).toMatch(/Name:rlpx\/v0\.1\.0\//);
      const idBytes = [...publicKeyOf(key)].join(' ');
      expect(stdout).toContain(`ID:[${idBytes}]`);
    } finally {
      await server.close();
    }
  });

  it('a full listener answers geth’s dial with Disconnect 0x04, and geth reports it', async () => {
    const eth = ethStatusResponder();
    const server = await listen({ privateKey: generatePrivateKey(), port: 0, maxPeers: 0, protocols: eth.protocols });
    const refused = new Promise<string>((resolve) => server.once('rejected', (r) => resolve(r.error.message)));
    try {
      expect(await geth.rpc('admin_addPeer', [server.enode])).toBe(true);
      expect(await refused).toMatch(/too many peers/);
      // We refuse as geth does, right after the RLPx handshake; geth reads the reason in place of our Hello.
      await waitFor('geth to log the 0x04', async () => (/Failed p2p handshake.*err="too many peers"/.test(geth.logs()) ? true : undefined));
    } finally {
      await geth.rpc('admin_removePeer', [server.enode]);
      await server.close();
    }
  });

  it('a remote Disconnect reads the same inbound and outbound: geth refuses a peer with no protocols with 0x03', async () => {
    // geth sends its Hello, then Disconnect 0x03 (no shared capability). Whether we dialed or
    // geth dialed our listener, the error is the remote's DisconnectedError, never our ClosedError.
    const expectRemoteUseless = (error: unknown): void => {
      expect(error).toBeInstanceOf(DisconnectedError);
      expect((error as DisconnectedError).remoteReason).toBe(DisconnectReason.UselessPeer);
      expect(discReasonForError(error)).toEqual({ reason: DisconnectReason.UselessPeer, initiator: 'remote', notify: false });
    };
    const server = await listen({ privateKey: generatePrivateKey(), port: 0 });
    try {
      const rejected = new Promise<Error>((resolve) => server.once('rejected', (r) => resolve(r.error)));
      expect(await geth.rpc('admin_addPeer', [server.enode])).toBe(true);
      expectRemoteUseless(await rejected);
      expect(server.peers.size).toBe(0);
      // The same refusal on our dial, alone and through the server's table. geth's Disconnect
      // follows its Hello: when it comes in a later read the dial resolves and the peer closes
      // with the remote's reason; when it comes with the Hello the dial rejects with it.
      const outbound = async (dialing: Promise<Peer>): Promise<void> => {
        const peer = await dialing.catch((e: unknown) => void expectRemoteUseless(e));
        if (peer) expect(await peer.closed).toMatchObject({ reason: DisconnectReason.UselessPeer, initiator: 'remote' });
      };
      await outbound(dial(geth.enode, { privateKey: generatePrivateKey() }));
      await outbound(server.dial(geth.enode));
    } finally {
      await geth.rpc('admin_removePeer', [server.enode]);
      await server.close();
    }
  }, 60_000);

  it('dialing geth with a wrong node id fails fast with a HandshakeError', async () => {
    const wrong = geth.enode.replace(/[0-9a-f]{128}/, bytesToHex(publicKeyOf(generatePrivateKey())));
    const escapes = new EscapeWatch();
    const started = performance.now();
    try {
      await expect(dial(wrong, { privateKey: generatePrivateKey() })).rejects.toBeInstanceOf(HandshakeError);
      expect(performance.now() - started).toBeLessThan(6_000);
      await new Promise((r) => setTimeout(r, 100));
      expect(escapes.unhandled).toEqual([]);
    } finally {
      escapes.stop();
    }
  });

  it.concurrent('we dial geth: L7 and geth-mode peers stay, answer its pings, measure RTT, leave with 0x08', async () => {
    const eth = ethStatusResponder({ networkId: BigInt(GETH_NETWORK_ID) });
    const keys = { l7: generatePrivateKey(), geth: generatePrivateKey() };
    const opts = { protocols: eth.protocols, pingInterval: 5_000, pongTimeout: 3_000 };
    const [l7, l4] = await Promise.all([
      dial(geth.enode, { ...opts, privateKey: keys.l7, healthMode: 'l7' }),
      dial(geth.enode, { ...opts, privateKey: keys.geth, healthMode: 'geth' }),
    ]);
    const gethPings = [countPings(l7), countPings(l4)];
    try {
      for (const peer of [l7, l4]) {
        expect(peer.remoteHello!.clientId).toMatch(/^Geth\//);
        expect(peer.remoteHello!.version).toBe(5);
        expect(peer.protocol('eth')).toMatchObject({ version: 72, offset: 0x10, length: 22 });
        const { status } = await eth.status(peer);
        expect(status.networkId).toBe(BigInt(GETH_NETWORK_ID));
        expect('0x' + bytesToHex(status.genesisHash)).toBe(genesisHash);
      }
      const rtts: number[] = [];
      for (let i = 0; i < 3; i++) rtts.push(await l7.ping(), await l4.ping());
      expect(rtts.every((r) => r > 0 && r < 1_000)).toBe(true);

      const listed = await waitFor('geth to list us', async () => (await gethListsUs(geth, publicKeyOf(keys.l7))) && (await gethListsUs(geth, publicKeyOf(keys.geth))));
      expect(listed.name).toMatch(/^rlpx\//);

      await new Promise((r) => setTimeout(r, STAY_MS));
      for (const [i, peer] of [l7, l4].entries()) {
        expect(peer.isClosing).toBe(false);
        expect(gethPings[i]!()).toBeGreaterThanOrEqual(2);
        expect(peer.rtt.received).toBeGreaterThanOrEqual(3 + 6);
        expect(peer.rtt.missed).toBe(0);
      }
      console.log(`[geth interop] we dial: L7 RTT ${JSON.stringify(l7.rtt)}; geth-mode RTT ${JSON.stringify(l4.rtt)}; geth pings seen ${gethPings.map((c) => c())}`);

      const info = await l7.disconnect(DisconnectReason.ClientQuitting);
      expect(info).toMatchObject({ initiator: 'local', reason: 0x08 });
      await waitFor('geth to drop us', async () => ((await gethListsUs(geth, publicKeyOf(keys.l7))) ? undefined : true));
      expect(geth.logs()).toMatch(/Removing p2p peer.*req=true err="client quitting"/);
      expect(await gethListsUs(geth, publicKeyOf(keys.geth))).toBeDefined();
    } finally {
      await Promise.all([l7.disconnect(), l4.disconnect()]);
    }
  }, 90_000);

  it.concurrent('geth dials us: it stays, its pings are answered, our pings measured, we leave with 0x08', async () => {
    const eth = ethStatusResponder({ networkId: BigInt(GETH_NETWORK_ID) });
    const key = generatePrivateKey();
    const server = await listen({ privateKey: key, port: 0, protocols: eth.protocols, pingInterval: 5_000, pongTimeout: 3_000 });
    try {
      const arrived = new Promise<Peer>((resolve) => server.once('peer', resolve));
      expect(await geth.rpc('admin_addPeer', [server.enode])).toBe(true);
      const peer = await arrived;
      const gethPings = countPings(peer);
      expect(peer.remoteHello!.clientId).toMatch(/^Geth\//);
      expect(peer.id).toBe(geth.id);
      expect((await eth.status(peer)).status.networkId).toBe(BigInt(GETH_NETWORK_ID));
      for (let i = 0; i < 3; i++) expect(await peer.ping()).toBeGreaterThan(0);
      await waitFor('geth to list us', () => gethListsUs(geth, publicKeyOf(key)));

      await new Promise((r) => setTimeout(r, STAY_MS));
      expect(peer.isClosing).toBe(false);
      expect(gethPings()).toBeGreaterThanOrEqual(2);
      expect(peer.rtt.missed).toBe(0);
      console.log(`[geth interop] geth dials: RTT ${JSON.stringify(peer.rtt)}; geth pings seen ${gethPings()}`);

      const closed = peer.closed;
      await server.close(DisconnectReason.ClientQuitting);
      expect(await closed).toMatchObject({ initiator: 'local', reason: 0x08 });
      await waitFor('geth to drop us', async () => ((await gethListsUs(geth, publicKeyOf(key))) ? undefined : true));
    } finally {
      await server.close();
      await geth.rpc('admin_removePeer', [server.enode]); // or geth keeps dialing its static peer
    }
  }, 90_000);
});
