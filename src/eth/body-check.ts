/**
 * A block body's roots against its header, from raw items (no transaction is decoded): the
 * transactions root (a typed transaction's trie value is its type||payload, the content of
 * its string; a legacy one's is its list), the ommers hash, and the withdrawals root, which a
 * body has iff its header has one. geth's block validator makes the same checks.
 */
import { RLP } from '@ethereumjs/rlp';
import { bytesToHex, equalBytes } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import type { HeaderFields } from './header.js';
import { iterate, type RlpView } from './rlp-view.js';
import { trieRoot } from './trie.js';

const short = (b: Uint8Array): string => `0x${bytesToHex(b)}`;

function listRoot(list: RlpView, value: (item: RlpView) => Uint8Array): Uint8Array {
  const entries: Array<readonly [Uint8Array, Uint8Array]> = [];
  let i = 0;
  for (const item of iterate(list)) entries.push([RLP.encode(i++), value(item)]);
  return trieRoot(entries);
}

/** Throws RangeError naming the first part of `[txs, uncles, withdrawals?]` its header disowns. */
export function checkBodyRoots(h: Pick<HeaderFields, 'transactionsRoot' | 'ommersHash' | 'withdrawalsRoot'>, parts: readonly RlpView[]): void {
  const [txs, uncles, withdrawals] = parts;
  if (!txs?.list || !uncles?.list || (withdrawals && !withdrawals.list)) throw new RangeError('body parts are not lists');
  const txRoot = listRoot(txs, (it) => (it.list ? it.raw : it.content));
  if (!equalBytes(txRoot, h.transactionsRoot)) throw new RangeError(`transactions root ${short(txRoot)} is not the header's ${short(h.transactionsRoot)}`);
  const ommers = keccak256(uncles.raw);
  if (!equalBytes(ommers, h.ommersHash)) throw new RangeError(`ommers hash ${short(ommers)} is not the header's ${short(h.ommersHash)}`);
  if (!h.withdrawalsRoot !== !withdrawals) throw new RangeError(h.withdrawalsRoot ? 'the header has a withdrawals root, the body no withdrawals' : 'withdrawals in a body whose header has no withdrawals root');
  if (withdrawals && h.withdrawalsRoot) {
    const root = listRoot(withdrawals, (it) => it.raw);
    if (!equalBytes(root, h.withdrawalsRoot)) throw new RangeError(`withdrawals root ${short(root)} is not the header's ${short(h.withdrawalsRoot)}`);
  }
}
