/**
 * The errors of an ordinary close are cheap: the EOF error carries no stack (it would show only
 * our socket plumbing), and a writer closed with nothing waiting builds its ClosedError only
 * when a later send is refused with it.
 */
import { createConnection, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ClosedError, NetworkError, type RlpxError, withoutStack } from '../../src/errors.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { RlpxConnection } from '../../src/wire/connection.js';
import { connectionConfig } from '../../src/options.js';
import { HOST, listenNet, waitUntil, within } from '../helpers/loopback.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

async function pair(): Promise<{ dialer: RlpxConnection; served: RlpxConnection }> {
  const key = generatePrivateKey();
  const config = connectionConfig({ readTimeout: 0, handshakeTimeout: 3_000 });
  const accepted: RlpxConnection[] = [];
  const server = createServer((s) => {
    s.on('error', () => {});
    void RlpxConnection.accept(s, key, config).then((c) => accepted.push(c), () => {});
  });
  const port = await listenNet(server);
  const socket = createConnection({ host: HOST, port });
  socket.on('error', () => {});
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const dialer = await within(RlpxConnection.initiate(socket, generatePrivateKey(), publicKeyOf(key), config), 3_000, 'handshake');
  await waitUntil(() => accepted.length === 1, 3_000, 'the served side');
  cleanups.push(() => {
    dialer.destroy();
    accepted.forEach((c) => c.destroy());
    server.close();
  });
  return { dialer, served: accepted[0]! };
}

describe('errors of an ordinary close', () => {
  it('the remote closing its socket ends the session with a NetworkError that has no stack frames', async () => {
    const { dialer, served } = await pair();
    const limit = Error.stackTraceLimit;
    const errors: RlpxError[] = [];
    served.start({ message: () => {}, error: (e) => errors.push(e), end: () => {} });
    dialer.socket.end();
    await waitUntil(() => errors.length === 1, 3_000, 'the EOF error');
    expect(errors[0]).toBeInstanceOf(NetworkError);
    expect(errors[0]!.message).toBe('remote closed the connection');
    expect(errors[0]!.stack).not.toMatch(/\n\s+at /);
    expect(Error.stackTraceLimit).toBe(limit);
    // Errors that are not the remote's ordinary doing still have their stacks.
    expect(new NetworkError('x').stack).toMatch(/\n\s+at /);
  });

  it('a connection destroyed with nothing waiting refuses later sends with one ClosedError, stack and all', async () => {
    const { dialer } = await pair();
    dialer.destroy();
    const a = await dialer.writable().catch((e: unknown) => e);
    const b = await dialer.writable().catch((e: unknown) => e);
    expect(a).toBeInstanceOf(ClosedError);
    expect(b).toBe(a);
    expect((a as Error).stack).toMatch(/\n\s+at /);
  });

  it('withoutStack restores the stack limit even when the maker throws', () => {
    const limit = Error.stackTraceLimit;
    expect(() =>
      withoutStack(() => {
        throw new RangeError('boom');
      }),
    ).toThrow('boom');
    expect(Error.stackTraceLimit).toBe(limit);
    expect(withoutStack(() => new ClosedError('c')).stack).toBe('ClosedError: c');
  });
});
