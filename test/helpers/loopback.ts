/**
 * Loopback helpers for the socket tests: resource tracking for afterEach, deadlines and a
 * polling waitUntil, a listener, a dialer and an admitted pair, a TCP server that accepts and
 * never answers, and a port nothing listens on. The hand-driven remote is in raw-remote.ts.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { formatEnode } from '../../src/peer/enode.js';
import type { CloseInfo, Peer } from '../../src/peer/peer.js';
import { listen, type ListenOptions, type Server } from '../../src/peer/server.js';
import { dial, type DialOptions } from '../../src/peer/dial.js';

export const HOST = '127.0.0.1';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll `cond` until it holds; throws with `what` after `timeout` ms. */
export async function waitUntil(cond: () => boolean, timeout = 2_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeout;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Race a promise against a deadline, so a hang shows up as a clear failure. */
export function within<T>(p: Promise<T>, ms: number, what = 'promise'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Settle a promise into a value or an error, for asserting on rejections without try/catch. */
export async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Everything a test opens, closed in reverse order in afterEach. */
export class Resources {
  #cleanups: Array<() => Promise<unknown> | unknown> = [];

  add(fn: () => Promise<unknown> | unknown): void {
    this.#cleanups.push(fn);
  }

  peer(p: Peer): Peer {
    this.add(async () => {
      p.destroy();
      await within(p.closed, 2_000, 'peer.closed in cleanup');
    });
    return p;
  }

  server(s: Server): Server {
    this.add(() => within(s.close(), 3_000, 'server.close in cleanup'));
    return s;
  }

  socket(s: Socket): Socket {
    s.on('error', () => {});
    this.add(() => s.destroy());
    return s;
  }

  async closeAll(): Promise<void> {
    const fns = this.#cleanups.reverse();
    this.#cleanups = [];
    const errors: unknown[] = [];
    for (const fn of fns) {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length) throw new AggregateError(errors, 'cleanup failed');
  }
}

/** A listener on a free loopback port with no ping loop, closed by `res`. */
export async function testServer(res: Resources, opts: Partial<ListenOptions> = {}): Promise<Server> {
  const s = await listen({ privateKey: generatePrivateKey(), port: 0, clientId: 'server/1', pingInterval: 0, ...opts });
  return res.server(s);
}

/** A dialed Peer with no ping loop, destroyed by `res`. */
export async function testDial(res: Resources, enode: string, opts: Partial<DialOptions> = {}): Promise<Peer> {
  const p = await dial(enode, { privateKey: generatePrivateKey(), clientId: 'dialer/1', pingInterval: 0, ...opts });
  return res.peer(p);
}

/** The server-side Peer for the next 'peer' event. */
export function nextServerPeer(s: Server): Promise<Peer> {
  return within(new Promise<Peer>((r) => s.once('peer', r)), 3_000, "server 'peer' event");
}

/** Dial `s` (testDial) and return both ends once the server has admitted the peer. */
export async function testPair(res: Resources, s: Server, opts: Partial<DialOptions> = {}): Promise<{ client: Peer; remote: Peer }> {
  const admitted = nextServerPeer(s);
  const client = await testDial(res, s.enode, opts);
  const remote = await admitted;
  return { client, remote };
}

/** Collects 'close' events of a peer so a test can count them. */
export function closeEvents(peer: Peer): CloseInfo[] {
  const seen: CloseInfo[] = [];
  peer.on('close', (info) => seen.push(info));
  return seen;
}

export function listenNet(server: NetServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

export function closeNet(server: NetServer, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((r) => server.close(() => r()));
}

/** A TCP server that accepts connections and never sends a byte. */
export async function silentServer(res: Resources): Promise<{ enode: string; port: number; accepted: () => number }> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server = createServer((s) => {
    count++;
    s.on('error', () => {});
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const port = await listenNet(server);
  res.add(() => closeNet(server, sockets));
  const id = publicKeyOf(generatePrivateKey());
  return { enode: formatEnode({ id, host: HOST, port }), port, accepted: () => count };
}

/** A port that was just bound and released: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listenNet(server);
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
