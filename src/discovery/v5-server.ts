/**
 * How our discv5 endpoint answers requests: PING with PONG (the address we saw), FINDNODE with
 * our record at distance 0 and table nodes live over v5 at the others (at most 16 records, split into
 * NODES packets of about 1,000 bytes of records each), and TALKREQ with an empty TALKRESP, as
 * geth does for protocols it does not serve.
 */
import type { Enr } from './enr.js';
import { logDistance, type DiscoveryNode } from './node.js';
import { ipBytes, relayError } from './netutil.js';
import type { Table } from './table.js';
import type { V5Message } from './v5-message.js';
import type { InboundRequest } from './v5-transport.js';

/** Records returned for one FINDNODE (geth's findnodeResultLimit). */
export const FINDNODE_RESULT_LIMIT = 16;
/** Distances looked at per FINDNODE: a packet could list hundreds, each a scan of the table. */
export const FINDNODE_DISTANCE_LIMIT = 32;
/** Bytes of records per NODES packet: with the header, tag and RLP, well under 1,280. */
export const NODES_RECORD_BUDGET = 1000;

/** The records for a FINDNODE: the first 32 distances, deduplicated, over 256 ignored; at most 16 records. */
export function findnodeRecords(
  distances: number[],
  local: Enr,
  table: Table | undefined,
  requester: { id: Uint8Array; ip: string },
): Uint8Array[] {
  const out: Uint8Array[] = [];
  const senderIp = ipBytes(requester.ip);
  const relayable = (n: DiscoveryNode): boolean => {
    const ip = ipBytes(n.ip);
    return !senderIp || (ip !== undefined && relayError(senderIp, ip) === undefined);
  };
  for (const d of new Set(distances.slice(0, FINDNODE_DISTANCE_LIMIT))) {
    if (out.length >= FINDNODE_RESULT_LIMIT) break;
    if (d > 256) continue;
    if (d === 0) {
      out.push(local.raw);
      continue;
    }
    if (!table) continue;
    // Only nodes that passed a v5 liveness check, as geth answers: we vouch for what we return.
    // On a table shared with discv4 that leaves out v4-only nodes, even those whose record we
    // hold: nothing says they speak v5, and the asker would spend a handshake finding out.
    for (const e of table.entries()) {
      if (out.length >= FINDNODE_RESULT_LIMIT) break;
      const n = e.node;
      if ((e.protocols.get('v5')?.checks ?? 0) > 0 && n.enr && logDistance(table.selfId, n.id) === d && relayable(n)) out.push(n.enr.raw);
    }
  }
  return out;
}

/** Group records into NODES messages of at most `budget` bytes of records each (at least one message). */
export function splitNodes(reqId: Uint8Array, records: Uint8Array[], budget = NODES_RECORD_BUDGET): V5Message[] {
  const groups: Uint8Array[][] = [[]];
  let size = 0;
  for (const r of records) {
    if (size + r.length > budget && groups[groups.length - 1]!.length > 0) {
      groups.push([]);
      size = 0;
    }
    groups[groups.length - 1]!.push(r);
    size += r.length;
  }
  return groups.map((g) => ({ type: 'nodes', reqId, total: groups.length, records: g }));
}

/** The responses to one verified request. */
export function answer(req: InboundRequest, local: Enr, table: Table | undefined): V5Message[] {
  const m = req.message;
  switch (m.type) {
    case 'ping':
      return [{ type: 'pong', reqId: m.reqId, enrSeq: local.seq, ip: req.from.ip, port: req.from.port }];
    case 'findnode':
      return splitNodes(m.reqId, findnodeRecords(m.distances, local, table, { id: req.id, ip: req.from.ip }));
    case 'talkreq':
      return [{ type: 'talkresp', reqId: m.reqId, response: new Uint8Array(0) }];
  }
}
