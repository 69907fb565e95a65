/**
 * Ethereum Node Records (EIP-778) with the "v4" identity scheme: the RLP list
 * [signature, seq, k1, v1, k2, v2, ...] with keys sorted and unique, at most 300 bytes, signed
 * as a 64-byte r ‖ s over keccak256(RLP([seq, k1, v1, ...])) by the record's `secp256k1` key.
 * Text form: "enr:" + unpadded URL-safe base64 of the RLP.
 */
import { RLP } from '@ethereumjs/rlp';
import { base64urlnopad } from '@scure/base';
import { keccak256 } from '../crypto/keccak.js';
import { decompressPublicKey, publicKeyOf, sign, verify } from '../crypto/secp256k1.js';
import { formatEnode } from '../peer/enode.js';
import { EnrError } from './errors.js';
import { compressPublicKey, ipFromBytes, ipToBytes, readUint, writeUint } from './enr-values.js';

export const ENR_MAX_SIZE = 300;
export const ENR_PREFIX = 'enr:';
/** "enr:" and base64 of 300 bytes: anything longer cannot decode to a valid record. */
const MAX_TEXT_LENGTH = ENR_PREFIX.length + Math.ceil((ENR_MAX_SIZE * 4) / 3);

/** A decoded RLP item: a byte string or a list of items. */
export type RlpItem = Uint8Array | RlpItem[];

/** The `eth` entry's fork ID (EIP-2124), as geth and others publish it: [[forkHash, forkNext], ...]. */
export interface ForkIdEntry {
  forkHash: Uint8Array;
  forkNext: bigint;
}

/** The predefined keys a crawler reads (all optional in a record). */
export interface EnrEndpoints {
  ip?: string;
  ip6?: string;
  tcp?: number;
  tcp6?: number;
  udp?: number;
  udp6?: number;
  eth?: ForkIdEntry;
}

export interface EnrFields extends EnrEndpoints {
  seq: bigint;
  /** 33-byte compressed key, as the record carries it. */
  compressedKey: Uint8Array;
  /** 64-byte x ‖ y, as enode URLs and RLPx use it. */
  publicKey: Uint8Array;
}

export class Enr implements EnrFields {
  readonly seq: bigint;
  readonly signature: Uint8Array;
  readonly compressedKey: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly ip?: string;
  readonly ip6?: string;
  readonly tcp?: number;
  readonly tcp6?: number;
  readonly udp?: number;
  readonly udp6?: number;
  readonly eth?: ForkIdEntry;
  /** Every key/value pair, keys as latin1 strings (lossless for any bytes), in record order. */
  readonly pairs: ReadonlyMap<string, RlpItem>;
  /** The canonical RLP encoding. */
  readonly raw: Uint8Array;

  /** @internal Use decodeEnr or encodeEnr. */
  constructor(fields: EnrFields, signature: Uint8Array, pairs: Map<string, RlpItem>, raw: Uint8Array) {
    this.seq = fields.seq;
    this.compressedKey = fields.compressedKey;
    this.publicKey = fields.publicKey;
    this.ip = fields.ip;
    this.ip6 = fields.ip6;
    this.tcp = fields.tcp;
    this.tcp6 = fields.tcp6;
    this.udp = fields.udp;
    this.udp6 = fields.udp6;
    this.eth = fields.eth;
    this.signature = signature;
    this.pairs = pairs;
    this.raw = raw;
  }

  /** keccak256 of the 64-byte public key: the node's address in discovery. */
  get nodeId(): Uint8Array {
    return keccak256(this.publicKey);
  }

  /** The TCP endpoint an RLPx dial would use: IPv4 first, else IPv6 (tcp6, or tcp for both). */
  get tcpEndpoint(): { host: string; port: number; udp?: number } | undefined {
    if (this.ip !== undefined && this.tcp) return { host: this.ip, port: this.tcp, ...(this.udp ? { udp: this.udp } : {}) };
    const port6 = this.tcp6 ?? this.tcp;
    const udp6 = this.udp6 ?? this.udp;
    if (this.ip6 !== undefined && port6) return { host: this.ip6, port: port6, ...(udp6 ? { udp: udp6 } : {}) };
    return undefined;
  }

  /** False for records with no IP and TCP port: they can be listed, not dialed. */
  get dialable(): boolean {
    return this.tcpEndpoint !== undefined;
  }

  toEnode(): string {
    const ep = this.tcpEndpoint;
    if (!ep) throw new EnrError('enr: not dialable (no IP address with a TCP port)');
    return formatEnode({ id: this.publicKey, host: ep.host, port: ep.port, ...(ep.udp !== undefined ? { discport: ep.udp } : {}) });
  }

  toText(): string {
    return ENR_PREFIX + base64urlnopad.encode(this.raw);
  }
}

const ascii = new TextEncoder();
/** Keys as strings, byte for byte (Buffer's latin1 is ISO-8859-1; TextDecoder's is windows-1252). */
const latin1 = { decode: (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1') };

/** Decode and verify a record from its text form ("enr:…") or its RLP bytes. */
export function decodeEnr(input: string | Uint8Array): Enr {
  let raw: Uint8Array;
  if (typeof input === 'string') {
    const text = input.trim();
    if (!text.startsWith(ENR_PREFIX)) throw new EnrError('enr: text must start with "enr:"');
    if (text.length > MAX_TEXT_LENGTH) throw new EnrError(`enr: text of ${text.length} characters is over the ${ENR_MAX_SIZE}-byte limit`);
    try {
      raw = base64urlnopad.decode(text.slice(ENR_PREFIX.length));
    } catch (err) {
      throw new EnrError('enr: not unpadded URL-safe base64', { cause: err });
    }
  } else if (input instanceof Uint8Array) {
    raw = input;
  } else {
    throw new EnrError('enr: expected a string or a Uint8Array');
  }
  if (raw.length > ENR_MAX_SIZE) throw new EnrError(`enr: ${raw.length} bytes is over the ${ENR_MAX_SIZE}-byte limit`);

  let list: unknown;
  try {
    list = RLP.decode(raw);
  } catch (err) {
    throw new EnrError('enr: not valid RLP', { cause: err });
  }
  if (!Array.isArray(list)) throw new EnrError('enr: not an RLP list');
  if (list.length < 2 || list.length % 2 !== 0) throw new EnrError('enr: expected [signature, seq, k, v, ...]');
  const [signature, seqItem, ...kv] = list as RlpItem[];
  if (!(signature instanceof Uint8Array)) throw new EnrError('enr: signature is not a byte string');
  const seq = readUint(seqItem, 8, 'seq');

  const pairs = new Map<string, RlpItem>();
  let previous: Uint8Array | undefined;
  for (let i = 0; i < kv.length; i += 2) {
    const key = kv[i]!;
    if (!(key instanceof Uint8Array)) throw new EnrError('enr: a key is not a byte string');
    if (previous && Buffer.compare(previous, key) >= 0) {
      throw new EnrError(`enr: key "${latin1.decode(key)}" is out of order or repeated`);
    }
    previous = key;
    pairs.set(latin1.decode(key), kv[i + 1]!);
  }

  const id = pairs.get('id');
  if (!(id instanceof Uint8Array)) throw new EnrError('enr: no "id" (identity scheme)');
  if (latin1.decode(id) !== 'v4') throw new EnrError(`enr: identity scheme "${latin1.decode(id)}" is not "v4"`);
  const compressedKey = pairs.get('secp256k1');
  if (!(compressedKey instanceof Uint8Array) || compressedKey.length !== 33) {
    throw new EnrError('enr: "secp256k1" must be a 33-byte compressed public key');
  }
  let publicKey: Uint8Array;
  try {
    publicKey = decompressPublicKey(compressedKey);
  } catch (err) {
    throw new EnrError('enr: "secp256k1" is not a point on the curve', { cause: err });
  }
  if (signature.length !== 64) throw new EnrError(`enr: v4 signature must be 64 bytes, got ${signature.length}`);
  // Decoding is canonical, so re-encoding the items gives back exactly the signed bytes.
  const content = RLP.encode([seqItem as Uint8Array, ...(kv as Uint8Array[])]);
  if (!verify(keccak256(content), signature, publicKey)) throw new EnrError('enr: signature is not by the record\'s key');

  return new Enr({ seq, compressedKey, publicKey, ...readEndpoints(pairs) }, signature, pairs, raw);
}

function readEndpoints(pairs: Map<string, RlpItem>): Partial<EnrFields> {
  const out: Partial<EnrFields> = {};
  const ip = pairs.get('ip');
  if (ip !== undefined) out.ip = ipFromBytes(ip, 4, 'ip');
  const ip6 = pairs.get('ip6');
  if (ip6 !== undefined) out.ip6 = ipFromBytes(ip6, 16, 'ip6');
  for (const k of ['tcp', 'tcp6', 'udp', 'udp6'] as const) {
    const v = pairs.get(k);
    if (v !== undefined) out[k] = Number(readUint(v, 2, k));
  }
  const eth = pairs.get('eth');
  if (eth !== undefined) out.eth = readEthEntry(eth);
  return out;
}

/** [[forkHash(4), forkNext], ...rest]: later elements are allowed, as geth's decoder allows them. */
function readEthEntry(v: RlpItem): ForkIdEntry {
  const forkId = Array.isArray(v) ? v[0] : undefined;
  if (!Array.isArray(forkId) || forkId.length !== 2) throw new EnrError('enr: "eth" is not [[forkHash, forkNext], ...]');
  const [hash, next] = forkId;
  if (!(hash instanceof Uint8Array) || hash.length !== 4) throw new EnrError('enr: "eth" fork hash is not 4 bytes');
  return { forkHash: hash, forkNext: readUint(next, 8, 'eth fork next') };
}

export interface EnrInput extends EnrEndpoints {
  seq?: bigint | number;
  /** Other pairs, as RLP items; keys must not repeat the ones above. */
  extra?: Record<string, RlpItem>;
}

/** Build and sign a v4 record (for tests, harnesses and DNS tree publishers). */
export function encodeEnr(fields: EnrInput, privateKey: Uint8Array): Enr {
  const seq = BigInt(fields.seq ?? 1);
  if (seq < 0n || seq >= 1n << 64n) throw new RangeError('enr: seq must be a 64-bit unsigned integer');
  const entries: [string, RlpItem][] = [
    ['id', ascii.encode('v4')],
    ['secp256k1', compressPublicKey(publicKeyOf(privateKey))],
  ];
  if (fields.ip !== undefined) entries.push(['ip', ipToBytes(fields.ip, 4)]);
  if (fields.ip6 !== undefined) entries.push(['ip6', ipToBytes(fields.ip6, 16)]);
  for (const k of ['tcp', 'tcp6', 'udp', 'udp6'] as const) {
    const port = fields[k];
    if (port === undefined) continue;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`enr: ${k} ${port} is not a port`);
    entries.push([k, writeUint(BigInt(port))]);
  }
  if (fields.eth) entries.push(['eth', [[fields.eth.forkHash, writeUint(fields.eth.forkNext)]]]);
  for (const [k, v] of Object.entries(fields.extra ?? {})) {
    if (entries.some(([e]) => e === k)) throw new RangeError(`enr: key "${k}" given twice`);
    entries.push([k, v]);
  }
  entries.sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')));
  const kv = entries.flatMap(([k, v]) => [Uint8Array.from(Buffer.from(k, 'latin1')), v]);
  const content = RLP.encode([writeUint(seq), ...(kv as Uint8Array[])]);
  const signature = sign(keccak256(content), privateKey).subarray(0, 64);
  const raw = RLP.encode([signature, writeUint(seq), ...(kv as Uint8Array[])]);
  if (raw.length > ENR_MAX_SIZE) throw new RangeError(`enr: ${raw.length} bytes is over the ${ENR_MAX_SIZE}-byte limit`);
  return decodeEnr(raw);
}
