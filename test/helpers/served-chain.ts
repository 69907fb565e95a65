/**
 * The ethtest chain as `rlpx listen --serve` reads it: chain.rlp from the suite's testdata
 * (go-ethereum's module cache), and receipts.rlp fetched with `rlpx fetch --receipts` from a
 * geth that imported that chain (every list verified against its header on the way).
 */
import { mkdtempSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cli } from './cli.js';
import type { GethNode } from './geth.js';
import { ethtestData } from './geth-chain.js';

/** A directory with chain.rlp (linked) and receipts.rlp for blocks 1..head, from `geth`. */
export async function servedChainDir(geth: GethNode): Promise<{ dir: string; genesis: string; cleanup(): void }> {
  const data = ethtestData();
  const dir = mkdtempSync(join(tmpdir(), 'rlpx-served-'));
  const fetched = join(dir, 'fetched');
  const cli = new Cli();
  try {
    const r = await cli.run(['fetch', geth.enode, '--out', fetched, '--receipts', '--genesis', data.genesis, '--json'], { timeout: 120_000 });
    if (r.code !== 0) throw new Error(`rlpx fetch failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  } finally {
    await cli.killAll();
  }
  renameSync(join(fetched, 'receipts.rlp'), join(dir, 'receipts.rlp'));
  rmSync(fetched, { recursive: true, force: true });
  symlinkSync(data.chain, join(dir, 'chain.rlp'));
  return { dir, genesis: data.genesis, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
