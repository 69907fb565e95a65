/**
 * Where a serving node gets its chain: the questions geth's eth handlers ask of its
 * BlockChain, in raw RLP, because serving copies stored items into replies as they are.
 *
 * Every method is async (a store may read a file, a database or another node) and answers
 * undefined for what it does not have; a reply then stops at that item, as geth's does.
 */
import { equalBytes } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';

/** A header as stored: its raw RLP, and what walking the chain needs without decoding it. */
export interface StoredHeader {
  number: bigint;
  hash: Uint8Array;
  parentHash: Uint8Array;
  /** The header's RLP encoding, whose keccak256 is `hash`. */
  raw: Uint8Array;
}

/** The head a source advertises (Status, BlockRangeUpdate) and the fork ID is computed at. */
export interface SourceHead {
  number: bigint;
  hash: Uint8Array;
  time: bigint;
}

export interface ChainSource {
  /** The latest block served. */
  head(): Promise<SourceHead>;
  /** The first block whose body and receipts are served (headers are served from genesis). */
  earliest(): Promise<bigint>;
  /** The canonical header at `number`. */
  headerByNumber(number: bigint): Promise<StoredHeader | undefined>;
  /** A header by hash, canonical or not. */
  headerByHash(hash: Uint8Array): Promise<StoredHeader | undefined>;
  /** A block body's RLP, `[txs, uncles]` or `[txs, uncles, withdrawals]` (eth BlockBodies item). */
  body(hash: Uint8Array): Promise<Uint8Array | undefined>;
  /**
   * A block's receipts as the eth/69+ network form list `[[txType, status, gasUsed, logs], ...]`
   * (no bloom). An empty block has the empty list.
   */
  receipts(hash: Uint8Array): Promise<Uint8Array | undefined>;
  /** A block access list's RLP (EIP-7928), for eth/71+. */
  blockAccessList(hash: Uint8Array): Promise<Uint8Array | undefined>;
}

/**
 * A chain of one block: the genesis, from its header's RLP (genesisHeaderOf). What a node
 * that knows its chain but holds no blocks can serve: its own head, with an empty body
 * (withdrawals iff the header has a withdrawals root) and no receipts.
 */
export function genesisSource(header: Uint8Array, options: { time: bigint; withdrawals: boolean }): ChainSource {
  const hash = keccak256(header);
  const stored: StoredHeader = { number: 0n, hash, parentHash: new Uint8Array(32), raw: header };
  const isGenesis = (h: Uint8Array): boolean => equalBytes(h, hash);
  const body = options.withdrawals ? Uint8Array.of(0xc3, 0xc0, 0xc0, 0xc0) : Uint8Array.of(0xc2, 0xc0, 0xc0);
  return {
    head: async () => ({ number: 0n, hash, time: options.time }),
    earliest: async () => 0n,
    headerByNumber: async (n) => (n === 0n ? stored : undefined),
    headerByHash: async (h) => (isGenesis(h) ? stored : undefined),
    body: async (h) => (isGenesis(h) ? body : undefined),
    receipts: async (h) => (isGenesis(h) ? Uint8Array.of(0xc0) : undefined),
    blockAccessList: async () => undefined,
  };
}
