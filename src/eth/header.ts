/**
 * Block headers of every fork, decoded strictly, keeping the bytes they came in.
 *
 * A header's hash is keccak256 of its RLP. Hashing the bytes as received (not a re-encoding)
 * proves they are the canonical encoding when the hash matches what was asked. Fields after
 * `nonce` appear from their fork on, in this order, each only if all before it are present
 * (geth's `rlp:"optional"`): London baseFeePerGas, Shanghai withdrawalsRoot, Cancun
 * blobGasUsed/excessBlobGas/parentBeaconBlockRoot, Prague requestsHash, Amsterdam
 * blockAccessListHash and slotNumber (geth v1.17.5's field order).
 */
import { RLP, type Input } from '@ethereumjs/rlp';
import { keccak256 } from '../crypto/keccak.js';
import { fields, fixed, readOne, str, u256, u64, type RlpView } from './rlp-view.js';

export interface HeaderFields {
  parentHash: Uint8Array;
  ommersHash: Uint8Array;
  coinbase: Uint8Array;
  stateRoot: Uint8Array;
  transactionsRoot: Uint8Array;
  receiptsRoot: Uint8Array;
  logsBloom: Uint8Array;
  difficulty: bigint;
  number: bigint;
  gasLimit: bigint;
  gasUsed: bigint;
  timestamp: bigint;
  extraData: Uint8Array;
  mixHash: Uint8Array;
  nonce: Uint8Array;
  baseFeePerGas?: bigint;
  withdrawalsRoot?: Uint8Array;
  blobGasUsed?: bigint;
  excessBlobGas?: bigint;
  parentBeaconBlockRoot?: Uint8Array;
  requestsHash?: Uint8Array;
  blockAccessListHash?: Uint8Array;
  slotNumber?: bigint;
}

/** A decoded header: its fields, its RLP as received, and keccak256 of that RLP. */
export interface BlockHeader extends HeaderFields {
  readonly raw: Uint8Array;
  readonly hash: Uint8Array;
}

/** keccak256(rlp([])): the ommers hash of a block without uncles (every post-merge block). */
export const EMPTY_OMMERS_HASH = keccak256(Uint8Array.of(0xc0));

type Optional = 'baseFeePerGas' | 'withdrawalsRoot' | 'blobGasUsed' | 'excessBlobGas' | 'parentBeaconBlockRoot' | 'requestsHash' | 'blockAccessListHash' | 'slotNumber';
/** The optional tail, in wire order, and whether each is an integer or a 32-byte hash. */
const TAIL: ReadonlyArray<[Optional, 'uint' | 'u64' | 'hash']> = [
  ['baseFeePerGas', 'uint'],
  ['withdrawalsRoot', 'hash'],
  ['blobGasUsed', 'u64'],
  ['excessBlobGas', 'u64'],
  ['parentBeaconBlockRoot', 'hash'],
  ['requestsHash', 'hash'],
  ['blockAccessListHash', 'hash'],
  ['slotNumber', 'u64'],
];
const BASE_FIELDS = 15;

/** Decode one header item (a view into a message); the result owns a copy of its bytes. */
export function decodeHeaderView(v: RlpView): BlockHeader {
  return decodeHeader(v.raw);
}

/** Decode a header from its RLP; throws MessageError. */
export function decodeHeader(bytes: Uint8Array): BlockHeader {
  const raw = bytes.slice();
  const f = fields(readOne(raw), BASE_FIELDS, BASE_FIELDS + TAIL.length, 'header');
  const h: HeaderFields & { raw: Uint8Array; hash: Uint8Array } = {
    parentHash: fixed(f[0]!, 32, 'header parentHash'),
    ommersHash: fixed(f[1]!, 32, 'header ommersHash'),
    coinbase: fixed(f[2]!, 20, 'header coinbase'),
    stateRoot: fixed(f[3]!, 32, 'header stateRoot'),
    transactionsRoot: fixed(f[4]!, 32, 'header transactionsRoot'),
    receiptsRoot: fixed(f[5]!, 32, 'header receiptsRoot'),
    logsBloom: fixed(f[6]!, 256, 'header logsBloom'),
    difficulty: u256(f[7]!, 'header difficulty'),
    number: u64(f[8]!, 'header number'),
    gasLimit: u64(f[9]!, 'header gasLimit'),
    gasUsed: u64(f[10]!, 'header gasUsed'),
    timestamp: u64(f[11]!, 'header timestamp'),
    extraData: str(f[12]!, 'header extraData'),
    mixHash: fixed(f[13]!, 32, 'header mixHash'),
    nonce: fixed(f[14]!, 8, 'header nonce'),
    raw,
    hash: keccak256(raw),
  };
  for (let i = BASE_FIELDS; i < f.length; i++) {
    const [name, kind] = TAIL[i - BASE_FIELDS]!;
    const what = `header ${name}`;
    const v = f[i]!;
    if (kind === 'hash') (h as Record<Optional, unknown>)[name] = fixed(v, 32, what);
    else (h as Record<Optional, unknown>)[name] = kind === 'u64' ? u64(v, what) : u256(v, what);
  }
  return h;
}

/**
 * Encode header fields. An optional field is written when it or any later one is set;
 * a gap (a later field set, an earlier one not) is a RangeError, as no fork has one.
 */
export function encodeHeader(h: HeaderFields): Uint8Array {
  const list: Input[] = [
    h.parentHash, h.ommersHash, h.coinbase, h.stateRoot, h.transactionsRoot, h.receiptsRoot, h.logsBloom,
    h.difficulty, h.number, h.gasLimit, h.gasUsed, h.timestamp, h.extraData, h.mixHash, h.nonce,
  ];
  let last = -1;
  TAIL.forEach(([name], i) => {
    if (h[name] !== undefined) last = i;
  });
  for (let i = 0; i <= last; i++) {
    const [name] = TAIL[i]!;
    const v = h[name];
    if (v === undefined) throw new RangeError(`header: ${name} missing while ${TAIL[last]![0]} is set`);
    list.push(v);
  }
  return RLP.encode(list);
}

/** Encode header fields and decode them back: a BlockHeader with raw bytes and hash. */
export function makeHeader(h: HeaderFields): BlockHeader {
  return decodeHeader(encodeHeader(h));
}
