/**
 * Serving one peer after the Status exchange: its requests are read in order and answered
 * from a ChainSource by geth's rules (serve.ts), one at a time, as geth's read loop does. The
 * channel's iterator holds the peer's socket while 64 requests wait, so a flood costs us a
 * bounded queue, not memory.
 *
 * What arrives besides requests: Transactions and announcements are ignored; responses are
 * left to whoever asked (a client on the same channel); a second Status, a code eth does not
 * use (0x0b-0x0e), a malformed or oversized (> 10 MiB) request closes the peer with 0x10, as
 * geth's handler does.
 */
import { ProtocolError } from '../errors.js';
import { DisconnectReason } from '../reasons.js';
import type { ProtocolChannel } from '../peer/channel.js';
import type { Peer } from '../peer/peer.js';
import { rlpEncodeUint, rlpItemAt, rlpList, rlpListItems, rlpPayload, rlpRaw, rlpUint64, type RlpItem } from '../wire/rlp-items.js';
import type { ChainSource } from './chain-source.js';
import { MAX_PACKET_SIZE, serveBlockAccessLists, serveBodies, serveHeaders, serveReceipts69, serveReceipts70, type HeadersQuery } from './serve.js';

/** eth message codes (relative to the protocol's offset). */
export const EthCode = {
  Status: 0x00,
  NewBlockHashes: 0x01,
  Transactions: 0x02,
  GetBlockHeaders: 0x03,
  BlockHeaders: 0x04,
  GetBlockBodies: 0x05,
  BlockBodies: 0x06,
  NewBlock: 0x07,
  NewPooledTransactionHashes: 0x08,
  GetPooledTransactions: 0x09,
  PooledTransactions: 0x0a,
  GetReceipts: 0x0f,
  Receipts: 0x10,
  BlockRangeUpdate: 0x11,
  GetBlockAccessLists: 0x12,
  BlockAccessLists: 0x13,
  GetCells: 0x14,
  Cells: 0x15,
} as const;

/** A request we refused, and why. */
export class EthRequestError extends ProtocolError {
  override name = 'EthRequestError';
  readonly code: number;
  constructor(code: number, message: string) {
    super(`eth request 0x${code.toString(16).padStart(2, '0')}: ${message}`, { reason: DisconnectReason.SubprotocolError });
    this.code = code;
  }
}

export interface ServeSessionOptions {
  signal?: AbortSignal;
  /** Called with each request answered (code, items) and each refused one (the error). */
  onServed?: (code: number, items: number) => void;
  onRefused?: (err: EthRequestError) => void;
}

/** Messages a server ignores without a word. */
const IGNORED = new Set<number>([
  EthCode.NewBlockHashes,
  EthCode.Transactions,
  EthCode.NewBlock,
  EthCode.NewPooledTransactionHashes,
  EthCode.BlockRangeUpdate, // checked by the responder
  EthCode.BlockHeaders,
  EthCode.BlockBodies,
  EthCode.PooledTransactions,
  EthCode.Receipts,
  EthCode.BlockAccessLists,
  EthCode.Cells,
]);

/** Answer `peer`'s requests on `channel` until it closes. Never throws. */
export async function serveSession(channel: ProtocolChannel, peer: Peer, source: ChainSource, options: ServeSessionOptions = {}): Promise<void> {
  try {
    for await (const { code, payload } of channel.messages({ signal: options.signal })) {
      if (IGNORED.has(code)) continue;
      let reply: { code: number; payload: Uint8Array; items: number };
      try {
        reply = await answer(channel.version, code, payload, source);
      } catch (err) {
        const refused = err instanceof EthRequestError ? err : new EthRequestError(code, (err as Error).message);
        options.onRefused?.(refused);
        void peer.disconnect(DisconnectReason.SubprotocolError).catch(() => {});
        return;
      }
      if (peer.isClosing) return;
      await channel.send(reply.code, reply.payload);
      options.onServed?.(code, reply.items);
    }
  } catch {
    // The peer closed or the signal aborted while we answered: nothing more to do.
  }
}

interface Request {
  id: Uint8Array;
  /** The request's fields after the id. */
  fields: RlpItem[];
  bytes: Uint8Array;
}

function request(code: number, payload: Uint8Array, fields: number): Request {
  if (payload.length > MAX_PACKET_SIZE) throw new EthRequestError(code, `${payload.length} bytes exceeds the ${MAX_PACKET_SIZE}-byte limit`);
  let items: RlpItem[];
  try {
    const top = rlpItemAt(payload, 0);
    if (top.end !== payload.length) throw new RangeError('trailing bytes');
    items = rlpListItems(payload, top);
  } catch (err) {
    throw new EthRequestError(code, `not valid RLP: ${(err as Error).message}`);
  }
  const id = items[0];
  if (items.length !== fields + 1 || !id || rlpUint64(payload, id) === undefined) throw new EthRequestError(code, `not [requestId, ${fields} field(s)]`);
  return { id: rlpRaw(payload, id), fields: items.slice(1), bytes: payload };
}

/** A list of 32-byte hashes. */
function hashes(code: number, r: Request, item: RlpItem | undefined): Uint8Array[] {
  if (!item?.list) throw new EthRequestError(code, 'hashes are not a list');
  return rlpListItems(r.bytes, item).map((it) => {
    if (it.list || it.end - it.payload !== 32) throw new EthRequestError(code, 'a hash is not 32 bytes');
    return rlpPayload(r.bytes, it);
  });
}

function uint(code: number, r: Request, item: RlpItem | undefined, what: string): bigint {
  const v = item && rlpUint64(r.bytes, item);
  if (v === undefined) throw new EthRequestError(code, `${what} is not a uint64`);
  return v;
}

function headersQuery(r: Request): HeadersQuery {
  const code = EthCode.GetBlockHeaders;
  const q = r.fields[0];
  const f = q?.list ? rlpListItems(r.bytes, q) : [];
  if (f.length !== 4) throw new EthRequestError(code, 'not [origin, amount, skip, reverse]');
  const o = f[0]!;
  const size = o.end - o.payload;
  let origin: bigint | Uint8Array;
  if (!o.list && size === 32) origin = rlpPayload(r.bytes, o);
  else if (!o.list && size <= 8) origin = uint(code, r, o, 'origin');
  else throw new EthRequestError(code, 'origin is neither a number nor a 32-byte hash');
  const reverse = rlpRaw(r.bytes, f[3]!);
  if (reverse.length !== 1 || (reverse[0] !== 0x80 && reverse[0] !== 0x01)) throw new EthRequestError(code, 'reverse is not a boolean');
  return { origin, amount: uint(code, r, f[1], 'amount'), skip: uint(code, r, f[2], 'skip'), reverse: reverse[0] === 0x01 };
}

const reply = (code: number, id: Uint8Array, items: Uint8Array[], ...between: Uint8Array[]): { code: number; payload: Uint8Array; items: number } => ({
  code,
  payload: rlpList([id, ...between, rlpList(items)]),
  items: items.length,
});

async function answer(version: number, code: number, payload: Uint8Array, source: ChainSource): Promise<{ code: number; payload: Uint8Array; items: number }> {
  switch (code) {
    case EthCode.GetBlockHeaders: {
      const r = request(code, payload, 1);
      return reply(EthCode.BlockHeaders, r.id, await serveHeaders(source, headersQuery(r)));
    }
    case EthCode.GetBlockBodies: {
      const r = request(code, payload, 1);
      return reply(EthCode.BlockBodies, r.id, await serveBodies(source, hashes(code, r, r.fields[0])));
    }
    case EthCode.GetReceipts: {
      if (version < 70) {
        const r = request(code, payload, 1);
        return reply(EthCode.Receipts, r.id, await serveReceipts69(source, hashes(code, r, r.fields[0])));
      }
      const r = request(code, payload, 2);
      const first = uint(code, r, r.fields[0], 'firstBlockReceiptIndex');
      const { lists, lastBlockIncomplete } = await serveReceipts70(source, hashes(code, r, r.fields[1]), first);
      return reply(EthCode.Receipts, r.id, lists, rlpEncodeUint(lastBlockIncomplete ? 1 : 0));
    }
    case EthCode.GetPooledTransactions: {
      // No transaction pool: every transaction is unknown, and unknown ones are skipped.
      const r = request(code, payload, 1);
      hashes(code, r, r.fields[0]);
      return reply(EthCode.PooledTransactions, r.id, []);
    }
    case EthCode.GetBlockAccessLists: {
      if (version < 71) break;
      const r = request(code, payload, 1);
      return reply(EthCode.BlockAccessLists, r.id, await serveBlockAccessLists(source, hashes(code, r, r.fields[0])));
    }
    default:
      break;
  }
  throw new EthRequestError(code, code === EthCode.Status ? 'a second Status' : `message code 0x${code.toString(16)} is not served on eth/${version}`);
}
