/**
 * Per-file setup of the CLI tests: children killed and in-process nodes closed after each
 * test, a listener to point the CLI at, and the shape of `rlpx ping --json`.
 */
import { afterEach, expect } from 'vitest';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { listen, type ListenOptions, type Server } from '../../src/peer/server.js';
import { Cli, type CliExit } from './cli.js';
import { Resources } from './loopback.js';

export const SERVER_CLIENT_ID = 'cli-test-server/1.0';

/** The last stdout line of `rlpx ping --json`. */
export interface PingJson {
  ok: boolean;
  alive: boolean;
  full: boolean;
  enode: string | null;
  remote: { id: string; clientId: string; version: number; caps: string[] } | null;
  sent: number;
  received: number;
  lost: number;
  rtt_ms: Record<'min' | 'median' | 'max' | 'mean' | 'jitter', number | null>;
  disconnect: { reason: number; name: string; by: 'local' | 'remote' } | null;
  error: string | null;
  failed_phase: string | null;
  phases_ms: Record<string, number | null>;
  duration_ms: number | null;
  eth: { networkId: number; latestBlock: number; fork: string } | null;
}

/** An exit, with the child's output in the assertion message when it is not the expected code. */
export function expectExit(r: CliExit, code: number): void {
  expect({ code: r.code, timedOut: r.timedOut }, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toEqual({ code, timedOut: false });
}

export interface CliSuite {
  cli: Cli;
  res: Resources;
  /** A listener on a free loopback port, closed after the test, and its node id. */
  server(opts?: Partial<ListenOptions>): Promise<{ server: Server; id: string }>;
}

/** Call once at the top of a test file: it installs the afterEach teardown. */
export function cliSuite(): CliSuite {
  const cli = new Cli();
  const res = new Resources();
  afterEach(async () => {
    await cli.killAll();
    await res.closeAll();
  });
  return {
    cli,
    res,
    async server(opts = {}) {
      const privateKey = opts.privateKey ?? generatePrivateKey();
      const s = await listen({ privateKey, port: 0, clientId: SERVER_CLIENT_ID, ...opts });
      res.server(s);
      return { server: s, id: bytesToHex(publicKeyOf(privateKey)) };
    },
  };
}
