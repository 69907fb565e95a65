/**
 * Heap taken by decoding worst-case eth replies (test/helpers/hostile-replies.ts) through the
 * client's path (RequestTracker.deliver). Run:
 *
 *   node --expose-gc --import tsx bench/decode-budget.ts
 *
 * Prints, per kind, whether the reply was refused and the heap growth over a gc'd baseline,
 * read right after deliver() (before any further gc: the decoded objects still count) and
 * retained after gc.
 */
import { MessageError } from '../src/eth/errors.js';
import { decodeMessage, EthCode } from '../src/eth/messages.js';
import { RequestTracker } from '../src/eth/tracker.js';
import { hostileReply, type HostileKind } from '../test/helpers/hostile-replies.js';

const maybeGc = (globalThis as { gc?: () => void }).gc;
if (!maybeGc) throw new Error('run with node --expose-gc');
const gc: () => void = maybeGc;
const MiB = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;

const CASES: Array<[HostileKind, 'GetBlockBodies' | 'GetReceipts' | 'GetPooledTransactions' | 'GetBlockHeaders', number]> = [
  ['BlockBodies', 'GetBlockBodies', 1],
  ['Withdrawals', 'GetBlockBodies', 1],
  ['Receipts', 'GetReceipts', 1],
  ['Logs', 'GetReceipts', 1],
  ['PooledTransactions', 'GetPooledTransactions', 1024],
  ['BlockHeaders', 'GetBlockHeaders', 1024],
];

async function measure(kind: HostileKind, request: (typeof CASES)[number][1], maxItems: number): Promise<void> {
  let sent: Uint8Array | undefined;
  const tracker = new RequestTracker(69, async (_code, payload) => void (sent = payload));
  const body = request === 'GetBlockHeaders' ? { origin: 1n, amount: BigInt(maxItems), skip: 0n, reverse: false } : { hashes: Array.from({ length: maxItems }, () => new Uint8Array(32)) };
  let result: unknown;
  const p = tracker.request(request, body as never, maxItems, { timeout: 60_000 }).then((v) => void (result = v), (e: unknown) => void (result = e));
  const code = EthCode[request];
  const id = (decodeMessage(69, code, sent!).message as { requestId: bigint }).requestId;
  const payload = hostileReply(kind, id, maxItems);
  gc();
  const base = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  let thrown: unknown;
  try {
    tracker.deliver(kind === 'Withdrawals' ? 'BlockBodies' : kind === 'Logs' ? 'Receipts' : (kind as never), payload);
  } catch (err) {
    thrown = err;
  }
  const ms = performance.now() - t0;
  const peak = process.memoryUsage().heapUsed - base;
  await p;
  gc();
  gc();
  const kept = process.memoryUsage().heapUsed - base;
  const took = result instanceof Error ? 'rejected' : 'resolved';
  const outcome = thrown instanceof MessageError ? `refused (${thrown.check}: ${thrown.message})` : thrown ? `threw ${String(thrown)}` : 'accepted';
  console.log(`${kind.padEnd(18)} ${MiB(payload.length).padStart(9)}  after deliver +${MiB(peak).padStart(9)}  retained +${MiB(kept).padStart(9)}  ${ms.toFixed(0).padStart(5)} ms  ${took}, ${outcome}`);
}

for (const c of CASES) {
  await measure(...c);
  gc();
  gc();
}
