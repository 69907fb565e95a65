/**
 * rlpx fetch against a geth with the ethtest chain: 600 blocks and their receipts, every item
 * verified; our chain.rlp is byte for byte the chain geth imported, `geth import` of it into a
 * fresh datadir reaches the same head hash, and every receipts-file entry verifies against
 * its header.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { decodeBlocks } from '../../src/eth/block.js';
import { readReceiptsFile } from '../../src/eth/receipts-file.js';
import { verifyReceipts } from '../../src/eth/verify.js';
import { lastJson } from '../helpers/cli.js';
import { gethBinaries, startGeth } from '../helpers/geth.js';
import { ETHTEST_BLOCKS, ETHTEST_NETWORK_ID, ethtestData, gethHead, gethPerFile, startChainGeth } from '../helpers/geth-chain.js';

const bin = gethBinaries();

describe.skipIf(!bin)('rlpx fetch from geth with the ethtest chain', () => {
  const { geth, cli, res } = gethPerFile(() => startChainGeth(bin!));

  it('all blocks and receipts, verified; geth imports our chain.rlp to the same head', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlpx-fetch-'));
    res.add(() => rmSync(dir, { recursive: true, force: true }));
    const r = await cli.run(['fetch', geth().enode, '--out', dir, '--receipts', '--genesis', ethtestData().genesis, '--json'], { timeout: 90_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const head = await gethHead(geth());
    const j = lastJson<Record<string, unknown>>(r.stdout);
    expect(j).toMatchObject({ ok: true, from: 1, to: ETHTEST_BLOCKS, blocks: ETHTEST_BLOCKS, head: { number: ETHTEST_BLOCKS, hash: head.hash }, error: null });
    expect(j['receipts']).toBe(j['transactions']);

    // The same bytes as the chain geth imported (both are geth's export format).
    const ours = readFileSync(join(dir, 'chain.rlp'));
    expect(ours.equals(readFileSync(ethtestData().chain))).toBe(true);
    const blocks = [...decodeBlocks(ours)];
    const entries = [...readReceiptsFile(readFileSync(join(dir, 'receipts.rlp')))];
    expect(entries).toHaveLength(ETHTEST_BLOCKS);
    entries.forEach((e, i) => {
      const h = blocks[i]!.header;
      expect([e.number, bytesToHex(e.hash)]).toEqual([h.number, bytesToHex(h.hash)]);
      verifyReceipts(h, e.receipts);
    });

    // geth import of our file into a fresh datadir.
    const fresh = await startGeth(bin!, { genesis: ethtestData().genesis, networkId: ETHTEST_NETWORK_ID, importChain: join(dir, 'chain.rlp') });
    try {
      expect((await gethHead(fresh)).hash).toBe(head.hash);
    } finally {
      await fresh.stop();
    }
  }, 150_000);

  it('a range, without receipts; a range past the head: exit 1, said why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlpx-fetch-'));
    res.add(() => rmSync(dir, { recursive: true, force: true }));
    const r = await cli.run(['fetch', geth().enode, '--out', dir, '--from', '10', '--to', '20', '--json'], { timeout: 30_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(lastJson(r.stdout)).toMatchObject({ ok: true, from: 10, to: 20, blocks: 11, receipts: null, files: { receipts: null } });
    expect([...decodeBlocks(readFileSync(join(dir, 'chain.rlp')))].map((b) => Number(b.header.number))).toEqual(Array.from({ length: 11 }, (_, i) => 10 + i));
    const past = await cli.run(['fetch', geth().enode, '--out', dir, '--from', '599', '--to', '700', '--json'], { timeout: 30_000 });
    expect(past.code).toBe(1);
    expect(lastJson(past.stdout)).toMatchObject({ ok: false, blocks: 2, error: 'eth response: the peer has no block 601' });
  }, 60_000);
});
