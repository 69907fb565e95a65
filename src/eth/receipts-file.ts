/**
 * The receipts file `rlpx fetch --receipts` writes beside chain.rlp (DIR/receipts.rlp), and
 * what a serving node reads to answer GetReceipts.
 *
 * Format: RLP items back to back, one per block, in the order of chain.rlp (ascending block
 * numbers, every block, also those without transactions):
 *
 *   entry = [blockNumber: uint64, blockHash: B_32, receipts]
 *   receipts = [[txType, postStateOrStatus, cumulativeGasUsed, logs], ...]
 *
 * `receipts` is exactly one item of an eth/69+ Receipts message (EIP-7642 network form, no
 * bloom), so it can be served as it is, and verified with verifyReceipts against the header.
 */
import { RLP } from '@ethereumjs/rlp';
import { MessageError } from './errors.js';
import { decodeReceiptList, encodeReceiptList, type Receipt } from './receipt.js';
import { encodeRawList, fields, fixed, readItem, u64 } from './rlp-view.js';

export interface ReceiptsEntry {
  number: bigint;
  hash: Uint8Array;
  /** The receipts list as stored (network form): serve it as it is. */
  raw: Uint8Array;
  receipts: Receipt[];
}

export function encodeReceiptsEntry(number: bigint, hash: Uint8Array, receipts: readonly Receipt[]): Uint8Array {
  return encodeRawList([RLP.encode(number), RLP.encode(hash), encodeReceiptList(receipts)]);
}

/** The entries of a receipts file, one at a time. Throws MessageError on a malformed file. */
export function* readReceiptsFile(bytes: Uint8Array): Generator<ReceiptsEntry> {
  let pos = 0;
  while (pos < bytes.length) {
    const { item, end } = readItem(bytes, pos);
    if (!item.list) throw new MessageError('shape', `receipts file: entry at byte ${pos} is not a list`);
    pos = end;
    const [n, h, list] = fields(item, 3, 3, 'receipts file entry');
    yield { number: u64(n!, 'block number'), hash: fixed(h!, 32, 'block hash').slice(), raw: list!.raw.slice(), receipts: decodeReceiptList(list!) };
  }
}
