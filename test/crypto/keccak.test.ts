/** keccak256, one-shot and incremental. Also runs in the 'noble' project (RLPX_CRYPTO=noble). */
import { describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes } from '../../src/crypto/bytes.js';
import { createKeccak256, keccak256, keccakBackend } from '../../src/crypto/keccak.js';
import { seededBytes } from '../helpers/bytes.js';

describe(`keccak256 (${keccakBackend})`, () => {
  it('hashes the empty string to the known digest', () => {
    expect(bytesToHex(keccak256())).toBe('c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
    expect(bytesToHex(keccak256(new Uint8Array(0)))).toBe(
      'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    );
    expect(bytesToHex(createKeccak256().sum())).toBe('c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
  });

  it('hashes several parts as their concatenation', () => {
    const a = seededBytes(100, 1);
    const b = seededBytes(300, 2);
    expect(bytesToHex(keccak256(a, b))).toBe(bytesToHex(keccak256(concatBytes(a, b))));
  });

  it('createKeccak256: sum() does not finalize the state', () => {
    const a = seededBytes(37, 3);
    const b = seededBytes(200, 4); // crosses the 136-byte rate
    const s = createKeccak256();
    s.update(a);
    const first = s.sum();
    expect(bytesToHex(first)).toBe(bytesToHex(keccak256(a)));
    expect(bytesToHex(s.sum())).toBe(bytesToHex(first)); // reading twice changes nothing
    s.update(b);
    expect(bytesToHex(s.sum())).toBe(bytesToHex(keccak256(a, b)));
    expect(bytesToHex(first)).toBe(bytesToHex(keccak256(a))); // earlier digest not aliased
  });

  it('createKeccak256: updateAndSum matches update then sum', () => {
    const a = seededBytes(10, 5);
    const b = seededBytes(500, 6);
    const s1 = createKeccak256();
    const s2 = createKeccak256();
    s1.update(a);
    s2.update(a);
    s1.update(b);
    const viaUpdate = s1.sum();
    const viaUpdateAndSum = s2.updateAndSum(b);
    expect(bytesToHex(viaUpdateAndSum)).toBe(bytesToHex(viaUpdate));
    expect(bytesToHex(viaUpdateAndSum)).toBe(bytesToHex(keccak256(a, b)));
    expect(bytesToHex(s2.sum())).toBe(bytesToHex(viaUpdate));
  });

  it('independent states do not disturb each other or one-shot hashing', () => {
    const s1 = createKeccak256();
    const s2 = createKeccak256();
    const parts1: Uint8Array[] = [];
    const parts2: Uint8Array[] = [];
    for (let i = 0; i < 10; i++) {
      const p1 = seededBytes(17 * i + 1, 100 + i);
      const p2 = seededBytes(29 * i + 3, 200 + i);
      s1.update(p1);
      parts1.push(p1);
      keccak256(seededBytes(50, 300 + i)); // interleaved one-shot use of the shared hasher
      expect(bytesToHex(s2.updateAndSum(p2))).toBe(bytesToHex(keccak256(...parts2, p2)));
      parts2.push(p2);
    }
    expect(bytesToHex(s1.sum())).toBe(bytesToHex(keccak256(...parts1)));
    expect(bytesToHex(s2.sum())).toBe(bytesToHex(keccak256(...parts2)));
  });
});
