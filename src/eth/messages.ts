/**
 * Every eth/69-72 message, encoded and decoded by the negotiated version.
 *
 * Decoding is strict, as geth's: exact list sizes (Status alone ignores extra fields, as it
 * always has), canonical integers, fixed-size hashes; a failure is a MessageError (0x10).
 * Replies are read lazily: decodeResponseEnvelope() splits `[requestId, items]` without
 * decoding the items, so a request tracker can check the id, the code and the item count
 * before any item is decoded; the decoders then take the items one at a time.
 *
 * Version deltas: GetReceipts/Receipts gain firstBlockReceiptIndex/lastBlockIncomplete on 70;
 * GetBlockAccessLists/BlockAccessLists exist from 71; NewPooledTransactionHashes gains its
 * cell mask on 72, with GetCells/Cells. geth v1.17.5 nests GetCells/Cells one level deeper
 * than the spec (an embedded Go struct): both shapes are read, `nested` chooses the written one.
 */
import { RLP, type Input } from '@ethereumjs/rlp';
import { decodeBodyView, encodeBody, type BlockBody } from './block.js';
import { MessageError } from './errors.js';
import { decodeHeaderView, type BlockHeader } from './header.js';
import { decodeBlockRangeUpdate, encodeBlockRangeUpdate, type BlockRange } from './range.js';
import { decodeReceiptList, encodeReceiptList, type Receipt } from './receipt.js';
import { bool, encodeRawList, fields, fixed, iterate, readOne, str, u64, uint, withItemBudget, type RlpView } from './rlp-view.js';
import { decodeStatus, encodeStatus, type EthStatus } from './status.js';
import { decodePooledTransactionItem, decodeTransactionItem, pooledTransactionItem, transactionItem, type PooledTransaction, type Transaction } from './transaction.js';

/** eth message codes (relative to the eth offset). 0x01 and 0x07 are refused by geth on 69+. */
export const EthCode = {
  Status: 0x00,
  Transactions: 0x02,
  GetBlockHeaders: 0x03,
  BlockHeaders: 0x04,
  GetBlockBodies: 0x05,
  BlockBodies: 0x06,
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
export type MessageName = keyof typeof EthCode;

/** geth's cap on an eth message (maxMessageSize): larger ones are refused before decoding. */
export const MAX_ETH_MESSAGE_SIZE = 10 * 1024 * 1024;
export const CELL_SIZE = 2048;
/** geth's maxTransactionAnnouncements: a Transactions message with more is refused. */
export const MAX_TRANSACTIONS = 5000;

/** The first version each message exists in (all others: 69). */
const SINCE: Partial<Record<MessageName, number>> = { GetBlockAccessLists: 71, BlockAccessLists: 71, GetCells: 72, Cells: 72 };

/** Each request's response. */
export const RESPONSE_OF = {
  GetBlockHeaders: 'BlockHeaders',
  GetBlockBodies: 'BlockBodies',
  GetPooledTransactions: 'PooledTransactions',
  GetReceipts: 'Receipts',
  GetBlockAccessLists: 'BlockAccessLists',
  GetCells: 'Cells',
} as const satisfies Partial<Record<MessageName, MessageName>>;
export type RequestName = keyof typeof RESPONSE_OF;
export type ResponseName = (typeof RESPONSE_OF)[RequestName];

const BY_CODE = new Map<number, MessageName>(Object.entries(EthCode).map(([n, c]) => [c, n as MessageName]));

/** The name of a code on a version, or undefined when that version has no such message. */
export function messageName(version: number, code: number): MessageName | undefined {
  const name = BY_CODE.get(code);
  return name && version >= (SINCE[name] ?? 69) ? name : undefined;
}

export function isResponse(name: MessageName): name is ResponseName {
  return Object.values(RESPONSE_OF).includes(name as ResponseName);
}

export interface GetBlockHeaders {
  requestId: bigint;
  /** A block number, or a 32-byte block hash. */
  origin: bigint | Uint8Array;
  amount: bigint;
  skip: bigint;
  reverse: boolean;
}
export interface BlockHeaders {
  requestId: bigint;
  headers: BlockHeader[];
}
/** Any request by hashes: GetBlockBodies, GetPooledTransactions, GetBlockAccessLists. */
export interface HashesRequest {
  requestId: bigint;
  hashes: Uint8Array[];
}
export interface BlockBodies {
  requestId: bigint;
  bodies: BlockBody[];
}
export interface Transactions {
  transactions: Transaction[];
}
export interface NewPooledTransactionHashes {
  /** One type byte per transaction. */
  types: Uint8Array;
  sizes: number[];
  hashes: Uint8Array[];
  /** eth/72: the custody cell mask (16 bytes). */
  cells?: Uint8Array;
}
export interface PooledTransactions {
  requestId: bigint;
  transactions: PooledTransaction[];
}
export interface GetReceipts extends HashesRequest {
  /** eth/70+: the first receipt wanted of the first block (default 0). */
  firstBlockReceiptIndex?: bigint;
}
export interface Receipts {
  requestId: bigint;
  /** eth/70+: the last block's list is cut short; ask again from where it stops. */
  lastBlockIncomplete?: boolean;
  receipts: Receipt[][];
}
export interface BlockAccessLists {
  requestId: bigint;
  /** Each access list's RLP as received; null where the node has none (0x80). */
  accessLists: (Uint8Array | null)[];
}
export interface GetCells extends HashesRequest {
  /** 16-byte cell mask. */
  mask: Uint8Array;
  /** Write geth v1.17.5's nested shape (decoders report which one they read). */
  nested?: boolean;
}
export interface Cells extends HashesRequest {
  /** Per transaction, its cells (2048 bytes each). */
  cells: Uint8Array[][];
  mask: Uint8Array;
  nested?: boolean;
}

export interface EthMessageMap {
  Status: EthStatus;
  Transactions: Transactions;
  GetBlockHeaders: GetBlockHeaders;
  BlockHeaders: BlockHeaders;
  GetBlockBodies: HashesRequest;
  BlockBodies: BlockBodies;
  NewPooledTransactionHashes: NewPooledTransactionHashes;
  GetPooledTransactions: HashesRequest;
  PooledTransactions: PooledTransactions;
  GetReceipts: GetReceipts;
  Receipts: Receipts;
  BlockRangeUpdate: BlockRange;
  GetBlockAccessLists: HashesRequest;
  BlockAccessLists: BlockAccessLists;
  GetCells: GetCells;
  Cells: Cells;
}
export type EthMessage = { [K in MessageName]: { name: K; code: number; message: EthMessageMap[K] } }[MessageName];

const bad = (check: 'shape' | 'field' | 'size' | 'code', what: string): never => {
  throw new MessageError(check, what);
};

function outer(payload: Uint8Array, min: number, max: number, what: string): RlpView[] {
  if (payload.length > MAX_ETH_MESSAGE_SIZE) bad('size', `${what} of ${payload.length} bytes exceeds ${MAX_ETH_MESSAGE_SIZE}`);
  return fields(readOne(payload), min, max, what);
}

const hashes = (v: RlpView, what: string): Uint8Array[] => decodeItems(v, (h) => fixed(h, 32, what).slice(), MAX_LIST_ITEMS, `${what} list`);
const u64Input = (n: bigint, what: string): bigint => {
  if (typeof n !== 'bigint' || n < 0n || n >= 1n << 64n) throw new RangeError(`${what} must be a uint64 bigint, got ${String(n)}`);
  return n;
};

// ---- requests

export function encodeGetBlockHeaders(m: GetBlockHeaders): Uint8Array {
  const origin = m.origin instanceof Uint8Array ? m.origin : u64Input(m.origin, 'origin');
  if (origin instanceof Uint8Array && origin.length !== 32) throw new RangeError('origin hash must be 32 bytes');
  return RLP.encode([u64Input(m.requestId, 'requestId'), [origin, u64Input(m.amount, 'amount'), u64Input(m.skip, 'skip'), m.reverse ? 1 : 0]]);
}

export function decodeGetBlockHeaders(payload: Uint8Array): GetBlockHeaders {
  const [rid, q] = outer(payload, 2, 2, 'GetBlockHeaders');
  const [o, a, s, r] = fields(q!, 4, 4, 'GetBlockHeaders query');
  const os = str(o!, 'origin');
  // geth decodes the origin as a hash when it is 32 bytes, as a uint64 when at most 8.
  let origin: bigint | Uint8Array;
  if (os.length === 32) origin = os.slice();
  else if (os.length <= 8) origin = u64(o!, 'origin');
  else return bad('field', `origin of ${os.length} bytes is neither a number nor a hash`);
  return { requestId: u64(rid!, 'requestId'), origin, amount: u64(a!, 'amount'), skip: u64(s!, 'skip'), reverse: bool(r!, 'reverse') };
}

/** GetBlockBodies, GetPooledTransactions, GetBlockAccessLists: `[rid, [hash, ...]]`. */
export function encodeHashesRequest(m: HashesRequest): Uint8Array {
  return RLP.encode([u64Input(m.requestId, 'requestId'), m.hashes]);
}

export function decodeHashesRequest(payload: Uint8Array, what = 'request'): HashesRequest {
  const [rid, hs] = outer(payload, 2, 2, what);
  return { requestId: u64(rid!, 'requestId'), hashes: hashes(hs!, 'hash') };
}

export function encodeGetReceipts(version: number, m: GetReceipts): Uint8Array {
  const rid = u64Input(m.requestId, 'requestId');
  if (version < 70) {
    if (m.firstBlockReceiptIndex) throw new RangeError('eth/69 GetReceipts has no firstBlockReceiptIndex');
    return RLP.encode([rid, m.hashes]);
  }
  return RLP.encode([rid, u64Input(m.firstBlockReceiptIndex ?? 0n, 'firstBlockReceiptIndex'), m.hashes]);
}

export function decodeGetReceipts(version: number, payload: Uint8Array): GetReceipts {
  if (version < 70) return decodeHashesRequest(payload, 'GetReceipts');
  const [rid, first, hs] = outer(payload, 3, 3, 'GetReceipts');
  return { requestId: u64(rid!, 'requestId'), firstBlockReceiptIndex: u64(first!, 'firstBlockReceiptIndex'), hashes: hashes(hs!, 'hash') };
}

export function encodeGetCells(m: GetCells): Uint8Array {
  if (m.mask.length !== 16) throw new RangeError('cell mask must be 16 bytes');
  const rid = u64Input(m.requestId, 'requestId');
  return RLP.encode(m.nested ? [rid, [m.hashes, m.mask]] : [rid, m.hashes, m.mask]);
}

export function decodeGetCells(payload: Uint8Array): GetCells {
  const f = outer(payload, 2, 3, 'GetCells');
  const nested = f.length === 2;
  const [hs, mask] = nested ? fields(f[1]!, 2, 2, 'GetCells request') : f.slice(1);
  return { requestId: u64(f[0]!, 'requestId'), hashes: hashes(hs!, 'hash'), mask: fixed(mask!, 16, 'cell mask').slice(), nested };
}

// ---- announcements

export function encodeTransactions(m: Transactions): Uint8Array {
  return encodeRawList(m.transactions.map(transactionItem));
}

export function decodeTransactions(payload: Uint8Array): Transactions {
  if (payload.length > MAX_ETH_MESSAGE_SIZE) bad('size', `Transactions of ${payload.length} bytes exceeds ${MAX_ETH_MESSAGE_SIZE}`);
  return { transactions: decodeItems(readOne(payload), decodeTransactionItem, MAX_TRANSACTIONS, 'Transactions') };
}

export function encodeNewPooledTransactionHashes(version: number, m: NewPooledTransactionHashes): Uint8Array {
  if (m.types.length !== m.sizes.length || m.types.length !== m.hashes.length) throw new RangeError('types, sizes and hashes must have the same length');
  if (version < 72) return RLP.encode([m.types, m.sizes, m.hashes]);
  const cells = m.cells ?? new Uint8Array(16);
  if (cells.length !== 16) throw new RangeError('cell mask must be 16 bytes');
  return RLP.encode([m.types, m.sizes, m.hashes, cells]);
}

export function decodeNewPooledTransactionHashes(version: number, payload: Uint8Array): NewPooledTransactionHashes {
  const n = version < 72 ? 3 : 4;
  const f = outer(payload, n, n, 'NewPooledTransactionHashes');
  const types = str(f[0]!, 'types').slice();
  const sizes = decodeItems(f[1]!, (s) => Number(uint(s, 4, 'size')), MAX_LIST_ITEMS, 'sizes');
  const hs = hashes(f[2]!, 'hash');
  if (types.length !== sizes.length || types.length !== hs.length) bad('shape', `NewPooledTransactionHashes lengths differ: ${types.length} types, ${sizes.length} sizes, ${hs.length} hashes`);
  const m: NewPooledTransactionHashes = { types, sizes, hashes: hs };
  if (n === 4) m.cells = fixed(f[3]!, 16, 'cell mask').slice();
  return m;
}

// ---- responses

/** A response split, its items not yet decoded. `items` is the list counted against the request. */
export interface ResponseEnvelope {
  requestId: bigint;
  items: RlpView;
  /** Receipts on eth/70+. */
  lastBlockIncomplete?: boolean;
  /** Cells: the cell lists and mask beside the hashes, and which shape came. */
  cells?: { lists: RlpView; mask: RlpView; nested: boolean };
}

/** Split a response without decoding its items. */
export function decodeResponseEnvelope(version: number, name: ResponseName, payload: Uint8Array): ResponseEnvelope {
  if (name === 'Receipts' && version >= 70) {
    const [rid, last, items] = outer(payload, 3, 3, name);
    return { requestId: u64(rid!, 'requestId'), lastBlockIncomplete: bool(last!, 'lastBlockIncomplete'), items: items! };
  }
  if (name === 'Cells') {
    const f = outer(payload, 2, 4, name);
    const nested = f.length === 2;
    const parts = nested ? fields(f[1]!, 3, 3, 'Cells response') : f.slice(1);
    if (parts.length !== 3) bad('shape', 'Cells has neither the flat nor the nested shape');
    return { requestId: u64(f[0]!, 'requestId'), items: parts[0]!, cells: { lists: parts[1]!, mask: parts[2]!, nested } };
  }
  const [rid, items] = outer(payload, 2, 2, name);
  if (!items!.list) bad('shape', `${name}: expected a list of items`);
  return { requestId: u64(rid!, 'requestId'), items: items! };
}

/**
 * Most items a decoder takes from one list when the caller gives no bound. geth never sends
 * more than 1024 per reply (5000 transactions per Transactions); this only keeps a 10 MiB
 * list of tiny items from becoming millions of objects.
 */
export const MAX_LIST_ITEMS = 1 << 16;

/** Decode a list's items one at a time, refusing more than `max` before decoding the next. */
export function decodeItems<T>(v: RlpView, decode: (item: RlpView) => T, max = MAX_LIST_ITEMS, what = 'list'): T[] {
  const out: T[] = [];
  for (const item of iterate(v)) {
    if (out.length === max) bad('size', `${what} has more than ${max} items`);
    out.push(decode(item));
  }
  return out;
}

/** How many items a list has, counting no further than `limit + 1`. */
export function countItems(v: RlpView, limit: number): number {
  let n = 0;
  for (const _ of iterate(v)) if (++n > limit) break;
  return n;
}

export function encodeBlockHeaders(m: { requestId: bigint; headers: readonly { raw: Uint8Array }[] }): Uint8Array {
  return encodeRawList([RLP.encode(u64Input(m.requestId, 'requestId')), encodeRawList(m.headers.map((h) => h.raw))]);
}

export const blockHeadersFrom = (e: ResponseEnvelope): BlockHeaders => ({ requestId: e.requestId, headers: decodeItems(e.items, decodeHeaderView, MAX_LIST_ITEMS, 'BlockHeaders') });
export const decodeBlockHeaders = (payload: Uint8Array): BlockHeaders => blockHeadersFrom(decodeResponseEnvelope(69, 'BlockHeaders', payload));

/** Bodies as BlockBody values or as already-encoded body items. */
export function encodeBlockBodies(m: { requestId: bigint; bodies: readonly (BlockBody | Uint8Array)[] }): Uint8Array {
  return encodeRawList([RLP.encode(u64Input(m.requestId, 'requestId')), encodeRawList(m.bodies.map((b) => (b instanceof Uint8Array ? b : encodeBody(b))))]);
}

export const blockBodiesFrom = (e: ResponseEnvelope): BlockBodies => ({ requestId: e.requestId, bodies: decodeItems(e.items, decodeBodyView, MAX_LIST_ITEMS, 'BlockBodies') });
export const decodeBlockBodies = (payload: Uint8Array): BlockBodies => blockBodiesFrom(decodeResponseEnvelope(69, 'BlockBodies', payload));

export function encodePooledTransactions(m: { requestId: bigint; transactions: readonly PooledTransaction[] }): Uint8Array {
  return encodeRawList([RLP.encode(u64Input(m.requestId, 'requestId')), encodeRawList(m.transactions.map(pooledTransactionItem))]);
}

export const pooledTransactionsFrom = (e: ResponseEnvelope): PooledTransactions => ({ requestId: e.requestId, transactions: decodeItems(e.items, decodePooledTransactionItem, MAX_LIST_ITEMS, 'PooledTransactions') });
export const decodePooledTransactions = (payload: Uint8Array): PooledTransactions => pooledTransactionsFrom(decodeResponseEnvelope(69, 'PooledTransactions', payload));

/** Receipt lists as Receipt arrays or as already-encoded lists (network form, as in our receipts file). */
export function encodeReceipts(version: number, m: { requestId: bigint; lastBlockIncomplete?: boolean; receipts: readonly (readonly Receipt[] | Uint8Array)[] }): Uint8Array {
  const lists = encodeRawList(m.receipts.map((r) => (r instanceof Uint8Array ? r : encodeReceiptList(r))));
  const rid = RLP.encode(u64Input(m.requestId, 'requestId'));
  if (version < 70) {
    if (m.lastBlockIncomplete) throw new RangeError('eth/69 Receipts has no lastBlockIncomplete');
    return encodeRawList([rid, lists]);
  }
  return encodeRawList([rid, RLP.encode(m.lastBlockIncomplete ? 1 : 0), lists]);
}

export function receiptsFrom(e: ResponseEnvelope): Receipts {
  const out: Receipts = { requestId: e.requestId, receipts: decodeItems(e.items, decodeReceiptList, MAX_LIST_ITEMS, 'Receipts') };
  if (e.lastBlockIncomplete !== undefined) out.lastBlockIncomplete = e.lastBlockIncomplete;
  return out;
}
export const decodeReceipts = (version: number, payload: Uint8Array): Receipts => receiptsFrom(decodeResponseEnvelope(version, 'Receipts', payload));

export function encodeBlockAccessLists(m: BlockAccessLists): Uint8Array {
  return encodeRawList([RLP.encode(u64Input(m.requestId, 'requestId')), encodeRawList(m.accessLists.map((b) => b ?? Uint8Array.of(0x80)))]);
}

export function blockAccessListsFrom(e: ResponseEnvelope): BlockAccessLists {
  const accessLists = decodeItems(e.items, (v) => {
    if (v.list) return v.raw.slice();
    if (v.content.length === 0) return null;
    return bad('field', 'block access list is neither a list nor 0x80');
  }, MAX_LIST_ITEMS, 'BlockAccessLists');
  return { requestId: e.requestId, accessLists };
}
export const decodeBlockAccessLists = (payload: Uint8Array): BlockAccessLists => blockAccessListsFrom(decodeResponseEnvelope(71, 'BlockAccessLists', payload));

export function encodeCells(m: Cells): Uint8Array {
  if (m.mask.length !== 16) throw new RangeError('cell mask must be 16 bytes');
  const rid = u64Input(m.requestId, 'requestId');
  const body: Input[] = [m.hashes, m.cells, m.mask];
  return RLP.encode(m.nested ? [rid, body] : [rid, ...body]);
}

export function cellsFrom(e: ResponseEnvelope): Cells {
  const c = e.cells;
  if (!c) return bad('shape', 'not a Cells envelope');
  const hs = hashes(e.items, 'hash');
  const cells = decodeItems(c.lists, (l) => decodeItems(l, (x) => fixed(x, CELL_SIZE, 'cell').slice(), MAX_LIST_ITEMS, 'cells'), MAX_LIST_ITEMS, 'cell lists');
  return { requestId: e.requestId, hashes: hs, cells, mask: fixed(c.mask, 16, 'cell mask').slice(), nested: c.nested };
}
export const decodeCells = (payload: Uint8Array): Cells => cellsFrom(decodeResponseEnvelope(72, 'Cells', payload));

/**
 * Most RLP items one message may decode: 512 Ki. Each item read becomes objects (60-120 bytes
 * of heap per item, bench/decode-budget.ts), and an item can be one byte, so the 10 MiB size
 * cap alone would let a reply of minimal transactions take 1.2 GB; this bounds a message to
 * ~70 MiB (35 MiB for receipts). geth answers within 2 MiB (softResponseLimit), and chain data averages several bytes
 * per item (a signature alone is 66 bytes over 2 items), so real replies stay well below it.
 */
export const MAX_DECODED_ITEMS = 1 << 19;

/** A response's items decoded from its envelope, within MAX_DECODED_ITEMS. */
export function responseFrom<K extends ResponseName>(name: K, e: ResponseEnvelope): EthMessageMap[K] {
  return withItemBudget(MAX_DECODED_ITEMS, name, () => itemsFrom(name, e));
}

function itemsFrom<K extends ResponseName>(name: K, e: ResponseEnvelope): EthMessageMap[K] {
  const from: { [R in ResponseName]: (e: ResponseEnvelope) => EthMessageMap[R] } = {
    BlockHeaders: blockHeadersFrom,
    BlockBodies: blockBodiesFrom,
    PooledTransactions: pooledTransactionsFrom,
    Receipts: receiptsFrom,
    BlockAccessLists: blockAccessListsFrom,
    Cells: cellsFrom,
  };
  return from[name](e);
}

// ---- by name and version

/** Encode any message for a version; a message the version lacks is a RangeError. */
export function encodeMessage<K extends MessageName>(version: number, name: K, message: EthMessageMap[K]): { code: number; payload: Uint8Array } {
  const code = EthCode[name];
  if (messageName(version, code) !== name) throw new RangeError(`eth/${version} has no ${name} message`);
  const m = message as never;
  const payload = ((): Uint8Array => {
    switch (name) {
      case 'Status': return encodeStatus(m);
      case 'Transactions': return encodeTransactions(m);
      case 'GetBlockHeaders': return encodeGetBlockHeaders(m);
      case 'BlockHeaders': return encodeBlockHeaders(m);
      case 'GetBlockBodies':
      case 'GetPooledTransactions':
      case 'GetBlockAccessLists': return encodeHashesRequest(m);
      case 'BlockBodies': return encodeBlockBodies(m);
      case 'NewPooledTransactionHashes': return encodeNewPooledTransactionHashes(version, m);
      case 'PooledTransactions': return encodePooledTransactions(m);
      case 'GetReceipts': return encodeGetReceipts(version, m);
      case 'Receipts': return encodeReceipts(version, m);
      case 'BlockRangeUpdate': return encodeBlockRangeUpdate(m);
      case 'BlockAccessLists': return encodeBlockAccessLists(m);
      case 'GetCells': return encodeGetCells(m);
      default: return encodeCells(m);
    }
  })();
  return { code, payload };
}

/**
 * Decode any message of a version. A code the version lacks (0x01, 0x07, 0x0b-0x0e, 0x12+
 * before their version) is a MessageError 'code', which geth also answers with 0x10.
 */
export function decodeMessage(version: number, code: number, payload: Uint8Array): EthMessage {
  const name = messageName(version, code);
  if (!name) return bad('code', `eth/${version} has no message 0x${code.toString(16)}`);
  const message = withItemBudget(MAX_DECODED_ITEMS, name, (): EthMessageMap[MessageName] => {
    switch (name) {
      case 'Status': return decodeStatus(payload);
      case 'Transactions': return decodeTransactions(payload);
      case 'GetBlockHeaders': return decodeGetBlockHeaders(payload);
      case 'GetBlockBodies':
      case 'GetPooledTransactions':
      case 'GetBlockAccessLists': return decodeHashesRequest(payload, name);
      case 'NewPooledTransactionHashes': return decodeNewPooledTransactionHashes(version, payload);
      case 'GetReceipts': return decodeGetReceipts(version, payload);
      case 'BlockRangeUpdate': return decodeBlockRangeUpdate(payload);
      case 'GetCells': return decodeGetCells(payload);
      default: return responseFrom(name, decodeResponseEnvelope(version, name, payload));
    }
  });
  return { name, code, message } as EthMessage;
}
