/**
 * Worst-case eth replies just under the 10 MiB message cap: as many of the smallest valid
 * items as fit, each of which the decoders turn into objects. Used to check that decoding
 * such a reply stays within a bounded heap (test/eth/decode-budget.test.ts,
 * bench/decode-budget.ts).
 */
import { RLP } from '@ethereumjs/rlp';
import { EMPTY_OMMERS_HASH, makeHeader } from '../../src/eth/header.js';
import { MAX_ETH_MESSAGE_SIZE } from '../../src/eth/messages.js';
import { encodeRawList } from '../../src/eth/rlp-view.js';

export type HostileKind = 'BlockBodies' | 'Receipts' | 'PooledTransactions' | 'BlockHeaders' | 'Withdrawals' | 'Logs';

/** A legacy transaction of nine empty fields (10 bytes): nonce 0, no recipient, v = r = s = 0. */
export const MIN_LEGACY_TX = encodeRawList(Array.from({ length: 9 }, () => Uint8Array.of(0x80)));
/** A receipt [type 0, failed, 0 gas, no logs] (5 bytes). */
export const MIN_RECEIPT = encodeRawList([Uint8Array.of(0x80), Uint8Array.of(0x80), Uint8Array.of(0x80), Uint8Array.of(0xc0)]);
/** A log with a zero address, no topics, no data (24 bytes). */
export const MIN_LOG = RLP.encode([new Uint8Array(20), [], new Uint8Array(0)]);
/** A withdrawal of zeros (25 bytes). */
export const MIN_WITHDRAWAL = RLP.encode([0, 0, new Uint8Array(20), 0]);

/** A pre-London header of zeros (15 fields, ~500 bytes: its hashes and bloom are fixed-size). */
export const MIN_HEADER = makeHeader({
  parentHash: new Uint8Array(32), ommersHash: EMPTY_OMMERS_HASH, coinbase: new Uint8Array(20), stateRoot: new Uint8Array(32), transactionsRoot: new Uint8Array(32),
  receiptsRoot: new Uint8Array(32), logsBloom: new Uint8Array(256), difficulty: 0n, number: 0n, gasLimit: 0n, gasUsed: 0n, timestamp: 0n,
  extraData: new Uint8Array(0), mixHash: new Uint8Array(32), nonce: new Uint8Array(8),
}).raw;

/** `item` repeated to fill `bytes` of list content. */
function fill(item: Uint8Array, bytes: number): Uint8Array[] {
  return Array.from({ length: Math.floor(bytes / item.length) }, () => item);
}

/** The reply's payload for request `requestId` on eth/`version`, under 10 MiB. */
export function hostileReply(kind: HostileKind, requestId: bigint, maxItems = 1, version = 69): Uint8Array {
  const room = MAX_ETH_MESSAGE_SIZE - 64;
  const rid = RLP.encode(requestId);
  const per = Math.floor(room / maxItems);
  let items: Uint8Array[];
  switch (kind) {
    case 'BlockBodies':
      items = Array.from({ length: maxItems }, () => encodeRawList([encodeRawList(fill(MIN_LEGACY_TX, per - 16)), Uint8Array.of(0xc0)]));
      break;
    case 'Withdrawals':
      items = Array.from({ length: maxItems }, () => encodeRawList([Uint8Array.of(0xc0), Uint8Array.of(0xc0), encodeRawList(fill(MIN_WITHDRAWAL, per - 16))]));
      break;
    case 'Receipts':
      items = Array.from({ length: maxItems }, () => encodeRawList(fill(MIN_RECEIPT, per - 16)));
      break;
    case 'Logs': {
      const receipt = encodeRawList([Uint8Array.of(0x80), Uint8Array.of(0x80), Uint8Array.of(0x80), encodeRawList(fill(MIN_LOG, per - 32))]);
      items = Array.from({ length: maxItems }, () => encodeRawList([receipt]));
      break;
    }
    case 'PooledTransactions':
      // One item per asked hash at most: the smallest transactions, but only `maxItems` of them.
      items = fill(MIN_LEGACY_TX, Math.min(room, maxItems * MIN_LEGACY_TX.length));
      break;
    case 'BlockHeaders':
      // Headers are fixed-shape lists; the most a reply may hold is what was asked.
      items = Array.from({ length: maxItems }, () => MIN_HEADER);
      break;
  }
  const receipts = kind === 'Receipts' || kind === 'Logs';
  // eth/70+ Receipts carry lastBlockIncomplete (false) between the id and the lists.
  return encodeRawList(receipts && version >= 70 ? [rid, Uint8Array.of(0x80), encodeRawList(items)] : [rid, encodeRawList(items)]);
}
