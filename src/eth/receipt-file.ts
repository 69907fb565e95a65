/**
 * The receipts file beside chain.rlp: RLP items one after another, one per block,
 *
 *   [blockHash, [receipt, ...]]     receipt = [txType, statusOrPostState, cumulativeGas, logs]
 *
 * the receipts in eth/69's network form (no bloom), as a Receipts reply carries them. Loading
 * checks every list against its block's header: the consensus receipts are rebuilt (type
 * prefix, recomputed bloom) and their trie root must be the receipts root, the OR of the
 * blooms the header's logs bloom. Only offsets stay in memory.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { bytesToHex } from '../crypto/bytes.js';
import type { ChainSource } from './chain-source.js';
import { decodeHeader } from './header.js';
import { decodeReceiptList } from './receipt.js';
import { readAt, rlpFileItems } from './rlp-file.js';
import { fields, fixed, readOne, type RlpView } from './rlp-view.js';
import { verifyReceipts } from './verify.js';

/** A block's receipts stay under geth's 10 MiB message (paged) plus room: bigger is refused. */
const MAX_ITEM_SIZE = 64 * 1024 * 1024;

export interface ReceiptsIndex {
  /** The network-form receipts list of block `n`, read from the file. */
  get(n: number): Promise<Uint8Array | undefined>;
  close(): Promise<void>;
}

/** What the reader needs of the chain: headers by hash. */
type Headers = Pick<ChainSource, 'headerByHash'>;

/**
 * Index and check `path`. With `optional`, a missing file is no receipts (undefined). Throws
 * RangeError naming the block and the check that failed.
 */
export async function readReceiptsFile(path: string, chain: Headers, options: { optional?: boolean } = {}): Promise<ReceiptsIndex | undefined> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (err) {
    if (options.optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RangeError(`cannot open ${path}: ${(err as Error).message}`);
  }
  const where = new Map<number, [offset: number, size: number]>();
  try {
    for await (const { offset, bytes } of rlpFileItems(file, MAX_ITEM_SIZE)) {
      const at = `${path}: item at offset ${offset}`;
      let hash: Uint8Array;
      let list: RlpView;
      try {
        const parts = fields(readOne(bytes), 2, 2, '[blockHash, receipts]');
        hash = fixed(parts[0]!, 32, 'block hash');
        list = parts[1]!;
      } catch (err) {
        throw new RangeError(`${at}: ${(err as Error).message}`);
      }
      const stored = await chain.headerByHash(hash);
      if (!stored) throw new RangeError(`${at}: block 0x${bytesToHex(hash)} is not in the chain`);
      try {
        verifyReceipts(decodeHeader(stored.raw), decodeReceiptList(list));
      } catch (err) {
        throw new RangeError(`${path}: receipts of block ${stored.number}: ${(err as Error).message}`);
      }
      where.set(Number(stored.number), [offset + list.raw.byteOffset - bytes.byteOffset, list.raw.length]);
    }
  } catch (err) {
    await file.close();
    throw err;
  }
  return {
    async get(n: number): Promise<Uint8Array | undefined> {
      if (n === 0 && !where.has(0)) return Uint8Array.of(0xc0); // genesis has no transactions
      const w = where.get(n);
      return w ? readAt(file, w[0], w[1]) : undefined;
    },
    close: () => file.close(),
  };
}

