/**
 * The root hash of a Merkle-Patricia trie built from a complete set of entries, as Ethereum
 * hashes its state (Yellow Paper, appendix D). Only the root is needed (genesis hashes), so
 * the trie is built once, in memory, from sorted keys; nothing is stored or updated.
 */
import { RLP, type Input } from '@ethereumjs/rlp';
import { keccak256 } from '../crypto/keccak.js';

/** keccak256(rlp('')): the root of a trie with no entries. */
export const EMPTY_TRIE_ROOT = keccak256(RLP.encode(new Uint8Array(0)));

interface Entry {
  nibbles: Uint8Array;
  value: Uint8Array;
}

function nibblesOf(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length * 2);
  for (let i = 0; i < key.length; i++) {
    out[2 * i] = key[i]! >> 4;
    out[2 * i + 1] = key[i]! & 0x0f;
  }
  return out;
}

/** Hex-prefix encoding of a nibble path: a flag nibble (leaf, odd length), then the path. */
function hexPrefix(path: Uint8Array, leaf: boolean): Uint8Array {
  const odd = path.length % 2;
  const out = new Uint8Array(1 + (path.length >> 1));
  const flag = (leaf ? 2 : 0) + odd;
  out[0] = odd ? (flag << 4) | path[0]! : flag << 4;
  for (let i = odd, j = 1; i < path.length; i += 2, j++) out[j] = (path[i]! << 4) | path[i + 1]!;
  return out;
}

/** A child reference: the node itself when its encoding is under 32 bytes, else its hash. */
function reference(node: Input): Input {
  const encoded = RLP.encode(node);
  return encoded.length < 32 ? node : keccak256(encoded);
}

/** The node over `entries` (sorted, distinct keys), all of which share `depth` nibbles. */
function nodeOf(entries: readonly Entry[], depth: number): Input {
  if (entries.length === 1) {
    const e = entries[0]!;
    return [hexPrefix(e.nibbles.subarray(depth), true), e.value];
  }
  // The longest prefix all keys share past `depth`: sorted keys share what first and last do.
  const first = entries[0]!.nibbles;
  const last = entries[entries.length - 1]!.nibbles;
  let shared = 0;
  while (depth + shared < first.length && first[depth + shared] === last[depth + shared]) shared++;
  if (shared > 0) return [hexPrefix(first.subarray(depth, depth + shared), false), reference(nodeOf(entries, depth + shared))];

  const branch: Input[] = new Array<Input>(17).fill(new Uint8Array(0));
  let i = 0;
  if (first.length === depth) branch[16] = entries[i++]!.value; // a key that ends here
  while (i < entries.length) {
    const nibble = entries[i]!.nibbles[depth]!;
    let j = i;
    while (j < entries.length && entries[j]!.nibbles[depth] === nibble) j++;
    branch[nibble] = reference(nodeOf(entries.slice(i, j), depth + 1));
    i = j;
  }
  return branch;
}

/** Root hash of the trie holding `entries` (key -> value); later duplicates of a key win. */
export function trieRoot(entries: Iterable<readonly [key: Uint8Array, value: Uint8Array]>): Uint8Array {
  const byKey = new Map<string, Entry>();
  for (const [key, value] of entries) byKey.set(Buffer.from(key).toString('hex'), { nibbles: nibblesOf(key), value });
  if (byKey.size === 0) return EMPTY_TRIE_ROOT;
  const sorted = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
  return keccak256(RLP.encode(nodeOf(sorted, 0)));
}
