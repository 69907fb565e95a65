/**
 * `rlpx ping` eth options without geth: against our own listeners on loopback (with no eth,
 * and with eth on a chain), and the usage errors of --chain, --genesis and --network-id.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CHAINS } from '../../src/eth/chain.js';
import { ethStatusResponder } from '../../src/eth/protocol.js';
import { Cli, lastJson } from '../helpers/cli.js';
import { Resources, testServer } from '../helpers/loopback.js';

const cli = new Cli();
const res = new Resources();
afterEach(async () => {
  await cli.killAll();
  await res.closeAll();
});

describe('rlpx ping, eth', () => {
  it('a node without eth: "eth": null, and --eth makes that an error (exit 2)', async () => {
    const s = await testServer(res);
    const plain = await cli.run(['ping', s.enode, '--json', '--count', '1'], { timeout: 10_000 });
    expect(plain.code, plain.stderr).toBe(0);
    expect(lastJson(plain.stdout)).toMatchObject({ ok: true, eth: null });
    const strict = await cli.run(['ping', s.enode, '--json', '--eth', '--count', '1'], { timeout: 10_000 });
    expect(strict.code).toBe(2);
    expect(lastJson(strict.stdout)).toMatchObject({ eth: null, error: expect.stringMatching(/drop --eth/) });
  });

  it('--chain sepolia against a node on sepolia without its blocks: compatible, does not serve, exit 1; --chain holesky: exit 1', async () => {
    const sepolia = CHAINS['sepolia']!;
    const s = await testServer(res, { protocols: ethStatusResponder({ chain: sepolia }).protocols });
    const ok = await cli.run(['ping', s.enode, '--chain', 'sepolia', '--json', '--count', '1'], { timeout: 10_000 });
    expect(ok.code, ok.stdout + ok.stderr).toBe(1);
    expect(lastJson(ok.stdout)).toMatchObject({
      eth: { networkId: 11155111, latestBlock: 0, fork: 'compatible', serves: false, servesReason: 'an empty answer: the node does not have the block it announces' },
      error: expect.stringMatching(/does not serve its own head/),
      disconnect: { reason: 8, by: 'local' },
    });
    const other = await cli.run(['ping', s.enode, '--chain', 'holesky', '--json', '--count', '1'], { timeout: 10_000 });
    expect(other.code).toBe(1);
    expect(lastJson(other.stdout)).toMatchObject({ ok: false, eth: { networkId: 11155111, fork: 'incompatible' }, error: expect.stringMatching(/network 11155111 != 17000/) });
  });

  it('--json writes uint64s above 2^53 - 1 exactly, with all their digits', async () => {
    const networkId = (1n << 64n) - 1n;
    const latest = (1n << 63n) + 1n;
    const chain = { ...CHAINS['sepolia']!, networkId };
    const s = await testServer(res, { protocols: ethStatusResponder({ chain, head: () => ({ earliestBlock: 9007199254740993n, latestBlock: latest, latestBlockHash: new Uint8Array(32).fill(7), time: 0n }) }).protocols });
    const r = await cli.run(['ping', s.enode, '--json', '--eth', '--count', '1'], { timeout: 10_000 });
    const line = r.stdout.trimEnd().split('\n').pop()!;
    expect(line).toContain('"networkId":18446744073709551615,');
    expect(line).toContain('"earliestBlock":9007199254740993,"latestBlock":9223372036854775809,');
    expect(line).toContain('"genesis":"0x25a5cc10'); // numbers below 2^53 stay plain JSON numbers:
    expect(lastJson<{ eth: { version: number } }>(r.stdout).eth.version).toBe(72);
  });

  it('usage errors exit 2 with one line on stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlpx-ping-eth-'));
    res.add(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'bad.json'), '{"config": {"chainId": "one"}}');
    const enode = `enode://${'ab'.repeat(64)}@127.0.0.1:1`;
    for (const [args, msg] of [
      [['--chain', 'ropsten'], /unknown chain "ropsten"; known: mainnet, sepolia, holesky, hoodi/],
      [['--chain', 'mainnet', '--genesis', join(dir, 'bad.json')], /--chain or --genesis, not both/],
      [['--genesis', join(dir, 'bad.json')], /config\.chainId: "one" is not an integer/],
      [['--genesis', join(dir, 'missing.json')], /cannot read/],
      [['--network-id', '5'], /--network-id needs --chain or --genesis/],
    ] as const) {
      const r = await cli.run(['ping', enode, ...args], { timeout: 10_000 });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
