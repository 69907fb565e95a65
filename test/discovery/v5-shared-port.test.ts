/**
 * discv4 and discv5 on one UDP port, as geth runs them: discv4 claims its own datagrams by
 * their hash and passes the rest to discv5 (with one table and one record, startDiscovery). Each
 * protocol is served on the port, by our own peers and by geth's devp2p suite.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { randomBytes } from '../../src/crypto/random.js';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import { startDiscovery } from '../../src/discovery/discovery.js';
import { UdpPort } from '../../src/discovery/udp-port.js';
import { startDiscoveryV4 } from '../../src/discovery/v4-discovery.js';
import { startDiscoveryV5 } from '../../src/discovery/v5-node.js';
import { gethBinaries } from '../helpers/geth.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** Both protocols as listen runs them: one socket, one table, one record. */
async function sharedNode() {
  const disc = await startDiscovery({ protocols: { v4: true, v5: true }, privateKey: generatePrivateKey(), host: '127.0.0.1', refreshIntervalMs: 0 });
  closers.push(() => disc.close());
  return { udp: disc.udp, v4: disc.v4!, v5: disc.v5! };
}

describe('discv4 and discv5 sharing a UDP port', () => {
  it('both protocols answer on the one port, and garbage is counted once', async () => {
    const { udp, v4, v5 } = await sharedNode();
    expect(v5.address.port).toBe(v4.address.port);
    const c5 = await startDiscoveryV5({ privateKey: generatePrivateKey(), host: '127.0.0.1', refreshIntervalMs: 0 });
    closers.push(() => c5.close());
    const c4 = await startDiscoveryV4({ privateKey: generatePrivateKey(), host: '127.0.0.1', refreshIntervalMs: 0 });
    closers.push(() => c4.close());
    expect((await c5.ping(v5.enr)).port).toBe(c5.address.port);
    expect((await c5.requestEnr(v5.enr)).seq).toBe(v5.enr.seq);
    const node = { id: v4.id, publicKey: v4.publicKey, ip: '127.0.0.1', udp: udp.address.port, tcp: udp.address.port };
    expect((await c4.ping(node)).enrSeq).toBe(v4.enr.seq);
    const before = v5.counters['malformed-header'];
    const raw = await UdpPort.bind({ host: '127.0.0.1' });
    raw.send(randomBytes(100), { ip: '127.0.0.1', port: udp.address.port });
    for (let i = 0; i < 50 && v5.counters['malformed-header'] === before; i++) await new Promise((r) => setTimeout(r, 10));
    await raw.close();
    expect(v5.counters['malformed-header']).toBe(before + 1);
  });

  const bin = gethBinaries();
  it.skipIf(!bin)('devp2p discv5 test passes 7/7 against the shared port', async () => {
    const { v5 } = await sharedNode();
    const out = await new Promise<string>((resolve) => {
      const child = spawn(bin!.devp2p, ['discv5', 'test', '--listen1', '127.0.0.1', '--listen2', '127.0.0.2', v5.enr.toText()], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout!.on('data', (d) => (text += d));
      child.stderr!.on('data', (d) => (text += d));
      const t = setTimeout(() => child.kill('SIGKILL'), 150_000);
      child.on('close', () => (clearTimeout(t), resolve(text)));
    });
    expect(/\d+\/\d+ tests passed/.exec(out)?.[0], out.slice(-3000)).toBe('7/7 tests passed');
  }, 180_000);
});
