/**
 * The "serves" check, L7 at the data level: a node is asked for the header its own Status
 * names as latest (GetBlockHeaders [latestHash, 1, 0, 0]). It serves when exactly one header
 * comes back whose hash (of its bytes as received) is latestHash and whose number is latest.
 * An empty answer, another header, a broken answer, or none within the timeout is
 * `serves: false` with the reason.
 */
import { EthClient } from '../eth/client.js';
import type { EthResponder } from '../eth/protocol.js';
import type { Peer } from '../peer/peer.js';
import type { EthReport } from './report.js';

/**
 * Run the check on a peer whose Status is in, and set `report.serves` and `servesReason`.
 * Never rejects; when `signal` aborts first, `serves` stays null.
 */
export async function checkServes(eth: EthResponder, peer: Peer, report: EthReport, options: { signal: AbortSignal; timeout: number }): Promise<void> {
  const range = eth.range(peer);
  if (!range) return;
  try {
    const headers = await new EthClient(eth).getBlockHeaders(peer, { origin: range.latestBlockHash, amount: 1 }, options);
    const h = headers[0];
    if (!h) report.servesReason = 'an empty answer: the node does not have the block it announces';
    else if (h.number !== range.latestBlock) report.servesReason = `header number ${h.number}, not ${range.latestBlock}`;
    report.serves = report.servesReason === null;
  } catch (err) {
    if (options.signal.aborted) return;
    report.serves = false;
    report.servesReason = (err as Error).name === 'TimeoutError' ? `no answer within ${options.timeout} ms` : (err as Error).message;
  }
}
