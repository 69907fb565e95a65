/** The message layer above frames: RLP codes, optional snappy, size caps. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ProtocolError, SnappyError } from '../../src/errors.js';
import { bytesToHex, concatBytes } from '../../src/crypto/bytes.js';
import { decodeCode, decodeMessage, encodeCode, encodeMessage } from '../../src/wire/message.js';
import { MAX_DECODED_SIZE } from '../../src/wire/snappy.js';
import { channel } from '../helpers/session.js';

const hexOf = (b: Uint8Array): string => bytesToHex(b);

describe('message layer', () => {
  const CODES: Array<[number, string]> = [
    [0, '80'],
    [1, '01'],
    [0x10, '10'],
    [0x7f, '7f'],
    [0x80, '8180'],
    [300, '82012c'],
  ];

  for (const [code, rlp] of CODES) {
    for (const compress of [false, true]) {
      it(`round trips code ${code} ${compress ? 'with' : 'without'} snappy`, () => {
        expect(hexOf(encodeCode(code))).toBe(rlp);
        for (const payload of [new Uint8Array(0), Uint8Array.of(0xc0), new Uint8Array(randomBytes(500)), new Uint8Array(5000).fill(0x61)]) {
          const body = encodeMessage(code, payload, compress);
          expect(hexOf(body.subarray(0, rlp.length / 2))).toBe(rlp); // the code is never compressed
          if (!compress) expect(hexOf(body.subarray(rlp.length / 2))).toBe(hexOf(payload));
          const msg = decodeMessage(body, compress);
          expect(msg.code).toBe(code);
          expect(hexOf(msg.payload)).toBe(hexOf(payload));
          expect(decodeCode(body)).toEqual({ code, offset: rlp.length / 2 });
        }
      });
    }
  }

  it('compression shrinks a repetitive payload', () => {
    const payload = new Uint8Array(5000).fill(0x61);
    expect(encodeMessage(0x10, payload, true).length).toBeLessThan(500);
  });

  it('a message survives a frame round trip', () => {
    const { sealer, reader } = channel();
    const payload = new Uint8Array(randomBytes(3000));
    reader.push(sealer.seal(encodeMessage(0x21, payload, true)));
    const msg = decodeMessage(reader.read()!, true);
    expect(msg.code).toBe(0x21);
    expect(hexOf(msg.payload)).toBe(hexOf(payload));
  });

  it('decodeCode rejects non-canonical code encodings with ProtocolError', () => {
    expect(() => decodeCode(Uint8Array.of(0x81, 0x05))).toThrow(ProtocolError); // 5 must be one byte
    expect(() => decodeCode(Uint8Array.of(0x81, 0x7f, 0x00))).toThrow(ProtocolError);
    expect(() => decodeCode(Uint8Array.of(0x82, 0x00, 0x01))).toThrow(ProtocolError); // leading zero
    expect(() => decodeMessage(Uint8Array.of(0x82, 0x00, 0x01, 0xaa), false)).toThrow(ProtocolError);
  });

  it('decodeCode rejects an empty body, a truncated code and a list with ProtocolError', () => {
    expect(() => decodeCode(new Uint8Array(0))).toThrow(ProtocolError);
    expect(() => decodeMessage(new Uint8Array(0), false)).toThrow(ProtocolError);
    expect(() => decodeCode(Uint8Array.of(0x82, 0x01))).toThrow(ProtocolError);
    expect(() => decodeCode(Uint8Array.of(0xc0))).toThrow(ProtocolError);
    expect(() => decodeCode(Uint8Array.of(0x87, 1, 2, 3, 4, 5, 6, 7))).toThrow(ProtocolError);
  });

  it('decodeMessage with snappy rejects a payload that declares too much', () => {
    const body = concatBytes(Uint8Array.of(0x10), Uint8Array.of(0x80, 0x80, 0x80, 0x08, 0x00, 0x00));
    expect(() => decodeMessage(body, true)).toThrow(SnappyError);
    const small = encodeMessage(0x10, new Uint8Array(100), true);
    expect(() => decodeMessage(small, true, 99)).toThrow(SnappyError);
    expect(decodeMessage(small, true, 100).payload.length).toBe(100);
  });

  it('encodeMessage refuses a payload above MAX_DECODED_SIZE and bad codes', () => {
    expect(() => encodeMessage(1, new Uint8Array(MAX_DECODED_SIZE + 1), false)).toThrow(RangeError);
    expect(() => encodeCode(-1)).toThrow(RangeError);
    expect(() => encodeCode(1.5)).toThrow(RangeError);
  });
  // Found by fuzzing.
  it('decodeCode rejects 0x00, the non-canonical encoding of code 0', () => {
    expect(() => decodeCode(Uint8Array.of(0x00))).toThrow(ProtocolError);
    expect(() => decodeMessage(Uint8Array.of(0x00, 0xc0), false)).toThrow(ProtocolError);
    expect(decodeCode(Uint8Array.of(0x80, 0xc0))).toEqual({ code: 0, offset: 1 });
  });
});
