/** RLPx frames over a real handshake: round trips in any chunking, tampering, size limits. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FrameError } from '../../src/errors.js';
import { bytesToHex, concatBytes } from '../../src/crypto/bytes.js';
import { FrameReader, FrameSealer, frameWireSize, HEADER_BLOCK_SIZE, MAX_FRAME_SIZE } from '../../src/wire/frame.js';
import { flipBit, mulberry32 } from '../helpers/bytes.js';
import { channel, session } from '../helpers/session.js';

// ---------------------------------------------------------------------------------------------
// Helpers

/** Floats in [0, 1) from a seeded mulberry32, so chunkings are reproducible. */
function prng(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

function drain(reader: FrameReader): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let body = reader.read(); body !== undefined; body = reader.read()) out.push(body);
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
