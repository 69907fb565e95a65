/**
 * dial() over real sockets on 127.0.0.1: options refused before any socket exists, AbortSignal,
 * and how each kind of failure is reported.
 */
import { describe, expect, it } from 'vitest';
import { DisconnectedError, NetworkError, TimeoutError } from '../../src/errors.js';
import { DisconnectReason } from '../../src/reasons.js';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { EnodeError } from '../../src/peer/enode.js';
import { dial } from '../../src/peer/dial.js';
import { listen } from '../../src/peer/server.js';
import { closedPort, HOST, settle, silentServer, sleep, waitUntil, within } from '../helpers/loopback.js';
import { rawServer } from '../helpers/raw-remote.js';
import { peerSuite } from '../helpers/peer-suite.js';

const { res, server } = peerSuite();

describe('options are refused before a socket exists', () => {
  it('a clientId that makes Hello exceed 2 KiB: listen() and dial() throw, nothing connects', async () => {
    const clientId = 'x'.repeat(3000);
    await expect(listen({ privateKey: generatePrivateKey(), port: 0, clientId })).rejects.toThrow(RangeError);
    const silent = await silentServer(res);
    await expect(dial(silent.enode, { privateKey: generatePrivateKey(), clientId })).rejects.toThrow(RangeError);
    await expect(dial(silent.enode, { privateKey: generatePrivateKey(), readTimeout: -1 })).rejects.toThrow(RangeError);
    await expect(dial(silent.enode, { privateKey: generatePrivateKey(), pongTimeout: 2 ** 31 })).rejects.toThrow(RangeError);
    await sleep(50);
    expect(silent.accepted()).toBe(0);
  });

  it('an Enode object with an off-curve id is refused with EnodeError before connecting', async () => {
    const silent = await silentServer(res);
    const id = new Uint8Array(64).fill(1);
    await expect(dial({ id, host: HOST, port: silent.port }, { privateKey: generatePrivateKey() })).rejects.toBeInstanceOf(EnodeError);
    await sleep(50);
    expect(silent.accepted()).toBe(0);
  });
});

describe('AbortSignal and dial failures', () => {
  it('dial with an already-aborted signal rejects without connecting', async () => {
    const silent = await silentServer(res);
    const ac = new AbortController();
    const reason = new Error('no');
    ac.abort(reason);
    await expect(dial(silent.enode, { privateKey: generatePrivateKey(), signal: ac.signal })).rejects.toBe(reason);
    await sleep(50);
    expect(silent.accepted()).toBe(0);
  });

  it('dial with a signal aborted mid-handshake rejects promptly', async () => {
    const silent = await silentServer(res);
    const ac = new AbortController();
    const reason = new Error('changed my mind');
    const t0 = performance.now();
    const dialing = settle(dial(silent.enode, { privateKey: generatePrivateKey(), handshakeTimeout: 5_000, signal: ac.signal }));
    await waitUntil(() => silent.accepted() === 1, 2_000, 'TCP accept');
    setTimeout(() => ac.abort(reason), 100);
    const r = await within(dialing, 1_000, 'dial');
    const elapsed = performance.now() - t0;

    expect(r.ok).toBe(false);
    expect(elapsed).toBeLessThan(800);
    const err = (r as { error: unknown }).error;
    // Either the abort reason itself or an error caused by it.
    expect(err === reason || (err as Error).cause === reason).toBe(true);
  });

  it('dial with a signal aborted while waiting for Hello rejects with the abort reason', async () => {
    const raw = await rawServer(res, { hello: false });
    const remoteP = raw.next();
    const ac = new AbortController();
    const reason = new Error('enough');
    const dialing = settle(dial(raw.enode, { privateKey: generatePrivateKey(), signal: ac.signal }));
    const remote = await remoteP;
    await remote.hello; // our Hello went out: we are in the Hello phase
    ac.abort(reason);
    const r = await within(dialing, 1_000, 'dial');
    expect(r.ok).toBe(false);
    expect((r as { error: unknown }).error).toBe(reason);
    await within(remote.ended, 1_000, 'connection closed');
  });

  it('the handshake times out with TimeoutError against a server that never answers', async () => {
    const silent = await silentServer(res);
    const t0 = performance.now();
    const r = await settle(within(dial(silent.enode, { privateKey: generatePrivateKey(), handshakeTimeout: 300 }), 2_000, 'dial'));
    const elapsed = performance.now() - t0;
    expect(r.ok).toBe(false);
    expect((r as { error: unknown }).error).toBeInstanceOf(TimeoutError);
    expect(elapsed).toBeGreaterThan(250);
    expect(elapsed).toBeLessThan(1_500);
  });

  it('dial to a closed port rejects with NetworkError', async () => {
    const port = await closedPort();
    const id = bytesToHex(publicKeyOf(generatePrivateKey()));
    const r = await settle(within(dial(`enode://${id}@127.0.0.1:${port}`, { privateKey: generatePrivateKey() }), 2_000, 'dial'));
    expect(r.ok).toBe(false);
    expect((r as { error: unknown }).error).toBeInstanceOf(NetworkError);
  });

  it('dial to the wrong node id fails the handshake', async () => {
    const s = await server();
    const { port } = s.address;
    const wrong = bytesToHex(publicKeyOf(generatePrivateKey()));
    const r = await settle(within(dial(`enode://${wrong}@127.0.0.1:${port}`, { privateKey: generatePrivateKey(), handshakeTimeout: 1_000 }), 3_000, 'dial'));
    expect(r.ok).toBe(false);
    expect(s.peers.size).toBe(0);
  });

  it("a refused dial's DisconnectedError carries the remote's reason", async () => {
    const s = await server({ maxPeers: 0 });
    const err = await dial(s.enode, { privateKey: generatePrivateKey() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DisconnectedError);
    expect((err as DisconnectedError).reason).toBe(DisconnectReason.TooManyPeers);
    expect((err as DisconnectedError).remoteReason).toBe(DisconnectReason.TooManyPeers);
  });
});

describe('option validation', () => {
  it('dial with invalid peer options rejects with RangeError and leaves no connection open', async () => {
    const s = await server();
    const r = await settle(within(dial(s.enode, { privateKey: generatePrivateKey(), pingInterval: -1 }), 2_000, 'dial'));
    expect(r.ok).toBe(false);
    expect((r as { error: unknown }).error).toBeInstanceOf(RangeError);
    // The server holds a connection (pending Hello) as long as the dialer's socket is open.
    // The dialer should not leave it open until the server's 5 s Hello timeout.
    await waitUntil(() => s.pendingHandshakes === 0, 1_000, 'the dialer to close its socket');
  });
});
