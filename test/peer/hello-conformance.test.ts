/**
 * The Hello phase against geth's rules: sizes both sides agree on, integer widths geth
 * accepts, fields it ignores, the identities it refuses, and Server.dial's table checks
 * before Hello.
 */
import { RLP } from '@ethereumjs/rlp';
import { afterEach, describe, expect, it } from 'vitest';
import { RefusedError } from '../../src/errors.js';
import { DisconnectReason } from '../../src/reasons.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { encodeHello, MAX_HELLO_SIZE, type Hello } from '../../src/peer/hello.js';
import type { Peer } from '../../src/peer/peer.js';
import { Resources, settle, sleep, testDial, testServer, waitUntil, within } from '../helpers/loopback.js';
import { rawDial, rawServer } from '../helpers/raw-remote.js';

const res = new Resources();
afterEach(() => res.closeAll());

const baseHello = (clientId: string): Hello => ({ version: 5, clientId, capabilities: [], listenPort: 0, nodeId: publicKeyOf(generatePrivateKey()) });

/** A clientId that makes our Hello exactly `size` bytes. */
function clientIdForSize(size: number): string {
  for (let n = size - 100; n < size; n++) {
    if (encodeHello(baseHello('x'.repeat(n))).length === size) return 'x'.repeat(n);
  }
  throw new Error(`no clientId gives a ${size}-byte Hello`);
}

describe('Hello size: writer and reader agree', () => {
  it(`a ${MAX_HELLO_SIZE}-byte Hello is written and accepted by our own listener; one byte more is refused up front`, async () => {
    const fits = clientIdForSize(MAX_HELLO_SIZE);
    expect(() => encodeHello(baseHello(fits + 'x'))).toThrow(RangeError);
    const s = await testServer(res);
    await testDial(res, s.enode, { clientId: fits });
    await waitUntil(() => s.peers.size === 1, 1_000, 'admitted');
    expect([...s.peers.values()][0]!.remoteHello.clientId).toBe(fits);
    await expect(testDial(res, s.enode, { clientId: fits + 'x' })).rejects.toThrow(RangeError);
  });
});

describe('Hello fields as geth reads them', () => {
  /** A raw remote whose Hello is `list`, encoded by hand; returns the server-side outcome. */
  async function helloFrom(list: unknown[]): Promise<{ peer?: Peer; reason?: number }> {
    const s = await testServer(res);
    let peer: Peer | undefined;
    s.on('peer', (p) => (peer = p));
    const remote = await rawDial(res, s.enode, { hello: false, first: { code: 0x00, payload: RLP.encode(list as never) } });
    const d = await within(Promise.race([remote.disconnect, sleep(500).then(() => undefined)]), 2_000, 'outcome');
    return { ...(peer ? { peer } : {}), ...(d ? { reason: d.reason } : {}) };
  }
  const key = generatePrivateKey();
  const id = publicKeyOf(key);

  it('integers of 7 and 8 bytes (geth reads uint64) are accepted', async () => {
    const s = await testServer(res);
    let peer: Peer | undefined;
    s.on('peer', (p) => (peer = p));
    const big = 2n ** 56n + 5n;
    const list = [big, 'raw', [['eth', 2n ** 60n]], 30303, id];
    const remote = await rawDial(res, s.enode, { key, hello: false, first: { code: 0x00, payload: RLP.encode(list) } });
    await remote.hello;
    await waitUntil(() => peer !== undefined, 1_000, 'admitted');
    expect(peer!.remoteHello.version).toBeGreaterThan(2 ** 55);
  });

  it('listenPort is ignored, not validated: a non-integer becomes 0', async () => {
    const s = await testServer(res);
    let peer: Peer | undefined;
    s.on('peer', (p) => (peer = p));
    const list = [5, 'raw', [], [1, 2, 3], id];
    const remote = await rawDial(res, s.enode, { key, hello: false, first: { code: 0x00, payload: RLP.encode(list as never) } });
    await remote.hello;
    await waitUntil(() => peer !== undefined, 1_000, 'admitted');
    expect(peer!.remoteHello.listenPort).toBe(0);
  });

  it('an all-zero node id is an invalid identity (0x07), as geth treats it', async () => {
    const out = await helloFrom([5, 'raw', [], 0, new Uint8Array(64)]);
    expect(out.peer).toBeUndefined();
    expect(out.reason).toBe(DisconnectReason.InvalidIdentity);
  });
});

describe('maxMessageSize', () => {
  it('applies to an uncompressed payload from a p2p v4 peer (no snappy)', async () => {
    const CAP = { name: 'bulk', version: 1, length: 1 };
    let peer: Peer | undefined;
    const s = await testServer(res, { protocols: [{ ...CAP, run: (_c, p) => void (peer = p) }], maxMessageSize: 1_000 });
    const remote = await rawDial(res, s.enode, { hello: { version: 4, capabilities: [{ name: 'bulk', version: 1 }] } });
    await remote.hello;
    await waitUntil(() => peer !== undefined, 1_000, 'peer');
    await remote.send(0x10, new Uint8Array(100_000), false);
    const info = await within(peer!.closed, 2_000, 'closed for the size');
    expect(info.reason).toBe(DisconnectReason.ProtocolError);
    expect(info.error?.message).toMatch(/100000 bytes exceeds the 1000-byte limit/);
  });
});

describe('Server.dial checks the table before Hello', () => {
  it('a full server refuses its own dial after the RLPx handshake: the remote never sees its Hello', async () => {
    const a = await testServer(res, { maxPeers: 1 });
    const b = await testServer(res);
    await within(a.dial(b.enode), 2_000, 'first dial');
    const raw = await rawServer(res);
    const remoteP = raw.next();
    const r = await settle(a.dial(raw.enode));
    expect(r.ok).toBe(false);
    expect((r as { error: unknown }).error).toBeInstanceOf(RefusedError);
    expect(((r as { error: RefusedError }).error).reason).toBe(DisconnectReason.TooManyPeers);
    const remote = await remoteP;
    const d = await within(remote.disconnect, 2_000, 'Disconnect in place of Hello');
    expect(d.reason).toBe(DisconnectReason.TooManyPeers);
    expect(remote.received.some((m) => m.code === 0x00)).toBe(false);
  });
});
