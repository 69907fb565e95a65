/**
 * `rlpx listen --discovery v4` as a user runs it: discv4 on the listen port's number, answering
 * our own discv4 node (PING, ENRREQUEST after the bond) with a record of the same ports.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import { makeNode } from '../../src/discovery/node.js';
import { startDiscoveryV4, type DiscoveryV4 } from '../../src/discovery/v4-discovery.js';
import { parseEnode } from '../../src/peer/enode.js';
import { cliSuite, expectExit } from '../helpers/cli-suite.js';

const { cli } = cliSuite();
let ours: DiscoveryV4 | undefined;
afterEach(async () => {
  await ours?.close();
  ours = undefined;
});

describe('rlpx listen --discovery v4', () => {
  it('serves discv4 on the TCP port number; the record has ip, tcp and udp; bootnodes join', async () => {
    ours = await startDiscoveryV4({ privateKey: generatePrivateKey(), host: '127.0.0.1', revalidateIntervalMs: 0, refreshIntervalMs: 0 });
    const child = cli.spawn(['listen', '--port', '0', '--discovery', 'v4', '--bootnodes', ours.enode], { timeout: 20_000 });
    const enode = parseEnode(await child.waitForLine(() => true, 8_000, 'the first line'));
    const disc = await child.waitForLine((l) => l.startsWith('discovery'), 3_000, 'the discovery line');
    expect(disc).toContain(`udp ${enode.port}`);
    const them = makeNode(enode.id, enode.host, enode.port, enode.port);
    expect((await ours.ping(them)).enrSeq).toBeGreaterThan(0n);
    const enr = await ours.requestEnr(them);
    expect(enr).toMatchObject({ ip: '127.0.0.1', tcp: enode.port, udp: enode.port });
    expect(enr.eth).toBeUndefined(); // no chain
    // Its self lookup went to its bootnode (us) and it answered our ping-back: it is in our table.
    const id = makeNode(enode.id, enode.host, enode.port, 0).id;
    for (let i = 0; i < 100 && !ours.table.has(id); i++) await new Promise((r) => setTimeout(r, 50));
    expect(ours.table.has(id)).toBe(true);
    child.kill('SIGTERM');
    const r = await child.exited;
    expectExit(r, 0);
    expect(r.stderr).toBe('');
  }, 30_000);

  it('refuses an unknown protocol and bootnodes without discovery', async () => {
    const a = await cli.run(['listen', '--port', '0', '--discovery', 'v9'], { timeout: 10_000 });
    expect(a.code).not.toBe(0);
    expect(a.stderr).toContain('only "v4"');
    const b = await cli.run(['listen', '--port', '0', '--bootnodes', 'enode://x'], { timeout: 10_000 });
    expect(b.code).not.toBe(0);
    expect(b.stderr).toContain('--bootnodes needs --discovery v4');
  }, 20_000);
});
