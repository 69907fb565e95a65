/** How the discv5 endpoint answers: PONG, FINDNODE's records and their split into NODES packets, TALKRESP. */
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { generatePrivateKey, nodeIdOf, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { encodeEnr } from '../../src/discovery/enr.js';
import { logDistance, nodeFromEnr } from '../../src/discovery/node.js';
import { Table } from '../../src/discovery/table.js';
import { encodeMessage } from '../../src/discovery/v5-message.js';
import { answer, FINDNODE_RESULT_LIMIT, findnodeRecords, splitNodes } from '../../src/discovery/v5-server.js';

const key = generatePrivateKey();
const local = encodeEnr({ ip: '127.0.0.1', udp: 30303 }, key);
const selfId = nodeIdOf(publicKeyOf(key));
const from = { ip: '127.0.0.1', port: 40000 };
const reqId = Uint8Array.of(1, 2);

/** A table of n live nodes with records (10.x addresses, LAN so no /24 limit applies). */
function tableOf(n: number): Table {
  const t = new Table({ selfId });
  for (let i = 0; i < n; i++) {
    const node = nodeFromEnr(encodeEnr({ ip: `10.0.${i >> 8}.${i & 255}`, udp: 30303 }, generatePrivateKey()))!;
    t.add(node, { live: true, protocol: 'v5' });
  }
  return t;
}

describe('discv5 endpoint answers', () => {
  it('PING gets a PONG with the observed address; TALKREQ an empty TALKRESP with the same id', () => {
    expect(answer({ message: { type: 'ping', reqId, enrSeq: 1n }, id: selfId, from }, local, undefined)).toEqual([
      { type: 'pong', reqId, enrSeq: local.seq, ip: '127.0.0.1', port: 40000 },
    ]);
    expect(answer({ message: { type: 'talkreq', reqId, protocol: Uint8Array.of(1), request: Uint8Array.of(2) }, id: selfId, from }, local, undefined)).toEqual([
      { type: 'talkresp', reqId, response: new Uint8Array(0) },
    ]);
  });

  it('FINDNODE: distance 0 is our record; others are live nodes at exactly that distance; 16 at most', () => {
    const t = tableOf(60);
    expect(findnodeRecords([0], local, t, { id: selfId, ip: '127.0.0.1' })).toEqual([local.raw]);
    const all = findnodeRecords([256, 255, 254, 253, 0, 0, 300], local, t, { id: selfId, ip: '127.0.0.1' });
    expect(all.length).toBe(FINDNODE_RESULT_LIMIT);
    const at256 = findnodeRecords([256], local, t, { id: selfId, ip: '127.0.0.1' });
    for (const raw of at256) {
      const e = [...t.nodes()].find((n) => bytesToHex(n.enr!.raw) === bytesToHex(raw))!;
      expect(logDistance(selfId, e.id)).toBe(256);
    }
    // Only the first 32 distances are looked at.
    expect(findnodeRecords([...Array(32).fill(300), 256], local, t, { id: selfId, ip: '127.0.0.1' })).toEqual([]);
    // LAN records are not relayed to a WAN requester.
    expect(findnodeRecords([256, 255], local, t, { id: selfId, ip: '8.8.8.8' })).toEqual([]);
  });

  it('NODES are split at about 1,000 bytes of records, each packet under the limit, the count in each', () => {
    const t = tableOf(60);
    const records = findnodeRecords([256, 255, 254, 253, 252], local, t, { id: selfId, ip: '127.0.0.1' });
    const msgs = splitNodes(reqId, records);
    expect(msgs.length).toBeGreaterThan(1);
    expect(msgs.length).toBeLessThanOrEqual(5);
    for (const m of msgs) {
      expect(m).toMatchObject({ type: 'nodes', total: msgs.length });
      expect(encodeMessage(m).length).toBeLessThan(1280 - 16 - 23 - 32 - 16);
    }
    expect(msgs.flatMap((m) => (m.type === 'nodes' ? m.records : []))).toEqual(records);
    expect(splitNodes(reqId, [])).toEqual([{ type: 'nodes', reqId, total: 1, records: [] }]);
  });
});
