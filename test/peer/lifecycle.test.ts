/**
 * Close ordering, abort and dispose of peers and servers, listen errors, and how a remote's
 * unreadable Disconnect is reported.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DisconnectedError, ListenError } from '../../src/errors.js';
import { DisconnectReason } from '../../src/reasons.js';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import { listen } from '../../src/peer/server.js';
import { Resources, sleep, testDial, testServer, waitUntil, within } from '../helpers/loopback.js';
import { rawServer } from '../helpers/raw-remote.js';

const res = new Resources();
afterEach(() => res.closeAll());

describe('ordering', () => {
  it("a peer's 'close' event fires before await peer.disconnect() resolves", async () => {
    const s = await testServer(res);
    const client = await testDial(res, s.enode);
    const seen: string[] = [];
    client.on('close', () => seen.push('event'));
    await client.disconnect();
    seen.push('resolved');
    expect(seen).toEqual(['event', 'resolved']);
  });

  it("a peer's 'close' event fires before peer.closed resolves", async () => {
    const s = await testServer(res);
    const client = await testDial(res, s.enode);
    const seen: string[] = [];
    client.on('close', () => seen.push('event'));
    void client.closed.then(() => seen.push('closed'));
    client.destroy();
    await client.closed;
    await sleep(0);
    expect(seen).toEqual(['event', 'closed']);
  });

  it("a server's 'rejected' events fire before await server.close() resolves", async () => {
    const s = await listen({ privateKey: generatePrivateKey(), port: 0, pingInterval: 0 });
    const rejected: string[] = [];
    s.on('rejected', (r) => rejected.push(r.error.message));
    // Sockets that connect and never start a handshake: pending when close() is called.
    const { connect } = await import('node:net');
    const sockets = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<import('node:net').Socket>((resolve) => {
            const c = connect(s.address.port, '127.0.0.1', () => resolve(c));
            c.on('error', () => {});
          }),
      ),
    );
    await waitUntil(() => s.pendingHandshakes === 3, 2_000, 'three pending handshakes');
    await s.close();
    expect(rejected).toHaveLength(3);
    for (const c of sockets) c.destroy();
  });
});

describe('abort and dispose', () => {
  it('disconnect({ signal }) aborted: stops waiting, destroys the socket, rejects with the reason', async () => {
    const s = await testServer(res);
    const client = await testDial(res, s.enode);
    const ac = new AbortController();
    ac.abort(new Error('no time'));
    await expect(client.disconnect(DisconnectReason.ClientQuitting, { signal: ac.signal })).rejects.toThrow('no time');
    const info = await within(client.closed, 1_000, 'closed');
    expect(info.reason).toBe(DisconnectReason.ClientQuitting);
    expect(client.connection.socket.destroyed).toBe(true);
  });

  it('server.close({ signal }) aborted: what is left is destroyed at once', async () => {
    const s = await listen({ privateKey: generatePrivateKey(), port: 0, pingInterval: 0 });
    const client = await testDial(res, s.enode);
    await waitUntil(() => s.peers.size === 1, 1_000, 'peer in table');
    const ac = new AbortController();
    ac.abort('now');
    await expect(s.close(undefined, { signal: ac.signal })).rejects.toBe('now');
    await within(client.closed, 2_000, 'client closed');
  });

  it('await using closes a peer (0x00) and a server (0x08) when the scope ends', async () => {
    const outer = await testServer(res);
    const seen: number[] = [];
    {
      const admitted = new Promise<void>((resolve) => outer.once('peer', (p) => (p.on('close', (info) => seen.push(info.reason)), resolve())));
      await using peer = await testDial(res, outer.enode);
      await within(admitted, 2_000, 'server-side peer');
      expect(peer.isClosing).toBe(false);
    }
    await waitUntil(() => seen.length === 1, 2_000, 'remote close');
    expect(seen).toEqual([DisconnectReason.Requested]);

    let dialer: import('../../src/peer/peer.js').Peer;
    {
      await using s = await listen({ privateKey: generatePrivateKey(), port: 0, pingInterval: 0 });
      dialer = await testDial(res, s.enode);
      await waitUntil(() => s.peers.size === 1, 2_000, 'peer in table');
    }
    const info = await within(dialer.closed, 2_000, 'dialer closed by the disposed server');
    expect(info).toMatchObject({ reason: DisconnectReason.ClientQuitting, initiator: 'remote' });
  });
});

describe('listen errors', () => {
  it('a busy port rejects with a ListenError naming the address', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    res.add(() => new Promise((r) => busy.close(r)));
    const port = (busy.address() as import('node:net').AddressInfo).port;
    const err = await listen({ privateKey: generatePrivateKey(), port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ListenError);
    expect((err as ListenError).message).toBe(`cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)`);
    expect((err as ListenError).code).toBe('EADDRINUSE');
    expect((err as ListenError).address).toBe(`127.0.0.1:${port}`);
  });
});

describe('unreadable remote Disconnect', () => {
  it.each([
    ['empty', new Uint8Array(0)],
    ['c0', Uint8Array.of(0xc0)],
    ['garbage', Uint8Array.of(0xc5, 0x83, 1, 2)],
    ['a reason outside the table', Uint8Array.of(0xc1, 0x20)],
  ])('%s: reported as unknown with its raw bytes, never as 0x00', async (_name, payload) => {
    const raw = await rawServer(res);
    const remoteP = raw.next();
    const client = await testDial(res, raw.enode);
    const remote = await remoteP;
    await remote.hello;
    await remote.send(0x01, payload, false);
    const info = await within(client.closed, 2_000, 'close');
    expect(info.initiator).toBe('remote');
    expect(info.reason).toBe(DisconnectReason.Unknown);
    expect(info.name).toBe('unknown');
    expect(info.raw).toEqual(payload);
    expect(info.error).toBeInstanceOf(DisconnectedError);
  });
});
