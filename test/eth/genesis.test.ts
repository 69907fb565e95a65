/**
 * Genesis hashes as geth computes them. The trie is checked with the Yellow Paper-era trie
 * vectors (ethereum/tests TrieTests, facts); genesis hashes against `geth init` itself, for
 * genesis files that take each of the header's fork-dependent paths. (The full hashes of the
 * ethtest genesis and of the helper's genesis are checked against admin_nodeInfo in
 * geth-chain.test.ts and geth-genesis.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { GenesisError } from '../../src/eth/errors.js';
import { chainFromGenesis, genesisHashOf } from '../../src/eth/genesis.js';
import { EMPTY_TRIE_ROOT, trieRoot } from '../../src/eth/trie.js';
import { GENESIS, gethBinaries } from '../helpers/geth.js';
import { ethtestData } from '../helpers/geth-chain.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const trie = (pairs: Array<[string, string]>): string => bytesToHex(trieRoot(pairs.map(([k, v]) => [utf8(k), utf8(v)])));

describe('trieRoot', () => {
  it('matches the ethereum/tests trie vectors', () => {
    expect(bytesToHex(EMPTY_TRIE_ROOT)).toBe('56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421');
    expect(trie([['do', 'verb'], ['dog', 'puppy'], ['doge', 'coin'], ['horse', 'stallion']])).toBe('5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84');
    // Insertion order does not matter; the last value of a key wins.
    expect(trie([['horse', 'stallion'], ['doge', 'coin'], ['dog', 'x'], ['dog', 'puppy'], ['do', 'verb']])).toBe('5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84');
  });
});

describe('chainFromGenesis', () => {
  it('takes an explicit network id and hash, and refuses what is not a genesis', () => {
    const c = chainFromGenesis(JSON.stringify(GENESIS), { networkId: 7n, genesisHash: new Uint8Array(32).fill(1) });
    expect(c).toMatchObject({ networkId: 7n, genesisHash: new Uint8Array(32).fill(1) });
    for (const bad of ['{', '[]', '{"alloc":{}}', JSON.stringify({ ...GENESIS, gasLimit: 'lots' }), JSON.stringify({ config: { chainId: 1.5 } })]) {
      expect(() => chainFromGenesis(bad)).toThrow(GenesisError);
    }
    expect(() => chainFromGenesis(JSON.stringify({ ...GENESIS, config: { ...GENESIS.config, amsterdamTime: 0 } }))).toThrow(/explicitly/);
  });
});

const bin = gethBinaries();

describe.skipIf(!bin)('genesis hashes against geth init', () => {
  // The eth test chain comes with the go-ethereum module that the geth build downloads.
  it('reads the ethtest genesis: chain id, forks, and the hash geth computes (as admin_nodeInfo says)', () => {
    const c = chainFromGenesis(readFileSync(ethtestData().genesis, 'utf8'));
    expect(c.networkId).toBe(3503995874084926n);
    expect(c.forkTimes).toEqual([0n, 60n, 120n]);
    expect(c.forkBlocks.every((b) => b === 0n)).toBe(true);
    expect(bytesToHex(c.genesisHash)).toBe('bd6a252af394d80904c5993b859574bd4669642cea00a116970ec7887db67533');
  });

  const storage = { '0x01': '0x2a', '0x0000000000000000000000000000000000000000000000000000000000000002': '0x00', '0x03': '0x0100' };
  const alloc = {
    '0x00000000000000000000000000000000000000aa': { balance: '1000000000000000000', code: '0x6001600055', storage, nonce: '0x3' },
    '00000000000000000000000000000000000000bb': { balance: '0x0' },
    '0x71562b71999873db5b286df957af199ec94617f7': { balance: '0xde0b6b3a7640000' },
  };
  const variants: Record<string, object> = {
    'Prague and Cancun at genesis, storage, code, nonces': {
      ...GENESIS,
      config: { ...GENESIS.config, cancunTime: 0, pragueTime: 0, blobSchedule: { cancun: { target: 3, max: 6, baseFeeUpdateFraction: 3338477 }, prague: { target: 6, max: 9, baseFeeUpdateFraction: 5007716 } } },
      alloc,
      timestamp: '0x10',
      extraData: '0x1234',
    },
    'pre-London: no base fee, a zero gas limit taking geth default': {
      config: { chainId: 99, homesteadBlock: 0, eip150Block: 0, ethash: {} },
      gasLimit: '0x0',
      difficulty: '0x400',
      alloc,
      nonce: '0x42',
    },
    'London but not Shanghai, default base fee': {
      config: { chainId: 5, homesteadBlock: 0, eip150Block: 0, eip155Block: 0, eip158Block: 0, byzantiumBlock: 0, constantinopleBlock: 0, petersburgBlock: 0, istanbulBlock: 0, berlinBlock: 0, londonBlock: 0, terminalTotalDifficulty: 0 },
      difficulty: '0x1',
      gasLimit: 30000000,
      alloc: {},
    },
  };
  for (const [what, genesis] of Object.entries(variants)) {
    it(what, () => {
      const dir = mkdtempSync(join(tmpdir(), 'rlpx-genesis-'));
      try {
        writeFileSync(join(dir, 'genesis.json'), JSON.stringify(genesis));
        const run = spawnSync(bin!.geth, ['init', '--datadir', join(dir, 'data'), join(dir, 'genesis.json')], { encoding: 'utf8', timeout: 30_000 });
        const log = run.stdout + run.stderr;
        expect(run.status, log).toBe(0);
        const ours = bytesToHex(genesisHashOf(genesis as Record<string, unknown>));
        // geth prints the hash shortened: the first and last 6 hex digits.
        const printed = /Successfully wrote genesis state.*hash=([0-9a-f]{6})\.\.([0-9a-f]{6})/.exec(log);
        expect(printed, log).not.toBeNull();
        expect(`${ours.slice(0, 6)}..${ours.slice(-6)}`).toBe(`${printed![1]}..${printed![2]}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
