/**
 * The cancellation contract, on real sockets: every API that takes `{ signal }` rejects with
 * `signal.reason` itself when the signal aborts (as fetch does), mid-flight or before the call;
 * isTimeout() and isAbort() tell an AbortSignal.timeout() and an abort() apart, and isTimeout()
 * also covers our own TimeoutError.
 */
import { createServer, connect, type Server as NetServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePrivateKey, publicKeyOf } from '../src/crypto/secp256k1.js';
import { formatEnode } from '../src/peer/enode.js';
import { dial } from '../src/peer/dial.js';
import { listen, type Server } from '../src/peer/server.js';
import type { Peer } from '../src/peer/peer.js';
import { isAbort, isTimeout, TimeoutError } from '../src/errors.js';
import { RlpxConnection } from '../src/wire/connection.js';
import { connectionConfig } from '../src/options.js';
import { ethStatusResponder } from '../src/eth/protocol.js';
import { crawl } from '../src/crawl/crawl.js';
import { walkDnsTrees } from '../src/discovery/dns-tree.js';

const TEST = { name: 'test', version: 1, length: 4 } as const;
const ETH = { name: 'eth', version: 69, length: 18 } as const; // eth offered, Status never sent

let silent: NetServer; // accepts TCP and never answers: every handshake on it hangs
const sockets = new Set<Socket>();
let silentEnode: string;
let remote: Server; // an honest node that never answers Pings, never sends a Status or a message
let peer: Peer;
let server: Server;

beforeAll(async () => {
  silent = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as { port: number }).port;
  silentEnode = formatEnode({ id: publicKeyOf(generatePrivateKey()), host: '127.0.0.1', port });
  remote = await listen({ privateKey: generatePrivateKey(), port: 0, protocols: [TEST, ETH], answerPings: false });
  server = await listen({ privateKey: generatePrivateKey(), port: 0 });
  const eth = ethStatusResponder();
  peer = await dial(remote.enode, { privateKey: generatePrivateKey(), protocols: [TEST, ...eth.protocols], pingInterval: 0 });
  statusOf = (signal) => eth.status(peer, { signal });
});

afterAll(async () => {
  await peer?.disconnect();
  await remote?.close();
  await server?.close();
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent?.close(r));
});

let statusOf: (signal: AbortSignal) => Promise<unknown>;

/** Each API, started with `signal`, that would wait without it. */
const inFlight: Record<string, (signal: AbortSignal) => Promise<unknown>> = {
  'dial()': (signal) => dial(silentEnode, { privateKey: generatePrivateKey(), signal }),
  'server.dial()': (signal) => server.dial(silentEnode, { signal }),
  'RlpxConnection.initiate()': async (signal) => {
    const { port } = silent.address() as { port: number };
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    return RlpxConnection.initiate(socket, generatePrivateKey(), publicKeyOf(generatePrivateKey()), connectionConfig({}), { signal });
  },
  'peer.ping()': (signal) => peer.ping({ signal }),
  'eth.status()': (signal) => statusOf(signal),
  'channel.messages()': (signal) => peer.protocol('test')!.messages({ signal }).next(),
  'crawl()': async (signal) => {
    for await (const _ of crawl([silentEnode], { signal, timeout: 60_000, rate: 0 }));
  },
};

/** And those that take a signal only to cut a wait short: called with one already aborted. */
const preAborted: Record<string, (signal: AbortSignal) => Promise<unknown>> = {
  ...inFlight,
  'listen()': (signal) => listen({ privateKey: generatePrivateKey(), port: 0, signal }),
  'channel.send()': (signal) => peer.protocol('test')!.send(0, Uint8Array.of(0xc0), { signal }),
  'walkDnsTrees()': async (signal) => {
    for await (const _ of walkDnsTrees(['enrtree://AKA3AM6LPBYEUDMVNU3BSVQJ5AD45Y7YPOHJLEF6W26QOE4VTUDPE@example.org'], { signal }));
  },
};

describe('abort and timeout: the signal reason, as fetch does', () => {
  it.each(Object.keys(inFlight))('%s rejects with AbortSignal.timeout()’s own TimeoutError', async (name) => {
    const err = await inFlight[name]!(AbortSignal.timeout(150)).then(() => 'resolved', (e: unknown) => e);
    expect(err).toBeInstanceOf(DOMException);
    expect((err as DOMException).name).toBe('TimeoutError');
    expect(isTimeout(err)).toBe(true);
    expect(isAbort(err)).toBe(false);
  });

  it.each(Object.keys(inFlight))('%s rejects with the exact reason given to abort(), mid-flight', async (name) => {
    const ac = new AbortController();
    const reason = new Error(`stop ${name}`);
    setTimeout(() => ac.abort(reason), 50);
    await expect(inFlight[name]!(ac.signal)).rejects.toBe(reason);
  });

  it.each(Object.keys(preAborted))('%s rejects with the reason of a signal aborted before the call', async (name) => {
    const ac = new AbortController();
    ac.abort();
    const err = await preAborted[name]!(ac.signal).then(() => 'resolved', (e: unknown) => e);
    expect(err).toBe(ac.signal.reason);
    expect(isAbort(err)).toBe(true);
    expect(isTimeout(err)).toBe(false);
  });

  it.each(Object.keys(preAborted))('%s refuses a signal that is not an AbortSignal with a TypeError naming it', async (name) => {
    const err = await Promise.resolve()
      .then(() => preAborted[name]!('soon' as unknown as AbortSignal))
      .then(() => 'resolved', (e: unknown) => e);
    expect(err).toEqual(new TypeError('signal must be an AbortSignal, got string'));
    expect(peer.isClosing).toBe(false);
  });

  it('peer.disconnect() and server.close() reject with the reason too, and still close', async () => {
    const p = await dial(remote.enode, { privateKey: generatePrivateKey(), pingInterval: 0 });
    const reason = new Error('now');
    await expect(p.disconnect(0x08, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(p.isClosing).toBe(true);
    const s = await listen({ privateKey: generatePrivateKey(), port: 0 });
    await expect(s.close(0x08, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it('our own deadlines are TimeoutErrors, which isTimeout() also recognises', async () => {
    const err = await dial(silentEnode, { privateKey: generatePrivateKey(), handshakeTimeout: 150 }).then(() => 'resolved', (e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).deadline).toBe('handshake');
    expect(isTimeout(err)).toBe(true);
    expect(isAbort(err)).toBe(false);
    for (const other of [new Error('x'), 'TimeoutError', null, undefined, { message: 'AbortError' }]) {
      expect(isTimeout(other)).toBe(false);
      expect(isAbort(other)).toBe(false);
    }
  });
});
