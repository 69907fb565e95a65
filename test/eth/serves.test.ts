/**
 * The "serves" health check: after the Status the probe asks for the header of the latest
 * block the node announces. Against geth with the ethtest chain it serves; against a geth
 * frozen with SIGSTOP right after its Status it does not (no answer in time); against a node
 * that answers with a header of another hash it does not. The exporter's metric and
 * `rlpx ping --eth --json` (exit code) agree with each.
 */
import { describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import { EMPTY_OMMERS_HASH, makeHeader } from '../../src/eth/header.js';
import { readGenesisFile } from '../../src/eth/genesis.js';
import { ethStatusResponder } from '../../src/eth/protocol.js';
import { listen } from '../../src/peer/server.js';
import { probeRegistry } from '../../src/probe/metrics.js';
import { probe, type ProbeResult, type ProbeSettings } from '../../src/probe/probe.js';
import { lastJson, parseMetrics, sampleValue } from '../helpers/cli.js';
import { gethBinaries } from '../helpers/geth.js';
import { ethtestData, gethPerFile, startChainGeth } from '../helpers/geth-chain.js';

const bin = gethBinaries();

const settings = (over: Partial<ProbeSettings> = {}): ProbeSettings => ({
  privateKey: generatePrivateKey(), count: 1, interval: 10, timeout: 1500, deadline: 8000, health: 'geth', requireEth: true, fullOk: false, ...over,
});

async function servesMetric(r: ProbeResult): Promise<number | undefined> {
  return sampleValue(parseMetrics(await probeRegistry(r).metrics()).samples, 'rlpx_probe_eth_serves');
}
async function phaseMetric(r: ProbeResult, phase: string): Promise<number | undefined> {
  return sampleValue(parseMetrics(await probeRegistry(r).metrics()).samples, 'rlpx_probe_phase_duration_seconds', { phase });
}

describe.skipIf(!bin)('serves, against geth with the ethtest chain', () => {
  const { geth, cli, res } = gethPerFile(() => startChainGeth(bin!));

  it('geth serves its head: serves true, a timed headers phase, metric 1, ping exit 0', async () => {
    const r = await probe(geth().enode, settings());
    expect(r.success, r.log.join('\n')).toBe(true);
    expect(r.eth).toMatchObject({ latestBlock: 600, serves: true, servesReason: null });
    expect(r.phases.headers).toBeGreaterThan(0);
    expect(await servesMetric(r)).toBe(1);
    expect(await phaseMetric(r, 'headers')).toBeGreaterThan(0);
    const c = await cli.run(['ping', geth().enode, '--eth', '--json', '--count', '1'], { timeout: 15_000 });
    expect(c.code, c.stdout + c.stderr).toBe(0);
    expect(lastJson<{ eth: { serves: boolean } }>(c.stdout).eth.serves).toBe(true);
  });

  it('a geth frozen (SIGSTOP) after its Status: serves false with a timeout, metric 0', async () => {
    let frozen = false;
    // The default deadline (8 s): the header request's 1.5 s timeout must be what ends the
    // check, not a deadline that a slow handshake under the whole suite's load has used up.
    const r = await probe(geth().enode, settings({
      onSession: () => {
        geth().signal('SIGSTOP');
        frozen = true;
      },
    }));
    geth().signal('SIGCONT');
    expect(frozen).toBe(true);
    expect(r.success, r.log.join("\n")).toBe(false);
    expect(r.eth).toMatchObject({ serves: false, servesReason: 'no answer within 1500 ms' });
    expect(r.phases.headers).toBeGreaterThanOrEqual(1400);
    expect(await servesMetric(r)).toBe(0);
    void res;
  }, 20_000);
});

describe('serves, against a node that answers with another header', () => {
  it('serves false (mismatch), metric 0, ping exit 1', async () => {
    const chain = readGenesisFile(ethtestData().genesis);
    const other = makeHeader({
      parentHash: new Uint8Array(32).fill(1), ommersHash: EMPTY_OMMERS_HASH, coinbase: new Uint8Array(20), stateRoot: new Uint8Array(32), transactionsRoot: new Uint8Array(32),
      receiptsRoot: new Uint8Array(32), logsBloom: new Uint8Array(256), difficulty: 0n, number: 600n, gasLimit: 1n, gasUsed: 0n, timestamp: 6000n, extraData: new Uint8Array(0),
      mixHash: new Uint8Array(32), nonce: new Uint8Array(8),
    });
    // It announces block 600 with hash 0x22…, and serves a header of another hash for it.
    const eth = ethStatusResponder({
      chain,
      head: () => ({ earliestBlock: 0n, latestBlock: 600n, latestBlockHash: new Uint8Array(32).fill(0x22), time: 6000n }),
      answer: (_peer, req) => (req.name === 'GetBlockHeaders' ? { requestId: 0n, headers: [other] } : undefined),
    });
    const server = await listen({ privateKey: generatePrivateKey(), port: 0, protocols: eth.protocols, pingInterval: 0 });
    try {
      const r = await probe(server.enode, settings({ chain }));
      expect(r.success).toBe(false);
      expect(r.eth?.serves).toBe(false);
      expect(r.eth?.servesReason).toMatch(/header hash 0x[0-9a-f]+ != 0x2222/);
      expect(r.error).toMatch(/does not serve its own head/);
      expect(await servesMetric(r)).toBe(0);
      const { Cli } = await import('../helpers/cli.js');
      const cli = new Cli();
      const c = await cli.run(['ping', server.enode, '--genesis', ethtestData().genesis, '--json', '--count', '1'], { timeout: 15_000 });
      expect(c.code, c.stdout + c.stderr).toBe(1);
      expect(lastJson<{ eth: { serves: boolean } }>(c.stdout).eth.serves).toBe(false);
      await cli.killAll();
    } finally {
      await server.close();
    }
  }, 30_000);
});
