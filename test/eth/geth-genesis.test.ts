/**
 * A geth with the small custom genesis of test/helpers/geth.ts (no blocks): our genesis hash
 * of that file equals geth's, and a chain with another genesis on the same network is
 * reported, by the library and by `rlpx ping`, as a genesis mismatch.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import { StatusError } from '../../src/eth/status.js';
import { chainFromGenesis, genesisHashOf } from '../../src/eth/genesis.js';
import { ethStatusResponder } from '../../src/eth/protocol.js';
import { dial } from '../../src/peer/dial.js';
import { lastJson } from '../helpers/cli.js';
import { GENESIS, GETH_NETWORK_ID, gethBinaries, startGeth, type GethNode } from '../helpers/geth.js';
import { gethEthInfo, gethPerFile } from '../helpers/geth-chain.js';
import { within } from '../helpers/loopback.js';

const bin = gethBinaries();
const hex = (b: Uint8Array): string => `0x${bytesToHex(b)}`;
/** The same network and forks, another genesis block. */
const OTHER = { ...GENESIS, extraData: '0x6f74686572' };

describe.skipIf(!bin)('eth with a geth on a custom genesis', () => {
  const { geth: gethNode, cli, res } = gethPerFile(() => startGeth(bin!));
  let geth: GethNode;
  beforeAll(() => void (geth = gethNode()));

  it("our hash of the helper's genesis is geth's", async () => {
    expect((await gethEthInfo(geth)).genesis).toBe(hex(genesisHashOf(GENESIS)));
  });

  it('the library: a StatusError "genesis" that still carries the remote Status', async () => {
    const chain = chainFromGenesis(JSON.stringify(OTHER));
    expect(chain.networkId).toBe(BigInt(GETH_NETWORK_ID));
    const eth = ethStatusResponder({ chain, statusDelay: 250 });
    const peer = res.peer(await dial(geth.enode, { privateKey: generatePrivateKey(), protocols: eth.protocols, pingInterval: 0 }));
    const err = await within(eth.status(peer).then(() => undefined, (e: unknown) => e), 5_000, 'status');
    expect(err).toBeInstanceOf(StatusError);
    expect(err).toMatchObject({ check: 'genesis', reason: 0x10, fork: { verdict: 'incompatible' } });
    expect(hex((err as StatusError).status!.genesisHash)).toBe(hex(genesisHashOf(GENESIS)));
    // Whoever notices first closes: we with 0x10, or geth, which checks our Status the same way.
    const info = await within(peer.closed, 5_000, 'close');
    expect(info.reason).toBe(0x10);
  });

  it('rlpx ping --genesis with the other file: exit 1, a genesis mismatch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlpx-genesis-'));
    res.add(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'other.json'), JSON.stringify(OTHER));
    const r = await cli.run(['ping', geth.enode, '--genesis', join(dir, 'other.json'), '--json', '--count', '1'], { timeout: 15_000 });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const j = lastJson<{ ok: boolean; eth: Record<string, unknown>; error: string }>(r.stdout);
    expect(j.ok).toBe(false);
    expect(j.eth).toMatchObject({ networkId: GETH_NETWORK_ID, genesis: hex(genesisHashOf(GENESIS)), latestBlock: 0, fork: 'incompatible' });
    expect(j.error).toMatch(/^eth status: genesis 0x[0-9a-f]{64} != 0x[0-9a-f]{64}/);
  });
});
