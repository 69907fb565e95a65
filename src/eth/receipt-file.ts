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
import { RLP } from '@ethereumjs/rlp';
import { bytesToHex, equalBytes } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { rlpItemAt, rlpList, rlpListItems, rlpPayload, rlpRaw, rlpStringPrefix, rlpUint64, type RlpItem } from '../wire/rlp-items.js';
import type { ChainSource } from './chain-source.js';
import { headerFields } from './header-fields.js';
import { readAt, rlpFileItems } from './rlp-file.js';
import { trieRoot } from './trie.js';

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
      const parts = rlpListItems(bytes, rlpItemAt(bytes, 0));
      const hashItem = parts[0];
      const list = parts[1];
      if (parts.length !== 2 || !hashItem || hashItem.list || hashItem.end - hashItem.payload !== 32 || !list?.list) throw new RangeError(`${at}: not [blockHash, receipts]`);
      const hash = rlpPayload(bytes, hashItem);
      const header = await chain.headerByHash(hash);
      if (!header) throw new RangeError(`${at}: block 0x${bytesToHex(hash)} is not in the chain`);
      try {
        checkReceipts(bytes, list, headerFields(header.raw));
      } catch (err) {
        throw new RangeError(`${path}: receipts of block ${header.number}: ${(err as Error).message}`);
      }
      where.set(Number(header.number), [offset + list.start, list.end - list.start]);
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

/** The 2048-bit bloom of a receipt's logs (geth core/types/bloom9.go). */
function addToBloom(bloom: Uint8Array, value: Uint8Array): void {
  const h = keccak256(value);
  for (let i = 0; i < 6; i += 2) {
    const bit = ((h[i]! << 8) | h[i + 1]!) & 0x7ff;
    bloom[255 - (bit >> 3)]! |= 1 << (bit & 7);
  }
}

/** Check network-form receipts (the list `list` in `b`) against a header's roots. */
function checkReceipts(b: Uint8Array, list: RlpItem, header: { receiptsRoot: Uint8Array; logsBloom: Uint8Array }): void {
  const all = new Uint8Array(256);
  const entries: Array<readonly [Uint8Array, Uint8Array]> = [];
  rlpListItems(b, list).forEach((item, i) => {
    const f = item.list ? rlpListItems(b, item) : [];
    const type = f[0] && rlpUint64(b, f[0]);
    if (f.length !== 4 || type === undefined || type > 0x7fn || !f[3]!.list) throw new RangeError(`receipt ${i} is not [type, status, gas, logs]`);
    const bloom = new Uint8Array(256);
    for (const log of rlpListItems(b, f[3]!)) {
      const lf = log.list ? rlpListItems(b, log) : [];
      if (lf.length !== 3 || lf[0]!.list || !lf[1]!.list) throw new RangeError(`receipt ${i} has a malformed log`);
      addToBloom(bloom, rlpPayload(b, lf[0]!));
      for (const topic of rlpListItems(b, lf[1]!)) addToBloom(bloom, rlpPayload(b, topic));
    }
    for (let k = 0; k < 256; k++) all[k]! |= bloom[k]!;
    const consensus = rlpList([rlpRaw(b, f[1]!), rlpRaw(b, f[2]!), Uint8Array.of(...rlpStringPrefix(256), ...bloom), rlpRaw(b, f[3]!)]);
    let value = consensus;
    if (type !== 0n) {
      value = new Uint8Array(consensus.length + 1);
      value[0] = Number(type);
      value.set(consensus, 1);
    }
    entries.push([RLP.encode(i), value]);
  });
  const root = trieRoot(entries);
  if (!equalBytes(root, header.receiptsRoot)) throw new RangeError(`receipts root 0x${bytesToHex(root)} is not the header's 0x${bytesToHex(header.receiptsRoot)}`);
  if (!equalBytes(all, header.logsBloom)) throw new RangeError("the receipts' blooms are not the header's logs bloom");
}
