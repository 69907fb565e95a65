/**
 * go-ethereum's own discv4 suite (`devp2p discv4 test`, 15 tests) against our node on
 * loopback: listen1 127.0.0.1, listen2 127.0.0.2 (Linux routes all of 127/8 to lo), alone and
 * beside discv5 on one port.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import { startDiscovery, type Discovery } from '../../src/discovery/discovery.js';
import { startDiscoveryV4, type DiscoveryV4 } from '../../src/discovery/v4-discovery.js';
import { gethBinaries } from '../helpers/geth.js';

const bin = gethBinaries();

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The suite against one of our v4 endpoints: all 15 pass, and what must not be answered was counted. */
async function passes(node: DiscoveryV4): Promise<void> {
  const r = await run(bin!.devp2p, ['discv4', 'test', '--remote', node.enode, '--listen1', '127.0.0.1', '--listen2', '127.0.0.2', '--tap'], 60_000);
  const ok = r.stdout.split('\n').filter((l) => /^ok \d+ /.test(l));
  const notOk = r.stdout.split('\n').filter((l) => /^not ok \d+ /.test(l));
  expect(notOk, r.stdout).toEqual([]);
  expect(ok).toHaveLength(15);
  expect(r.stdout).toMatch(/^1\.\.15$/m);
  // What the suite sent that it must not get answers to was counted, not answered.
  const c = node.counters;
  expect(c.dropped.expired).toBeGreaterThanOrEqual(2); // Ping/PastExpiration, Findnode/PastExpiration
  expect(c.dropped.unbonded).toBeGreaterThanOrEqual(3); // WithoutEndpointProof, InvalidPongHash, WrongIP
  expect(c.dropped['unknown-type']).toBeGreaterThanOrEqual(1); // WrongPacketType
  expect(c.dropped.unsolicited).toBeGreaterThanOrEqual(1); // UnsolicitedNeighbors, the bad PONG
  expect(c.received.enrRequest).toBe(1);
}

describe.skipIf(!bin)(`devp2p discv4 test ${bin?.version ?? ''} against our node`, () => {
  const eth = { forkHash: Uint8Array.of(1, 2, 3, 4), forkNext: 0n };
  let node: DiscoveryV4;
  let both: Discovery;
  beforeAll(async () => {
    node = await startDiscoveryV4({ privateKey: generatePrivateKey(), host: '127.0.0.1', eth });
    both = await startDiscovery({ protocols: { v4: true, v5: true }, privateKey: generatePrivateKey(), host: '127.0.0.1', eth });
  });
  afterAll(async () => {
    await node?.close();
    await both?.close();
  });

  it('passes 15 of 15', () => passes(node), 90_000);

  it('passes 15 of 15 beside discv5 (one port, one table, one record)', () => passes(both.v4!), 90_000);
});
