/**
 * Our side of the eth fetch comparison (bench/eth-fetch.ts): blocks 1..M with bodies and
 * receipts from a geth, every item verified, through the public API (EthClient and
 * downloadBlocks), `reps` times on one session. Prints the same JSON line as
 * `geth-peer fetch`: {"ms":[...],"cpuUs":c,"blocks":b,"receipts":r,"maxRssKb":k,"heapPeakBytes":h}.
 *
 *   node eth-fetch-peer.js --enode E --to M [--batch 128] [--reps 3]
 */
import { parseArgs } from 'node:util';
import { dial, generatePrivateKey } from '../src/index.js';
import { downloadBlocks, EthClient, ethStatusResponder } from '../src/eth/index.js';

const { values } = parseArgs({ options: { enode: { type: 'string' }, to: { type: 'string' }, batch: { type: 'string', default: '128' }, reps: { type: 'string', default: '3' } } });
const to = BigInt(values.to ?? '0');
const reps = Number(values.reps);
const cpu = (): number => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

const eth = ethStatusResponder();
const peer = await dial(values.enode!, { privateKey: generatePrivateKey(), protocols: eth.protocols, pingInterval: 0 });
await eth.status(peer);
const client = new EthClient(eth);
let heapPeak = 0;
const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 5);
const out = { ms: [] as number[], cpuUs: 0, blocks: 0, receipts: 0, maxRssKb: 0, heapPeakBytes: 0 };
const cpu0 = cpu();
for (let k = 0; k < reps; k++) {
  const t0 = performance.now();
  for await (const blocks of downloadBlocks(client, peer, { from: 1n, to, receipts: true, batch: Number(values.batch) })) {
    out.blocks += blocks.length;
    for (const b of blocks) out.receipts += b.receipts!.length;
  }
  out.ms.push(performance.now() - t0);
}
out.cpuUs = cpu() - cpu0;
clearInterval(sampler);
out.maxRssKb = process.resourceUsage().maxRSS;
out.heapPeakBytes = heapPeak;
await peer.disconnect();
process.stdout.write(`${JSON.stringify(out)}\n`);
