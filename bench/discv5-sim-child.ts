/**
 * A child of bench/discv5-sim.ts: `count` of our nodes on one 127.0.0.x, each running discv4 and
 * discv5 on one UDP port with one table (as `rlpx listen --discovery v4,v5` and geth run them).
 * Prints each node's enode and record ("enode://… enr:…"), then reads the whole network (one such
 * line per node, then a blank line) on stdin and fills every table with it (each in its own random
 * order) as live nodes, records included, as a long-lived network would have, and prints "ready". On "stats" it prints the
 * datagrams its nodes received (both protocols); it exits on stdin end.
 */
import { createInterface } from 'node:readline';
import { generatePrivateKey } from '../src/crypto/secp256k1.js';
import { decodeEnr } from '../src/discovery/enr.js';
import { nodeFromEnr } from '../src/discovery/node.js';
import { UdpPort } from '../src/discovery/udp-port.js';
import { startDiscoveryV4, type DiscoveryV4 } from '../src/discovery/v4-discovery.js';
import { startDiscoveryV5, type DiscoveryV5 } from '../src/discovery/v5-node.js';

const [host = '127.0.0.2', countText = '250'] = process.argv.slice(2);

/**
 * A copy in random order. Buckets keep the first 16 nodes offered: the same order everywhere
 * would put the same few nodes in every table and leave the last ones in almost none, which a
 * network whose nodes met at random does not do.
 */
function shuffled<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
let received = 0;
const nodes: { v4: DiscoveryV4; v5: DiscoveryV5; udp: UdpPort }[] = [];
for (let i = 0; i < Number(countText); i++) {
  const udp = await UdpPort.bind({ host, port: 0 });
  // First in line and claiming nothing: it sees every datagram either protocol gets.
  udp.addHandler(() => {
    received++;
    return false;
  });
  const common = { privateKey: generatePrivateKey(), udp, revalidateIntervalMs: 0, refreshIntervalMs: 0 };
  const v4 = await startDiscoveryV4({ ...common, limits: { packetsPerSecond: 1000, packetBurst: 1000 } });
  const v5 = await startDiscoveryV5({ ...common, table: v4.table });
  nodes.push({ v4, v5, udp });
}
for (const n of nodes) process.stdout.write(`${n.v4.enode} ${n.v5.enr.toText()}\n`);
const all: string[] = [];
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (line === 'stats') {
    process.stdout.write(`stats ${JSON.stringify({ received })}\n`);
    return;
  }
  if (line !== '') {
    all.push(line);
    return;
  }
  const network = all.map((l) => nodeFromEnr(decodeEnr(l.split(' ')[1]!))!);
  // Known to speak both: the one table serves each protocol only the nodes proven over it.
  for (const n of nodes) {
    for (const other of shuffled(network)) {
      n.v4.table.add(other, { live: true, protocol: 'v4' });
      n.v4.table.add(other, { live: true, protocol: 'v5' });
    }
  }
  process.stdout.write('ready\n');
});
rl.on('close', () => {
  void Promise.all(nodes.map(async (n) => (await n.v5.close(), await n.v4.close(), await n.udp.close()))).then(() => process.exit(0));
});
