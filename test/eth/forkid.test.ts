/**
 * Fork IDs (EIP-2124). The vectors are facts from go-ethereum v1.17.5
 * core/forkid/forkid_test.go (TestCreation, TestValidation) and from EIP-2124 itself.
 */
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { RLP } from '@ethereumjs/rlp';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { CHAINS, type Chain } from '../../src/eth/chain.js';
import { checkForkId, forkId, type ForkVerdict } from '../../src/eth/forkid.js';

const MAX = (1n << 64n) - 1n;
const h = (v: number): Uint8Array => Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
/** geth's checksumUpdate: CRC32 continued over a fork number as uint64 BE. */
const after = (sum: number, fork: bigint): number => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(fork);
  return crc32(b, sum);
};

// [head block, head time, fork hash, fork next]
type Creation = [number, number, number, number];
const CREATION: Record<string, Creation[]> = {
  mainnet: [
    [0, 0, 0xfc64ec04, 1150000], [1149999, 0, 0xfc64ec04, 1150000], [1150000, 0, 0x97c2c34c, 1920000],
    [1919999, 0, 0x97c2c34c, 1920000], [1920000, 0, 0x91d1f948, 2463000], [2462999, 0, 0x91d1f948, 2463000],
    [2463000, 0, 0x7a64da13, 2675000], [2674999, 0, 0x7a64da13, 2675000], [2675000, 0, 0x3edd5b10, 4370000],
    [4369999, 0, 0x3edd5b10, 4370000], [4370000, 0, 0xa00bc324, 7280000], [7279999, 0, 0xa00bc324, 7280000],
    [7280000, 0, 0x668db0af, 9069000], [9068999, 0, 0x668db0af, 9069000], [9069000, 0, 0x879d6e30, 9200000],
    [9199999, 0, 0x879d6e30, 9200000], [9200000, 0, 0xe029e991, 12244000], [12243999, 0, 0xe029e991, 12244000],
    [12244000, 0, 0x0eb440f6, 12965000], [12964999, 0, 0x0eb440f6, 12965000], [12965000, 0, 0xb715077d, 13773000],
    [13772999, 0, 0xb715077d, 13773000], [13773000, 0, 0x20c327fc, 15050000], [15049999, 0, 0x20c327fc, 15050000],
    [15050000, 0, 0xf0afd0e3, 1681338455], [20000000, 1681338454, 0xf0afd0e3, 1681338455],
    [20000000, 1681338455, 0xdce96c2d, 1710338135], [30000000, 1710338134, 0xdce96c2d, 1710338135],
    [30000000, 1710338135, 0x9f3d2254, 1746612311], [30000000, 1746022486, 0x9f3d2254, 1746612311],
    [30000000, 1746612311, 0xc376cf8b, 1764798551], [30000000, 1764798550, 0xc376cf8b, 1764798551],
    [30000000, 1764798551, 0x5167e2a6, 1765290071], [30000000, 1765290070, 0x5167e2a6, 1765290071],
    [30000000, 1765290071, 0xcba2a1c0, 1767747671], [30000000, 1767747670, 0xcba2a1c0, 1767747671],
    [30000000, 1767747671, 0x07c9462e, 0], [50000000, 2000000000, 0x07c9462e, 0],
  ],
  sepolia: [
    [0, 0, 0xfe3366e7, 1735371], [1735370, 0, 0xfe3366e7, 1735371], [1735371, 0, 0xb96cbd13, 1677557088],
    [1735372, 1677557087, 0xb96cbd13, 1677557088], [1735372, 1677557088, 0xf7f9bc08, 1706655072],
    [1735372, 1706655071, 0xf7f9bc08, 1706655072], [1735372, 1706655072, 0x88cf81d9, 1741159776],
    [1735372, 1741159775, 0x88cf81d9, 1741159776], [1735372, 1741159776, 0xed88b5fd, 1760427360],
    [1735372, 1760427359, 0xed88b5fd, 1760427360], [1735372, 1760427360, 0xe2ae4999, 1761017184],
    [1735372, 1761017183, 0xe2ae4999, 1761017184], [1735372, 1761017184, 0x56078a1e, 1761607008],
    [1735372, 1761607007, 0x56078a1e, 1761607008], [1735372, 1761607008, 0x268956b6, 0], [1735372, 2000000000, 0x268956b6, 0],
  ],
  holesky: [
    [0, 0, 0xc61a6098, 1696000704], [123, 0, 0xc61a6098, 1696000704], [123, 1696000704, 0xfd4f016b, 1707305664],
    [123, 1707305663, 0xfd4f016b, 1707305664], [123, 1707305664, 0x9b192ad0, 1740434112], [123, 1740434111, 0x9b192ad0, 1740434112],
    [123, 1740434112, 0xdfbd9bed, 1759308480], [123, 1759308479, 0xdfbd9bed, 1759308480], [123, 1759308480, 0x783def52, 1759800000],
    [123, 1759799999, 0x783def52, 1759800000], [123, 1759800000, 0xa280a45c, 1760389824], [123, 1760389823, 0xa280a45c, 1760389824],
    [123, 1760389824, 0x9bc6cb31, 0], [123, 2000000000, 0x9bc6cb31, 0],
  ],
  hoodi: [
    [0, 0, 0xbef71d30, 1742999832], [123, 1742999831, 0xbef71d30, 1742999832], [123, 1742999832, 0x0929e24e, 1761677592],
    [123, 1761677591, 0x0929e24e, 1761677592], [123, 1761677592, 0xe7e0e7ff, 1762365720], [123, 1762365719, 0xe7e0e7ff, 1762365720],
    [123, 1762365720, 0x3893353e, 1762955544], [123, 1762955543, 0x3893353e, 1762955544], [123, 1762955544, 0x23aa1351, 0],
    [123, 2000000000, 0x23aa1351, 0],
  ],
};

describe('forkId (go-ethereum TestCreation vectors)', () => {
  for (const [name, cases] of Object.entries(CREATION)) {
    it(`${name}: ${cases.length} heads`, () => {
      for (const [number, time, hash, next] of cases) {
        const id = forkId(CHAINS[name]!, { number: BigInt(number), time: BigInt(time) });
        expect({ at: [number, time], hash: bytesToHex(id.hash), next: id.next }).toEqual({ at: [number, time], hash: bytesToHex(h(hash)), next: BigInt(next) });
      }
    });
  }

  it('EIP-2124 mainnet vectors: genesis checksum and the RLP encoding of a fork ID', () => {
    // The EIP: CRC32 of the mainnet genesis hash is 0xfc64ec04; forks at the same block count once.
    expect(crc32(CHAINS['mainnet']!.genesisHash)).toBe(0xfc64ec04);
    expect(after(0xfc64ec04, 1150000n)).toBe(0x97c2c34c);
    // The EIP's (and geth TestEncoding's) RLP of [hash, next].
    expect(bytesToHex(RLP.encode([h(0), 0]))).toBe('c6840000000080');
    expect(bytesToHex(RLP.encode([h(0xdeadbeef), 0xbaddcafe]))).toBe('ca84deadbeef84baddcafe');
    expect(bytesToHex(RLP.encode([h(0xffffffff), MAX]))).toBe('ce84ffffffff88ffffffffffffffff');
  });

  it('forks at block 0 and time forks at or before genesis are not counted', () => {
    const c: Chain = { name: 't', networkId: 1n, genesisHash: new Uint8Array(32), genesisTime: 100n, forkBlocks: [0n, 0n, 5n, 5n], forkTimes: [50n, 100n, 200n] };
    const g = crc32(c.genesisHash);
    expect(forkId(c, { number: 0n, time: 100n })).toEqual({ hash: h(g), next: 5n });
    expect(forkId(c, { number: 5n, time: 100n })).toEqual({ hash: h(after(g, 5n)), next: 200n });
    expect(forkId(c, { number: 9n, time: 200n })).toEqual({ hash: h(after(after(g, 5n), 200n)), next: 0n });
  });
});

// go-ethereum TestValidation: [config, head, time, hash, next, expected].
const legacy: Chain = { ...CHAINS['mainnet']!, forkTimes: [] };
const main = CHAINS['mainnet']!;
type Validation = [Chain, number, number, number, bigint, ForkVerdict];
const OK = 'compatible';
const STALE = 'remote-stale';
const BAD = 'incompatible';
const VALIDATION: Validation[] = [
  [legacy, 15050000, 0, 0xf0afd0e3, 0n, OK],
  [legacy, 15050000, 0, 0xf0afd0e3, MAX, OK],
  [legacy, 7279999, 0, 0xa00bc324, 0n, OK],
  [legacy, 7279999, 0, 0xa00bc324, 7280000n, OK],
  [legacy, 7279999, 0, 0xa00bc324, MAX, OK],
  [legacy, 7280000, 0, 0xa00bc324, 7280000n, OK],
  [legacy, 7987396, 0, 0xa00bc324, 7280000n, OK],
  [legacy, 7987396, 0, 0x3edd5b10, 4370000n, OK],
  [legacy, 7279999, 0, 0x668db0af, 0n, OK],
  [legacy, 4369999, 0, 0xa00bc324, 0n, OK],
  [legacy, 7987396, 0, 0xa00bc324, 0n, STALE],
  [legacy, 7987396, 0, 0x5cddc0e1, 0n, BAD],
  [legacy, 7279999, 0, 0x5cddc0e1, 0n, BAD],
  [legacy, 7987396, 0, 0xafec6b27, 0n, BAD],
  [legacy, 88888888, 0, 0xf0afd0e3, 88888888n, BAD],
  [legacy, 7279999, 0, 0xa00bc324, 7279999n, BAD],
  [main, 15050000, 0, 0xf0afd0e3, 0n, OK],
  [main, 15050000, 0, 0xf0afd0e3, 1681338455n, OK],
  [main, 15050000, 0, 0xf0afd0e3, MAX, OK],
  [main, 20000000, 1681338455, 0xf0afd0e3, 1681338455n, OK],
  [main, 20123456, 1681338456, 0xf0afd0e3, 1681338455n, OK],
  [main, 20000000, 1681338455, 0x20c327fc, 15050000n, OK],
  [main, 15050000, 0, 0xdce96c2d, 0n, OK],
  [main, 13773000, 0, 0xf0afd0e3, 0n, OK],
  [main, 20000000, 1681338455, 0xf0afd0e3, 0n, STALE],
  [main, 15050000, 0, after(0xf0afd0e3, MAX), 0n, BAD],
  [main, 15050000, 0, after(0xdce96c2d, MAX), 0n, BAD],
  [main, 888888888, 1660000000, 0xf0afd0e3, 1660000000n, BAD],
  [main, 19999999, 1667999999, 0xf0afd0e3, 1667999999n, BAD],
  [main, 20000000, 1681338455, 0xdce96c2d, 0n, OK],
  [main, 20000000, 1681338455, 0xdce96c2d, MAX, OK],
  [main, 20000000, 1668000000, 0xdce96c2d, 0n, OK],
  [main, 20000000, 1668000000, 0xdce96c2d, 1710338135n, OK],
  [main, 20000000, 1668000000, 0xdce96c2d, MAX, OK],
  [main, 21000000, 1710338135, 0xdce96c2d, 1710338135n, OK],
  [main, 21123456, 1710338136, 0xdce96c2d, 1710338135n, OK],
  [main, 0, 0, 0x3edd5b10, 1710338135n, OK],
  [main, 21000000, 1700000000, 0x9f3d2254, 0n, OK],
  [main, 21000000, 1678000000, 0xc376cf8b, 0n, OK],
  [main, 21000000, 1710338135, 0xdce96c2d, 0n, STALE],
  [main, 20000000, 1681338455, after(0xdce96c2d, MAX), 0n, BAD],
  [main, 20000000, 1668000000, after(0x9f3d2254, MAX), 0n, BAD],
  [main, 20000000, 1681338455, 0x12345678, 0n, BAD],
  [main, 88888888, 8888888888, 0x07c9462e, 8888888888n, BAD],
  [main, 20999999, 1699999999, 0x71147644, 1700000000n, BAD],
];

describe('checkForkId (go-ethereum TestValidation vectors)', () => {
  it(`${VALIDATION.length} cases, each with geth's verdict`, () => {
    const got = VALIDATION.map(([chain, number, time, hash, next]) => checkForkId(chain, { number: BigInt(number), time: BigInt(time) }, { hash: h(hash), next }).verdict);
    expect(got).toEqual(VALIDATION.map((v) => v[5]));
  });

  it('the detail names the rule, and says local incompatible or stale apart from remote stale', () => {
    const at = { number: 7987396n, time: 0n };
    expect(checkForkId(legacy, at, { hash: h(0xa00bc324), next: 0n }).detail).toMatch(/^remote stale.*rule 2/);
    expect(checkForkId(legacy, at, { hash: h(0xafec6b27), next: 0n }).detail).toMatch(/^local incompatible or stale.*rule 4/);
    expect(checkForkId(legacy, { number: 88888888n, time: 0n }, { hash: h(0xf0afd0e3), next: 88888888n }).detail).toMatch(/rule 1a/);
  });
});
