/**
 * `rlpx crawl --discover v5` and `--discover v4,v5` as a user runs them, against networks of
 * our own nodes on loopback (each an RLPx listener with discovery on the same port number, all
 * joined through one bootnode): seeded with the bootnode alone, each finds and dials every node
 * once, and says which protocol found it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeResult } from '../../src/crawl/result.js';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import { UdpPort } from '../../src/discovery/udp-port.js';
import { startDiscoveryV4, type DiscoveryV4 } from '../../src/discovery/v4-discovery.js';
import { startDiscoveryV5, type DiscoveryV5 } from '../../src/discovery/v5-node.js';
import { listen } from '../../src/peer/server.js';
import { cliSuite, expectExit } from '../helpers/cli-suite.js';

const { cli, res } = cliSuite();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

interface Member {
  enode: string;
  id: string;
  v4?: DiscoveryV4;
  v5?: DiscoveryV5;
}

/** An RLPx listener, and discv5 (and discv4) on one UDP socket of the same port number. */
async function member(both: boolean, boot?: Member): Promise<Member> {
  const privateKey = generatePrivateKey();
  const server = await listen({ privateKey, host: '127.0.0.1', port: 0 });
  res.server(server);
  const udp = await UdpPort.bind({ host: '127.0.0.1', port: server.address.port });
  closers.push(() => udp.close());
  const common = { privateKey, udp, refreshIntervalMs: 0, revalidateIntervalMs: 200 };
  const v4 = both ? await startDiscoveryV4({ ...common, ...(boot ? { bootnodes: [boot.v4!.enode] } : {}) }) : undefined;
  if (v4) closers.push(() => v4.close());
  const v5 = await startDiscoveryV5({ ...common, ...(boot ? { bootnodes: [boot.v5!.enr] } : {}) });
  closers.push(() => v5.close());
  return { enode: server.enode, id: bytesToHex(v5.id), ...(v4 ? { v4 } : {}), v5 };
}

async function network(both: boolean): Promise<Member[]> {
  const boot = await member(both);
  const rest: Member[] = [];
  for (let i = 0; i < 6; i++) rest.push(await member(both, boot));
  // Each joins: the bootnode learns it from its handshake (and bond) and checks it.
  await Promise.all(rest.map((m) => Promise.all([m.v5!.ping(boot.v5!.enr), m.v4?.lookup(m.v4.publicKey)])));
  // FINDNODE answers carry only checked nodes: wait (bounded) until the bootnode has checked all.
  const checked = (): number => [...boot.v5!.table.entries()].filter((e) => e.livenessChecks > 0).length;
  for (let i = 0; i < 300 && checked() < rest.length; i++) await new Promise((r) => setTimeout(r, 50));
  expect(checked(), 'nodes the bootnode has checked before the crawl').toBe(rest.length);
  return [boot, ...rest];
}

function lines(stdout: string): NodeResult[] {
  return stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as NodeResult);
}

describe('rlpx crawl --discover v5 | v4,v5', () => {
  it('v5: finds and dials every node of a 7-node network once, sources discv5', async () => {
    const net = await network(false);
    const r = await cli.run(['crawl', net[0]!.enode, '--discover', 'v5', '--discover-idle', '5', '--timeout', '3000'], { timeout: 60_000 });
    expectExit(r, 0);
    const got = lines(r.stdout);
    expect(got.map((l) => l.id).sort()).toEqual(net.map((m) => m.id).sort());
    for (const l of got.filter((l) => l.id !== net[0]!.id)) {
      expect(l.sources.some((s) => s.startsWith('discv5:'))).toBe(true);
      expect(l.enr?.seq).toBeGreaterThan(0);
    }
    expect(r.stderr).toMatch(/discovery heard of 7 nodes, 7 answered ENRREQUEST \(discv4 found 0, discv5 \d+\)/);
  }, 90_000);

  it('v4,v5: one crawl over both finds the same set, each node dialed once', async () => {
    const net = await network(true);
    const r = await cli.run(['crawl', net[0]!.enode, '--discover', 'v4,v5', '--discover-idle', '5', '--timeout', '3000'], { timeout: 60_000 });
    expectExit(r, 0);
    const got = lines(r.stdout);
    expect(got.map((l) => l.id).sort()).toEqual(net.map((m) => m.id).sort());
    for (const l of got.filter((l) => l.id !== net[0]!.id)) expect(l.sources.some((s) => /^discv[45]:/.test(s))).toBe(true);
    const m = /discv4 found (\d+), discv5 (\d+)/.exec(r.stderr);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(Number(m![2])).toBeGreaterThan(0);
  }, 90_000);
});
