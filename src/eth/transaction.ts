/**
 * Transactions of types 0-4 (legacy, EIP-2930, EIP-1559, EIP-4844, EIP-7702), as geth v1.17.5
 * knows them, and the EIP-4844/7594 network wrapper of pooled blob transactions.
 *
 * In a list (a block body, Transactions, PooledTransactions) a legacy transaction is an
 * inline RLP list and a typed one an RLP string holding `type || rlp(payload)`. `raw` is the
 * consensus encoding (the list, or `type || payload`): what the transactions trie holds and
 * what the hash is taken of.
 */
import { RLP, type Input } from '@ethereumjs/rlp';
import { concatBytes } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { MessageError } from './errors.js';
import { encodeRawList, encodeString, fields, fixed, iterate, readItem, readOne, str, u256, u64, type RlpView } from './rlp-view.js';

export type TxType = 0 | 1 | 2 | 3 | 4;

export interface AccessTuple {
  address: Uint8Array;
  storageKeys: Uint8Array[];
}

/** An EIP-7702 authorization. */
export interface Authorization {
  chainId: bigint;
  address: Uint8Array;
  nonce: bigint;
  yParity: bigint;
  r: bigint;
  s: bigint;
}

export interface TransactionFields {
  type: TxType;
  /** Types 1-4 (a legacy transaction's chain is in `v`, EIP-155). */
  chainId?: bigint;
  nonce: bigint;
  /** Types 0-1. */
  gasPrice?: bigint;
  /** Types 2-4. */
  maxPriorityFeePerGas?: bigint;
  maxFeePerGas?: bigint;
  gas: bigint;
  /** null: contract creation (types 0-2 only). */
  to: Uint8Array | null;
  value: bigint;
  data: Uint8Array;
  /** Types 1-4. */
  accessList?: AccessTuple[];
  /** Type 3. */
  maxFeePerBlobGas?: bigint;
  blobVersionedHashes?: Uint8Array[];
  /** Type 4. */
  authorizationList?: Authorization[];
  /** Legacy: v (27/28 or EIP-155); typed: the y parity. */
  v: bigint;
  r: bigint;
  s: bigint;
}

export interface Transaction extends TransactionFields {
  /** Consensus encoding: the legacy RLP list, or `type || rlp(payload)`. */
  readonly raw: Uint8Array;
  /** keccak256(raw). */
  readonly hash: Uint8Array;
}

/**
 * The blobs of a pooled blob transaction. Version 0 (EIP-4844): one KZG proof per blob;
 * version 1 (EIP-7594, Osaka): 128 cell proofs per blob. `blobs` is null when elided (eth/72).
 */
export interface BlobSidecar {
  version: 0 | 1;
  blobs: Uint8Array[] | null;
  commitments: Uint8Array[];
  proofs: Uint8Array[];
}

export interface PooledTransaction extends Transaction {
  sidecar?: BlobSidecar;
}

export const BLOB_SIZE = 131072;

type Kind = 'u64' | 'u256' | 'to' | 'bytes' | 'access' | 'hashes' | 'auth';
type Field = [keyof TransactionFields, Kind];
const SIG: Field[] = [['v', 'u256'], ['r', 'u256'], ['s', 'u256']];
const HEAD: Field[] = [['chainId', 'u256'], ['nonce', 'u64']];
const DYN: Field[] = [['maxPriorityFeePerGas', 'u256'], ['maxFeePerGas', 'u256'], ['gas', 'u64'], ['to', 'to'], ['value', 'u256'], ['data', 'bytes'], ['accessList', 'access']];
/** Each type's payload fields, in wire order. */
const LAYOUT: Record<TxType, Field[]> = {
  0: [['nonce', 'u64'], ['gasPrice', 'u256'], ['gas', 'u64'], ['to', 'to'], ['value', 'u256'], ['data', 'bytes'], ...SIG],
  1: [...HEAD, ['gasPrice', 'u256'], ['gas', 'u64'], ['to', 'to'], ['value', 'u256'], ['data', 'bytes'], ['accessList', 'access'], ...SIG],
  2: [...HEAD, ...DYN, ...SIG],
  3: [...HEAD, ...DYN, ['maxFeePerBlobGas', 'u256'], ['blobVersionedHashes', 'hashes'], ...SIG],
  4: [...HEAD, ...DYN, ['authorizationList', 'auth'], ...SIG],
};

const bad = (what: string, check: 'field' | 'type' | 'shape' = 'field'): never => {
  throw new MessageError(check, what);
};

function accessList(v: RlpView): AccessTuple[] {
  const out: AccessTuple[] = [];
  for (const t of iterate(v)) {
    const [a, keys] = fields(t, 2, 2, 'access tuple');
    const storageKeys: Uint8Array[] = [];
    for (const k of iterate(keys!)) storageKeys.push(fixed(k, 32, 'storage key'));
    out.push({ address: fixed(a!, 20, 'access address'), storageKeys });
  }
  return out;
}

function authList(v: RlpView): Authorization[] {
  const out: Authorization[] = [];
  for (const a of iterate(v)) {
    const f = fields(a, 6, 6, 'authorization');
    out.push({ chainId: u256(f[0]!, 'auth chainId'), address: fixed(f[1]!, 20, 'auth address'), nonce: u64(f[2]!, 'auth nonce'), yParity: u256(f[3]!, 'auth yParity'), r: u256(f[4]!, 'auth r'), s: u256(f[5]!, 'auth s') });
  }
  return out;
}

function decodePayload(type: TxType, payload: RlpView): TransactionFields {
  const layout = LAYOUT[type];
  const f = fields(payload, layout.length, layout.length, `type ${type} transaction`);
  const tx: Record<string, unknown> = { type };
  layout.forEach(([name, kind], i) => {
    const v = f[i]!;
    const what = `tx ${name}`;
    switch (kind) {
      case 'u64': tx[name] = u64(v, what); break;
      case 'u256': tx[name] = u256(v, what); break;
      case 'bytes': tx[name] = str(v, what); break;
      case 'access': tx[name] = accessList(v); break;
      case 'auth': tx[name] = authList(v); break;
      case 'hashes': tx[name] = [...iterate(v)].map((h) => fixed(h, 32, 'blob versioned hash')); break;
      case 'to': {
        const s = str(v, what);
        // Blob and set-code transactions cannot create contracts: `to` is a plain address.
        if (s.length === 0 && type < 3) tx[name] = null;
        else tx[name] = fixed(v, 20, what);
      }
    }
  });
  return tx as unknown as TransactionFields;
}

/** A transaction from its consensus encoding (legacy list or `type || payload`). */
export function decodeTransaction(bytes: Uint8Array): Transaction {
  const raw = bytes.slice();
  if (raw.length === 0) bad('empty transaction', 'shape');
  if (raw[0]! >= 0xc0) return { ...decodePayload(0, readOne(raw)), raw, hash: keccak256(raw) };
  const type = raw[0]!;
  if (type < 1 || type > 4) bad(`transaction type ${type} is not supported`, 'type');
  return { ...decodePayload(type as TxType, readOne(raw.subarray(1))), raw, hash: keccak256(raw) };
}

/** A transaction item of a block body or Transactions message. */
export function decodeTransactionItem(v: RlpView): Transaction {
  if (v.list) return decodeTransaction(v.raw);
  if (v.content.length === 0 || v.content[0]! >= 0x80) bad('typed transaction without a type byte', 'type');
  return decodeTransaction(v.content);
}

function sidecarOf(f: RlpView[], version: 0 | 1): BlobSidecar {
  const [b, c, p] = f;
  let blobs: Uint8Array[] | null;
  // eth/72 elides the blobs: geth v1.17.5 writes 0xc0, EIP-8070 says 0x80.
  if (!b!.list && b!.content.length === 0) blobs = null;
  else {
    blobs = [...iterate(b!)].map((x) => fixed(x, BLOB_SIZE, 'blob'));
    if (blobs.length === 0) blobs = null;
  }
  return {
    version,
    blobs,
    commitments: [...iterate(c!)].map((x) => fixed(x, 48, 'blob commitment')),
    proofs: [...iterate(p!)].map((x) => fixed(x, 48, 'blob proof')),
  };
}

/**
 * A PooledTransactions item: as in a body, except that a blob transaction comes in its
 * network wrapper `0x03 || rlp([payload, (version,) blobs, commitments, proofs])`.
 */
export function decodePooledTransactionItem(v: RlpView): PooledTransaction {
  if (v.list || v.content.length === 0 || v.content[0] !== 3) return decodeTransactionItem(v);
  const outer = readOne(v.content.subarray(1));
  if (!outer.list || outer.content.length === 0) bad('blob transaction is not a list', 'shape');
  // A bare blob transaction (no sidecar) starts with its chain ID, the wrapper with a list.
  if (!readItem(outer.content, 0).item.list) return decodeTransactionItem(v);
  const f = fields(outer, 1, 5, 'blob transaction wrapper');
  let rest = f.slice(1);
  let version: 0 | 1 = 0;
  if (rest.length === 4) {
    const ver = u64(rest[0]!, 'sidecar version');
    if (ver !== 1n) bad(`blob sidecar version ${ver} is not supported`);
    version = 1;
    rest = rest.slice(1);
  }
  if (rest.length !== 3) bad('blob transaction wrapper has the wrong number of fields', 'shape');
  const tx = decodeTransaction(concatBytes(Uint8Array.of(3), f[0]!.raw));
  return { ...tx, sidecar: sidecarOf(rest, version) };
}

function fieldInput(tx: TransactionFields, name: keyof TransactionFields, kind: Kind): Input {
  const v = tx[name];
  if (kind === 'to') return (v as Uint8Array | null) ?? new Uint8Array(0);
  if (v === undefined) throw new RangeError(`type ${tx.type} transaction needs ${name}`);
  if (kind === 'access') return (v as AccessTuple[]).map((t) => [t.address, t.storageKeys]);
  if (kind === 'auth') return (v as Authorization[]).map((a) => [a.chainId, a.address, a.nonce, a.yParity, a.r, a.s]);
  return v as Input;
}

/** The consensus encoding of a transaction (what `raw` holds). */
export function encodeTransaction(tx: TransactionFields): Uint8Array {
  const layout = LAYOUT[tx.type];
  if (!layout) throw new RangeError(`transaction type ${String(tx.type)} is not supported`);
  const body = RLP.encode(layout.map(([name, kind]) => fieldInput(tx, name, kind)));
  return tx.type === 0 ? body : concatBytes(Uint8Array.of(tx.type), body);
}

/** Encode fields and decode them back: a Transaction with raw bytes and hash. */
export function makeTransaction(tx: TransactionFields): Transaction {
  return decodeTransaction(encodeTransaction(tx));
}

/** A transaction's item in a list: the legacy list inline, a typed one as an RLP string. */
export function transactionItem(tx: { raw: Uint8Array }): Uint8Array {
  return tx.raw[0]! >= 0xc0 ? tx.raw : encodeString(tx.raw);
}

/** A PooledTransactions item: with its sidecar when it has one; null blobs are elided as 0xc0. */
export function pooledTransactionItem(tx: { raw: Uint8Array; sidecar?: BlobSidecar | undefined }): Uint8Array {
  const sc = tx.sidecar;
  if (!sc) return transactionItem(tx);
  const parts = [tx.raw.subarray(1)];
  if (sc.version === 1) parts.push(RLP.encode(1));
  parts.push(sc.blobs ? RLP.encode(sc.blobs) : Uint8Array.of(0xc0), RLP.encode(sc.commitments), RLP.encode(sc.proofs));
  return encodeString(concatBytes(Uint8Array.of(3), encodeRawList(parts)));
}
