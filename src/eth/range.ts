/**
 * BlockRangeUpdate (eth/69, 0x11): a node's served block range, moved forward as it syncs.
 *
 *   BlockRangeUpdate = [earliestBlock, latestBlock, latestBlockHash]
 *
 * The range a peer announced first comes with its Status; BlockRangeTracker keeps the latest
 * one and when it moved.
 */
import { RLP } from '@ethereumjs/rlp';
import { BlockRangeError } from './errors.js';
import { decodeList, fixedBytes, isZero, uint64 } from './fields.js';

export const BLOCK_RANGE_UPDATE_CODE = 0x11;
/** A BlockRangeUpdate is under 60 bytes; this leaves room for extra fields and no more. */
export const MAX_BLOCK_RANGE_UPDATE_SIZE = 1024;

export interface BlockRange {
  earliestBlock: bigint;
  latestBlock: bigint;
  latestBlockHash: Uint8Array;
}

/** A peer's range as we last heard it, and when (Date.now() ms). */
export interface PeerRange extends BlockRange {
  updatedAt: number;
}

export function encodeBlockRangeUpdate(r: BlockRange): Uint8Array {
  return RLP.encode([r.earliestBlock, r.latestBlock, r.latestBlockHash]);
}

export function decodeBlockRangeUpdate(payload: Uint8Array): BlockRange {
  if (payload.length > MAX_BLOCK_RANGE_UPDATE_SIZE) throw new BlockRangeError('size', `${payload.length} bytes exceeds the ${MAX_BLOCK_RANGE_UPDATE_SIZE}-byte limit`);
  const d = decodeList(payload);
  if ('error' in d) throw new BlockRangeError('rlp', 'not valid RLP', { cause: d.error });
  const [e, l, h] = d.list;
  const earliestBlock = uint64(e);
  const latestBlock = uint64(l);
  const latestBlockHash = fixedBytes(h, 32);
  if (earliestBlock === undefined || latestBlock === undefined || latestBlockHash === undefined) {
    throw new BlockRangeError('rlp', 'not a [earliest, latest, hash(32)] list');
  }
  return { earliestBlock, latestBlock, latestBlockHash };
}

/** geth's checks on a range (BlockRangeUpdatePacket.Validate) plus a non-zero hash. */
export function validateBlockRange(r: BlockRange): void {
  if (r.earliestBlock > r.latestBlock) throw new BlockRangeError('range', `earliest block ${r.earliestBlock} > latest block ${r.latestBlock}`);
  if (isZero(r.latestBlockHash)) throw new BlockRangeError('hash', 'latest block hash is zero');
}

/**
 * The latest range of one peer. By default an update may not move the latest block back.
 * geth does send one that does, at once, after a SetHead (eth/handler.go shouldSend): a tool
 * that follows nodes through rewinds passes `allowRewind`.
 */
export class BlockRangeTracker {
  #range: PeerRange | undefined;
  readonly #allowRewind: boolean;

  constructor(options: { allowRewind?: boolean } = {}) {
    this.#allowRewind = options.allowRewind ?? false;
  }

  get range(): PeerRange | undefined {
    return this.#range;
  }

  /** The range from the peer's Status (already validated with it). */
  start(r: BlockRange, now = Date.now()): PeerRange {
    return (this.#range = { earliestBlock: r.earliestBlock, latestBlock: r.latestBlock, latestBlockHash: r.latestBlockHash, updatedAt: now });
  }

  /** Decode, check and record an update; throws BlockRangeError. */
  update(payload: Uint8Array, now = Date.now()): PeerRange {
    const r = decodeBlockRangeUpdate(payload);
    validateBlockRange(r);
    const last = this.#range;
    if (last && r.latestBlock < last.latestBlock && !this.#allowRewind) throw new BlockRangeError('backwards', `latest block went back from ${last.latestBlock} to ${r.latestBlock}`);
    return this.start(r, now);
  }
}
