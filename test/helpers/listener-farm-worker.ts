/**
 * A child process holding many listening nodes for crawl tests and the crawl benchmark (see
 * listener-farm.ts): `node --import tsx listener-farm-worker.ts COUNT TAG`. It sends its
 * enodes over IPC, answers "stats" with the peers it accepted, and ends on "exit", when the
 * parent goes away, or after a lifetime cap.
 */
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import { listen, type Server } from '../../src/peer/server.js';

const count = Number(process.argv[2]);
const tag = process.argv[3] ?? 'farm';
if (!process.send || !Number.isInteger(count) || count < 1) throw new Error('usage: listener-farm-worker.ts COUNT TAG (with an IPC channel)');
setTimeout(() => process.exit(3), Number(process.env['FARM_LIFETIME_MS'] ?? 300_000)).unref();
process.on('disconnect', () => process.exit(0));

const servers: Server[] = [];
let accepted = 0;
let rejected = 0;
for (let i = 0; i < count; i++) {
  const s = await listen({ privateKey: generatePrivateKey(), host: '127.0.0.1', port: 0, pingInterval: 0, clientId: `Farm/v1.${i % 7}.0/linux-x64/${tag}` });
  s.on('peer', () => accepted++);
  s.on('rejected', () => rejected++);
  servers.push(s);
}
process.send({ enodes: servers.map((s) => s.enode) });
process.on('message', (msg: unknown) => {
  if (msg === 'stats') process.send!({ accepted, rejected, rss: process.memoryUsage().rss });
  if (msg === 'exit') void Promise.all(servers.map((s) => s.close())).finally(() => process.exit(0));
});
