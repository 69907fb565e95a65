/**
 * The arena of the adversarial suite (test/adversarial/): one listening Server, over real
 * sockets on 127.0.0.1, and an honest peer. Every scenario checks four things:
 *   1. the reason or typed error the server closes the attacker with ('rejected' before
 *      Hello, the server-side Peer's closeInfo after it);
 *   2. the process survives: nothing is thrown out of the library;
 *   3. no unhandledRejection and no uncaughtException happened (helpers/process-guard.ts,
 *      installed for every test by adversarialSuite);
 *   4. an honest peer, dialed before the attack with a 100 ms ping interval, keeps getting
 *      Pongs throughout and is never closed.
 *
 * Attackers are built at three levels: plain TCP sockets (`tcp`: garbage, slowloris, floods
 * of silent connections), the RawClient of helpers/raw-client.ts (real handshake and sealer,
 * frames damaged after sealing or a lone header), and the RawRemote of helpers/raw-remote.ts
 * for misbehaviour at the message level.
 */
import { connect, type Socket } from 'node:net';
import { expect } from 'vitest';
import type { RlpxError } from '../../src/errors.js';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { HandshakeState } from '../../src/wire/handshake.js';
import { listen, type ListenOptions, type Server } from '../../src/peer/server.js';
import { dial } from '../../src/peer/dial.js';
import type { CloseInfo, Peer } from '../../src/peer/peer.js';
import { HOST, Resources, waitUntil, within } from './loopback.js';
import { guardEachTest } from './process-guard.js';
import { RawClient } from './raw-client.js';

export const MiB = 1024 * 1024;
export const HONEST_PING_MS = 100;

/** Deadlines small enough for a fast suite, large enough for a loaded CI box. */
export const SMALL: Partial<ListenOptions> = {
  handshakeTimeout: 1_500,
  helloTimeout: 1_500,
  readTimeout: 1_500,
  writeTimeout: 1_500,
  pingInterval: 0,
  pongTimeout: 1_500,
};

export interface Rejection {
  remote: string;
  error: Error;
}

/** The honest peer: a real dialer with a 100 ms ping loop, watched for Pongs. */
export class Honest {
  readonly peer: Peer;
  /** Our node id as the server's table keys it. */
  readonly id: string;
  readonly #server: Server;
  readonly #pongs: number[] = [];

  constructor(peer: Peer, server: Server, privateKey: Uint8Array) {
    this.peer = peer;
    this.id = bytesToHex(publicKeyOf(privateKey));
    this.#server = server;
    peer.on('pong', () => this.#pongs.push(performance.now()));
  }

  /** Where the attack starts. */
  mark(): { t: number; received: number } {
    return { t: performance.now(), received: this.peer.rtt.received };
  }

  /**
   * (4) Pongs kept coming from `since` to now with no long gap, rtt.received grew, and the
   * peer is open on both sides and still answers an on-demand Ping.
   */
  async expectAlive(since: { t: number; received: number }): Promise<void> {
    await waitUntil(() => this.peer.rtt.received >= since.received + 3, 3_000, 'honest peer to get 3 more Pongs');
    const now = performance.now();
    const times = [since.t, ...this.#pongs.filter((t) => t > since.t), now];
    let maxGap = 0;
    for (let i = 1; i < times.length; i++) maxGap = Math.max(maxGap, times[i]! - times[i - 1]!);
    expect(maxGap, 'longest wait for a Pong during the attack (ms)').toBeLessThan(1_000);
    // At least one Pong per ~3 intervals over the whole attack.
    const expected = Math.floor((now - since.t) / (3 * HONEST_PING_MS));
    expect(this.peer.rtt.received - since.received).toBeGreaterThanOrEqual(Math.max(3, expected));
    expect(this.peer.isClosing).toBe(false);
    expect(this.peer.closeInfo).toBeUndefined();
    expect(this.#server.peers.has(this.id)).toBe(true);
    expect(this.#server.peers.get(this.id)!.isClosing).toBe(false);
    expect(await within(this.peer.ping(), 2_000, 'honest on-demand ping')).toBeGreaterThanOrEqual(0);
  }
}

export interface Arena {
  s: Server;
  rejected: Rejection[];
  honest: Honest;
  /** The honest peer's mark when the arena was ready: where an attack starts. */
  since: { t: number; received: number };
  /** Wait for the n-th (1-based) 'rejected' event. */
  rejection(n?: number, timeout?: number): Promise<Rejection>;
  /** The server-side Peer of a remote public key, once admitted. */
  serverPeer(publicKey: Uint8Array): Promise<Peer>;
}

export async function dialHonest(res: Resources, s: Server): Promise<Honest> {
  const privateKey = generatePrivateKey();
  const peer = res.peer(
    await dial(s.enode, { privateKey, clientId: 'honest/1', pingInterval: HONEST_PING_MS, pongTimeout: 2_000 }),
  );
  const honest = new Honest(peer, s, privateKey);
  await waitUntil(() => s.peers.has(honest.id), 2_000, 'honest peer admitted');
  await waitUntil(() => peer.rtt.received >= 2, 2_000, 'honest peer to get its first Pongs');
  return honest;
}

export async function arena(res: Resources, opts: Partial<ListenOptions> = {}): Promise<Arena> {
  const s = res.server(await listen({ privateKey: generatePrivateKey(), port: 0, clientId: 'server/1', ...SMALL, ...opts })) as Server;
  const rejected: Rejection[] = [];
  s.on('rejected', (r) => rejected.push(r));
  const honest = await dialHonest(res, s);
  return {
    s,
    rejected,
    honest,
    since: honest.mark(),
    async rejection(n = 1, timeout = 3_000) {
      await waitUntil(() => rejected.length >= n, timeout, `server 'rejected' #${n}`);
      return rejected[n - 1]!;
    },
    async serverPeer(publicKey) {
      const id = bytesToHex(publicKey);
      await waitUntil(() => s.peers.has(id), 2_000, 'attacker admitted');
      return s.peers.get(id)!;
    },
  };
}

/** A bare TCP connection to the server; closedAt resolves (ms after connect) when it closes. */
export async function tcp(res: Resources, port: number): Promise<{ socket: Socket; closed: Promise<number> }> {
  const socket = res.socket(connect({ host: HOST, port }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const t0 = performance.now();
  socket.resume(); // read and drop whatever comes, so 'close' is not held up
  const closed = new Promise<number>((r) => socket.once('close', () => r(performance.now() - t0)));
  return { socket, closed };
}

/** A real auth packet for the server, from a fresh initiator. */
export function authFor(s: Server, key = generatePrivateKey()): Uint8Array {
  return HandshakeState.initiator(s.publicKey, { privateKey: key }).makeAuth();
}

export function expectRlpxError<T extends RlpxError>(err: unknown, type: abstract new (...a: never[]) => T, reason: number): T {
  expect(err).toBeInstanceOf(type);
  expect((err as RlpxError).reason).toBe(reason);
  return err as T;
}

/** How a server-side Peer closed, with a deadline. */
export function closedWithin(peer: Peer, ms = 3_000): Promise<CloseInfo> {
  return within(peer.closed, ms, 'server-side peer to close');
}

/** Sample process.memoryUsage().arrayBuffers until stopped; returns the peak growth. */
export function arrayBufferWatch(): { stop(): number } {
  const base = process.memoryUsage().arrayBuffers;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 5);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
      return peak - base;
    },
  };
}

export interface AdversarialSuite {
  res: Resources;
  /** A fresh server with SMALL deadlines (overridden by `opts`) and an honest peer on it. */
  arena(opts?: Partial<ListenOptions>): Promise<Arena>;
  dialHonest(s: Server): Promise<Honest>;
  tcp(port: number): Promise<{ socket: Socket; closed: Promise<number> }>;
  /** A RawClient through the handshake with `s`. */
  rawClient(s: Server, key?: Uint8Array): Promise<RawClient>;
}

/** Call once at the top of a test file: resources closed after each test under the process guard. */
export function adversarialSuite(): AdversarialSuite {
  const res = new Resources();
  guardEachTest(() => res.closeAll());
  return {
    res,
    arena: (opts) => arena(res, opts),
    dialHonest: (s) => dialHonest(res, s),
    tcp: (port) => tcp(res, port),
    rawClient: (s, key) => RawClient.open(res, s, key),
  };
}
