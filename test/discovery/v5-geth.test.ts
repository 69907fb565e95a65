/**
 * discv5 against go-ethereum (built by scripts/build-geth.sh): geth's own conformance suite
 * (`devp2p discv5 test`) run against our endpoint; a network of real geth nodes on loopback,
 * with their discv4 off, that our lookups must map completely; and `rlpx crawl --discover`
 * over v5 and over v4,v5 against gethes that run both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { NodeResult } from '../../src/crawl/result.js';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { randomBytes } from '../../src/crypto/random.js';
import { generatePrivateKey, nodeIdOf } from '../../src/crypto/secp256k1.js';
import { startDiscoveryV5 } from '../../src/discovery/v5-node.js';
import { parseEnode } from '../../src/peer/enode.js';
import { cliSuite, expectExit } from '../helpers/cli-suite.js';
import { gethBinaries, startGeth, startGethes, type GethNode, type GethOptions } from '../helpers/geth.js';

const bin = gethBinaries();
const { cli } = cliSuite();
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Run a binary to its end with a time bound; its output, whatever its exit code. */
function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', () => (clearTimeout(t), resolve(out)));
  });
}

const idOf = (g: GethNode): string => bytesToHex(nodeIdOf(parseEnode(g.enode).id));

const discoveryOptions = (bootnodes: string[], v4: boolean): GethOptions => ({ nodeKeyHex: bytesToHex(generatePrivateKey()), verbosity: 2, discovery: { bootnodes, v4 } });

/** A network of 4 gethes on 127.0.0.1 joined through the first, each stopped after the file. */
async function gethNetwork(v4: boolean): Promise<GethNode[]> {
  const first = await startGeth(bin!, discoveryOptions([], v4));
  cleanups.push(() => first.stop());
  const rest = await startGethes(bin!, [0, 1, 2].map(() => discoveryOptions([first.enode], v4)));
  for (const g of rest) cleanups.push(() => g.stop());
  return [first, ...rest];
}

describe.skipIf(!bin)(`discv5 against geth ${bin?.version ?? ''}`, () => {
  it('devp2p discv5 test passes 7/7 against our endpoint', async () => {
    const node = await startDiscoveryV5({ privateKey: generatePrivateKey(), host: '127.0.0.1' });
    cleanups.push(() => node.close());
    const out = await run(bin!.devp2p, ['discv5', 'test', '--listen1', '127.0.0.1', '--listen2', '127.0.0.2', node.enr.toText()], 150_000);
    const summary = /(\d+)\/(\d+) tests passed/.exec(out);
    expect(summary?.[0], out.slice(-3000)).toBe('7/7 tests passed');
    expect(node.transport.counters.handshakes).toBeGreaterThan(5);
  }, 180_000);

  it('our lookups over v5 find every node of a geth network whose discv4 is off', async () => {
    const gethes = await gethNetwork(false);
    const want = new Set(gethes.map(idOf));
    const node = await startDiscoveryV5({ privateKey: generatePrivateKey(), host: '127.0.0.1', bootnodes: [gethes[0]!.enode] });
    cleanups.push(() => node.close());
    const seen = new Set<string>();
    const missing = (): string[] => [...want].filter((id) => !seen.has(id));
    // geth needs some seconds to learn its peers; lookups are retried, bounded.
    const deadline = Date.now() + 90_000;
    while (missing().length > 0 && Date.now() < deadline) {
      await node.lookup(randomBytes(32), { onFound: (n) => seen.add(bytesToHex(n.id)) }).catch(() => undefined);
      // Lookups start from the table, and report only what is new to them.
      for (const n of node.table.nodes()) seen.add(bytesToHex(n.id));
      if (missing().length > 0) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(missing()).toEqual([]);
    // Each serves its own record, with geth's `eth` entry, and answers a ping.
    for (const g of gethes) {
      const enr = await node.requestEnr(g.enode);
      expect(bytesToHex(enr.nodeId)).toBe(idOf(g));
      expect(enr.eth).toBeDefined();
      expect((await node.ping(enr)).ip).toBe('127.0.0.1');
    }
  }, 150_000);

  it('a geth with discv4 off, whose only bootnode is us, handshakes with us over v5 and we table it', async () => {
    const node = await startDiscoveryV5({ privateKey: generatePrivateKey(), host: '127.0.0.1', revalidateIntervalMs: 200 });
    cleanups.push(() => node.close());
    const enode = `enode://${bytesToHex(node.publicKey)}@127.0.0.1:${node.address.port}`;
    const geth = await startGeth(bin!, discoveryOptions([enode], false));
    cleanups.push(() => geth.stop());
    const id = nodeIdOf(parseEnode(geth.enode).id);
    for (let i = 0; i < 300 && !node.table.get(id)?.livenessChecks; i++) await new Promise((r) => setTimeout(r, 100));
    expect(node.counters.handshakes).toBeGreaterThan(0);
    expect(node.table.get(id)?.livenessChecks).toBeGreaterThan(0); // its record came in the handshake, our PING checked it
    expect(node.serverCounters.requests).toBeGreaterThan(0); // it asked us (PING and FINDNODE)
  }, 60_000);

  describe('rlpx crawl --discover against gethes running v4 and v5', () => {
    let gethes: GethNode[];
    beforeAll(async () => {
      gethes = await gethNetwork(true);
      await new Promise((r) => setTimeout(r, 5000)); // let them mesh (discovery.md §5.3)
    }, 120_000);

    const crawl = async (proto: string): Promise<NodeResult[]> => {
      const r = await cli.run(['crawl', gethes[0]!.enode, '--discover', proto, '--discover-idle', '6', '--timeout', '5000'], { timeout: 120_000 });
      expectExit(r, 0);
      return r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as NodeResult);
    };

    it('v5 alone finds and dials every geth once; v4,v5 finds the same set as v4 alone', async () => {
      const want = gethes.map(idOf).sort();
      // Earlier crawls' own discovery identities stay in the gethes' tables for a while: they
      // are found too, and fail to dial. What answers is the network.
      const answering = (lines: NodeResult[]): string[] => lines.filter((l) => l.outcome !== 'failed').map((l) => l.id).sort();
      const v5 = await crawl('v5');
      expect(answering(v5)).toEqual(want);
      expect(new Set(v5.map((l) => l.id)).size).toBe(v5.length); // each dialed once
      // Every geth but the seed was found by discv5, with a record that carries `eth` (an execution node).
      for (const l of v5.filter((l) => want.includes(l.id) && l.id !== idOf(gethes[0]!))) {
        expect(l.sources.some((s) => s.startsWith('discv5:'))).toBe(true);
        expect(l.enr?.forkId).toBeTruthy();
      }
      const v4 = await crawl('v4');
      const both = await crawl('v4,v5');
      expect(new Set(both.map((l) => l.id)).size).toBe(both.length);
      expect(answering(both)).toEqual(answering(v4));
      expect(answering(both)).toEqual(want);
    }, 400_000);
  });
});
