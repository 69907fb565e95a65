/**
 * Block bodies and whole blocks.
 *
 *   body       = [transactions, uncles, withdrawals?]       (BlockBodies item; withdrawals from Shanghai)
 *   block      = [header, transactions, uncles, withdrawals?] (what `geth export` writes, back to back)
 *   withdrawal = [index, validatorIndex, address(20), amountGwei]
 */
import { RLP } from '@ethereumjs/rlp';
import { decodeHeaderView, type BlockHeader } from './header.js';
import { MessageError } from './errors.js';
import { encodeRawList, fields, fixed, iterate, readItem, readOne, u64, type RlpView } from './rlp-view.js';
import { decodeTransactionItem, transactionItem, type Transaction } from './transaction.js';

export interface Withdrawal {
  index: bigint;
  validatorIndex: bigint;
  address: Uint8Array;
  /** In gwei. */
  amount: bigint;
}

export interface BlockBody {
  transactions: Transaction[];
  uncles: BlockHeader[];
  /** Present from Shanghai on (may be empty), absent before. */
  withdrawals?: Withdrawal[];
}

export interface Block extends BlockBody {
  header: BlockHeader;
}

export function decodeWithdrawal(v: RlpView): Withdrawal {
  const f = fields(v, 4, 4, 'withdrawal');
  return { index: u64(f[0]!, 'withdrawal index'), validatorIndex: u64(f[1]!, 'withdrawal validatorIndex'), address: fixed(f[2]!, 20, 'withdrawal address').slice(), amount: u64(f[3]!, 'withdrawal amount') };
}

export function encodeWithdrawal(w: Withdrawal): Uint8Array {
  return RLP.encode([w.index, w.validatorIndex, w.address, w.amount]);
}

function bodyParts(parts: RlpView[]): BlockBody {
  const transactions: Transaction[] = [];
  for (const t of iterate(parts[0]!)) transactions.push(decodeTransactionItem(t));
  const uncles: BlockHeader[] = [];
  for (const u of iterate(parts[1]!)) uncles.push(decodeHeaderView(u));
  const body: BlockBody = { transactions, uncles };
  if (parts.length > 2) {
    const withdrawals: Withdrawal[] = [];
    for (const w of iterate(parts[2]!)) withdrawals.push(decodeWithdrawal(w));
    body.withdrawals = withdrawals;
  }
  return body;
}

/** A BlockBodies item. */
export function decodeBodyView(v: RlpView): BlockBody {
  return bodyParts(fields(v, 2, 3, 'block body'));
}

export function decodeBody(bytes: Uint8Array): BlockBody {
  return decodeBodyView(readOne(bytes));
}

function partsOf(b: BlockBody): Uint8Array[] {
  const parts = [encodeRawList(b.transactions.map(transactionItem)), encodeRawList(b.uncles.map((u) => u.raw))];
  if (b.withdrawals) parts.push(encodeRawList(b.withdrawals.map(encodeWithdrawal)));
  return parts;
}

export function encodeBody(b: BlockBody): Uint8Array {
  return encodeRawList(partsOf(b));
}

/** A block as `geth export` writes it: [header, txs, uncles, withdrawals?]. */
export function encodeBlock(b: Block): Uint8Array {
  return encodeRawList([b.header.raw, ...partsOf(b)]);
}

export function decodeBlockView(v: RlpView): Block {
  const f = fields(v, 3, 4, 'block');
  return { header: decodeHeaderView(f[0]!), ...bodyParts(f.slice(1)) };
}

/**
 * The blocks of a `geth export` file (RLP blocks back to back), one at a time, so that a large
 * chain file is never decoded at once.
 */
export function* decodeBlocks(bytes: Uint8Array): Generator<Block> {
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    const b = bytes[pos]!;
    if (b < 0xc0) throw new MessageError('shape', `block at byte ${start} is not a list`);
    const v = readItem(bytes, pos);
    pos = v.end;
    yield decodeBlockView(v.item);
  }
}
