/**
 * A ChainSource over files: a genesis (block 0), `chain.rlp` in geth's export format (RLP
 * blocks `[header, txs, uncles, withdrawals?]` one after another, from block 0 or 1), and
 * optionally the receipts file `rlpx fetch` writes (receipts-file.ts).
 *
 * Loading reads each block once and checks it: numbers follow one another, each parent hash
 * is the previous block's hash, and the body matches its header (transactions root, ommers
 * hash, withdrawals root, present iff the header has one). What stays in memory is an index
 * (offsets, hashes): bodies, headers and receipts are read back from the files on demand, so
 * a 100,000-block file loads in bounded memory (about 60 bytes a block); the last ones served
 * stay in a cache of bounded size (32 MiB by default).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToHex, equalBytes } from '../crypto/bytes.js';
import { decodeBlockView, type Block } from './block.js';
import { decodeHeader, type BlockHeader } from './header.js';
import { ByteLru } from './byte-lru.js';
import { readAt, rlpFileItems } from './rlp-file.js';
import { encodeRawList, fields as listFields, readOne, type RlpView } from './rlp-view.js';
import { verifyBody } from './verify.js';
import type { ChainSource, SourceHead, StoredHeader } from './chain-source.js';
import { indexReceiptsFile, type ReceiptsIndex } from './receipts-index.js';

/** A block larger than this is refused: geth's messages stop at 10 MiB, a block is far smaller. */
const MAX_BLOCK_SIZE = 16 * 1024 * 1024;

export class ChainFileError extends Error {
  override name = 'ChainFileError';
}

export interface FileStoreOptions {
  /** The genesis header's RLP (from genesis.json); needed when chain.rlp starts at block 1. */
  genesisHeader?: Uint8Array;
  /** The genesis hash the chain must have (from --chain or --genesis). */
  genesisHash?: Uint8Array;
  /** The chain file (default DIR/chain.rlp). */
  chainFile?: string;
  /** The receipts file (default DIR/receipts.rlp, when it exists). */
  receiptsFile?: string;
  /** Serve only up to this block (a store that holds less than it could). */
  maxBlock?: bigint;
  /** Bytes of recently served headers, bodies and receipts kept in memory (default 32 MiB). */
  cacheBytes?: number;
}

export const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;

/** Offsets of a block in chain.rlp: the header, then the body fields up to the block's end. */
interface Index {
  count: number;
  headerStart: Float64Array;
  headerEnd: Float64Array;
  blockEnd: Float64Array;
  hashes: Uint8Array;
}

interface Genesis {
  raw: Uint8Array;
  hash: Uint8Array;
  body: Uint8Array;
}

interface Loaded {
  genesis: Genesis;
  first: number;
  index: Index;
  byHash: Map<string, number>;
  head: SourceHead;
}

const key = (hash: Uint8Array): string => Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('latin1');

export class FileStore implements ChainSource {
  readonly #file: FileHandle;
  readonly #genesis: Genesis;
  /** Block number of index 0 in chain.rlp: 0 or 1. */
  readonly #first: number;
  readonly #index: Index;
  readonly #byHash: Map<string, number>;
  readonly #head: SourceHead;
  #receipts: ReceiptsIndex | undefined;
  /** Recently served items by kind and number: 'h' header, 'b' body, 'r' receipts. */
  readonly #cache: ByteLru<string>;

  /** Use FileStore.open(). */
  protected constructor(file: FileHandle, loaded: Loaded, cacheBytes: number) {
    this.#file = file;
    this.#cache = new ByteLru(cacheBytes);
    this.#genesis = loaded.genesis;
    this.#first = loaded.first;
    this.#index = loaded.index;
    this.#byHash = loaded.byHash;
    this.#head = loaded.head;
  }

  /** Load and check DIR/chain.rlp (and DIR/receipts.rlp when there). Throws ChainFileError. */
  static async open(dir: string, options: FileStoreOptions = {}): Promise<FileStore> {
    const path = options.chainFile ?? join(dir, 'chain.rlp');
    let file: FileHandle;
    try {
      file = await open(path, 'r');
    } catch (err) {
      throw new ChainFileError(`cannot open ${path}: ${(err as Error).message}`);
    }
    try {
      const store = new FileStore(file, await load(file, path, options), options.cacheBytes ?? DEFAULT_CACHE_BYTES);
      const receipts = options.receiptsFile ?? join(dir, 'receipts.rlp');
      store.#receipts = await indexReceiptsFile(receipts, store, { optional: options.receiptsFile === undefined });
      return store;
    } catch (err) {
      await file.close();
      throw err instanceof ChainFileError ? err : new ChainFileError(`${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Blocks in the store, genesis included. */
  get length(): number {
    return Number(this.#head.number) + 1;
  }

  async close(): Promise<void> {
    await this.#receipts?.close();
    await this.#file.close();
  }

  async head(): Promise<SourceHead> {
    return this.#head;
  }

  async earliest(): Promise<bigint> {
    return 0n;
  }

  /** The canonical hash at `n`, or undefined past the head. */
  hashAt(n: number): Uint8Array | undefined {
    if (n === 0) return this.#genesis.hash;
    const i = n - this.#first;
    if (i < 0 || i >= this.#index.count) return undefined;
    return this.#index.hashes.subarray(i * 32, i * 32 + 32);
  }

  async headerByNumber(number: bigint): Promise<StoredHeader | undefined> {
    if (number < 0n || number > this.#head.number) return undefined;
    return this.#header(Number(number));
  }

  async headerByHash(hash: Uint8Array): Promise<StoredHeader | undefined> {
    const n = this.#numberOf(hash);
    return n === undefined ? undefined : this.#header(n);
  }

  async body(hash: Uint8Array): Promise<Uint8Array | undefined> {
    const n = this.#numberOf(hash);
    if (n === undefined) return undefined;
    if (n === 0) return this.#genesis.body;
    const i = n - this.#first;
    return this.#cache.through(`b${n}`, async () => {
      const from = this.#index.headerEnd[i]!;
      const size = this.#index.blockEnd[i]! - from;
      const prefix = listPrefix(size);
      const out = new Uint8Array(prefix.length + size);
      out.set(prefix, 0);
      await readAt(this.#file, from, size, out.subarray(prefix.length));
      return out;
    });
  }

  async receipts(hash: Uint8Array): Promise<Uint8Array | undefined> {
    const n = this.#numberOf(hash);
    const receipts = this.#receipts;
    if (n === undefined || !receipts) return undefined;
    return this.#cache.through(`r${n}`, () => receipts.get(n));
  }

  async blockAccessList(_hash: Uint8Array): Promise<Uint8Array | undefined> {
    return undefined; // chain.rlp carries no BALs (geth's export format has none)
  }

  #numberOf(hash: Uint8Array): number | undefined {
    if (hash.length !== 32) return undefined;
    if (equalBytes(hash, this.#genesis.hash)) return 0;
    const i = this.#byHash.get(key(hash));
    return i === undefined ? undefined : i + this.#first;
  }

  async #header(n: number): Promise<StoredHeader | undefined> {
    if (n === 0) {
      const g = this.#genesis;
      return { number: 0n, hash: g.hash, parentHash: new Uint8Array(32), raw: g.raw };
    }
    const i = n - this.#first;
    if (i < 0 || i >= this.#index.count) return undefined;
    const start = this.#index.headerStart[i]!;
    const raw = (await this.#cache.through(`h${n}`, () => readAt(this.#file, start, this.#index.headerEnd[i]! - start)))!;
    return { number: BigInt(n), hash: this.hashAt(n)!, parentHash: this.hashAt(n - 1)!, raw };
  }
}

function grow(a: Float64Array, n: number): Float64Array {
  if (n < a.length) return a;
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

/** The empty body of a genesis block: withdrawals (empty) iff its header has a withdrawals root. */
function genesisBody(header: BlockHeader): Uint8Array {
  return header.withdrawalsRoot ? Uint8Array.of(0xc3, 0xc0, 0xc0, 0xc0) : Uint8Array.of(0xc2, 0xc0, 0xc0);
}

/** The RLP prefix of a list whose content is `size` bytes. */
function listPrefix(size: number): Uint8Array {
  if (size < 56) return Uint8Array.of(0xc0 + size);
  const bytes: number[] = [];
  for (let n = size; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Uint8Array.of(0xf7 + bytes.length, ...bytes);
}

async function load(file: FileHandle, path: string, options: FileStoreOptions): Promise<Loaded> {
  let index: Index = { count: 0, headerStart: new Float64Array(1024), headerEnd: new Float64Array(1024), blockEnd: new Float64Array(1024), hashes: new Uint8Array(32 * 1024) };
  const byHash = new Map<string, number>();
  let genesis: Genesis | undefined;
  if (options.genesisHeader) {
    const header = decodeHeader(options.genesisHeader);
    genesis = { raw: header.raw, hash: header.hash, body: genesisBody(header) };
  }
  let first = -1;
  let prev: { number: bigint; hash: Uint8Array; time: bigint } | undefined = genesis ? { number: 0n, hash: genesis.hash, time: decodeHeader(genesis.raw).timestamp } : undefined;
  const max = options.maxBlock;
  for await (const { offset, bytes } of rlpFileItems(file, MAX_BLOCK_SIZE)) {
    const at = `${path}: block at offset ${offset}`;
    let parts: RlpView[];
    let block: Block;
    try {
      const view = readOne(bytes);
      parts = listFields(view, 3, 4, 'block [header, txs, uncles, withdrawals?]');
      block = decodeBlockView(view);
    } catch (err) {
      throw new ChainFileError(`${at}: ${(err as Error).message}`);
    }
    const header = block.header;
    const { hash, number } = header;
    const name = `${path}: block ${number}`;
    if (max !== undefined && number > max) break;
    const headerStart = parts[0]!.raw.byteOffset - bytes.byteOffset;
    const headerEnd = headerStart + parts[0]!.raw.length;
    if (first < 0 && number === 0n) {
      // Block 0 in the file (geth export writes it): it is the genesis.
      if (genesis && !equalBytes(genesis.hash, hash)) throw new ChainFileError(`${name}: genesis hash 0x${bytesToHex(hash)} is not the configured genesis 0x${bytesToHex(genesis.hash)}`);
      genesis = { raw: header.raw, hash, body: encodeRawList(parts.slice(1).map((p) => p.raw)) };
      prev = { number: 0n, hash, time: header.timestamp };
      continue;
    }
    if (!prev) throw new ChainFileError(`${name}: the file does not start at block 0, and no genesis was given (--genesis)`);
    if (number !== prev.number + 1n) throw new ChainFileError(`${name}: follows block ${prev.number}`);
    if (!equalBytes(header.parentHash, prev.hash)) throw new ChainFileError(`${name}: parent hash 0x${bytesToHex(header.parentHash)} is not block ${prev.number}'s hash 0x${bytesToHex(prev.hash)}`);
    try {
      verifyBody(header, block);
    } catch (err) {
      throw new ChainFileError(`${name}: ${(err as Error).message}`);
    }
    if (first < 0) first = Number(number);
    const i = index.count;
    index = ensure(index, i + 1);
    index.headerStart[i] = offset + headerStart;
    index.headerEnd[i] = offset + headerEnd;
    index.blockEnd[i] = offset + bytes.length;
    index.hashes.set(hash, i * 32);
    byHash.set(key(hash), i);
    index.count++;
    prev = { number, hash, time: header.timestamp };
  }
  if (!genesis || !prev) throw new ChainFileError(`${path}: no blocks, and no genesis was given`);
  if (options.genesisHash && !equalBytes(options.genesisHash, genesis.hash)) {
    throw new ChainFileError(`${path}: genesis 0x${bytesToHex(genesis.hash)} is not the chain's genesis 0x${bytesToHex(options.genesisHash)}`);
  }
  const head: SourceHead = { number: prev.number, hash: prev.hash, time: prev.time };
  return { genesis, first: first < 0 ? 1 : first, index, byHash, head };
}

function ensure(index: Index, n: number): Index {
  if (n <= index.headerStart.length) return index;
  const hashes = new Uint8Array(index.hashes.length * 2);
  hashes.set(index.hashes);
  return { count: index.count, headerStart: grow(index.headerStart, n), headerEnd: grow(index.headerEnd, n), blockEnd: grow(index.blockEnd, n), hashes };
}
