/**
 * eth/69-72 message codecs: geth v1.17.5's byte vectors (eth/protocols/eth/protocol_test.go,
 * request id 1111), typed transactions and headers of every fork, the version deltas, both
 * GetCells/Cells shapes, blob elision, and strict refusals.
 */
import { RLP } from '@ethereumjs/rlp';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { MessageError } from '../../src/eth/errors.js';
import { decodeHeader, encodeHeader, makeHeader, EMPTY_OMMERS_HASH, type HeaderFields } from '../../src/eth/header.js';
import {
  countItems,
  decodeBlockBodies,
  decodeBlockHeaders,
  decodeCells,
  decodeGetBlockHeaders,
  decodeGetCells,
  decodeHashesRequest,
  decodeMessage,
  decodeNewPooledTransactionHashes,
  decodePooledTransactions,
  decodeReceipts,
  decodeResponseEnvelope,
  encodeBlockBodies,
  encodeBlockHeaders,
  encodeCells,
  encodeGetBlockHeaders,
  encodeGetCells,
  encodeGetReceipts,
  encodeHashesRequest,
  encodeMessage,
  encodeNewPooledTransactionHashes,
  encodePooledTransactions,
  encodeReceipts,
  EthCode,
  MAX_DECODED_ITEMS,
  MAX_ETH_MESSAGE_SIZE,
  messageName,
} from '../../src/eth/messages.js';
import { decodeTransaction, makeTransaction, pooledTransactionItem, type TransactionFields } from '../../src/eth/transaction.js';
import { encodeRawList, iterate, readOne, withItemBudget } from '../../src/eth/rlp-view.js';
import { DisconnectReason } from '../../src/reasons.js';

const h = (s: string): Uint8Array => hexToBytes(s);
const hex = (b: Uint8Array): string => bytesToHex(b);
const word = (s: string): Uint8Array => h(s.padStart(64, '0'));

// geth's vectors.
const TX1 = 'f867088504a817c8088302e2489435353535353535353535353535353535353535358202008025a064b1702d9298fee62dfeccc57d322a463ad55ca201256d01f62b45b2e1c21c12a064b1702d9298fee62dfeccc57d322a463ad55ca201256d01f62b45b2e1c21c10';
const TX2 = 'f867098504a817c809830334509435353535353535353535353535353535353535358202d98025a052f8f61201b2b11a78d6e866abc9c3db2ae8631fa656bfe5cb53668255367afba052f8f61201b2b11a78d6e866abc9c3db2ae8631fa656bfe5cb53668255367afb';
const HEADER = `f901f9a0${'0'.repeat(64)}a0${'0'.repeat(64)}94${'0'.repeat(40)}a0${'0'.repeat(64)}a0${'0'.repeat(64)}a0${'0'.repeat(64)}b90100${'0'.repeat(512)}8208ae820d0582115c8215b3821a0a827788a0${'0'.repeat(64)}880000000000000000`;
const BY_HASH = 'e8820457e4a000000000000000000000000000000000000000000000000000000000deadc0de050580';
const BY_NUMBER = 'ca820457c682270f050580';
const HASHES = 'f847820457f842a000000000000000000000000000000000000000000000000000000000deadc0dea000000000000000000000000000000000000000000000000000000000feedbeef';
const BODIES = `f902dc820457f902d6f902d3f8d2${TX1}${TX2}f901fc${HEADER}`;
const RECEIPTS69 = 'f8da820457f8d5f8d3f866808082014df85ff85d940000000000000000000000000000000000000011f842a0000000000000000000000000000000000000000000000000000000000000deada0000000000000000000000000000000000000000000000000000000000000beef830100fff86901018201bcf862f860940000000000000000000000000000000000000022f842a00000000000000000000000000000000000000000000000000000000000005668a0000000000000000000000000000000000000000000000000000000000000977386020f0f0f0608';
const POOLED = `f8d7820457f8d2${TX1}${TX2}`;

function refused(fn: () => unknown, check?: string): MessageError {
  let error: unknown;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(MessageError);
  expect((error as MessageError).reason).toBe(DisconnectReason.SubprotocolError);
  if (check) expect((error as MessageError).check).toBe(check);
  return error as MessageError;
}

describe('geth v1.17.5 vectors', () => {
  it('GetBlockHeaders by number and by hash', () => {
    expect(hex(encodeGetBlockHeaders({ requestId: 1111n, origin: 9999n, amount: 5n, skip: 5n, reverse: false }))).toBe(BY_NUMBER);
    expect(hex(encodeGetBlockHeaders({ requestId: 1111n, origin: word('deadc0de'), amount: 5n, skip: 5n, reverse: false }))).toBe(BY_HASH);
    expect(decodeGetBlockHeaders(h(BY_NUMBER))).toEqual({ requestId: 1111n, origin: 9999n, amount: 5n, skip: 5n, reverse: false });
    const q = decodeGetBlockHeaders(h(BY_HASH));
    expect(hex(q.origin as Uint8Array)).toBe(hex(word('deadc0de')));
  });

  it('empty requests and responses are c4820457c0', () => {
    expect(hex(encodeHashesRequest({ requestId: 1111n, hashes: [] }))).toBe('c4820457c0');
    expect(hex(encodeBlockHeaders({ requestId: 1111n, headers: [] }))).toBe('c4820457c0');
    expect(hex(encodeReceipts(69, { requestId: 1111n, receipts: [] }))).toBe('c4820457c0');
    expect(decodeBlockHeaders(h('c4820457c0'))).toEqual({ requestId: 1111n, headers: [] });
  });

  it('BlockHeaders keeps the raw bytes and hashes them', () => {
    const payload = h(`f90202820457f901fc${HEADER}`);
    const { headers } = decodeBlockHeaders(payload);
    expect(headers).toHaveLength(1);
    const hd = headers[0]!;
    expect(hex(hd.raw)).toBe(HEADER);
    expect(hex(hd.hash)).toBe(hex(keccak256(h(HEADER))));
    expect([hd.difficulty, hd.number, hd.gasLimit, hd.gasUsed, hd.timestamp]).toEqual([0x8aen, 0xd05n, 0x115cn, 0x15b3n, 0x1a0an]);
    expect(hex(hd.extraData)).toBe('7788');
    expect(hd.baseFeePerGas).toBeUndefined();
    expect(hex(encodeBlockHeaders({ requestId: 1111n, headers }))).toBe(hex(payload));
    expect(hex(encodeHeader(hd))).toBe(HEADER);
  });

  it('GetBlockBodies, GetReceipts (69), GetPooledTransactions', () => {
    const hashes = [word('deadc0de'), word('feedbeef')];
    expect(hex(encodeHashesRequest({ requestId: 1111n, hashes }))).toBe(HASHES);
    expect(hex(encodeGetReceipts(69, { requestId: 1111n, hashes }))).toBe(HASHES);
    expect(decodeHashesRequest(h(HASHES)).hashes.map(hex)).toEqual(hashes.map(hex));
  });

  it('BlockBodies: legacy transactions and an uncle', () => {
    const { requestId, bodies } = decodeBlockBodies(h(BODIES));
    expect(requestId).toBe(1111n);
    const b = bodies[0]!;
    expect(b.withdrawals).toBeUndefined();
    expect(b.transactions.map((t) => hex(t.raw))).toEqual([TX1, TX2]);
    const t = b.transactions[0]!;
    expect([t.type, t.nonce, t.gasPrice, t.gas, t.value, t.v]).toEqual([0, 8n, 0x4a817c808n, 0x2e248n, 0x200n, 0x25n]);
    expect(hex(t.to!)).toBe('35'.repeat(20));
    expect(hex(b.uncles[0]!.raw)).toBe(HEADER);
    expect(hex(encodeBlockBodies({ requestId, bodies }))).toBe(BODIES);
  });

  it('Receipts on eth/69', () => {
    const r = decodeReceipts(69, h(RECEIPTS69));
    expect(r.lastBlockIncomplete).toBeUndefined();
    const [a, b] = r.receipts[0]!;
    expect([a!.type, a!.postStateOrStatus.length, a!.cumulativeGasUsed, b!.postStateOrStatus[0], b!.cumulativeGasUsed]).toEqual([0, 0, 333n, 1, 444n]);
    expect(hex(a!.logs[0]!.data)).toBe('0100ff');
    expect(hex(encodeReceipts(69, r))).toBe(RECEIPTS69);
  });

  it('PooledTransactions', () => {
    const p = decodePooledTransactions(h(POOLED));
    expect(p.transactions.map((t) => hex(t.raw))).toEqual([TX1, TX2]);
    expect(hex(encodePooledTransactions(p))).toBe(POOLED);
  });
});

const base: HeaderFields = {
  parentHash: new Uint8Array(32).fill(1),
  ommersHash: EMPTY_OMMERS_HASH,
  coinbase: new Uint8Array(20).fill(2),
  stateRoot: new Uint8Array(32).fill(3),
  transactionsRoot: new Uint8Array(32).fill(4),
  receiptsRoot: new Uint8Array(32).fill(5),
  logsBloom: new Uint8Array(256),
  difficulty: 0n,
  number: (1n << 64n) - 1n,
  gasLimit: 30_000_000n,
  gasUsed: 21_000n,
  timestamp: 1_700_000_000n,
  extraData: new Uint8Array(0),
  mixHash: new Uint8Array(32).fill(6),
  nonce: new Uint8Array(8),
};

describe('headers of every fork', () => {
  const forks: Array<[string, Partial<HeaderFields>]> = [
    ['frontier', {}],
    ['london', { baseFeePerGas: 7n }],
    ['shanghai', { baseFeePerGas: 7n, withdrawalsRoot: new Uint8Array(32).fill(9) }],
    ['cancun', { baseFeePerGas: 7n, withdrawalsRoot: new Uint8Array(32).fill(9), blobGasUsed: 131072n, excessBlobGas: 0n, parentBeaconBlockRoot: new Uint8Array(32).fill(8) }],
    ['prague', { baseFeePerGas: 7n, withdrawalsRoot: new Uint8Array(32).fill(9), blobGasUsed: 0n, excessBlobGas: 1n, parentBeaconBlockRoot: new Uint8Array(32).fill(8), requestsHash: new Uint8Array(32).fill(10) }],
    ['amsterdam', { baseFeePerGas: 7n, withdrawalsRoot: new Uint8Array(32).fill(9), blobGasUsed: 0n, excessBlobGas: 1n, parentBeaconBlockRoot: new Uint8Array(32).fill(8), requestsHash: new Uint8Array(32).fill(10), blockAccessListHash: new Uint8Array(32).fill(11), slotNumber: 12n }],
  ];
  for (const [fork, extra] of forks) {
    it(`${fork}: round trip, uint64 above 2^53 exact`, () => {
      const hd = makeHeader({ ...base, ...extra });
      expect(hd.number).toBe((1n << 64n) - 1n);
      const back = decodeHeader(hd.raw);
      for (const [k, v] of Object.entries(extra)) expect((back as unknown as Record<string, unknown>)[k]).toEqual(v);
      expect(RLP.decode(hd.raw)).toHaveLength(15 + Object.keys(extra).length);
    });
  }

  it('refuses a gap in the optional tail, extra fields, short hashes, non-canonical integers', () => {
    expect(() => encodeHeader({ ...base, withdrawalsRoot: new Uint8Array(32) })).toThrow(RangeError);
    const list = RLP.decode(encodeHeader(base)) as Uint8Array[];
    const enc = (l: unknown[]): Uint8Array => RLP.encode(l as Uint8Array[]);
    refused(() => decodeHeader(enc([...list, ...new Array(9).fill(new Uint8Array(32))])), 'rlp');
    refused(() => decodeHeader(enc([new Uint8Array(31), ...list.slice(1)])), 'rlp');
    refused(() => decodeHeader(enc([...list.slice(0, 8), Uint8Array.of(0, 1), ...list.slice(9)])), 'rlp');
    refused(() => decodeHeader(enc(list.slice(0, 14))), 'rlp');
  });
});

const tx = (fields: Partial<TransactionFields> & { type: TransactionFields['type'] }): TransactionFields => ({
  nonce: 1n, gas: 21000n, to: new Uint8Array(20).fill(0xaa), value: (1n << 255n) + 3n, data: Uint8Array.of(1, 2, 3), v: 1n, r: 2n, s: 3n, ...fields,
});
const access = [{ address: new Uint8Array(20).fill(1), storageKeys: [new Uint8Array(32).fill(2)] }];

describe('typed transactions', () => {
  const all: TransactionFields[] = [
    tx({ type: 0, gasPrice: 5n, to: null, v: 37n }),
    tx({ type: 1, chainId: 1n, gasPrice: 5n, accessList: access }),
    tx({ type: 2, chainId: 1n, maxPriorityFeePerGas: 1n, maxFeePerGas: 9n, accessList: [] }),
    tx({ type: 3, chainId: 1n, maxPriorityFeePerGas: 1n, maxFeePerGas: 9n, accessList: access, maxFeePerBlobGas: 4n, blobVersionedHashes: [new Uint8Array(32).fill(1)] }),
    tx({ type: 4, chainId: 1n, maxPriorityFeePerGas: 1n, maxFeePerGas: 9n, accessList: [], authorizationList: [{ chainId: 1n, address: new Uint8Array(20).fill(3), nonce: 0n, yParity: 1n, r: 5n, s: 6n }] }),
  ];
  for (const t of all) {
    it(`type ${t.type}: round trip, raw is type||payload, hash is keccak(raw)`, () => {
      const d = makeTransaction(t);
      expect(d).toMatchObject(t);
      if (t.type > 0) expect(d.raw[0]).toBe(t.type);
      expect(hex(d.hash)).toBe(hex(keccak256(d.raw)));
    });
  }

  it('refuses unknown types and contract creation by blob and set-code transactions', () => {
    refused(() => decodeTransaction(Uint8Array.of(5, 0xc0)), 'type');
    const blob = makeTransaction(all[3]!).raw;
    const list = RLP.decode(blob.subarray(1)) as Uint8Array[];
    list[5] = new Uint8Array(0);
    refused(() => decodeTransaction(Uint8Array.of(3, ...RLP.encode(list))), 'rlp');
  });

  it('pooled blob transactions: wrapper v0 and v1, blobs elided as 0xc0 or 0x80', () => {
    const t = makeTransaction(all[3]!);
    const blob = new Uint8Array(131072).fill(7);
    const c = new Uint8Array(48).fill(1);
    for (const version of [0, 1] as const) {
      const sidecar = { version, blobs: [blob], commitments: [c], proofs: version ? new Array(128).fill(c) : [c] };
      const m = { requestId: 5n, transactions: [{ ...t, sidecar }] };
      const back = decodePooledTransactions(encodePooledTransactions(m)).transactions[0]!;
      expect(hex(back.hash)).toBe(hex(t.hash));
      expect(back.sidecar?.version).toBe(version);
      expect(Buffer.from(back.sidecar!.blobs![0]!).equals(blob)).toBe(true);
      expect(back.sidecar?.proofs).toHaveLength(sidecar.proofs.length);
    }
    const elided = pooledTransactionItem({ ...t, sidecar: { version: 1, blobs: null, commitments: [c], proofs: [c] } });
    const asC0 = RLP.encode([5n, [RLP.decode(elided) as Uint8Array]]);
    expect(decodePooledTransactions(asC0).transactions[0]!.sidecar!.blobs).toBeNull();
    // Same with 0x80 (EIP-8070's nil) in place of 0xc0.
    const inner = RLP.decode((RLP.decode(elided) as Uint8Array).subarray(1)) as Uint8Array[];
    inner[2] = new Uint8Array(0);
    const as80 = RLP.encode([5n, [Uint8Array.of(3, ...RLP.encode(inner))]]);
    const back = decodePooledTransactions(as80).transactions[0]!;
    expect(back.sidecar!.blobs).toBeNull();
    expect(hex(back.hash)).toBe(hex(t.hash));
  });
});

describe('version deltas', () => {
  const hashes = [new Uint8Array(32).fill(1)];
  it('GetReceipts and Receipts: eth/69 vs eth/70+', () => {
    expect(RLP.decode(encodeGetReceipts(69, { requestId: 1n, hashes }))).toHaveLength(2);
    const r70 = encodeGetReceipts(70, { requestId: 1n, hashes, firstBlockReceiptIndex: 3n });
    expect(decodeMessage(70, 0x0f, r70).message).toMatchObject({ firstBlockReceiptIndex: 3n });
    refused(() => decodeMessage(69, 0x0f, r70), 'rlp');
    const rec = encodeReceipts(70, { requestId: 1n, lastBlockIncomplete: true, receipts: [[{ type: 2, postStateOrStatus: Uint8Array.of(1), cumulativeGasUsed: 21000n, logs: [] }]] });
    const d = decodeReceipts(70, rec);
    expect(d.lastBlockIncomplete).toBe(true);
    expect(d.receipts[0]![0]!.type).toBe(2);
    refused(() => decodeReceipts(69, rec), 'rlp');
  });

  it('NewPooledTransactionHashes: 3 fields up to 71, 4 on 72; lengths must agree', () => {
    const m = { types: Uint8Array.of(2, 3), sizes: [100, 200], hashes: [hashes[0]!, hashes[0]!] };
    expect(decodeNewPooledTransactionHashes(71, encodeNewPooledTransactionHashes(71, m))).toEqual(m);
    const m72 = { ...m, cells: new Uint8Array(16).fill(0xff) };
    expect(decodeNewPooledTransactionHashes(72, encodeNewPooledTransactionHashes(72, m72))).toEqual(m72);
    refused(() => decodeNewPooledTransactionHashes(72, encodeNewPooledTransactionHashes(71, m)), 'rlp');
    refused(() => decodeNewPooledTransactionHashes(71, RLP.encode([Uint8Array.of(2), [1, 2], []])), 'shape');
  });

  it('codes by version: access lists from 71, cells on 72, 0x01/0x07 never', () => {
    expect(messageName(70, 0x12)).toBeUndefined();
    expect(messageName(71, 0x12)).toBe('GetBlockAccessLists');
    expect(messageName(71, 0x14)).toBeUndefined();
    expect(messageName(72, 0x15)).toBe('Cells');
    for (const code of [0x01, 0x07, 0x0b, 0x0d, 0x16]) refused(() => decodeMessage(72, code, Uint8Array.of(0xc0)), 'code');
    expect(() => encodeMessage(70, 'GetBlockAccessLists', { requestId: 1n, hashes })).toThrow(RangeError);
    const bal = encodeMessage(71, 'BlockAccessLists', { requestId: 2n, accessLists: [Uint8Array.of(0xc1, 0x80), null] });
    expect(decodeMessage(71, bal.code, bal.payload).message).toEqual({ requestId: 2n, accessLists: [Uint8Array.of(0xc1, 0x80), null] });
  });

  it('GetCells/Cells: the spec flat shape and geth v1.17.5 nested shape', () => {
    const mask = new Uint8Array(16).fill(1);
    for (const nested of [false, true]) {
      const q = encodeGetCells({ requestId: 9n, hashes, mask, nested });
      expect(RLP.decode(q)).toHaveLength(nested ? 2 : 3);
      expect(decodeGetCells(q)).toEqual({ requestId: 9n, hashes, mask, nested });
      const cells = [[new Uint8Array(2048).fill(4)]];
      const r = encodeCells({ requestId: 9n, hashes, cells, mask, nested });
      expect(decodeCells(r)).toEqual({ requestId: 9n, hashes, cells, mask, nested });
    }
    refused(() => decodeCells(RLP.encode([9n, hashes, [[new Uint8Array(2047)]], mask])), 'rlp');
  });
});

describe('strictness and laziness', () => {
  it('refuses non-canonical RLP and integers', () => {
    refused(() => decodeGetBlockHeaders(h('ca820457c682270f058100')), 'rlp'); // 0x81 0x00: single byte wrapped
    refused(() => decodeGetBlockHeaders(h('cb83000457c682270f050580')), 'rlp'); // rid with a leading zero
    refused(() => decodeGetBlockHeaders(h('ca820457c682270f050502')), 'rlp'); // reverse = 2
    refused(() => decodeGetBlockHeaders(h('ca820457c682270f0505')), 'rlp'); // truncated
    refused(() => decodeGetBlockHeaders(RLP.encode([1, [new Uint8Array(9).fill(1), 1, 0, 0]])), 'field'); // origin of 9 bytes
    refused(() => decodeHashesRequest(h('f84882045700f842a000000000000000000000000000000000000000000000000000000000deadc0dea000000000000000000000000000000000000000000000000000000000feedbeef')), 'rlp');
  });

  it('refuses a reply above 10 MiB before reading it', () => {
    const big = new Uint8Array(MAX_ETH_MESSAGE_SIZE + 1);
    refused(() => decodeResponseEnvelope(69, 'BlockHeaders', big), 'size');
  });

  it('splits a large reply without decoding its items, and counts no further than asked', () => {
    // 1M one-byte items: countItems stops past the limit; the envelope decodes nothing.
    const items = encodeRawList(new Array<Uint8Array>(1 << 20).fill(Uint8Array.of(1)));
    const payload = encodeRawList([RLP.encode(1), items]);
    const t0 = performance.now();
    const env = decodeResponseEnvelope(69, 'BlockHeaders', payload);
    expect(countItems(env.items, 1024)).toBe(1025);
    expect(performance.now() - t0).toBeLessThan(50);
    refused(() => decodeBlockHeaders(payload), 'rlp');
  });
});


describe('the decoded-item budget', () => {
  const count = (n: number): Uint8Array => encodeRawList(Array.from({ length: n }, () => Uint8Array.of(0x80)));

  it('refuses past its budget with MessageError size, counting nested scopes against the outer one', () => {
    const list = readOne(count(10));
    expect(withItemBudget(10, 'x', () => [...iterate(list)].length)).toBe(10);
    const err = (() => {
      try {
        return withItemBudget(9, 'nine', () => [...iterate(list)]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(MessageError);
    expect((err as MessageError).check).toBe('size');
    expect((err as MessageError).message).toContain('nine has more than the 9 RLP items');
    // An inner scope with a larger budget does not lift the outer one; what it reads counts.
    expect(() => withItemBudget(15, 'outer', () => {
      withItemBudget(100, 'inner', () => [...iterate(list)]);
      return [...iterate(list)];
    })).toThrow(/outer has more than the 15/);
    // Outside any scope there is no bound, and a refused scope leaves none behind.
    expect([...iterate(readOne(count(100)))]).toHaveLength(100);
  });

  it('a geth-sized reply of small transactions decodes; the same shape past the budget is refused', () => {
    // The smallest real transfer: a signature's r and s are 32 bytes (2 items of 66 bytes).
    const sig = (1n << 255n) + 1n;
    const tx = makeTransaction({ type: 0, nonce: 1n, gasPrice: 7n, gas: 21000n, to: new Uint8Array(20).fill(1), value: 1n, data: new Uint8Array(0), v: 27n, r: sig, s: sig });
    const body = (n: number): Uint8Array => encodeRawList([encodeRawList(Array.from({ length: n }, () => tx.raw)), Uint8Array.of(0xc0)]);
    // 10 items per transaction: 2 MiB (geth's soft response limit) of them fits.
    const ok = encodeRawList([RLP.encode(1), encodeRawList([body(Math.floor(2 ** 21 / tx.raw.length))])]);
    expect(ok.length).toBeGreaterThan(2 ** 21);
    expect(decodeMessage(69, EthCode.BlockBodies, ok).message).toMatchObject({ requestId: 1n });
    const over = encodeRawList([RLP.encode(1), encodeRawList([body(MAX_DECODED_ITEMS / 10 + 1)])]);
    expect(() => decodeMessage(69, EthCode.BlockBodies, over)).toThrow(/BlockBodies has more than the 524288 RLP items/);
  });
});
