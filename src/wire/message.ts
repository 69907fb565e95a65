/**
 * RLPx messages inside frame bodies: body = rlp(code) ‖ payload, where the payload is
 * snappy-compressed once both sides have agreed to it (after Hello, p2p version >= 5).
 * The code itself is never compressed.
 */
import { ProtocolError } from '../errors.js';
import { canonicalUint } from './rlp.js';
import { concatBytes, scratchBytes } from '../crypto/bytes.js';
import { LITERAL_MAX, literalBlockSize, MAX_DECODED_SIZE, snappyCompress, snappyDecompress, writeLiteralBlock } from './snappy.js';

/** Largest message payload (decoded), as geth: what a frame's 24-bit size can carry. */
export const MAX_MESSAGE_SIZE = MAX_DECODED_SIZE;
/**
 * The smallest maxMessageSize a peer may be given: room for every base-protocol message that
 * follows Hello (Disconnect, Ping, Pong: a few bytes each, compressed or not). Below it a
 * peer would refuse the remote's Ping and could not read its Disconnect.
 */
export const MIN_MESSAGE_SIZE = 64;

export interface Message {
  code: number;
  payload: Uint8Array;
}

/** RLP encoding of a non-negative integer message code. */
export function encodeCode(code: number): Uint8Array {
  if (!Number.isSafeInteger(code) || code < 0) throw new RangeError(`message code must be a non-negative integer, got ${code}`);
  if (code === 0) return Uint8Array.of(0x80);
  if (code < 0x80) return Uint8Array.of(code);
  const bytes: number[] = [];
  for (let v = code; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Uint8Array.of(0x80 + bytes.length, ...bytes);
}

/** Read the RLP integer code at the start of a body; returns it and where the payload starts. */
export function decodeCode(body: Uint8Array): { code: number; offset: number } {
  if (body.length === 0) throw new ProtocolError('message: empty frame body');
  const b0 = body[0]!;
  // 0x00 is the byte string [0], a non-canonical 0 (geth: ErrCanonInt); 0 is 0x80.
  if (b0 === 0x00) throw new ProtocolError('message: code is not canonical RLP');
  if (b0 < 0x80) return { code: b0, offset: 1 };
  if (b0 === 0x80) return { code: 0, offset: 1 };
  if (b0 > 0x86) throw new ProtocolError('message: code is not an RLP integer of at most 6 bytes');
  const len = b0 - 0x80;
  if (body.length < 1 + len) throw new ProtocolError('message: truncated code');
  // A single byte below 0x80 must be encoded as itself, not as a one-byte string.
  const code = len === 1 && body[1]! < 0x80 ? undefined : canonicalUint(body.subarray(1, 1 + len), 6);
  if (code === undefined) throw new ProtocolError('message: code is not canonical RLP');
  return { code, offset: 1 + len };
}

export function encodeMessage(code: number, payload: Uint8Array, compress: boolean): Uint8Array {
  if (payload.length > MAX_MESSAGE_SIZE) {
    throw new RangeError(`message payload of ${payload.length} bytes exceeds ${MAX_MESSAGE_SIZE}`);
  }
  // The common case in one allocation: a one-byte code, and a payload as it is or one literal.
  const n = payload.length;
  if (Number.isSafeInteger(code) && code >= 0 && code < 0x80 && (!compress || (n >= 1 && n <= LITERAL_MAX))) {
    const size = 1 + (compress ? literalBlockSize(n) : n);
    const out = size <= 64 ? new Uint8Array(size) : scratchBytes(size);
    out[0] = code === 0 ? 0x80 : code;
    if (compress) writeLiteralBlock(payload, out, 1);
    else out.set(payload, 1);
    return out;
  }
  return concatBytes(encodeCode(code), compress ? snappyCompress(payload) : payload);
}

/** The cap applies to the payload as delivered: decoded when compressed, as is when not (p2p v4). */
export function decodeMessage(body: Uint8Array, decompress: boolean, maxSize: number = MAX_MESSAGE_SIZE): Message {
  const { code, offset } = decodeCode(body);
  const raw = body.subarray(offset);
  if (decompress) return { code, payload: snappyDecompress(raw, maxSize) };
  if (raw.length > maxSize) throw new ProtocolError(`message: payload of ${raw.length} bytes exceeds the ${maxSize}-byte limit`);
  return { code, payload: raw };
}
