/** snappy (after Hello): round trips, the declared-size guard, and strictness like golang/snappy. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SnappyError } from '../../src/errors.js';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { compressSync } from 'snappy';
import { LITERAL_MAX, MAX_DECODED_SIZE, snappyCompress, snappyDecodedLength, snappyDecompress } from '../../src/wire/snappy.js';

const hexOf = (b: Uint8Array): string => bytesToHex(b);

describe('snappy', () => {
  it('round trips', () => {
    for (const data of [
      new Uint8Array(0),
      Uint8Array.of(1),
      new Uint8Array(randomBytes(1000)),
      new Uint8Array(100_000).fill(0x42),
      new TextEncoder().encode('abcabcabcabcabcabcabcabcabcabc hello hello hello'),
    ]) {
      const c = snappyCompress(data);
      expect(snappyDecodedLength(c)).toBe(data.length);
      expect(hexOf(snappyDecompress(c))).toBe(hexOf(data));
    }
  });

  it('a payload of 1..LITERAL_MAX bytes is sent as one literal: the snappy package\'s own bytes below 17', () => {
    const data = new Uint8Array(LITERAL_MAX).map((_, i) => i * 37);
    expect(hexOf(snappyCompress(data.subarray(0, 1)))).toBe('0100' + '00');
    expect(hexOf(snappyCompress(data.subarray(0, 60)))).toBe('3cec' + hexOf(data.subarray(0, 60)));
    expect(hexOf(snappyCompress(data.subarray(0, 61)))).toBe('3df03c' + hexOf(data.subarray(0, 61)));
    expect(hexOf(snappyCompress(data))).toBe('40f03f' + hexOf(data));
    for (let n = 0; n < 17; n++) expect(hexOf(snappyCompress(data.subarray(0, n)))).toBe(hexOf(compressSync(Buffer.from(data.subarray(0, n)))));
    // Above LITERAL_MAX the codec compresses: a run of zeros shrinks.
    expect(snappyCompress(new Uint8Array(LITERAL_MAX + 1)).length).toBeLessThan(20);
  });

  it('a block that is exactly one literal is read as a copy; one that is not quite goes to the codec', () => {
    const block = Uint8Array.of(0x03, 0x08, 1, 2, 3);
    const out = snappyDecompress(block);
    expect([...out]).toEqual([1, 2, 3]);
    out[0] = 9;
    expect(block[2]).toBe(1); // a copy, not a view
    // The 60-form of the same literal, and a non-canonical preamble: the codec accepts both, so do we.
    expect([...snappyDecompress(Uint8Array.of(0x03, 0xf0, 0x02, 1, 2, 3))]).toEqual([1, 2, 3]);
    // A byte short, a byte over, a literal shorter than declared: refused as the codec refuses.
    expect(() => snappyDecompress(Uint8Array.of(0x03, 0x08, 1, 2))).toThrow(SnappyError);
    expect(() => snappyDecompress(Uint8Array.of(0x03, 0x08, 1, 2, 3, 4))).toThrow(SnappyError);
    expect(() => snappyDecompress(Uint8Array.of(0x03, 0x04, 1, 2, 3))).toThrow(SnappyError);
  });

  it('snappyDecodedLength reads a known varint', () => {
    expect(snappyDecodedLength(Uint8Array.of(0x00))).toBe(0);
    expect(snappyDecodedLength(Uint8Array.of(0x7f, 0xff))).toBe(127);
    expect(snappyDecodedLength(Uint8Array.of(0xac, 0x02))).toBe(300);
    expect(snappyDecodedLength(Uint8Array.of(0x80, 0x80, 0x80, 0x08))).toBe(0x1000000);
    expect(snappyDecodedLength(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f))).toBe(0xffffffff);
  });

  it('snappyDecodedLength rejects a truncated or overlong preamble with SnappyError', () => {
    expect(() => snappyDecodedLength(new Uint8Array(0))).toThrow(SnappyError);
    expect(() => snappyDecodedLength(Uint8Array.of(0x80))).toThrow(SnappyError);
    expect(() => snappyDecodedLength(Uint8Array.of(0xff, 0xff, 0xff))).toThrow(SnappyError);
    expect(() => snappyDecodedLength(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x10))).toThrow(SnappyError);
    expect(() => snappyDecodedLength(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01))).toThrow(SnappyError);
  });

  it('snappyDecompress rejects a declared size above maxSize without decompressing', () => {
    const bomb = Uint8Array.of(0x80, 0x80, 0x80, 0x08, 0x00, 0x61, 0xfe, 0x01, 0x00); // varint(0x1000000) ‖ junk
    expect(snappyDecodedLength(bomb)).toBe(MAX_DECODED_SIZE + 1);
    // The cap is applied to the preamble: the codec never runs (its errors say 'corrupt input').
    expect(() => snappyDecompress(bomb)).toThrow(/declared size 16777216 exceeds/);
    expect(() => snappyDecompress(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f, 0x00))).toThrow(/declared size \d+ exceeds/);
    expect(() => snappyDecompress(snappyCompress(new Uint8Array(11)), 10)).toThrow(/declared size 11 exceeds/);
    expect(snappyDecompress(snappyCompress(new Uint8Array(10)), 10)).toHaveLength(10);
  });

  it('snappyDecompress rejects a truncated preamble with SnappyError', () => {
    expect(() => snappyDecompress(new Uint8Array(0))).toThrow(SnappyError);
    expect(() => snappyDecompress(Uint8Array.of(0x80))).toThrow(SnappyError);
    expect(() => snappyDecompress(Uint8Array.of(0xff, 0xff))).toThrow(SnappyError);
  });

  it('snappyDecompress rejects garbage with SnappyError', () => {
    // A copy before any output (offset beyond what has been written).
    expect(() => snappyDecompress(Uint8Array.of(0x04, 0x01, 0x05))).toThrow(SnappyError);
    // A copy with offset 0.
    expect(() => snappyDecompress(Uint8Array.of(0x08, 0x00, 0x61, 0x01, 0x00))).toThrow(SnappyError);
    // A literal that runs past the end of the input.
    expect(() => snappyDecompress(Uint8Array.of(0x05, 0x10, 0x61))).toThrow(SnappyError);
    // A 2-byte-offset copy whose offset bytes are missing.
    expect(() => snappyDecompress(Uint8Array.of(0x08, 0x00, 0x61, 0x02, 0x01))).toThrow(SnappyError);
    // A real stream (1d 14 68656c6c6f20 5a 06 00) cut inside its last copy element.
    const compressed = new Uint8Array(compressSync(Buffer.from('hello hello hello hello hello')));
    expect(hexOf(compressed)).toBe('1d1468656c6c6f205a0600');
    expect(() => snappyDecompress(compressed.subarray(0, compressed.length - 1))).toThrow(SnappyError);
  });

  // snappy must be strict like geth's golang/snappy: short, long or out-of-range streams fail.
  it('snappyDecompress rejects a stream that decodes to fewer or more bytes than declared', () => {
    const reject = (name: string, data: Uint8Array): void => {
      let result: string | undefined;
      try {
        result = hexOf(snappyDecompress(data));
      } catch (err) {
        expect(err, name).toBeInstanceOf(SnappyError);
        return;
      }
      expect.fail(`${name}: accepted, decoded to ${result}`);
    };
    // Declares 10 bytes, carries a 3-byte literal: accepted as 01 02 03 00 00 00 00 00 00 00.
    reject('short literal', Uint8Array.of(0x0a, 0x08, 0x01, 0x02, 0x03));
    // Declares 2 bytes, carries a 3-byte literal: accepted as 01 02.
    reject('overlong literal', Uint8Array.of(0x02, 0x08, 0x01, 0x02, 0x03));
    // The preamble alone: accepted as 10 zero bytes.
    reject('preamble only', Uint8Array.of(0x0a));
    // A real message cut after its literal: accepted as "hello " and 23 zero bytes.
    const compressed = new Uint8Array(compressSync(Buffer.from('hello hello hello hello hello')));
    reject('truncated stream', compressed.subarray(0, compressed.length - 3));
    // A 4-byte-offset copy with offset 0xffffffff (read as -1): accepted as 4 zero bytes.
    reject('negative copy offset', Uint8Array.of(0x04, 0xff, 0xff, 0xff, 0xff, 0xff));
  });

  // Found by fuzzing.
  it('snappyDecompress refuses a declared size its input cannot decode to, before allocating it', () => {
    // Was: 204 bytes declaring 13.9 MB made the decoder allocate (and zero) 13.9 MB first.
    const junk = new Uint8Array(204).fill(0x13);
    junk.set([0xb4, 0xf3, 0xce, 0x06]); // varint 13875636
    expect(() => snappyDecompress(junk)).toThrow(SnappyError);
    expect(() => snappyDecompress(junk)).toThrow(/can decode to/);
    // The densest legal data (runs of one byte: 3-byte copies of 64) still decodes.
    for (const n of [0, 1, 63, 64, 65, 4096, 1 << 20]) {
      const data = new Uint8Array(n).fill(0x61);
      expect(new Uint8Array(snappyDecompress(snappyCompress(data)))).toEqual(data);
    }
  });
});
