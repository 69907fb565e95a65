/**
 * The few header fields a store needs to index and check a chain, read from the header's raw
 * RLP without decoding the rest; and the check of a body against its header (transactions
 * root, ommers hash, withdrawals root), as geth's block validator makes it.
 */
import { RLP } from '@ethereumjs/rlp';
import { bytesToHex, equalBytes } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { rlpItemAt, rlpListItems, rlpPayload, rlpRaw, rlpUint64, type RlpItem } from '../wire/rlp-items.js';
import { trieRoot } from './trie.js';

export interface HeaderFields {
  parentHash: Uint8Array;
  ommersHash: Uint8Array;
  txRoot: Uint8Array;
  receiptsRoot: Uint8Array;
  logsBloom: Uint8Array;
  number: bigint;
  time: bigint;
  /** Shanghai on. */
  withdrawalsRoot?: Uint8Array;
}

/** Header fields by position (devp2p "Block Encoding"). */
const PARENT = 0, OMMERS = 1, TX_ROOT = 4, RECEIPTS_ROOT = 5, BLOOM = 6, NUMBER = 8, TIME = 11, WITHDRAWALS_ROOT = 16;

function bytesField(raw: Uint8Array, items: RlpItem[], i: number, size: number, what: string): Uint8Array {
  const it = items[i];
  if (!it || it.list || it.end - it.payload !== size) throw new RangeError(`${what} is not ${size} bytes`);
  return rlpPayload(raw, it);
}

function uintField(raw: Uint8Array, items: RlpItem[], i: number, what: string): bigint {
  const v = items[i] && rlpUint64(raw, items[i]!);
  if (v === undefined) throw new RangeError(`${what} is not a uint64`);
  return v;
}

/** Read the indexed fields of a header's RLP; throws RangeError when it is not a header. */
export function headerFields(raw: Uint8Array): HeaderFields {
  const top = rlpItemAt(raw, 0);
  if (top.end !== raw.length) throw new RangeError('trailing bytes after the header');
  const items = rlpListItems(raw, top);
  if (items.length < 15) throw new RangeError(`a header has at least 15 fields, not ${items.length}`);
  const fields: HeaderFields = {
    parentHash: bytesField(raw, items, PARENT, 32, 'parent hash'),
    ommersHash: bytesField(raw, items, OMMERS, 32, 'ommers hash'),
    txRoot: bytesField(raw, items, TX_ROOT, 32, 'transactions root'),
    receiptsRoot: bytesField(raw, items, RECEIPTS_ROOT, 32, 'receipts root'),
    logsBloom: bytesField(raw, items, BLOOM, 256, 'logs bloom'),
    number: uintField(raw, items, NUMBER, 'number'),
    time: uintField(raw, items, TIME, 'time'),
  };
  if (items.length > WITHDRAWALS_ROOT) fields.withdrawalsRoot = bytesField(raw, items, WITHDRAWALS_ROOT, 32, 'withdrawals root');
  return fields;
}

const short = (b: Uint8Array): string => `0x${bytesToHex(b)}`;

/** Index-keyed trie root of list items, each value given by `value`. */
function listRoot(b: Uint8Array, list: RlpItem, value: (item: RlpItem) => Uint8Array): Uint8Array {
  return trieRoot(rlpListItems(b, list).map((it, i) => [RLP.encode(i), value(it)] as const));
}

/**
 * Check a body's parts `[txs, uncles, withdrawals?]` (located in `b`) against its header.
 * A typed transaction's trie value is its type||payload (the string's content), a legacy one
 * its list; throws RangeError naming the first mismatch.
 */
export function checkBodyAgainstHeader(h: HeaderFields, b: Uint8Array, parts: readonly RlpItem[]): void {
  const [txs, uncles, withdrawals] = parts;
  if (!txs?.list || !uncles?.list || (withdrawals && !withdrawals.list)) throw new RangeError('body parts are not lists');
  const txRoot = listRoot(b, txs, (it) => (it.list ? rlpRaw(b, it) : rlpPayload(b, it)));
  if (!equalBytes(txRoot, h.txRoot)) throw new RangeError(`transactions root ${short(txRoot)} is not the header's ${short(h.txRoot)}`);
  const ommers = keccak256(rlpRaw(b, uncles));
  if (!equalBytes(ommers, h.ommersHash)) throw new RangeError(`ommers hash ${short(ommers)} is not the header's ${short(h.ommersHash)}`);
  if (!h.withdrawalsRoot !== !withdrawals) throw new RangeError(h.withdrawalsRoot ? 'the header has a withdrawals root, the body no withdrawals' : 'withdrawals in a body whose header has no withdrawals root');
  if (withdrawals && h.withdrawalsRoot) {
    const root = listRoot(b, withdrawals, (it) => rlpRaw(b, it));
    if (!equalBytes(root, h.withdrawalsRoot)) throw new RangeError(`withdrawals root ${short(root)} is not the header's ${short(h.withdrawalsRoot)}`);
  }
}
