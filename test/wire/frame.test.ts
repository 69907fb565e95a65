/** RLPx frames over a real handshake, the message layer above them, and the snappy guard. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FrameError, ProtocolError, SnappyError } from '../../src/errors.js';
import { bytesToHex, concatBytes } from '../../src/crypto/bytes.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { HandshakeState, type Secrets } from '../../src/wire/handshake.js';
import { FrameReader, FrameSealer, frameWireSize, HEADER_BLOCK_SIZE, MAX_FRAME_SIZE } from '../../src/wire/frame.js';
import { decodeCode, decodeMessage, encodeCode, encodeMessage } from '../../src/wire/message.js';
import {
  MAX_DECODED_SIZE,
  snappyCompress,
  snappyDecodedLength,
  snappyDecompress,
} from '../../src/wire/snappy.js';

// ---------------------------------------------------------------------------------------------
// Helpers

/** mulberry32: a small seeded PRNG, so chunkings are reproducible. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Both sides' secrets from a real initiator/recipient handshake. */
function session(): { initiator: Secrets; recipient: Secrets } {
  const a = generatePrivateKey();
  const b = generatePrivateKey();
  const initiator = HandshakeState.initiator(publicKeyOf(b), { privateKey: a });
  const recipient = HandshakeState.recipient({ privateKey: b });
  recipient.readAuth(initiator.makeAuth());
  initiator.readAck(recipient.makeAck());
  return { initiator: initiator.secrets(), recipient: recipient.secrets() };
}

/** A sealer and the matching reader: initiator → recipient, or the reverse. */
function channel(reverse = false, options?: { maxFrameSize?: number }): { sealer: FrameSealer; reader: FrameReader } {
  const s = session();
  const [from, to] = reverse ? [s.recipient, s.initiator] : [s.initiator, s.recipient];
  return { sealer: new FrameSealer(from), reader: new FrameReader(to, options) };
}

function drain(reader: FrameReader): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let body = reader.read(); body !== undefined; body = reader.read()) out.push(body);
  return out;
}

function flipBit(bytes: Uint8Array, index: number, bit = 0): Uint8Array {
  const out = new Uint8Array(bytes);
  out[index]! ^= 1 << bit;
  return out;
}

const hexOf = (b: Uint8Array): string => bytesToHex(b);

const SIZES = [0, 1, 15, 16, 17, 31, 32, 33, 1000, 1024, 16 * 1024, 100_000, 1 << 20];
const SMALL = [0, 1, 15, 16, 17, 31, 32, 33, 1000, 1024];

/**
 * Feed `wire` to `reader` in the chunk sizes `next()` gives, draining after every push, and
 * check that each body appears exactly when the last byte of its frame has arrived.
 */
function feed(reader: FrameReader, wire: Uint8Array, frameEnds: number[], next: () => number): Uint8Array[] {
  const got: Uint8Array[] = [];
  let at = 0;
  while (at < wire.length) {
    const n = Math.min(Math.max(1, next()), wire.length - at);
    reader.push(wire.subarray(at, at + n));
    at += n;
    got.push(...drain(reader));
    // Exactly the frames that have fully arrived, no more and no fewer.
    expect(got.length).toBe(frameEnds.filter((end) => end <= at).length);
  }
  return got;
}

function sealAll(sealer: FrameSealer, bodies: Uint8Array[]): { wire: Uint8Array; ends: number[] } {
  const frames = bodies.map((b) => sealer.seal(b));
  const ends: number[] = [];
  let total = 0;
  for (const f of frames) ends.push((total += f.length));
  return { wire: concatBytes(...frames), ends };
}

// ---------------------------------------------------------------------------------------------

describe('frame round trip', () => {
  it('frameWireSize is header block + padded body + MAC, and seal() produces that many bytes', () => {
    const { sealer } = channel();
    for (const size of SIZES) {
      const expected = 32 + Math.ceil(size / 16) * 16 + 16;
      expect(frameWireSize(size)).toBe(expected);
      expect(sealer.seal(new Uint8Array(size)).length).toBe(expected);
    }
    expect(HEADER_BLOCK_SIZE).toBe(32);
  });

  for (const reverse of [false, true]) {
    const dir = reverse ? 'recipient → initiator' : 'initiator → recipient';

    it(`${dir}: every size, frame by frame`, () => {
      const { sealer, reader } = channel(reverse);
      for (const size of SIZES) {
        const body = new Uint8Array(randomBytes(size));
        const frame = sealer.seal(body);
        reader.push(frame);
        expect(reader.buffered).toBe(frame.length);
        const got = reader.read();
        expect(got, `size ${size}`).toBeDefined();
        expect(got!.length).toBe(size);
        expect(hexOf(got!)).toBe(hexOf(body));
        expect(reader.read()).toBeUndefined();
        expect(reader.buffered).toBe(0);
      }
    });

    it(`${dir}: many frames pushed all at once`, () => {
      const { sealer, reader } = channel(reverse);
      const bodies = [...SIZES, ...SIZES.slice(0, 10), ...SIZES.slice(0, 10)].map((n) => new Uint8Array(randomBytes(n)));
      const { wire } = sealAll(sealer, bodies);
      reader.push(wire);
      const got = drain(reader);
      expect(got.map(hexOf)).toEqual(bodies.map(hexOf));
      expect(reader.buffered).toBe(0);
    });
  }

  it('the keystream and MAC state run on across frames: identical bodies seal differently', () => {
    const { sealer, reader } = channel();
    const body = new Uint8Array(48).fill(7);
    const f1 = sealer.seal(body);
    const f2 = sealer.seal(body);
    expect(hexOf(f1)).not.toBe(hexOf(f2));
    expect(hexOf(f1.subarray(32, 80))).not.toBe(hexOf(f2.subarray(32, 80)));
    reader.push(f1);
    reader.push(f2);
    expect(drain(reader).map(hexOf)).toEqual([hexOf(body), hexOf(body)]);
  });

  it('a frame read out of order (skipping one) is rejected', () => {
    const { sealer, reader } = channel();
    sealer.seal(new Uint8Array(10));
    const second = sealer.seal(new Uint8Array(10));
    reader.push(second);
    expect(() => reader.read()).toThrow(FrameError);
  });

  it('a frame sealed for another session is rejected', () => {
    const { sealer } = channel();
    const { reader } = channel();
    reader.push(sealer.seal(new Uint8Array(20)));
    expect(() => reader.read()).toThrow(FrameError);
  });

  it('one byte at a time (small frames): undefined until the last byte of each frame', () => {
    const { sealer, reader } = channel();
    const bodies = [...SMALL, ...SMALL].map((n) => new Uint8Array(randomBytes(n)));
    const { wire, ends } = sealAll(sealer, bodies);
    const got = feed(reader, wire, ends, () => 1);
    expect(got.map(hexOf)).toEqual(bodies.map(hexOf));
    expect(reader.buffered).toBe(0);
  });

  it('random chunk sizes from a seeded PRNG, all sizes, both directions', () => {
    for (const [seed, reverse] of [
      [1, false],
      [2, true],
      [3, false],
    ] as const) {
      const rand = prng(seed);
      const { sealer, reader } = channel(reverse);
      const bodies = [...SIZES, ...SMALL].map((n) => new Uint8Array(randomBytes(n)));
      const { wire, ends } = sealAll(sealer, bodies);
      // Mostly small chunks, now and then a large one, so chunks both split and span frames.
      const next = (): number => (rand() < 0.1 ? 1 + Math.floor(rand() * 300_000) : 1 + Math.floor(rand() * 700));
      const got = feed(reader, wire, ends, next);
      expect(got.map(hexOf), `seed ${seed}`).toEqual(bodies.map(hexOf));
      expect(reader.buffered).toBe(0);
    }
  });

  it('the returned body is owned by the caller: later pushes and reads do not change it', () => {
    const { sealer, reader } = channel();
    const b1 = new Uint8Array(randomBytes(33));
    const b2 = new Uint8Array(randomBytes(33));
    const f1 = sealer.seal(b1);
    reader.push(f1);
    const got1 = reader.read()!;
    f1.fill(0);
    reader.push(sealer.seal(b2));
    const got2 = reader.read()!;
    expect(hexOf(got1)).toBe(hexOf(b1));
    expect(hexOf(got2)).toBe(hexOf(b2));
  });

  it('seal refuses a body above MAX_FRAME_SIZE', () => {
    const { sealer } = channel();
    expect(MAX_FRAME_SIZE).toBe(0xffffff);
    expect(() => sealer.seal(new Uint8Array(MAX_FRAME_SIZE + 1))).toThrow(RangeError);
  });
});

describe('frame tampering', () => {
  // Frame layout: header-ct[0,16) ‖ header-mac[16,32) ‖ body-ct[32, 32+padded) ‖ frame-mac(16).
  const BODY = 40; // padded to 48
  const cases: Array<[string, (len: number) => number]> = [
    ['header ciphertext', () => 0],
    ['header ciphertext (last byte)', () => 15],
    ['header MAC', () => 16],
    ['header MAC (last byte)', () => 31],
    ['body ciphertext', () => 32],
    ['body ciphertext (padding)', (len) => len - 17],
    ['frame MAC', (len) => len - 16],
    ['frame MAC (last byte)', (len) => len - 1],
  ];

  for (const [name, where] of cases) {
    it(`a flipped bit in the ${name} is rejected with FrameError, and read() keeps rethrowing`, () => {
      const { sealer, reader } = channel();
      const good = sealer.seal(new Uint8Array(randomBytes(BODY)));
      const next = sealer.seal(new Uint8Array(randomBytes(BODY)));
      reader.push(flipBit(good, where(good.length), 3));
      reader.push(next);
      let first: unknown;
      try {
        reader.read();
      } catch (err) {
        first = err;
      }
      expect(first).toBeInstanceOf(FrameError);
      // The stream is dead: the same error on every later call, even with more data.
      expect(() => reader.read()).toThrow(FrameError);
      try {
        reader.read();
      } catch (err) {
        expect(err).toBe(first);
      }
      reader.push(sealer.seal(new Uint8Array(1)));
      expect(() => reader.read()).toThrow(FrameError);
    });
  }

  it('header tampering is detected once only the 32 header bytes arrived', () => {
    const { sealer, reader } = channel();
    const frame = sealer.seal(new Uint8Array(1000));
    reader.push(flipBit(frame, 2).subarray(0, HEADER_BLOCK_SIZE - 1));
    expect(reader.read()).toBeUndefined();
    reader.push(flipBit(frame, 2).subarray(HEADER_BLOCK_SIZE - 1, HEADER_BLOCK_SIZE));
    expect(() => reader.read()).toThrow(FrameError);
  });

  it('a body tampered in the middle is refused, never returned', () => {
    const { sealer, reader } = channel();
    const frame = sealer.seal(new Uint8Array(randomBytes(100_000)));
    const bad = flipBit(frame, 50_000);
    reader.push(bad.subarray(0, bad.length - 1));
    expect(reader.read()).toBeUndefined();
    reader.push(bad.subarray(bad.length - 1));
    expect(() => reader.read()).toThrow(FrameError);
  });
});

describe('frame size limits', () => {
  it('a header declaring more than maxFrameSize is rejected as soon as its 32 bytes arrived', () => {
    const { sealer, reader } = channel(false, { maxFrameSize: 1000 });
    const frame = sealer.seal(new Uint8Array(1001));
    reader.push(frame.subarray(0, 31));
    expect(reader.read()).toBeUndefined();
    reader.push(frame.subarray(31, 32));
    expect(() => reader.read()).toThrow(FrameError);
    expect(() => reader.read()).toThrow(/limit/);
  });

  it('a frame of exactly maxFrameSize passes', () => {
    const { sealer, reader } = channel(false, { maxFrameSize: 1000 });
    const body = new Uint8Array(randomBytes(1000));
    reader.push(sealer.seal(body));
    expect(hexOf(reader.read()!)).toBe(hexOf(body));
  });

  it('maxFrameSize 0 allows only empty frames', () => {
    const { sealer, reader } = channel(false, { maxFrameSize: 0 });
    reader.push(sealer.seal(new Uint8Array(0)));
    expect(reader.read()!.length).toBe(0);
    reader.push(sealer.seal(new Uint8Array(1)));
    expect(() => reader.read()).toThrow(FrameError);
  });

  it('the constructor rejects a maxFrameSize outside [0, MAX_FRAME_SIZE]', () => {
    const { recipient } = session();
    for (const bad of [-1, 1.5, MAX_FRAME_SIZE + 1, Number.NaN]) {
      expect(() => new FrameReader(recipient, { maxFrameSize: bad }), `${bad}`).toThrow(RangeError);
    }
  });

  it('a large frame that has only partly arrived holds only the bytes sent', () => {
    const { sealer, reader } = channel();
    const body = new Uint8Array(randomBytes(1 << 20));
    const frame = sealer.seal(body);
    const pushed = HEADER_BLOCK_SIZE + 100;
    reader.push(frame.subarray(0, HEADER_BLOCK_SIZE));
    reader.push(frame.subarray(HEADER_BLOCK_SIZE, pushed));
    expect(reader.buffered).toBe(pushed);
    expect(reader.read()).toBeUndefined();
    expect(reader.read()).toBeUndefined();
    // The verified header has been consumed; only the body bytes that arrived stay buffered.
    // (`buffered` counts unconsumed bytes, so it drops by the 32-byte header block here.)
    expect(reader.buffered).toBe(pushed - HEADER_BLOCK_SIZE);
    // The rest arrives: the whole body comes out, and nothing is left.
    reader.push(frame.subarray(pushed));
    expect(reader.buffered).toBe(frame.length - HEADER_BLOCK_SIZE);
    expect(hexOf(reader.read()!)).toBe(hexOf(body));
    expect(reader.buffered).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------

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
});

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
    const compressed = snappyCompress(new TextEncoder().encode('hello hello hello hello hello'));
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
    const compressed = snappyCompress(new TextEncoder().encode('hello hello hello hello hello'));
    reject('truncated stream', compressed.subarray(0, compressed.length - 3));
    // A 4-byte-offset copy with offset 0xffffffff (read as -1): accepted as 4 zero bytes.
    reject('negative copy offset', Uint8Array.of(0x04, 0xff, 0xff, 0xff, 0xff, 0xff));
  });
});
