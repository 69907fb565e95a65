/**
 * Checking what a peer returned against the headers it belongs to. Each check stands on its
 * own, and fails with a VerifyError naming it (0x10 when it ends a session).
 *
 * - A header's hash is keccak256 of its bytes as received (BlockHeader.hash).
 * - A chain of headers: consecutive numbers, each parentHash the hash of the one before.
 * - A body: transactions root (trie of rlp(i) -> consensus encoding), ommers hash
 *   (keccak256 of the uncles list), withdrawals root (trie of rlp(i) -> rlp(withdrawal)),
 *   present exactly when the header has one.
 * - Receipts: each rebuilt in consensus form with its bloom recomputed from its logs, then the
 *   receipts root, and the header's logs bloom as the OR of all receipt blooms.
 */
import { RLP } from '@ethereumjs/rlp';
import { bytesToHex, equalBytes } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { encodeWithdrawal, type BlockBody, type Withdrawal } from './block.js';
import { VerifyError, type VerifyCheck } from './errors.js';
import type { BlockHeader } from './header.js';
import { consensusReceipt, logsBloom, type Receipt } from './receipt.js';
import { encodeRawList } from './rlp-view.js';
import { trieRoot } from './trie.js';

const hx = (b: Uint8Array): string => `0x${bytesToHex(b)}`;

function mismatch(check: VerifyCheck, what: string, got: Uint8Array, want: Uint8Array, header: BlockHeader): never {
  throw new VerifyError(check, `block ${header.number}: ${what} ${hx(got)} != header's ${hx(want)}`);
}

/** keccak256 of a header's RLP as received. */
export function headerHash(raw: Uint8Array): Uint8Array {
  return keccak256(raw);
}

/** The header is the one asked for: its hash and/or number. */
export function verifyHeader(header: BlockHeader, want: { hash?: Uint8Array | undefined; number?: bigint | undefined }): void {
  if (want.hash && !equalBytes(header.hash, want.hash)) throw new VerifyError('hash', `header hash ${hx(header.hash)} != ${hx(want.hash)}`);
  if (want.number !== undefined && header.number !== want.number) throw new VerifyError('number', `header number ${header.number} != ${want.number}`);
}

/**
 * Headers in ascending order form a chain: numbers step by one, each parentHash is the hash of
 * the one before. `parent`, when given, is the header the first must follow.
 */
export function verifyHeaderChain(headers: readonly BlockHeader[], parent?: BlockHeader): void {
  let prev = parent;
  for (const h of headers) {
    if (prev) {
      if (h.number !== prev.number + 1n) throw new VerifyError('number', `header ${h.number} follows header ${prev.number}`);
      if (!equalBytes(h.parentHash, prev.hash)) throw new VerifyError('parent', `block ${h.number}: parentHash ${hx(h.parentHash)} != hash of block ${prev.number} ${hx(prev.hash)}`);
    }
    prev = h;
  }
}

const indexed = (values: readonly Uint8Array[]): Array<[Uint8Array, Uint8Array]> => values.map((v, i) => [RLP.encode(i), v]);

/** The transactions root of a list of transactions (their consensus encodings). */
export function transactionsRoot(txs: readonly { raw: Uint8Array }[]): Uint8Array {
  return trieRoot(indexed(txs.map((t) => t.raw)));
}

export function withdrawalsRoot(ws: readonly Withdrawal[]): Uint8Array {
  return trieRoot(indexed(ws.map(encodeWithdrawal)));
}

/** keccak256 of the RLP list of the uncles. */
export function ommersHash(uncles: readonly { raw: Uint8Array }[]): Uint8Array {
  return keccak256(encodeRawList(uncles.map((u) => u.raw)));
}

/** A body matches its header: transactions root, ommers hash, withdrawals root. */
export function verifyBody(header: BlockHeader, body: BlockBody): void {
  const tx = transactionsRoot(body.transactions);
  if (!equalBytes(tx, header.transactionsRoot)) mismatch('transactions', 'transactions root', tx, header.transactionsRoot, header);
  const om = ommersHash(body.uncles);
  if (!equalBytes(om, header.ommersHash)) mismatch('ommers', 'ommers hash', om, header.ommersHash, header);
  if (header.withdrawalsRoot === undefined) {
    if (body.withdrawals !== undefined) throw new VerifyError('withdrawals', `block ${header.number}: body has withdrawals, header has no withdrawals root`);
    return;
  }
  if (body.withdrawals === undefined) throw new VerifyError('withdrawals', `block ${header.number}: body lacks the withdrawals its header has a root for`);
  const wr = withdrawalsRoot(body.withdrawals);
  if (!equalBytes(wr, header.withdrawalsRoot)) mismatch('withdrawals', 'withdrawals root', wr, header.withdrawalsRoot, header);
}

/** The receipts root of a block's receipts (consensus form, blooms recomputed). */
export function receiptsRoot(receipts: readonly Receipt[]): Uint8Array {
  return trieRoot(indexed(receipts.map(consensusReceipt)));
}

/** A block's receipts match its header: receipts root and logs bloom. */
export function verifyReceipts(header: BlockHeader, receipts: readonly Receipt[]): void {
  const root = receiptsRoot(receipts);
  if (!equalBytes(root, header.receiptsRoot)) mismatch('receipts', 'receipts root', root, header.receiptsRoot, header);
  const bloom = new Uint8Array(256);
  for (const r of receipts) logsBloom(r.logs, bloom);
  if (!equalBytes(bloom, header.logsBloom)) throw new VerifyError('bloom', `block ${header.number}: logs bloom of the receipts differs from the header's`);
}

/** A block access list (its RLP as received) matches the header's blockAccessListHash. */
export function verifyBlockAccessList(header: BlockHeader, accessList: Uint8Array): void {
  const want = header.blockAccessListHash;
  if (!want) throw new VerifyError('access-list', `block ${header.number}: header has no block access list hash`);
  const got = keccak256(accessList);
  if (!equalBytes(got, want)) mismatch('access-list', 'access list hash', got, want, header);
}
