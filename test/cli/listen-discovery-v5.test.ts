/**
 * `rlpx listen --discovery v5` and `--discovery v4,v5` as a user runs them: discv5 (and discv4)
 * on the listen port's number, one UDP socket, answering our own discv5 and discv4 nodes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import { decodeEnr } from '../../src/discovery/enr.js';
import { makeNode } from '../../src/discovery/node.js';
import { startDiscoveryV4, type DiscoveryV4 } from '../../src/discovery/v4-discovery.js';
import { startDiscoveryV5, type DiscoveryV5 } from '../../src/discovery/v5-node.js';
import { parseEnode } from '../../src/peer/enode.js';
import { cliSuite, expectExit } from '../helpers/cli-suite.js';

const { cli } = cliSuite();
const nodes: (DiscoveryV4 | DiscoveryV5)[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

describe('rlpx listen --discovery v5 | v4,v5', () => {
  it('v5: serves discv5 on the TCP port number and joins by its bootnode', async () => {
    const ours = await startDiscoveryV5({ privateKey: generatePrivateKey(), host: '127.0.0.1', refreshIntervalMs: 0 });
    nodes.push(ours);
    const child = cli.spawn(['listen', '--port', '0', '--discovery', 'v5', '--bootnodes', ours.enr.toText()], { timeout: 20_000 });
    const enode = parseEnode(await child.waitForLine(() => true, 8_000, 'the first line'));
    const line = await child.waitForLine((l) => l.startsWith('discovery'), 3_000, 'the discovery line');
    expect(line).toContain(`v5 on udp ${enode.port}`);
    const enr = decodeEnr(line.split(' ').pop()!);
    expect(enr).toMatchObject({ ip: '127.0.0.1', tcp: enode.port, udp: enode.port });
    expect((await ours.ping(enr)).port).toBe(ours.address.port);
    expect((await ours.requestEnr(enr)).seq).toBe(enr.seq);
    // Its refresh looked us up: it handshook with us and sent its record, so it is in our table.
    for (let i = 0; i < 100 && !ours.table.has(enr.nodeId); i++) await new Promise((r) => setTimeout(r, 50));
    expect(ours.table.has(enr.nodeId)).toBe(true);
    child.kill('SIGTERM');
    const r = await child.exited;
    expectExit(r, 0);
    expect(r.stderr).toBe('');
  }, 30_000);

  it('v4,v5: both protocols answer on the one UDP port, and serve one record', async () => {
    const c5 = await startDiscoveryV5({ privateKey: generatePrivateKey(), host: '127.0.0.1', refreshIntervalMs: 0 });
    const c4 = await startDiscoveryV4({ privateKey: generatePrivateKey(), host: '127.0.0.1', revalidateIntervalMs: 0, refreshIntervalMs: 0 });
    nodes.push(c5, c4);
    const child = cli.spawn(['listen', '--port', '0', '--discovery', 'v4,v5'], { timeout: 20_000 });
    const enode = parseEnode(await child.waitForLine(() => true, 8_000, 'the first line'));
    const v4line = await child.waitForLine((l) => l.startsWith('discovery    v4'), 3_000, 'the v4 line');
    const v5line = await child.waitForLine((l) => l.startsWith('discovery    v5'), 3_000, 'the v5 line');
    expect(v4line).toContain(`udp ${enode.port}`);
    expect(v5line).toContain(`udp ${enode.port}`);
    expect((await c5.ping(decodeEnr(v5line.split(' ').pop()!))).port).toBe(c5.address.port);
    const node = makeNode(enode.id, enode.host, enode.port, enode.port);
    expect((await c4.ping(node)).enrSeq).toBeGreaterThan(0n);
    // One record for both: ENRREQUEST over v4 and FINDNODE at distance 0 over v5 return the same bytes.
    const viaV4 = await c4.requestEnr(node);
    const viaV5 = await c5.requestEnr(decodeEnr(v5line.split(' ').pop()!));
    expect(viaV4.raw).toEqual(viaV5.raw);
    expect(viaV4.toText()).toBe(v4line.split(' ').pop());
    expect(v5line.split(' ').pop()).toBe(v4line.split(' ').pop());
    child.kill('SIGTERM');
    expectExit(await child.exited, 0);
  }, 30_000);

  it('refuses v6 and repeated protocols', async () => {
    for (const bad of ['v6', 'v5,v5', 'v4,v5,v4']) {
      const r = await cli.run(['listen', '--port', '0', '--discovery', bad], { timeout: 10_000 });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('only "v4", "v5" or "v4,v5"');
    }
  }, 30_000);
});
