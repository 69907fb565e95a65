/**
 * `rlpx crawl --discover v4` as a user runs it, against a network of our own nodes on
 * loopback (each an RLPx listener with discv4 on the same port number, all joined through one
 * bootnode): seeded with the bootnode alone it finds and dials every node once, and writes
 * geth's nodes.json.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NodeResult } from '../../src/crawl/result.js';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import { decodeEnr } from '../../src/discovery/enr.js';
import { startDiscoveryV4, type DiscoveryV4 } from '../../src/discovery/v4-discovery.js';
import { listen } from '../../src/peer/server.js';
import { cliSuite, expectExit } from '../helpers/cli-suite.js';

const { cli, res } = cliSuite();
let dir: string;
const discs: DiscoveryV4[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rlpx-discover-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(discs.splice(0).map((d) => d.close()));
});

/** An RLPx listener and a discv4 node on the same port number. */
async function node(bootnodes: string[]): Promise<{ enode: string; id: string; disc: DiscoveryV4 }> {
  const privateKey = generatePrivateKey();
  const server = await listen({ privateKey, host: '127.0.0.1', port: 0 });
  res.server(server);
  const disc = await startDiscoveryV4({ privateKey, host: '127.0.0.1', port: server.address.port, bootnodes, refreshIntervalMs: 0 });
  discs.push(disc);
  return { enode: server.enode, id: bytesToHex(disc.id), disc };
}

describe('rlpx crawl --discover v4', () => {
  it('seeded with one bootnode, finds and dials every node of an 8-node network once; nodes.json has their records', async () => {
    const boot = await node([]);
    const rest = [];
    for (let i = 0; i < 7; i++) rest.push(await node([boot.disc.enode]));
    await Promise.all(rest.map((n) => n.disc.lookup(n.disc.publicKey)));
    const file = join(dir, 'nodes.json');
    const r = await cli.run(['crawl', boot.enode, '--discover', 'v4', '--discover-idle', '3', '--nodes-json', file, '--timeout', '3000'], { timeout: 60_000 });
    expectExit(r, 0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as NodeResult);
    const want = [boot, ...rest].map((n) => n.id).sort();
    expect(lines.map((l) => l.id).sort()).toEqual(want); // each once
    // Dialed over RLPx: each said Hello.
    expect(lines.filter((l) => l.hello === null)).toEqual([]);
    const found = lines.filter((l) => l.id !== boot.id);
    for (const l of found) {
      expect(l.firstSeen).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(l.sources.some((s) => s.startsWith('discv4:'))).toBe(true);
      expect(l.enr?.seq).toBeGreaterThan(0);
    }
    const set = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { seq: number; record: string; score: number; firstResponse: string }>;
    expect(Object.keys(set).sort()).toEqual(want);
    for (const [id, e] of Object.entries(set)) {
      expect(bytesToHex(decodeEnr(e.record).nodeId)).toBe(id);
      expect(e.score).toBe(1);
    }
    expect(r.stderr).toContain('discovery heard of 8 nodes, 8 answered ENRREQUEST');
  }, 90_000);

  it('dials a node at each of its addresses once: its record says 127.0.0.6, discovery met it at 127.0.0.5; one node in the summary', async () => {
    const boot = await node([]);
    // X: one key, RLPx listeners on 127.0.0.6 and 127.0.0.5 at the same port; its discv4
    // socket on 127.0.0.5, its record announcing 127.0.0.6. The bootnode sees its packets come
    // from 127.0.0.5, so its NEIGHBORS entry for X says 127.0.0.5 with the record's TCP port.
    const privateKey = generatePrivateKey();
    const inRecord = await listen({ privateKey, host: '127.0.0.6', port: 0 });
    res.server(inRecord);
    const port = inRecord.address.port;
    const seenAt = await listen({ privateKey, host: '127.0.0.5', port });
    res.server(seenAt);
    const peers = { inRecord: 0, seenAt: 0 };
    inRecord.on('peer', () => peers.inRecord++);
    seenAt.on('peer', () => peers.seenAt++);
    const x = await startDiscoveryV4({ privateKey, host: '127.0.0.5', port: 0, announceIp: '127.0.0.6', tcpPort: port, bootnodes: [boot.disc.enode], refreshIntervalMs: 0 });
    discs.push(x);
    await x.lookup(x.publicKey);
    const r = await cli.run(['crawl', boot.enode, '--discover', 'v4', '--discover-idle', '3', '--timeout', '3000'], { timeout: 60_000 });
    expectExit(r, 0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as NodeResult);
    const xId = bytesToHex(x.id);
    const ofX = lines.filter((l) => l.id === xId);
    expect(ofX.map((l) => [l.host, l.port, l.address])).toEqual([
      ['127.0.0.6', port, { from: 'enr', index: 0, of: 2 }],
      ['127.0.0.5', port, { from: 'discovery', index: 1, of: 2 }],
    ]);
    expect(ofX.map((l) => l.outcome)).toEqual(['reachable', 'reachable']);
    expect(peers).toEqual({ inRecord: 1, seenAt: 1 });
    expect(lines.filter((l) => l.id === boot.id)).toHaveLength(1);
    // Two nodes, three dials: the summary counts nodes.
    expect(r.stderr).toMatch(/rlpx crawl: 2 of 2 nodes/);
    expect(r.stderr).toMatch(/nodes\s+dialed\s+2\n/);
    expect(r.stderr).toMatch(/reachable\s+2\s+100\.0%/);
    // Without --nodes-json no record is kept, only the count of answers.
    expect(r.stderr).toContain('discovery heard of 2 nodes, 2 answered ENRREQUEST');
  }, 90_000);

  it('--limit ends discovery and the crawl early', async () => {
    const boot = await node([]);
    for (let i = 0; i < 5; i++) await (await node([boot.disc.enode])).disc.lookup();
    const t0 = Date.now();
    const r = await cli.run(['crawl', boot.enode, '--discover', 'v4', '--discover-idle', '30', '--limit', '2', '--timeout', '3000'], { timeout: 30_000 });
    expectExit(r, 0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('{'))).toHaveLength(2);
    expect(Date.now() - t0).toBeLessThan(25_000); // not the 30 s idle
  }, 60_000);

  it('refuses --nodes-json without --discover, and unknown protocols', async () => {
    const a = await cli.run(['crawl', 'enode://00@127.0.0.1:1', '--nodes-json', 'x'], { timeout: 10_000 });
    expect(a.code).toBe(2);
    const b = await cli.run(['crawl', 'enode://00@127.0.0.1:1', '--discover', 'v6'], { timeout: 10_000 });
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('only "v4"');
  }, 20_000);
});
