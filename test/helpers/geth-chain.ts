/**
 * A real geth with a chain: go-ethereum's own eth test chain (cmd/devp2p/internal/ethtest/
 * testdata in the v1.17.5 module that scripts/build-geth.sh downloads): 600 blocks, every
 * block fork at 0, Shanghai at time 0, Cancun at 60, Prague at 120, head time 6000.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { Cli } from './cli.js';
import { Resources } from './loopback.js';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { startGeth, type GethBinaries, type GethNode, type GethOptions } from './geth.js';

export const ETHTEST_NETWORK_ID = 3503995874084926;
export const ETHTEST_BLOCKS = 600;

/** The ethtest genesis.json and chain.rlp, from the Go module cache. */
export function ethtestData(): { genesis: string; chain: string } {
  // Found as scripts/build-geth.sh finds Go: also outside PATH, and without HOME (as in CI).
  const home = process.env['HOME'] ?? homedir();
  const env = { ...process.env, HOME: home, PATH: [process.env['PATH'], '/usr/local/go/bin', join(home, 'go/bin')].filter(Boolean).join(delimiter) };
  const cache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8', env }).trim();
  const dir = join(cache, 'github.com/ethereum/go-ethereum@v1.17.5/cmd/devp2p/internal/ethtest/testdata');
  const files = { genesis: join(dir, 'genesis.json'), chain: join(dir, 'chain.rlp') };
  if (!existsSync(files.genesis) || !existsSync(files.chain)) throw new Error(`the eth test chain is missing from ${dir}: run scripts/build-geth.sh`);
  return files;
}

/** geth initialised with the ethtest genesis and its 600 blocks imported, started offline. */
export function startChainGeth(bin: GethBinaries, options: GethOptions = {}): Promise<GethNode> {
  const data = ethtestData();
  return startGeth(bin, { genesis: data.genesis, networkId: ETHTEST_NETWORK_ID, importChain: data.chain, ...options });
}

/**
 * One geth for a test file, started before its first test and stopped after its last, and a
 * Cli and Resources that are cleaned up after each test.
 */
export function gethPerFile(start: () => Promise<GethNode>): { geth: () => GethNode; cli: Cli; res: Resources } {
  let geth: GethNode | undefined;
  const cli = new Cli();
  const res = new Resources();
  beforeAll(async () => void (geth = await start()), 120_000);
  afterEach(async () => {
    await cli.killAll();
    await res.closeAll();
  });
  afterAll(() => geth?.stop());
  return { geth: () => geth!, cli, res };
}

/** What geth says about its eth protocol: network, genesis and (current) head. */
export interface GethEthInfo {
  network: number;
  genesis: string;
  head: string;
}

export async function gethEthInfo(geth: GethNode): Promise<GethEthInfo> {
  const info = await geth.rpc<{ protocols: { eth: GethEthInfo } }>('admin_nodeInfo');
  return info.protocols.eth;
}

/** A block as geth's eth_getBlockByNumber gives it (the fields the tests read). */
export interface GethBlock {
  number: string;
  hash: string;
  timestamp: string;
}

export function gethHead(geth: GethNode): Promise<GethBlock> {
  return geth.rpc<GethBlock>('eth_getBlockByNumber', ['latest', false]);
}
