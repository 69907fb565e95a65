/**
 * `rlpx crawl` as a child process: seeds from an enode file, stdin and DNS trees served by a
 * real DNS server on 127.0.0.1 (a tree with branches, a link to a second tree, a loop back,
 * and bad entries of every kind), nodes on loopback; JSON lines, CSV, the summary, --resume
 * and the filters.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CSV_COLUMNS, type NodeResult } from '../../src/crawl/result.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { buildDnsTree } from '../../src/discovery/dns-build.js';
import { formatTreeLink } from '../../src/discovery/dns-entry.js';
import { encodeEnr, type Enr } from '../../src/discovery/enr.js';
import { CHAINS } from '../../src/eth/chain.js';
import { forkId } from '../../src/eth/forkid.js';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { ethStatusResponder } from '../../src/eth/protocol.js';
import { formatEnode } from '../../src/peer/enode.js';
import type { Server } from '../../src/peer/server.js';
import { cliSuite, expectExit } from '../helpers/cli-suite.js';
import { ROOT } from '../helpers/cli.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { closedPort, HOST, silentServer, waitUntil } from '../helpers/loopback.js';
import { expectTargetFields } from '../crawl/expect-result.js';

const { cli, res, server: listener } = cliSuite();
let dns: DnsServer;
let dir: string;
beforeAll(async () => {
  dns = await startDnsServer();
  dir = mkdtempSync(join(tmpdir(), 'rlpx-crawl-'));
});
afterAll(async () => {
  await dns?.close();
  rmSync(dir, { recursive: true, force: true });
});

const jsonLines = (stdout: string): NodeResult[] => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as NodeResult);
/** The summary row `section key count` (the count's first number). */
function summaryCount(stderr: string, section: string, key: string): number | undefined {
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const m = new RegExp(`^${esc(section).padEnd(12)} ${esc(key)} +(\\d+)`, 'm').exec(stderr);
  return m ? Number(m[1]) : undefined;
}

interface World {
  nodes: Server[];
  enr: Enr[];
  /** The eth node (sepolia), also in the tree. */
  ethNode: Server;
  closed: string;
  urlA: string;
  urlB: string;
  urlBadSig: string;
  nodesFile: string;
  /** A record with an IP but no TCP port, in tree A. */
  undialable: Enr;
}

async function world(): Promise<World> {
  let undialable: Enr;
  const keys = Array.from({ length: 4 }, () => generatePrivateKey());
  const nodes = await Promise.all(keys.map(async (privateKey, i) => (await listener({ privateKey, clientId: `Node${i}/v1.${i}.0/linux-amd64/go1.26`, pingInterval: 0 })).server));
  const eth = ethStatusResponder({ chain: CHAINS.sepolia! });
  const ethKey = generatePrivateKey();
  const ethNode = (await listener({ privateKey: ethKey, clientId: 'EthNode/v3.0.0', protocols: eth.protocols, pingInterval: 0 })).server;
  // The eth node's record announces its fork ID (as geth's do) and a discovery port.
  const fid = forkId(CHAINS.sepolia!, { number: 0n, time: CHAINS.sepolia!.genesisTime });
  const enr = [...keys, ethKey].map((k, i) =>
    encodeEnr({ ip: HOST, tcp: [...nodes, ethNode][i]!.address.port, ...(i === 4 ? { seq: 7, udp: 30399, eth: { forkHash: fid.hash, forkNext: fid.next } } : {}) }, k),
  );
  const [keyA, keyB, keyC] = [generatePrivateKey(), generatePrivateKey(), generatePrivateKey()];
  const urlA = formatTreeLink(publicKeyOf(keyA), 'a.crawl.test');
  const urlB = formatTreeLink(publicKeyOf(keyB), 'b.crawl.test');
  // Tree A: three nodes, the eth node, a record with no TCP port, and one bad entry of each
  // kind, in branches of three; a link to B, whose own link leads back to A (a loop).
  undialable = encodeEnr({ ip: HOST, udp: 30303 }, generatePrivateKey());
  const a = buildDnsTree({
    domain: 'a.crawl.test', privateKey: keyA, maxChildren: 3, links: [urlB],
    enrs: [enr[0]!, enr[1]!, enr[2]!, enr[4]!, undialable, 'enr:-not-a-record', 'hello=world', 'enr:' + 'A'.repeat(700)],
  });
  const b = buildDnsTree({ domain: 'b.crawl.test', privateKey: keyB, enrs: [enr[3]!], links: [urlA] });
  // Tree C is signed by another key than the one its URL names.
  const c = buildDnsTree({ domain: 'c.crawl.test', privateKey: keyC, enrs: [encodeEnr({ ip: HOST, tcp: 1 }, generatePrivateKey())] });
  for (const t of [a, b, c]) for (const [name, text] of t.records) dns.zone.set(name, [text]);
  const urlBadSig = formatTreeLink(publicKeyOf(generatePrivateKey()), 'c.crawl.test');
  const closed = formatEnode({ id: publicKeyOf(generatePrivateKey()), host: HOST, port: await closedPort() });
  const nodesFile = join(dir, `nodes-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(nodesFile, `# seeds\n${nodes[0]!.enode}\n\nenode://zz@1.2.3.4:5\n${closed}  # nothing listens\n`);
  return { nodes, enr, ethNode, closed, urlA, urlB, urlBadSig, nodesFile, undialable };
}

describe('rlpx crawl', () => {
  let w: World;
  beforeEach(async () => {
    w = await world();
  });
  const seedArgs = (): string[] => ['--nodes', w.nodesFile, '--dns', w.urlA, '--dns', w.urlBadSig, '--dns-server', dns.address, '--timeout', '3000'];

  it('crawls a file and two trees: one JSON line per node, every field; each bad seed an error with its cause; the summary', async () => {
    const since = Date.now();
    const r = await cli.run(['crawl', ...seedArgs()], { timeout: 20_000 });
    expectExit(r, 0);
    const lines = jsonLines(r.stdout);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(lines.length); // stdout holds nothing else
    // 4 plain nodes + the eth node + the closed port; nodes[0] named twice, dialed once.
    expect(lines).toHaveLength(6);
    const byEnode = new Map(lines.map((l) => [l.enode, l]));
    const treeEnodes = w.enr.map((e) => e.toEnode());
    const sourcesOf = [
      [`${w.nodesFile}:2`, w.urlA],
      [w.urlA],
      [w.urlA],
      [w.urlB],
      [w.urlA],
    ];
    treeEnodes.forEach((e, i) => {
      const n = byEnode.get(e)!;
      expect(n, e).toBeDefined();
      const record = w.enr[i]!;
      const enrReport = { seq: Number(record.seq), udp: record.udp ?? null, forkId: record.eth ? { hash: `0x${bytesToHex(record.eth.forkHash)}`, next: Number(record.eth.forkNext) } : null };
      expectTargetFields(n, e, { sources: sourcesOf[i]!, enr: enrReport, maxMs: 3_000, since });
      expect(n).toMatchObject({ outcome: 'reachable', error: null, disconnect: { reason: 8, name: 'client quitting', by: 'local' } });
      expect(n.rttMs).toBeGreaterThan(0);
      const server = i < 4 ? w.nodes[i]! : w.ethNode;
      expect(n.hello).toMatchObject({ p2pVersion: 5, listenPort: server.address.port });
      if (i < 4) {
        expect(n.hello).toEqual({ clientId: `Node${i}/v1.${i}.0/linux-amd64/go1.26`, client: { name: `Node${i}`, version: `1.${i}.0`, os: 'linux', arch: 'amd64', lang: 'go1.26' }, p2pVersion: 5, caps: [], listenPort: server.address.port });
        expect(n.eth).toBeNull();
      } else {
        expect(n.hello!.caps).toEqual(['eth/69', 'eth/70', 'eth/71', 'eth/72']);
        expect(n.eth).toMatchObject({ version: 72, networkId: 11155111, fork: 'unchecked', forkDetail: null, earliestBlock: 0, latestBlock: 0 });
        // What the record announces and what the node says over RLPx agree.
        expect(n.enr).toEqual({ seq: 7, udp: 30399, forkId: n.eth!.forkId });
      }
    });
    const closed = byEnode.get(w.closed)!;
    expectTargetFields(closed, w.closed, { sources: [`${w.nodesFile}:5`], maxMs: 3_000, since });
    expect(closed).toMatchObject({ outcome: 'failed', hello: null, eth: null, rttMs: null, disconnect: null, error: { stage: 'tcp', class: 'refused', name: 'NetworkError' } });

    // Every bad seed: one line with its kind and cause; the crawl went on.
    const seedErrors = r.stderr.split('\n').filter((l) => l.startsWith('rlpx crawl: seed error'));
    const kinds = seedErrors.map((l) => /\[([a-z-]+)\]/.exec(l)![1]).sort();
    expect(kinds).toEqual(['enode-line', 'loop', 'malformed-enr', 'oversized', 'root-signature', 'unknown-entry']);
    expect(seedErrors.find((l) => l.includes('[enode-line]'))).toContain(`${w.nodesFile}:4`);
    expect(seedErrors.find((l) => l.includes('[loop]'))).toMatch(/a\.crawl\.test -> b\.crawl\.test -> a\.crawl\.test/);
    expect(seedErrors.find((l) => l.includes('[root-signature]'))).toContain('c.crawl.test');
    expect(seedErrors.find((l) => l.includes('[oversized]'))).toMatch(/over 512/);
    expect(r.stderr).not.toMatch(/TypeError|at .*\.ts:\d+/); // nothing crashed
    expect(r.stderr).toContain(`rlpx crawl: not dialable (no IP and TCP port): ${w.undialable.toText()} from ${w.urlA}\n`);

    const s = r.stderr;
    expect(s).toMatch(/--- rlpx crawl: 6 of 6 nodes in [\d.]+ s \(\d+ nodes\/s; [\d.]+ s with seeds\), 6 written, 0 skipped \(--resume\), 1 duplicate seeds/);
    expect(summaryCount(s, 'nodes', 'dialed')).toBe(6);
    expect(summaryCount(s, '', 'reachable')).toBe(5);
    expect(summaryCount(s, '', 'full (too many peers)')).toBe(0);
    expect(summaryCount(s, '', 'failed')).toBe(1);
    expect(summaryCount(s, 'errors', 'refused')).toBe(1);
    for (let i = 0; i < 4; i++) {
      expect(summaryCount(s, 'clients', `Node${i}`)).toBe(1);
      expect(summaryCount(s, 'versions', `Node${i}/v1.${i}.0`)).toBe(1);
    }
    expect(summaryCount(s, 'clients', 'EthNode')).toBe(1);
    expect(summaryCount(s, 'caps', 'eth/72')).toBe(1);
    expect(summaryCount(s, 'networks', '11155111')).toBe(1);
    expect(summaryCount(s, 'forks', 'unchecked')).toBe(1);
    expect(summaryCount(s, 'latest', 'net 11155111: 0..0 (median 0)')).toBe(1);
    for (const k of ['enode-line', 'loop', 'malformed-enr', 'oversized', 'root-signature', 'unknown-entry']) expect(summaryCount(s, 'seed errors', k), k).toBe(1);
    expect(summaryCount(s, 'seeds', 'records without IP and TCP port')).toBe(1);
    // Not a terminal: no progress line.
    expect(s).not.toContain('\r');
  });

  it('--csv: a header of every column and one row per node; --resume skips what an earlier output has', async () => {
    const r = await cli.run(['crawl', ...seedArgs(), '--csv'], { timeout: 20_000 });
    expectExit(r, 0);
    const rows = r.stdout.trim().split('\n');
    expect(rows[0]).toBe(CSV_COLUMNS.join(','));
    expect(rows).toHaveLength(7);
    const closedRow = rows.find((l) => l.includes(w.closed))!;
    const cells = closedRow.split(',');
    expect(cells[CSV_COLUMNS.indexOf('outcome')]).toBe('failed');
    expect(cells[CSV_COLUMNS.indexOf('error_class')]).toBe('refused');
    const ethRow = rows.find((l) => l.includes(w.ethNode.enode.slice(8, 40)))!.split(',');
    expect(ethRow[CSV_COLUMNS.indexOf('network_id')]).toBe('11155111');
    expect(ethRow[CSV_COLUMNS.indexOf('caps')]).toBe('eth/69 eth/70 eth/71 eth/72');
    expect(ethRow[CSV_COLUMNS.indexOf('disconnect_reason')]).toBe('8');

    // An earlier output with three rows and a line cut off mid-write.
    const earlier = join(dir, 'earlier.csv');
    writeFileSync(earlier, rows.slice(0, 4).join('\n') + '\n' + rows[4]!.slice(0, 30));
    const again = await cli.run(['crawl', ...seedArgs(), '--resume', earlier], { timeout: 20_000 });
    expectExit(again, 0);
    const rest = jsonLines(again.stdout);
    const done = rows.slice(1, 4).map((l) => l.split(',')[0]);
    expect(rest).toHaveLength(3);
    expect(rest.map((n) => n.id).filter((id) => done.includes(id))).toEqual([]);
    expect(again.stderr).toMatch(/3 of 3 nodes .*, 3 written, 3 skipped \(--resume\)/);

    // JSON lines resume as well.
    const earlierJson = join(dir, 'earlier.jsonl');
    writeFileSync(earlierJson, again.stdout);
    const third = await cli.run(['crawl', ...seedArgs(), '--resume', earlierJson, '--limit', '2'], { timeout: 20_000 });
    expectExit(third, 0);
    // What is left after both outputs is the three nodes of the first; --limit stops at two.
    const last = jsonLines(third.stdout);
    expect(last).toHaveLength(2);
    for (const n of last) expect(done).toContain(n.id);
    expect(third.stderr).toMatch(/, 2 written, 3 skipped \(--resume\)/);
  });

  it('--network and --chain keep only matching nodes; the summary still counts every node', async () => {
    const net = await cli.run(['crawl', ...seedArgs(), '--network', '11155111'], { timeout: 20_000 });
    expectExit(net, 0);
    expect(jsonLines(net.stdout).map((n) => n.enode)).toEqual([w.enr[4]!.toEnode()]);
    expect(summaryCount(net.stderr, 'nodes', 'dialed')).toBe(6);

    const sepolia = await cli.run(['crawl', ...seedArgs(), '--chain', 'sepolia'], { timeout: 20_000 });
    expectExit(sepolia, 0);
    const kept = jsonLines(sepolia.stdout);
    expect(kept).toHaveLength(1);
    expect(kept[0]!.eth).toMatchObject({ networkId: 11155111, fork: 'compatible', forkDetail: 'same fork state (rule 1)' });
    expect(summaryCount(sepolia.stderr, 'forks', 'compatible')).toBe(1);

    const mainnet = await cli.run(['crawl', ...seedArgs(), '--chain', 'mainnet'], { timeout: 20_000 });
    expectExit(mainnet, 0);
    expect(jsonLines(mainnet.stdout)).toEqual([]);
    expect(summaryCount(mainnet.stderr, 'forks', 'incompatible')).toBe(1);
    expect(mainnet.stderr).toMatch(/6 of 6 nodes .*, 0 written/);
  });

  it('reads seeds from stdin (--nodes -) and refuses bad arguments with exit 2', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'crawl', '--nodes', '-'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stdin.end(`${w.nodes[1]!.enode}\n${w.nodes[2]!.enode}\n`);
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(0);
    expect(jsonLines(stdout).map((n) => n.enode).sort()).toEqual([w.nodes[1]!.enode, w.nodes[2]!.enode].sort());
    expect(jsonLines(stdout).map((n) => n.sources[0])).toEqual(expect.arrayContaining(['stdin:1', 'stdin:2']));

    for (const args of [[], ['--rate', 'x', w.nodes[0]!.enode], ['--chain', 'nope', w.nodes[0]!.enode], ['--resume', join(dir, 'missing'), w.nodes[0]!.enode]]) {
      const bad = await cli.run(['crawl', ...args]);
      expectExit(bad, 2);
      expect(bad.stderr).toMatch(/^rlpx: /);
      expect(bad.stdout).toBe('');
    }
  });
});

describe('rlpx crawl on a terminal, and interrupted', () => {
  it('draws a progress line (done/total, rate, ETA) on stderr when it is a terminal', async () => {
    const { server: quick } = await listener({ pingInterval: 0 });
    const { server: mute } = await listener({ pingInterval: 0, answerPings: false });
    // script(1) gives the child a terminal; stdout and stderr both come out of it.
    const cmd = `${process.execPath} --import tsx src/cli/main.ts crawl ${quick.enode} ${mute.enode} --timeout 1500`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code, out).toBe(0);
    expect(out).toMatch(/\r\x1b\[Kcrawl: 1\/2 {2}\d+ nodes\/s {2}ETA \d+ s/);
    expect(out).toMatch(/--- rlpx crawl: 2 of 2 nodes/);
  });

  it('SIGINT ends the nodes in progress, prints the summary and exits 1', async () => {
    const silent = await Promise.all([1, 2].map(() => silentServer(res)));
    const p = cli.spawn(['crawl', ...silent.map((s) => s.enode), '--timeout', '30000'], { timeout: 20_000 });
    await waitUntil(() => silent.every((s) => s.accepted() === 1), 10_000, 'both dials');
    p.kill('SIGINT');
    const r = await p.exited;
    expectExit(r, 1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--- rlpx crawl: 0 of 2 nodes .*, interrupted/);
    expect(r.ms).toBeLessThan(15_000);
  });

  it('a --dns-server that is not an address is a usage error', async () => {
    const r = await cli.run(['crawl', '--dns', 'enrtree://AKA3AM6LPBYEUDMVNU3BSVQJ5AD45Y7YPOHJLEF6W26QOE4VTUDPE@x.test', '--dns-server', 'not-an-ip']);
    expectExit(r, 2);
    expect(r.stderr).toMatch(/^rlpx: --dns-server: /);
  });
});
