/**
 * Asking a peer for chain data, and checking what comes back.
 *
 *   const eth = ethStatusResponder();              // in the peer's protocols
 *   const client = new EthClient(eth);
 *   const [head] = await client.getBlockHeaders(peer, { origin: status.latestBlockHash, amount: 1 });
 *
 * Every request takes `{ signal, timeout }` (default DEFAULT_REQUEST_TIMEOUT, 10 s). Answers
 * are checked: headers against what was asked (origin hash or number, spacing, parent links
 * when contiguous), bodies and receipts against the headers they are asked with. A reply that
 * fails a check rejects with ResponseError 'mismatch' and closes the peer with 0x10, as a
 * reply that breaks the protocol does.
 */
import type { Peer } from '../peer/peer.js';
import { DisconnectReason } from '../reasons.js';
import type { BlockBody } from './block.js';
import { ResponseError, VerifyError } from './errors.js';
import type { BlockHeader } from './header.js';
import type { Cells } from './messages.js';
import type { EthResponder } from './protocol.js';
import type { Receipt } from './receipt.js';
import type { RequestOptions } from './tracker.js';
import type { PooledTransaction } from './transaction.js';
import { verifyBody, verifyHeader, verifyReceipts } from './verify.js';

export { DEFAULT_REQUEST_TIMEOUT, type RequestOptions } from './tracker.js';

/** geth serves at most this many headers, bodies, receipt lists or access lists per request. */
export const MAX_SERVE = 1024;

export interface HeadersQuery {
  /** A block number or a 32-byte hash. */
  origin: bigint | number | Uint8Array;
  amount: bigint | number;
  skip?: bigint | number;
  reverse?: boolean;
}

/** A block asked for by hash, or by its header (then the answer is checked against it). */
export type BlockRef = Uint8Array | BlockHeader;

const hashOf = (b: BlockRef): Uint8Array => (b instanceof Uint8Array ? b : b.hash);
const headerOf = (b: BlockRef): BlockHeader | undefined => (b instanceof Uint8Array ? undefined : b);

export class EthClient {
  readonly eth: EthResponder;

  constructor(eth: EthResponder) {
    this.eth = eth;
  }

  /** Close the peer with 0x10 and reject with a 'mismatch' ResponseError. */
  #mismatch(peer: Peer, err: unknown): never {
    const e = new ResponseError('mismatch', (err as Error).message, { cause: err });
    void peer.disconnect(DisconnectReason.SubprotocolError).catch(() => {});
    throw e;
  }

  #check(peer: Peer, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (err instanceof VerifyError) this.#mismatch(peer, err);
      throw err;
    }
  }

  /**
   * Headers, checked: the first is the origin (hash or number), numbers step by skip+1 (down
   * when reverse), and with skip 0 each links to its neighbour by parent hash. The answer may
   * be shorter than asked (a node stops at what it has), never longer.
   */
  async getBlockHeaders(peer: Peer, q: HeadersQuery, options: RequestOptions = {}): Promise<BlockHeader[]> {
    const amount = BigInt(q.amount);
    const skip = BigInt(q.skip ?? 0);
    const origin = q.origin instanceof Uint8Array ? q.origin : BigInt(q.origin);
    if (amount < 0n || amount > BigInt(MAX_SERVE)) throw new RangeError(`amount must be 0..${MAX_SERVE}, got ${amount}`);
    const reverse = q.reverse ?? false;
    const { headers } = await this.eth.request(peer, 'GetBlockHeaders', { origin, amount, skip, reverse }, Number(amount), options);
    this.#check(peer, () => {
      const first = headers[0];
      if (!first) return;
      verifyHeader(first, origin instanceof Uint8Array ? { hash: origin } : { number: origin });
      const step = (skip + 1n) * (reverse ? -1n : 1n);
      for (let i = 1; i < headers.length; i++) {
        const [prev, h] = [headers[i - 1]!, headers[i]!];
        verifyHeader(h, { number: prev.number + step });
        if (skip === 0n) linked(reverse ? h : prev, reverse ? prev : h);
      }
    });
    return headers;
  }

  /** Bodies, in order, a prefix of what was asked; those asked by header are checked against it. */
  async getBlockBodies(peer: Peer, blocks: readonly BlockRef[], options: RequestOptions = {}): Promise<BlockBody[]> {
    if (blocks.length > MAX_SERVE) throw new RangeError(`at most ${MAX_SERVE} bodies per request`);
    const { bodies } = await this.eth.request(peer, 'GetBlockBodies', { hashes: blocks.map(hashOf) }, blocks.length, options);
    this.#check(peer, () => bodies.forEach((b, i) => {
      const h = headerOf(blocks[i]!);
      if (h) verifyBody(h, b);
    }));
    return bodies;
  }

  /**
   * Receipts per block, a prefix of what was asked. On eth/70+ a block cut short
   * (lastBlockIncomplete) is asked for again from where it stopped, until it is whole.
   * Lists of blocks asked by header are checked against it (receipts root, logs bloom).
   */
  async getReceipts(peer: Peer, blocks: readonly BlockRef[], options: RequestOptions = {}): Promise<Receipt[][]> {
    if (blocks.length > MAX_SERVE) throw new RangeError(`at most ${MAX_SERVE} receipt lists per request`);
    const out: Receipt[][] = [];
    let partial: Receipt[] | undefined;
    while (out.length < blocks.length) {
      const rest = blocks.slice(out.length).map(hashOf);
      const firstBlockReceiptIndex = partial ? BigInt(partial.length) : 0n;
      const r = await this.eth.request(peer, 'GetReceipts', { hashes: rest, ...(firstBlockReceiptIndex ? { firstBlockReceiptIndex } : {}) }, rest.length, options);
      const lists = r.receipts;
      if (lists.length === 0) break; // the node has no more of them
      if (partial) lists[0] = [...partial, ...lists[0]!];
      partial = undefined;
      if (r.lastBlockIncomplete) {
        const cut = lists.pop()!;
        out.push(...lists);
        // A page that adds nothing would loop forever: the node is done.
        if (lists.length === 0 && cut.length <= Number(firstBlockReceiptIndex)) break;
        partial = cut;
        continue;
      }
      out.push(...lists);
      if (lists.length < rest.length) break;
    }
    this.#check(peer, () => out.forEach((rs, i) => {
      const h = headerOf(blocks[i]!);
      if (h) verifyReceipts(h, rs);
    }));
    return out;
  }

  /** Pooled transactions by hash: those the node has, in the order asked; each hash checked. */
  async getPooledTransactions(peer: Peer, hashes: readonly Uint8Array[], options: RequestOptions = {}): Promise<PooledTransaction[]> {
    const { transactions } = await this.eth.request(peer, 'GetPooledTransactions', { hashes: [...hashes] }, hashes.length, options);
    const wanted = new Set(hashes.map((h) => Buffer.from(h).toString('hex')));
    for (const t of transactions) if (!wanted.has(Buffer.from(t.hash).toString('hex'))) this.#mismatch(peer, new VerifyError('hash', `transaction 0x${Buffer.from(t.hash).toString('hex')} was not asked for`));
    return transactions;
  }

  /** Block access lists (eth/71+), raw RLP each, null where the node has none. */
  async getBlockAccessLists(peer: Peer, blocks: readonly BlockRef[], options: RequestOptions = {}): Promise<(Uint8Array | null)[]> {
    const v = this.eth.version(peer);
    if (v !== undefined && v < 71) throw new RangeError(`eth/${v} has no block access lists`);
    const { accessLists } = await this.eth.request(peer, 'GetBlockAccessLists', { hashes: blocks.map(hashOf) }, blocks.length, options);
    return accessLists;
  }

  /** Blob cells (eth/72) of the given transactions, for the cells in `mask` (16 bytes). */
  async getCells(peer: Peer, hashes: readonly Uint8Array[], mask: Uint8Array, options: RequestOptions & { nested?: boolean } = {}): Promise<Cells> {
    return this.eth.request(peer, 'GetCells', { hashes: [...hashes], mask, nested: options.nested ?? false }, hashes.length, options);
  }
}

/** `child` follows `parent`. */
function linked(parent: BlockHeader, child: BlockHeader): void {
  if (!Buffer.from(child.parentHash).equals(parent.hash)) throw new VerifyError('parent', `block ${child.number}: parentHash does not match block ${parent.number}`);
}
