/**
 * discv5 against go-ethereum (built by scripts/build-geth.sh): geth's own conformance suite
 * (`devp2p discv5 test`) run against our endpoint, and a network of real geth nodes on
 * loopback, with their discv4 off, that our lookups must map completely.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { randomBytes } from '../../src/crypto/random.js';
import { generatePrivateKey, nodeIdOf, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { startDiscoveryV5 } from '../../src/discovery/v5-node.js';
import { freePort, GENESIS, GETH_NETWORK_ID, gethBinaries, type GethBinaries } from '../helpers/geth.js';

const bin = gethBinaries();
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

interface DiscoveryGeth {
  id: string;
  enode: string;
  child: ChildProcess;
}

/** A geth with discv5 on and discv4 off, on 127.0.0.1, seeded with `bootnode` (geth §5.3 recipe). */
async function startDiscoveryGeth(b: GethBinaries, bootnode?: string): Promise<DiscoveryGeth> {
  const dir = mkdtempSync(join(tmpdir(), 'rlpx-v5geth-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'genesis.json'), JSON.stringify(GENESIS));
  execFileSync(b.geth, ['init', '--datadir', join(dir, 'data'), join(dir, 'genesis.json')], { stdio: 'pipe' });
  const key = generatePrivateKey();
  const [port, authPort] = [await freePort(), await freePort()];
  const child = spawn(
    b.geth,
    [
      '--datadir', join(dir, 'data'),
      '--networkid', String(GETH_NETWORK_ID),
      '--nodekeyhex', bytesToHex(key),
      '--port', String(port),
      '--nat', 'none',
      '--netrestrict', '127.0.0.0/8',
      '--discovery.dns=',
      '--discovery.v4=false',
      '--discovery.v5',
      ...(bootnode ? ['--bootnodes', bootnode] : []),
      '--authrpc.port', String(authPort),
      '--ipcdisable',
      '--maxpeers', '10',
      '--verbosity', '2',
    ],
    { stdio: 'ignore' },
  );
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  );
  const pub = publicKeyOf(key);
  return { id: bytesToHex(nodeIdOf(pub)), enode: `enode://${bytesToHex(pub)}@127.0.0.1:${port}`, child };
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
    const first = await startDiscoveryGeth(bin!);
    const rest = await Promise.all(Array.from({ length: 3 }, () => startDiscoveryGeth(bin!, first.enode)));
    const want = new Set([first, ...rest].map((g) => g.id));
    const node = await startDiscoveryV5({ privateKey: generatePrivateKey(), host: '127.0.0.1', bootnodes: [first.enode] });
    cleanups.push(() => node.close());
    const seen = new Set<string>();
    const missing = (): string[] => [...want].filter((id) => !seen.has(id));
    // geth needs some seconds to start and to learn its peers; lookups are retried, bounded.
    const deadline = Date.now() + 90_000;
    while (missing().length > 0 && Date.now() < deadline) {
      await node.lookup(randomBytes(32), { onFound: (n) => seen.add(bytesToHex(n.id)) }).catch(() => undefined);
      // Lookups start from the table, and report only what is new to them.
      for (const n of node.table.nodes()) seen.add(bytesToHex(n.id));
      if (missing().length > 0) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(missing()).toEqual([]);
    // Each serves its own record, with geth's `eth` entry, and answers a ping.
    for (const g of [first, ...rest]) {
      const enr = await node.requestEnr(g.enode);
      expect(bytesToHex(enr.nodeId)).toBe(g.id);
      expect(enr.eth).toBeDefined();
      expect((await node.ping(enr)).ip).toBe('127.0.0.1');
    }
  }, 150_000);
});
