/**
 * go-ethereum's own eth conformance suite (`devp2p rlpx eth-test`, the one hive runs against
 * every client) against `rlpx listen --serve`, loaded with the suite's chain: chain.rlp and
 * genesis.json from the suite's testdata, receipts from a geth that imported that chain.
 * Then that geth, as a client of ours, peers with our serving node and stays connected.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gethBinaries, type GethNode } from '../helpers/geth.js';
import { ethtestData, gethPerFile, startChainGeth } from '../helpers/geth-chain.js';
import { sleep } from '../helpers/loopback.js';
import { servedChainDir } from '../helpers/served-chain.js';

const bin = gethBinaries();

/** The 13 tests a serving node must pass; the 7 others need a transaction pool and an engine API. */
const SERVING = [
  'Status',
  'MaliciousHandshake',
  'BlockRangeUpdateExpired',
  'BlockRangeUpdateFuture',
  'BlockRangeUpdateInvalid',
  'GetBlockHeaders',
  'GetNonexistentBlockHeaders',
  'SimultaneousRequests',
  'SameRequestID',
  'ZeroRequestID',
  'GetBlockBodies',
  'GetReceipts',
  'GetLargeReceipts',
];
const TRANSACTIONS = ['LargeTxRequest', 'Transaction', 'InvalidTxs', 'NewPooledTxs', 'BlobViolations', 'TestBlobTxWithoutSidecar', 'TestBlobTxWithMismatchedSidecar'];

/** `devp2p rlpx eth-test --tap` against `enode`: each test's name and whether it passed. */
function ethTest(enode: string, run?: string): Promise<{ results: Map<string, boolean>; output: string }> {
  const args = ['rlpx', 'eth-test', '--chain', ethtestData().genesis.replace(/\/genesis\.json$/, ''), '--node', enode, '--engineapi', 'http://127.0.0.1:1', '--jwtsecret', '0'.repeat(64), '--tap'];
  if (run) args.push('--run', run);
  return new Promise((resolve) => {
    execFile(bin!.devp2p, args, { timeout: 240_000, maxBuffer: 64 << 20 }, (_err, stdout, stderr) => {
      const results = new Map<string, boolean>();
      for (const m of stdout.matchAll(/^(ok|not ok) \d+ (\S+)/gm)) results.set(m[2]!, m[1] === 'ok');
      resolve({ results, output: stdout + stderr });
    });
  });
}

describe.skipIf(!bin)('geth eth-test suite against rlpx listen --serve', () => {
  const { geth: gethNode, cli } = gethPerFile(() => startChainGeth(bin!));
  let geth: GethNode;
  let served: Awaited<ReturnType<typeof servedChainDir>>;

  beforeAll(async () => {
    geth = gethNode();
    served = await servedChainDir(geth);
  }, 120_000);
  afterAll(() => served?.cleanup());

  /** Our serving node; its enode. */
  const serve = async (extra: string[] = []): Promise<string> => {
    const node = cli.spawn(['listen', '--port', '0', '--serve', served.dir, '--genesis', served.genesis, ...extra], { timeout: 280_000 });
    const enode = await node.waitForLine((l) => l.startsWith('enode://'), 20_000, 'our enode');
    await node.waitForLine((l) => l.startsWith('serving'), 20_000, 'the serving line');
    return enode;
  };

  it('passes every serving test; the transaction tests fail, as they need a pool and an engine API', async () => {
    const enode = await serve();
    const { results, output } = await ethTest(enode);
    const passed = [...results].filter(([, ok]) => ok).map(([name]) => name);
    expect(passed, output).toEqual(SERVING);
    expect([...results.keys()].sort(), output).toEqual([...SERVING, ...TRANSACTIONS].sort());
  }, 280_000);

  it('geth (with the same chain) peers with our serving node and stays connected', async () => {
    const enode = await serve();
    const id = enode.slice('enode://'.length, enode.indexOf('@'));
    await geth.rpc('admin_addPeer', [enode]);
    const ethPeer = async (): Promise<unknown> => {
      const peers = await geth.rpc<Array<{ id: string; enode: string; protocols: Record<string, unknown> }>>('admin_peers');
      return peers.find((p) => p.enode.includes(id))?.protocols['eth'];
    };
    let eth: unknown;
    for (let i = 0; i < 50 && typeof eth !== 'object'; i++) {
      eth = await ethPeer();
      await sleep(100);
    }
    expect(eth, geth.logs().slice(-3000)).toMatchObject({ version: 72 });
    await sleep(5_000);
    expect(await ethPeer(), geth.logs().slice(-3000)).toMatchObject({ version: 72 });
    await geth.rpc('admin_removePeer', [enode]);
  }, 60_000);
});

