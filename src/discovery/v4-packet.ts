/**
 * Discovery v4 packets (devp2p discv4.md, EIP-8, EIP-868): encoding and checked decoding.
 *
 * Frame: hash(32) ‖ signature(65) ‖ type(1) ‖ RLP body, with hash = keccak256(signature ‖ type ‖
 * body) and signature = sign(keccak256(type ‖ body)); the sender is the key recovered from it.
 * As EIP-8 asks, trailing list elements and data after the body are ignored, and the version of
 * a PING is not checked. Integers are canonical RLP, as geth's decoder wants them.
 */
import { RLP } from '@ethereumjs/rlp';
import { concatBytes, equalBytes } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { recover, sign } from '../crypto/secp256k1.js';
import { decodeEnr, type Enr, type RlpItem } from './enr.js';
import { ipFromBytes, ipToBytes } from './enr-values.js';
import { V4PacketError } from './errors.js';
import { isIP } from 'node:net';

export const MAX_PACKET_SIZE = 1280;
const HASH_SIZE = 32;
const SIG_SIZE = 65;
const HEAD_SIZE = HASH_SIZE + SIG_SIZE;
/** NEIGHBORS entries per packet: 12 worst-case (IPv6, big ports) entries fit in 1280 bytes. */
export const MAX_NEIGHBORS = 12;
/** Seconds a sent packet stays valid (geth: expiration = 20 s). */
export const EXPIRATION_SECONDS = 20;

export const PacketCode = { ping: 1, pong: 2, findnode: 3, neighbors: 4, enrRequest: 5, enrResponse: 6 } as const;
export type PacketKind = keyof typeof PacketCode;
const KIND_OF: readonly (PacketKind | undefined)[] = [undefined, 'ping', 'pong', 'findnode', 'neighbors', 'enrRequest', 'enrResponse'];

/** A UDP/TCP endpoint as packets carry it; `ip` is undefined when the bytes are not 4 or 16 long. */
export interface Endpoint {
  ip?: string;
  udp: number;
  tcp: number;
}

/** A node as NEIGHBORS lists it. */
export interface NeighborRecord extends Endpoint {
  /** 64-byte public key (not checked to be on the curve here: the receiver does). */
  publicKey: Uint8Array;
}

/**
 * Expirations are seconds since the epoch, read as geth reads them (a uint64 taken as int64,
 * so 2^64 - t is in the past).
 */
export type V4Packet =
  | { kind: 'ping'; version: bigint; from: Endpoint; to: Endpoint; expiration: number; enrSeq?: bigint; rest?: RlpItem[] }
  | { kind: 'pong'; to: Endpoint; replyToken: Uint8Array; expiration: number; enrSeq?: bigint; rest?: RlpItem[] }
  | { kind: 'findnode'; target: Uint8Array; expiration: number; rest?: RlpItem[] }
  | { kind: 'neighbors'; nodes: NeighborRecord[]; expiration: number; rest?: RlpItem[] }
  | { kind: 'enrRequest'; expiration: number; rest?: RlpItem[] }
  | { kind: 'enrResponse'; replyToken: Uint8Array; enr: Enr; rest?: RlpItem[] };

export interface DecodedPacket {
  packet: V4Packet;
  /** The frame's hash: what a PONG or ENRRESPONSE quotes as its reply token. */
  hash: Uint8Array;
  /** The sender's 64-byte public key, recovered from the signature. */
  publicKey: Uint8Array;
}

export interface EncodedPacket {
  bytes: Uint8Array;
  hash: Uint8Array;
}

/** The expiration to put in a packet sent now. */
export function expirationFromNow(nowMs = Date.now(), seconds = EXPIRATION_SECONDS): number {
  return Math.floor(nowMs / 1000) + seconds;
}

export function isExpired(expiration: number, nowMs = Date.now()): boolean {
  return expiration * 1000 < nowMs;
}

function endpointItem(e: Endpoint): RlpItem[] {
  const ip = e.ip === undefined ? new Uint8Array(0) : ipToBytes(e.ip, isIP(e.ip) === 6 ? 16 : 4);
  return [ip, uint(e.udp), uint(e.tcp)];
}

function uint(n: number): Uint8Array {
  return intBytes(BigInt(n));
}

function intBytes(n: bigint): Uint8Array {
  if (n < 0n) throw new RangeError('v4 packet: negative integer');
  const out: number[] = [];
  for (let x = n; x > 0n; x >>= 8n) out.unshift(Number(x & 0xffn));
  return Uint8Array.from(out);
}

function bodyOf(p: V4Packet): RlpItem[] {
  const exp = (e: number): Uint8Array => intBytes(BigInt.asUintN(64, BigInt(e)));
  const tail = p.rest ?? [];
  switch (p.kind) {
    case 'ping':
      return [intBytes(p.version), endpointItem(p.from), endpointItem(p.to), exp(p.expiration), ...(p.enrSeq !== undefined ? [intBytes(p.enrSeq)] : []), ...tail];
    case 'pong':
      return [endpointItem(p.to), p.replyToken, exp(p.expiration), ...(p.enrSeq !== undefined ? [intBytes(p.enrSeq)] : []), ...tail];
    case 'findnode':
      return [p.target, exp(p.expiration), ...tail];
    case 'neighbors':
      return [p.nodes.map((n) => [...endpointItem(n), n.publicKey]), exp(p.expiration), ...tail];
    case 'enrRequest':
      return [exp(p.expiration), ...tail];
    case 'enrResponse':
      return [p.replyToken, RLP.decode(p.enr.raw) as RlpItem[], ...tail];
  }
}

/** Sign and frame a packet. RangeError when it would be over 1280 bytes. */
export function encodePacket(packet: V4Packet, privateKey: Uint8Array): EncodedPacket {
  const code = PacketCode[packet.kind];
  if (code === undefined) throw new TypeError(`v4 packet: unknown kind ${String((packet as { kind: unknown }).kind)}`);
  const typed = concatBytes(Uint8Array.of(code), RLP.encode(bodyOf(packet) as Uint8Array[]));
  const signature = sign(keccak256(typed), privateKey);
  const hash = keccak256(signature, typed);
  const bytes = concatBytes(hash, signature, typed);
  if (bytes.length > MAX_PACKET_SIZE) throw new RangeError(`v4 packet: ${packet.kind} of ${bytes.length} bytes is over ${MAX_PACKET_SIZE}`);
  return { bytes, hash: new Uint8Array(hash) };
}

/** NEIGHBORS for any number of nodes: one packet per 12 (an empty list still gets one packet). */
export function encodeNeighbors(nodes: readonly NeighborRecord[], expiration: number, privateKey: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i === 0 || i < nodes.length; i += MAX_NEIGHBORS) {
    out.push(encodePacket({ kind: 'neighbors', nodes: nodes.slice(i, i + MAX_NEIGHBORS), expiration }, privateKey).bytes);
  }
  return out;
}

/** Check the frame's hash and signature and decode its body. Throws V4PacketError. */
export function decodePacket(input: Uint8Array): DecodedPacket {
  if (!(input instanceof Uint8Array)) throw new TypeError('v4 packet: expected a Uint8Array');
  if (input.length > MAX_PACKET_SIZE) throw new V4PacketError('too-large', `${input.length} bytes is over ${MAX_PACKET_SIZE}`);
  if (input.length < HEAD_SIZE + 1) throw new V4PacketError('too-small', `${input.length} bytes is shorter than a header`);
  const hash = input.subarray(0, HASH_SIZE);
  if (!equalBytes(hash, keccak256(input.subarray(HASH_SIZE)))) throw new V4PacketError('bad-hash', 'hash does not match the packet');
  let publicKey: Uint8Array;
  try {
    publicKey = recover(keccak256(input.subarray(HEAD_SIZE)), input.subarray(HASH_SIZE, HEAD_SIZE));
  } catch (err) {
    throw new V4PacketError('bad-signature', 'no public key recovers from the signature', { cause: err });
  }
  const kind = KIND_OF[input[HEAD_SIZE]!];
  if (kind === undefined) throw new V4PacketError('unknown-type', `unknown packet type ${input[HEAD_SIZE]}`);
  let body: unknown;
  try {
    body = RLP.decode(input.subarray(HEAD_SIZE + 1), true).data;
  } catch (err) {
    throw new V4PacketError('malformed', `${kind}: body is not RLP`, { cause: err });
  }
  if (!Array.isArray(body)) throw new V4PacketError('malformed', `${kind}: body is not a list`);
  return { packet: readBody(kind, body as RlpItem[]), hash: new Uint8Array(hash), publicKey };
}

function bad(kind: PacketKind, what: string): never {
  throw new V4PacketError('malformed', `${kind}: ${what}`);
}

function readInt(kind: PacketKind, v: RlpItem | undefined, maxBytes: number, what: string): bigint {
  if (!(v instanceof Uint8Array)) bad(kind, `${what} is missing or not a byte string`);
  if (v.length > maxBytes) bad(kind, `${what} is longer than ${maxBytes} bytes`);
  if (v.length > 0 && v[0] === 0) bad(kind, `${what} has a leading zero byte`);
  let n = 0n;
  for (const b of v) n = (n << 8n) | BigInt(b);
  return n;
}

function readExpiration(kind: PacketKind, v: RlpItem | undefined): number {
  return Number(BigInt.asIntN(64, readInt(kind, v, 8, 'expiration')));
}

function readBytes(kind: PacketKind, v: RlpItem | undefined, size: number, what: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== size) bad(kind, `${what} is not ${size} bytes`);
  return new Uint8Array(v);
}

function readEndpoint(kind: PacketKind, v: RlpItem | undefined, what: string, extra = 0): Endpoint & { item: RlpItem[] } {
  if (!Array.isArray(v) || v.length !== 3 + extra) bad(kind, `${what} is not a list of ${3 + extra}`);
  const [ip, udp, tcp] = v;
  if (!(ip instanceof Uint8Array)) bad(kind, `${what} IP is not a byte string`);
  const out: Endpoint & { item: RlpItem[] } = {
    udp: Number(readInt(kind, udp, 2, `${what} UDP port`)),
    tcp: Number(readInt(kind, tcp, 2, `${what} TCP port`)),
    item: v,
  };
  if (ip.length === 4 || ip.length === 16) out.ip = ipFromBytes(ip, ip.length, 'ip');
  return out;
}

function endpoint(e: Endpoint & { item?: RlpItem[] }): Endpoint {
  return e.ip === undefined ? { udp: e.udp, tcp: e.tcp } : { ip: e.ip, udp: e.udp, tcp: e.tcp };
}

function withRest<T extends object>(p: T, rest: RlpItem[]): T {
  return rest.length > 0 ? { ...p, rest } : p;
}

function readBody(kind: PacketKind, b: RlpItem[]): V4Packet {
  switch (kind) {
    case 'ping': {
      if (b.length < 4) bad(kind, 'fewer than 4 fields');
      const version = readInt(kind, b[0], 8, 'version');
      const p: V4Packet = { kind, version, from: endpoint(readEndpoint(kind, b[1], 'from')), to: endpoint(readEndpoint(kind, b[2], 'to')), expiration: readExpiration(kind, b[3]) };
      if (b.length > 4) p.enrSeq = readInt(kind, b[4], 8, 'enr-seq');
      return withRest(p, b.slice(5));
    }
    case 'pong': {
      if (b.length < 3) bad(kind, 'fewer than 3 fields');
      const replyToken = b[1];
      if (!(replyToken instanceof Uint8Array)) bad(kind, 'reply token is not a byte string');
      const p: V4Packet = { kind, to: endpoint(readEndpoint(kind, b[0], 'to')), replyToken: new Uint8Array(replyToken), expiration: readExpiration(kind, b[2]) };
      if (b.length > 3) p.enrSeq = readInt(kind, b[3], 8, 'enr-seq');
      return withRest(p, b.slice(4));
    }
    case 'findnode':
      if (b.length < 2) bad(kind, 'fewer than 2 fields');
      return withRest({ kind, target: readBytes(kind, b[0], 64, 'target'), expiration: readExpiration(kind, b[1]) }, b.slice(2));
    case 'neighbors': {
      if (b.length < 2) bad(kind, 'fewer than 2 fields');
      if (!Array.isArray(b[0])) bad(kind, 'nodes is not a list');
      const nodes = b[0].map((n) => {
        const e = readEndpoint(kind, n, 'node', 1);
        return { ...endpoint(e), publicKey: readBytes(kind, e.item[3], 64, 'node id') };
      });
      return withRest({ kind, nodes, expiration: readExpiration(kind, b[1]) }, b.slice(2));
    }
    case 'enrRequest':
      if (b.length < 1) bad(kind, 'no expiration');
      return withRest({ kind, expiration: readExpiration(kind, b[0]) }, b.slice(1));
    case 'enrResponse': {
      if (b.length < 2) bad(kind, 'fewer than 2 fields');
      const replyToken = b[0];
      if (!(replyToken instanceof Uint8Array)) bad(kind, 'reply token is not a byte string');
      if (!Array.isArray(b[1])) bad(kind, 'record is not a list');
      let enr: Enr;
      try {
        enr = decodeEnr(RLP.encode(b[1] as Uint8Array[]));
      } catch (err) {
        throw new V4PacketError('malformed', `${kind}: bad record: ${(err as Error).message}`, { cause: err });
      }
      return withRest({ kind, replyToken: new Uint8Array(replyToken), enr }, b.slice(2));
    }
  }
}
