/**
 * discv4 with real gethes on loopback (discovery.md's recipe: 127.0.0.1, distinct high ports,
 * --netrestrict 127.0.0.0/8, DNS discovery off):
 *  - a geth whose only bootnode is our node finds us, asks for our record (with the eth entry
 *    of its own chain) and dials us over RLPx;
 *  - `rlpx crawl --discover v4` seeded with one geth of a small network finds them all, the
 *    same set `devp2p discv4 crawl` finds, and `devp2p nodeset` reads our nodes.json.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeResult } from '../../src/crawl/result.js';
import { bytesToHex, hexToBytes } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import { startDiscoveryV4 } from '../../src/discovery/v4-discovery.js';
import { forkId } from '../../src/eth/forkid.js';
import { chainFromGenesis } from '../../src/eth/genesis.js';
import { ethStatusResponder } from '../../src/eth/protocol.js';
import { listen } from '../../src/peer/server.js';
import { Cli } from '../helpers/cli.js';
import { GENESIS, GETH_NETWORK_ID, gethBinaries, startGeth, startGethes, type GethNode } from '../helpers/geth.js';

const bin = gethBinaries();
const run = promisify(execFile);
const randomKeyHex = (): string => bytesToHex(generatePrivateKey());
const idOf = (g: GethNode): string => bytesToHex(keccak256(hexToBytes(g.id)));

describe.skipIf(!bin)(`discv4 with geth ${bin?.version ?? ''} on loopback`, () => {
  it('a geth whose only bootnode is us requests our record and dials us over RLPx', async () => {
    const chain = chainFromGenesis(JSON.stringify(GENESIS), { networkId: BigInt(GETH_NETWORK_ID) });
    const fid = forkId(chain, { number: 0n, time: chain.genesisTime });
    const privateKey = generatePrivateKey();
    const eth = ethStatusResponder({ chain, disconnectOnTimeout: false });
    const server = await listen({ privateKey, host: '127.0.0.1', port: 0, protocols: eth.protocols });
    const disc = await startDiscoveryV4({ privateKey, host: '127.0.0.1', port: server.address.port, eth: { forkHash: fid.hash, forkNext: fid.next } });
    const dialedBy = new Set<string>();
    server.on('peer', (p) => dialedBy.add(p.id));
    server.on('rejected', (r) => dialedBy.add(r.remote));
    let geth: GethNode | undefined;
    try {
      geth = await startGeth(bin!, { nodeKeyHex: randomKeyHex(), discovery: { bootnodes: [server.enode] } });
      const gethId = geth.id;
      for (let i = 0; i < 300 && !dialedBy.has(gethId); i++) await new Promise((r) => setTimeout(r, 200));
      expect(disc.counters.received.enrRequest).toBeGreaterThanOrEqual(1);
      expect([...dialedBy]).toContain(gethId);
      const peers = await geth.rpc<{ id: string; network: { inbound: boolean } }[]>('admin_peers');
      expect(peers.some((p) => p.network.inbound === false)).toBe(true);
    } finally {
      await geth?.stop();
      await disc.close();
      await server.close();
    }
  }, 120_000);

  describe('a network of 4 gethes joined through one bootnode', () => {
    const gethes: GethNode[] = [];
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'rlpx-v4geth-'));
      gethes.push(await startGeth(bin!, { nodeKeyHex: randomKeyHex(), discovery: { bootnodes: [] } }));
      const rest = await startGethes(bin!, [0, 1, 2].map(() => ({ nodeKeyHex: randomKeyHex(), discovery: { bootnodes: [gethes[0]!.enode] } })));
      gethes.push(...rest);
      // Let them mesh: every geth sees the 3 others.
      for (let i = 0; i < 120; i++) {
        const counts = await Promise.all(gethes.map((g) => g.rpc<unknown[]>('admin_peers').then((p) => p.length)));
        if (counts.every((c) => c >= 3)) break;
        await new Promise((r) => setTimeout(r, 500));
      }
    }, 180_000);
    afterAll(async () => {
      await Promise.all(gethes.map((g) => g.stop()));
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('rlpx crawl --discover v4 finds and dials every geth; its set equals devp2p discv4 crawl\'s; devp2p nodeset reads our nodes.json', async () => {
      const want = gethes.map(idOf).sort();
      const ours = join(dir, 'ours.json');
      const cli = new Cli();
      const r = await cli.run(['crawl', gethes[0]!.enode, '--discover', 'v4', '--discover-idle', '6', '--nodes-json', ours, '--timeout', '5000'], { timeout: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as NodeResult);
      // Every geth dialed once over RLPx, and each said Hello.
      for (const id of want) expect(lines.filter((l) => l.id === id && l.hello !== null), id).toHaveLength(1);
      const ourSet = Object.keys(JSON.parse(readFileSync(ours, 'utf8')) as object).sort();
      expect(ourSet).toEqual(want);

      const theirs = join(dir, 'theirs.json');
      await run(bin!.devp2p, ['discv4', 'crawl', '--timeout', '15s', '--bootnodes', gethes[0]!.enode, '--addr', '127.0.0.1:0', theirs], { timeout: 90_000 });
      const theirSet = Object.keys(JSON.parse(readFileSync(theirs, 'utf8')) as object).sort();
      expect(ourSet).toEqual(theirSet);

      const info = await run(bin!.devp2p, ['nodeset', 'info', ours]);
      expect(info.stdout).toMatch(/Set contains 4 nodes/);
      const filtered = await run(bin!.devp2p, ['nodeset', 'filter', ours, '-eth-network', 'mainnet']);
      expect(JSON.parse(filtered.stdout)).toEqual({}); // read, then all filtered out: not mainnet
      const all = await run(bin!.devp2p, ['nodeset', 'filter', ours, '-ip', '127.0.0.0/8']);
      expect(Object.keys(JSON.parse(all.stdout) as object).sort()).toEqual(want);
    }, 240_000);
  });
});
