/**
 * A child of bench/discv4-sim.ts: `count` of our discv4 nodes on one 127.0.0.x, each on its own
 * UDP port. Prints each node's enode, then reads the whole network (one enode per line, then a
 * blank line) on stdin and fills every table with it, as a long-lived network would have, and
 * prints "ready". On "stats" it prints the datagrams its nodes received; it exits on stdin end.
 */
import { createInterface } from 'node:readline';
import { generatePrivateKey } from '../src/crypto/secp256k1.js';
import { parseBootnode, startDiscoveryV4, type DiscoveryV4 } from '../src/discovery/v4-discovery.js';

const [host = '127.0.0.2', countText = '250'] = process.argv.slice(2);
const nodes: DiscoveryV4[] = [];
for (let i = 0; i < Number(countText); i++) {
  nodes.push(await startDiscoveryV4({ privateKey: generatePrivateKey(), host, revalidateIntervalMs: 0, refreshIntervalMs: 0, limits: { packetsPerSecond: 1000, packetBurst: 1000 } }));
}
for (const n of nodes) process.stdout.write(`${n.enode}\n`);
const all: string[] = [];
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (line === 'stats') {
    let received = 0;
    for (const n of nodes) for (const v of Object.values(n.counters.received)) received += v;
    process.stdout.write(`stats ${JSON.stringify({ received })}\n`);
    return;
  }
  if (line !== '') {
    all.push(line);
    return;
  }
  const network = all.map((e) => parseBootnode(e));
  for (const n of nodes) for (const other of network) n.table.add(other, { live: true });
  process.stdout.write('ready\n');
});
rl.on('close', () => {
  void Promise.all(nodes.map((n) => n.close())).then(() => process.exit(0));
});
