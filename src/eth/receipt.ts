/**
 * Receipts as eth/69+ sends them (EIP-7642), and their consensus form.
 *
 *   network receipt   = [txType, postStateOrStatus, cumulativeGasUsed, logs]   (no bloom)
 *   consensus receipt = type? || rlp([postStateOrStatus, cumulativeGasUsed, bloom, logs])
 *   log               = [address(20), [topic(32), ...], data]
 *
 * The receipts trie of a block holds the consensus form, so checking a list against its
 * header means rebuilding each receipt with its bloom computed from its logs.
 */
import { RLP, type Input } from '@ethereumjs/rlp';
import { concatBytes } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { MessageError } from './errors.js';
import { fields, fixed, iterate, readOne, str, u64, type RlpView } from './rlp-view.js';

export interface Log {
  address: Uint8Array;
  topics: Uint8Array[];
  data: Uint8Array;
}

export interface Receipt {
  /** The transaction type (0 legacy ... 4). */
  type: number;
  /** Empty = failed, 0x01 = success (Byzantium on), or a 32-byte state root (before). */
  postStateOrStatus: Uint8Array;
  cumulativeGasUsed: bigint;
  logs: Log[];
}

const STATUS_SUCCESS = Uint8Array.of(1);

function decodeLog(v: RlpView): Log {
  const [a, t, d] = fields(v, 3, 3, 'log');
  const topics: Uint8Array[] = [];
  for (const x of iterate(t!)) topics.push(fixed(x, 32, 'log topic'));
  return { address: fixed(a!, 20, 'log address'), topics, data: str(d!, 'log data') };
}

/** One eth/69+ receipt; the result owns copies of its bytes. */
export function decodeReceiptView(v: RlpView): Receipt {
  const own = readOne(v.raw.slice());
  const f = fields(own, 4, 4, 'receipt');
  const type = u64(f[0]!, 'receipt type');
  if (type > 0x7fn) throw new MessageError('field', `receipt type ${type} is not a transaction type`);
  const status = str(f[1]!, 'receipt status');
  // geth: empty (failed), [1] (success) or a 32-byte post-state root; anything else is refused.
  if (!(status.length === 0 || status.length === 32 || (status.length === 1 && status[0] === 1))) {
    throw new MessageError('field', `receipt status of ${status.length} bytes is neither a status nor a state root`);
  }
  const logs: Log[] = [];
  for (const l of iterate(f[3]!)) logs.push(decodeLog(l));
  return { type: Number(type), postStateOrStatus: status, cumulativeGasUsed: u64(f[2]!, 'receipt cumulativeGasUsed'), logs };
}

/** One block's receipts list (an item of a Receipts message). */
export function decodeReceiptList(v: RlpView): Receipt[] {
  const out: Receipt[] = [];
  for (const r of iterate(v)) out.push(decodeReceiptView(r));
  return out;
}

const logInput = (l: Log): Input => [l.address, l.topics, l.data];

/** A receipt in eth/69+ network form. */
export function encodeReceipt(r: Receipt): Uint8Array {
  return RLP.encode([r.type, r.postStateOrStatus, r.cumulativeGasUsed, r.logs.map(logInput)]);
}

/** One block's receipts in network form (an item of Receipts, and of our receipts file). */
export function encodeReceiptList(rs: readonly Receipt[]): Uint8Array {
  return RLP.encode(rs.map((r) => [r.type, r.postStateOrStatus, r.cumulativeGasUsed, r.logs.map(logInput)]));
}

/** Set the three bloom bits of `x` (geth's bloomValues). */
function addToBloom(bloom: Uint8Array, x: Uint8Array): void {
  const h = keccak256(x);
  for (let i = 0; i < 6; i += 2) {
    const bit = ((h[i]! << 8) | h[i + 1]!) & 0x7ff;
    bloom[255 - (bit >> 3)]! |= 1 << (bit & 7);
  }
}

/** The 256-byte bloom of some logs: their addresses and topics. */
export function logsBloom(logs: Iterable<Log>, into = new Uint8Array(256)): Uint8Array {
  for (const l of logs) {
    addToBloom(into, l.address);
    for (const t of l.topics) addToBloom(into, t);
  }
  return into;
}

/** The consensus encoding of a receipt, with its bloom recomputed (a receipts trie value). */
export function consensusReceipt(r: Receipt): Uint8Array {
  const body = RLP.encode([r.postStateOrStatus, r.cumulativeGasUsed, logsBloom(r.logs), r.logs.map(logInput)]);
  return r.type === 0 ? body : concatBytes(Uint8Array.of(r.type), body);
}

/** Whether a receipt says its transaction succeeded (undefined before Byzantium). */
export function receiptSucceeded(r: Receipt): boolean | undefined {
  if (r.postStateOrStatus.length === 32) return undefined;
  return r.postStateOrStatus.length === 1 && r.postStateOrStatus[0] === STATUS_SUCCESS[0];
}
