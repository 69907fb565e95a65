/**
 * discv5 messages (the plaintext inside a packet): message-type ‖ RLP([request-id, ...]).
 * PING, PONG, FINDNODE (a list of log-distances), NODES (records, and how many NODES messages
 * answer the request), TALKREQ and TALKRESP. Request ids are at most 8 bytes; trailing list
 * elements are accepted for forward compatibility.
 */
import { RLP } from '@ethereumjs/rlp';
import { concatBytes } from '../crypto/bytes.js';
import { randomBytes } from '../crypto/random.js';
import { canonicalUint } from '../wire/rlp.js';
import { ipFromBytes, ipToBytes, writeUint } from './enr-values.js';
import { V5PacketError } from './v5-errors.js';

export const MSG_PING = 1;
export const MSG_PONG = 2;
export const MSG_FINDNODE = 3;
export const MSG_NODES = 4;
export const MSG_TALKREQ = 5;
export const MSG_TALKRESP = 6;
export const MAX_REQUEST_ID_SIZE = 8;

export type V5Message =
  | { type: 'ping'; reqId: Uint8Array; enrSeq: bigint }
  | { type: 'pong'; reqId: Uint8Array; enrSeq: bigint; ip: string; port: number }
  | { type: 'findnode'; reqId: Uint8Array; distances: number[] }
  | { type: 'nodes'; reqId: Uint8Array; total: number; records: Uint8Array[] }
  | { type: 'talkreq'; reqId: Uint8Array; protocol: Uint8Array; request: Uint8Array }
  | { type: 'talkresp'; reqId: Uint8Array; response: Uint8Array };

type Item = Uint8Array | Item[];

/**
 * A fresh request id: 8 random bytes, the first never zero. The spec makes the id opaque, but
 * @chainsafe/discv5 (Lodestar's discovery) reads it as an integer and echoes it without its
 * leading zero bytes, so 1 request in 256 would get an answer that matches nothing we sent.
 */
export function newRequestId(): Uint8Array {
  const id = randomBytes(MAX_REQUEST_ID_SIZE);
  id[0] = 1 + (id[0]! % 255);
  return id;
}

export function encodeMessage(m: V5Message): Uint8Array {
  if (m.reqId.length > MAX_REQUEST_ID_SIZE) throw new RangeError('discv5: request id over 8 bytes');
  let type: number;
  let body: Item[];
  switch (m.type) {
    case 'ping':
      type = MSG_PING;
      body = [m.reqId, writeUint(m.enrSeq)];
      break;
    case 'pong':
      type = MSG_PONG;
      body = [m.reqId, writeUint(m.enrSeq), ipToBytes(m.ip, m.ip.includes(':') ? 16 : 4), writeUint(BigInt(m.port))];
      break;
    case 'findnode':
      type = MSG_FINDNODE;
      body = [m.reqId, m.distances.map((d) => writeUint(BigInt(d)))];
      break;
    case 'nodes':
      // Records are already RLP: spliced in raw, not re-encoded as byte strings.
      return concatType(MSG_NODES, encodeNodesBody(m.reqId, m.total, m.records));
    case 'talkreq':
      type = MSG_TALKREQ;
      body = [m.reqId, m.protocol, m.request];
      break;
    case 'talkresp':
      type = MSG_TALKRESP;
      body = [m.reqId, m.response];
      break;
  }
  return concatType(type, RLP.encode(body as Uint8Array[]));
}

function concatType(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.length);
  out[0] = type;
  out.set(body, 1);
  return out;
}

/** RLP list header for a payload of n bytes. */
function listHeader(n: number): Uint8Array {
  if (n < 56) return Uint8Array.of(0xc0 + n);
  const len = writeUint(BigInt(n));
  return Uint8Array.of(0xf7 + len.length, ...len);
}

function encodeNodesBody(reqId: Uint8Array, total: number, records: Uint8Array[]): Uint8Array {
  const inner = concatBytes(...records);
  const payload = concatBytes(RLP.encode(reqId), RLP.encode(writeUint(BigInt(total))), listHeader(inner.length), inner);
  return concatBytes(listHeader(payload.length), payload);
}

const bad = (msg: string): V5PacketError => new V5PacketError('malformed-message', `discv5: ${msg}`);

function uint(v: Item | undefined, max: number, what: string): number {
  const n = canonicalUint(v, max);
  if (n === undefined) throw bad(`${what} is not a canonical integer of at most ${max} bytes`);
  return n;
}

function uint64(v: Item | undefined, what: string): bigint {
  if (!(v instanceof Uint8Array) || v.length > 8 || (v.length > 0 && v[0] === 0)) throw bad(`${what} is not a canonical uint64`);
  let n = 0n;
  for (const b of v) n = (n << 8n) | BigInt(b);
  return n;
}

function bytes(v: Item | undefined, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw bad(`${what} is not a byte string`);
  return v;
}

/** Decode a decrypted message; throws V5PacketError('malformed-message'). */
export function decodeMessage(pt: Uint8Array): V5Message {
  if (pt.length < 2) throw bad('empty message');
  const type = pt[0]!;
  let decoded: unknown;
  try {
    decoded = RLP.decode(pt.subarray(1));
  } catch {
    throw bad('message body is not RLP');
  }
  if (!Array.isArray(decoded)) throw bad('message body is not a list');
  const f = decoded as Item[];
  const reqId = bytes(f[0], 'request id');
  if (reqId.length > MAX_REQUEST_ID_SIZE) throw bad(`request id of ${reqId.length} bytes`);
  switch (type) {
    case MSG_PING:
      return { type: 'ping', reqId, enrSeq: uint64(f[1], 'enr-seq') };
    case MSG_PONG: {
      const ipBytes = bytes(f[2], 'recipient-ip');
      if (ipBytes.length !== 4 && ipBytes.length !== 16) throw bad(`recipient-ip of ${ipBytes.length} bytes`);
      return {
        type: 'pong',
        reqId,
        enrSeq: uint64(f[1], 'enr-seq'),
        ip: ipFromBytes(ipBytes, ipBytes.length as 4 | 16, 'recipient-ip'),
        port: uint(f[3], 2, 'recipient-port'),
      };
    }
    case MSG_FINDNODE: {
      const list = f[1];
      if (!Array.isArray(list)) throw bad('FINDNODE distances are not a list');
      return { type: 'findnode', reqId, distances: list.map((d) => uint(d, 8, 'distance')) };
    }
    case MSG_NODES: {
      const list = f[2];
      if (!Array.isArray(list)) throw bad('NODES records are not a list');
      // Canonical RLP decodes and re-encodes to the same bytes: the records' signed encodings.
      return { type: 'nodes', reqId, total: uint(f[1], 8, 'total'), records: list.map((r) => RLP.encode(r as Uint8Array[])) };
    }
    case MSG_TALKREQ:
      return { type: 'talkreq', reqId, protocol: bytes(f[1], 'protocol'), request: bytes(f[2], 'request') };
    case MSG_TALKRESP:
      return { type: 'talkresp', reqId, response: bytes(f[1], 'response') };
    default:
      throw bad(`unknown message type ${type}`);
  }
}
