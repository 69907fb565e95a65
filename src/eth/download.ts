/**
 * Downloading a range of blocks from one peer, every item verified: headers by number in
 * batches, linked to each other (and to the parent given); bodies checked against their
 * headers; receipts, when asked, checked against theirs. Blocks come out in order, one batch
 * at a time, so a caller can write them as they come.
 */
import type { Peer } from '../peer/peer.js';
import type { Block } from './block.js';
import { EthClient, type RequestOptions } from './client.js';
import { ResponseError } from './errors.js';
import type { BlockHeader } from './header.js';
import type { Receipt } from './receipt.js';
import { verifyHeaderChain } from './verify.js';

export interface DownloadOptions extends RequestOptions {
  from: bigint;
  /** Inclusive. */
  to: bigint;
  receipts?: boolean;
  /** The header block `from` must follow, or its hash (e.g. the genesis hash when from = 1). */
  parent?: BlockHeader | Uint8Array;
  /** Headers per request (default 128; geth serves up to 1024). */
  batch?: number;
}

export interface DownloadedBlock extends Block {
  /** Present when receipts were asked for. */
  receipts?: Receipt[];
}

/** Fetch [from, to] from a peer; every item is verified before it is yielded. */
export async function* downloadBlocks(client: EthClient, peer: Peer, o: DownloadOptions): AsyncGenerator<DownloadedBlock[]> {
  if (o.from < 0n || o.to < o.from) throw new RangeError(`bad range ${o.from}..${o.to}`);
  const batch = BigInt(o.batch ?? 128);
  const req: RequestOptions = { ...(o.signal ? { signal: o.signal } : {}), ...(o.timeout ? { timeout: o.timeout } : {}) };
  let parent = o.parent;
  for (let n = o.from; n <= o.to; ) {
    const amount = o.to - n + 1n < batch ? o.to - n + 1n : batch;
    const headers = await client.getBlockHeaders(peer, { origin: n, amount }, req);
    if (headers.length === 0) throw new ResponseError('mismatch', `the peer has no block ${n}`);
    if (parent instanceof Uint8Array) {
      if (!Buffer.from(headers[0]!.parentHash).equals(parent)) throw new ResponseError('mismatch', `block ${n} does not follow the parent hash given`);
      verifyHeaderChain(headers);
    } else verifyHeaderChain(headers, parent);
    const bodies = await fetchAll(headers, (hs) => client.getBlockBodies(peer, hs, req), 'bodies');
    const receipts = o.receipts ? await fetchAll(headers, (hs) => client.getReceipts(peer, hs, req), 'receipts') : undefined;
    yield headers.map((header, i) => ({ header, ...bodies[i]!, ...(receipts ? { receipts: receipts[i]! } : {}) }));
    parent = headers[headers.length - 1]!;
    n += BigInt(headers.length);
  }
}

/** Ask until every header has its item: a peer may answer a prefix; one that answers nothing fails. */
async function fetchAll<T>(headers: BlockHeader[], ask: (hs: BlockHeader[]) => Promise<T[]>, what: string): Promise<T[]> {
  const out: T[] = [];
  while (out.length < headers.length) {
    const got = await ask(headers.slice(out.length));
    if (got.length === 0) throw new ResponseError('mismatch', `the peer has no ${what} for block ${headers[out.length]!.number}`);
    out.push(...got);
  }
  return out;
}
