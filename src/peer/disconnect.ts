/**
 * Disconnect (0x01): its payload, and closing a connection with one.
 * The payload is [reason]. Old clients send a bare reason byte, and some send an
 * empty payload; both are accepted. Whether the payload was snappy-compressed is settled by
 * the caller, which also accepts an uncompressed one after Hello.
 */
import { RLP } from '@ethereumjs/rlp';
import type { DisconnectReason } from '../reasons.js';
import type { RlpxConnection } from '../wire/connection.js';
import { BASE_PROTOCOL_MAX_MESSAGE_SIZE, DISCONNECT_FLUSH_MS, P2PCode } from './p2p.js';

export function encodeDisconnect(reason: DisconnectReason): Uint8Array {
  return RLP.encode([reason]);
}

/**
 * The reason in a Disconnect payload, or undefined when there is none we can read.
 * Never throws: a peer that is leaving gets the benefit of the doubt.
 */
export function decodeDisconnect(payload: Uint8Array): number | undefined {
  if (payload.length === 0) return undefined;
  // A base-protocol message above 2 KiB is not one geth sends; and @ethereumjs/rlp's decode
  // costs O(depth x size) time and one allocation per item, so a large one must not reach it.
  if (payload.length > BASE_PROTOCOL_MAX_MESSAGE_SIZE) return undefined;
  let v: unknown;
  try {
    v = RLP.decode(payload);
  } catch {
    return payload.length === 1 ? payload[0] : undefined;
  }
  if (Array.isArray(v)) v = v[0];
  if (!(v instanceof Uint8Array)) return undefined;
  if (v.length === 0) return 0;
  if (v.length > 1) return undefined;
  return v[0];
}

/**
 * End a connection the way every local close does: when `notify`, send Disconnect(reason)
 * and give it DISCONNECT_FLUSH_MS to leave (geth: 1 s), then destroy the socket.
 */
export function closeConnection(conn: RlpxConnection, reason: DisconnectReason, notify: boolean): void {
  if (!notify || conn.closed) return conn.destroy();
  const flush = setTimeout(() => conn.destroy(), DISCONNECT_FLUSH_MS);
  flush.unref();
  conn
    .send(P2PCode.Disconnect, encodeDisconnect(reason), { written: true })
    .catch(() => {})
    .finally(() => {
      clearTimeout(flush);
      conn.destroy();
    });
}
