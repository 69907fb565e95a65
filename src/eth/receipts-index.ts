/**
 * Indexing the receipts file beside chain.rlp (its format: receipts-file.ts, what `rlpx fetch
 * --receipts` writes) for a serving node: entries are read one at a time from the file, each
 * checked against its block's header (block number, receipts root, logs bloom: verify.ts),
 * and only where each receipts list lies in the file is kept; lists are read back on demand.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { bytesToHex } from '../crypto/bytes.js';
import type { ChainSource } from './chain-source.js';
import { decodeHeader } from './header.js';
import { readReceiptsFile } from './receipts-file.js';
import { readAt, rlpFileItems } from './rlp-file.js';
import { verifyReceipts } from './verify.js';

/** A block's receipts stay under geth's 10 MiB message (paged) plus room: bigger is refused. */
const MAX_ENTRY_SIZE = 64 * 1024 * 1024;

export interface ReceiptsIndex {
  /** The network-form receipts list of block `n`, read from the file. */
  get(n: number): Promise<Uint8Array | undefined>;
  close(): Promise<void>;
}

/**
 * Index and check `path` against `chain`. With `optional`, a missing file is no receipts
 * (undefined). Throws RangeError naming the entry or block and what failed.
 */
export async function indexReceiptsFile(path: string, chain: Pick<ChainSource, 'headerByHash'>, options: { optional?: boolean } = {}): Promise<ReceiptsIndex | undefined> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (err) {
    if (options.optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RangeError(`cannot open ${path}: ${(err as Error).message}`);
  }
  const where = new Map<number, [offset: number, size: number]>();
  try {
    for await (const { offset, bytes } of rlpFileItems(file, MAX_ENTRY_SIZE)) {
      const at = `${path}: entry at offset ${offset}`;
      let entry;
      try {
        entry = readReceiptsFile(bytes).next().value!;
      } catch (err) {
        throw new RangeError(`${at}: ${(err as Error).message}`);
      }
      const stored = await chain.headerByHash(entry.hash);
      if (!stored) throw new RangeError(`${at}: block 0x${bytesToHex(entry.hash)} is not in the chain`);
      if (stored.number !== entry.number) throw new RangeError(`${at}: block 0x${bytesToHex(entry.hash)} is number ${stored.number}, not ${entry.number}`);
      try {
        verifyReceipts(decodeHeader(stored.raw), entry.receipts);
      } catch (err) {
        throw new RangeError(`${path}: receipts of block ${stored.number}: ${(err as Error).message}`);
      }
      // The list is the entry's last field: it ends where the entry ends.
      where.set(Number(stored.number), [offset + bytes.length - entry.raw.length, entry.raw.length]);
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
