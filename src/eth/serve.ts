/**
 * Answering eth requests from a ChainSource by go-ethereum v1.17.5's rules
 * (eth/protocols/eth/handlers.go, core/headerchain.go), so that a reply of ours is the reply
 * geth would give on the same chain, byte for byte:
 *
 * - GetBlockHeaders: `amount` 0 is an empty list. With skip 0 (geth's fast path) at most 1,024
 *   contiguous headers, clipped at the head; uint64 arithmetic wraps as Go's does. With a skip,
 *   a walk that stops at 1,024 headers, ~2 MiB, 2,048 lookups, an overflow or the first unknown
 *   header; by hash it follows ancestors (at most 100 non-canonical steps). An amount of 2^63 or
 *   more gives nothing there (geth compares with int(amount), which is negative).
 * - GetBlockBodies, GetReceipts: a prefix that stops at the first unknown block, ~2 MiB, 1,024
 *   items (eth/69 also 2,048 lookups). eth/70 receipts fill up to 10 MiB and may cut the last
 *   block short (lastBlockIncomplete); firstBlockReceiptIndex skips into the first block.
 * - GetBlockAccessLists: an unknown BAL is the empty string (0x80), not the end of the reply.
 */
import { equalBytes } from '../crypto/bytes.js';
import { MAX_ETH_MESSAGE_SIZE } from './messages.js';
import { encodeRawList, iterate, readOne } from './rlp-view.js';
import type { ChainSource, StoredHeader } from './chain-source.js';

/** geth's limits (eth/protocols/eth/handler.go, protocol.go). */
export const SOFT_RESPONSE_LIMIT = 2 * 1024 * 1024;
export const MAX_HEADERS_SERVE = 1024;
export const MAX_BODIES_SERVE = 1024;
export const MAX_RECEIPTS_SERVE = 1024;
export const MAX_BALS_SERVE = 1024;
/** Non-canonical ancestors a skip walk by hash may step through (geth's maxNonCanonical). */
const MAX_NON_CANONICAL = 100;

const U64 = (1n << 64n) - 1n;
const u64 = (n: bigint): bigint => n & U64;
const ZERO_HASH = new Uint8Array(32);

export interface HeaderQuery {
  /** A block number, or a 32-byte hash. */
  origin: bigint | Uint8Array;
  amount: bigint;
  skip: bigint;
  reverse: boolean;
}

/** The headers a GetBlockHeaders query gets, raw, in reply order. */
export async function serveHeaders(source: ChainSource, query: HeaderQuery): Promise<Uint8Array[]> {
  if (query.amount === 0n) return [];
  // geth treats the zero hash as "no hash": the query is by number (0 unless given).
  const byHash = query.origin instanceof Uint8Array && !equalBytes(query.origin, ZERO_HASH) ? query.origin : undefined;
  const number = typeof query.origin === 'bigint' ? query.origin : 0n;
  return query.skip === 0n ? contiguous(source, query, byHash, number) : walk(source, query, byHash, number);
}

/**
 * Canonical headers `number`, `number - 1`, ... (`count` at most), first clipped to the head
 * as geth's HeaderChain.GetHeadersFrom clips a request for future headers.
 */
async function headersFrom(source: ChainSource, number: bigint, count: bigint): Promise<Uint8Array[]> {
  const current = (await source.head()).number;
  if (current < number) {
    if (count > number - current) {
      count -= number - current;
      number = current;
    } else return [];
  }
  const out: Uint8Array[] = [];
  for (; count > 0n && number >= 0n; count--, number--) {
    const h = await source.headerByNumber(number);
    if (!h) break;
    out.push(h.raw);
  }
  return out;
}

async function contiguous(source: ChainSource, query: HeaderQuery, byHash: Uint8Array | undefined, number: bigint): Promise<Uint8Array[]> {
  const count = query.amount > BigInt(MAX_HEADERS_SERVE) ? BigInt(MAX_HEADERS_SERVE) : query.amount;
  if (!byHash) {
    const from = query.reverse ? number : u64(number + count - 1n);
    const headers = await headersFrom(source, from, count);
    return query.reverse ? headers : headers.reverse();
  }
  let header = await source.headerByHash(byHash);
  if (!header) return [];
  const out = [header.raw];
  if (!query.reverse) {
    // Descendants of a non-canonical header are unknown to geth: the origin alone.
    const canonical = await source.headerByNumber(header.number);
    if (!canonical || !equalBytes(canonical.hash, byHash)) return out;
    const rest = await headersFrom(source, u64(header.number + count - 1n), count - 1n);
    return out.concat(rest.reverse());
  }
  for (let i = 1n; i < count; i++) {
    header = await source.headerByHash(header.parentHash);
    if (!header) break;
    out.push(header.raw);
  }
  return out;
}

/** geth's HeaderChain.GetAncestor: the hash and number `ancestor` blocks below (hash, number). */
async function ancestorOf(source: ChainSource, hash: Uint8Array, number: bigint, ancestor: bigint, budget: { left: number }): Promise<[Uint8Array, bigint] | undefined> {
  if (ancestor > number) return undefined;
  if (ancestor === 1n) {
    const h = await headerAt(source, hash, number);
    return h ? [h.parentHash, number - 1n] : undefined;
  }
  while (ancestor !== 0n) {
    const canonical = await source.headerByNumber(number);
    if (canonical && equalBytes(canonical.hash, hash)) {
      const target = await source.headerByNumber(number - ancestor);
      return [target?.hash ?? ZERO_HASH, number - ancestor];
    }
    if (budget.left === 0) return undefined;
    budget.left--;
    ancestor--;
    const h = await headerAt(source, hash, number);
    if (!h) return undefined;
    hash = h.parentHash;
    number--;
  }
  return [hash, number];
}

/** geth's GetHeader(hash, number): the header with that hash, if it has that number. */
async function headerAt(source: ChainSource, hash: Uint8Array, number: bigint): Promise<StoredHeader | undefined> {
  const h = await source.headerByHash(hash);
  return h && h.number === number ? h : undefined;
}

async function walk(source: ChainSource, query: HeaderQuery, byHash: Uint8Array | undefined, number: bigint): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const budget = { left: MAX_NON_CANONICAL };
  const step = u64(query.skip + 1n);
  let hash = byHash;
  let first = true;
  let bytes = 0;
  let lookups = 0;
  // geth compares with int(query.Amount): an amount of 2^63 or more is negative there, and
  // the walk gives nothing.
  const amount = query.amount >= 1n << 63n ? query.amount - (1n << 64n) : query.amount;
  while (BigInt(out.length) < amount && bytes < SOFT_RESPONSE_LIMIT && out.length < MAX_HEADERS_SERVE && lookups < 2 * MAX_HEADERS_SERVE) {
    lookups++;
    let origin: StoredHeader | undefined;
    if (hash) {
      if (first) {
        first = false;
        origin = await source.headerByHash(hash);
        if (origin) number = origin.number;
      } else origin = await headerAt(source, hash, number);
    } else origin = await source.headerByNumber(number);
    if (!origin) break;
    out.push(origin.raw);
    bytes += origin.raw.length;

    if (hash && query.reverse) {
      if (step === 0n) break;
      const up = await ancestorOf(source, hash, number, step, budget);
      if (!up || equalBytes(up[0], ZERO_HASH)) break;
      [hash, number] = up;
    } else if (hash) {
      const next = u64(origin.number + step);
      if (next <= origin.number) break; // geth: "skip overflow attack"
      const header = await source.headerByNumber(next);
      if (!header) break;
      const back = await ancestorOf(source, header.hash, next, step, budget);
      if (!back || !equalBytes(back[0], hash)) break;
      [hash, number] = [header.hash, next];
    } else if (query.reverse) {
      const below = u64(number - step);
      if (below >= number) break;
      number = below;
    } else {
      const above = u64(number + step);
      if (above <= number) break;
      number = above;
    }
  }
  return out;
}

/** Bodies of the blocks asked for, as a prefix. */
export async function serveBodies(source: ChainSource, hashes: readonly Uint8Array[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  let bytes = 0;
  for (let lookups = 0; lookups < hashes.length; lookups++) {
    if (bytes >= SOFT_RESPONSE_LIMIT || out.length >= MAX_BODIES_SERVE || lookups >= 2 * MAX_BODIES_SERVE) break;
    const body = await source.body(hashes[lookups]!);
    if (!body || body.length === 0) break;
    out.push(body);
    bytes += body.length;
  }
  return out;
}

/** eth/69 receipts: whole lists, as a prefix. */
export async function serveReceipts69(source: ChainSource, hashes: readonly Uint8Array[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  let bytes = 0;
  for (let lookups = 0; lookups < hashes.length; lookups++) {
    if (bytes >= SOFT_RESPONSE_LIMIT || out.length >= MAX_RECEIPTS_SERVE || lookups >= 2 * MAX_RECEIPTS_SERVE) break;
    const list = await receiptsOf(source, hashes[lookups]!);
    if (!list) break;
    out.push(list);
    bytes += list.length;
  }
  return out;
}

export interface Receipts70 {
  lists: Uint8Array[];
  lastBlockIncomplete: boolean;
}

/** eth/70+ receipts: up to 10 MiB, the last list possibly cut short; `firstIndex` skips into the first. */
export async function serveReceipts70(source: ChainSource, hashes: readonly Uint8Array[], firstIndex: bigint): Promise<Receipts70> {
  const lists: Uint8Array[] = [];
  let bytes = 0;
  for (let i = 0; i < hashes.length; i++) {
    if (bytes >= SOFT_RESPONSE_LIMIT || lists.length >= MAX_RECEIPTS_SERVE) break;
    const list = await receiptsOf(source, hashes[i]!);
    if (!list) break;
    const part = sliceReceipts(list, i === 0 ? firstIndex : 0n, MAX_ETH_MESSAGE_SIZE - bytes);
    if (!part) break; // not even the first receipt fits
    lists.push(part.list);
    bytes += part.list.length;
    if (part.incomplete) return { lists, lastBlockIncomplete: true };
  }
  return { lists, lastBlockIncomplete: false };
}

/** A block's receipts, only when its body is there too (geth needs both). */
async function receiptsOf(source: ChainSource, hash: Uint8Array): Promise<Uint8Array | undefined> {
  const list = await source.receipts(hash);
  if (!list || !(await source.body(hash))) return undefined;
  return list;
}

/**
 * Receipts `from` onwards of one list, as many as fit in `limit` bytes of receipts (list
 * prefixes of the receipts counted, the outer one not, as geth's encoder buffer counts).
 */
function sliceReceipts(list: Uint8Array, from: bigint, limit: number): { list: Uint8Array; incomplete: boolean } | undefined {
  const kept: Uint8Array[] = [];
  let size = 0;
  let incomplete = false;
  let i = 0n;
  for (const receipt of iterate(readOne(list))) {
    if (i++ < from) continue;
    if (size + receipt.raw.length > limit) {
      if (i - 1n === from) return undefined;
      incomplete = true;
      break;
    }
    kept.push(receipt.raw);
    size += receipt.raw.length;
  }
  if (from === 0n && !incomplete) return { list, incomplete };
  return { list: encodeRawList(kept), incomplete };
}

/** Block access lists; an unknown one is 0x80 and does not end the reply. */
export async function serveBlockAccessLists(source: ChainSource, hashes: readonly Uint8Array[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  let bytes = 0;
  for (const hash of hashes) {
    if (bytes >= SOFT_RESPONSE_LIMIT || out.length >= MAX_BALS_SERVE) break;
    const bal = await source.blockAccessList(hash);
    if (!bal || bal.length === 0) {
      out.push(EMPTY_STRING);
      continue;
    }
    out.push(bal);
    bytes += bal.length;
  }
  return out;
}

const EMPTY_STRING = Uint8Array.of(0x80);
