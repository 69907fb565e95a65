/**
 * RLPx frames (geth's sessionState): sealing outgoing frames and an incremental decoder for
 * incoming ones. Each direction has one continuous AES-256-CTR keystream (zero IV) and one
 * HashMac.
 *
 *   frame  = header-ct(16) ‖ header-mac(16) ‖ body-ct(padded to 16) ‖ frame-mac(16)
 *   header = body-size(3, big-endian) ‖ c2 80 80 (rlp [0, 0]) ‖ zero padding to 16
 *
 * Frames carry opaque bodies: message codes and compression belong to message.ts.
 */
import { FrameError } from '../errors.js';
import { equalBytes, scratchBytes } from '../crypto/bytes.js';
import { ByteQueue } from './byte-queue.js';
import { Keystream } from './keystream.js';
import { HashMac, MAC_SIZE } from './mac.js';
import type { Secrets } from './handshake.js';

export const HEADER_SIZE = 16;
/** Header ciphertext plus header MAC: what must arrive before a body size is trusted. */
export const HEADER_BLOCK_SIZE = HEADER_SIZE + MAC_SIZE;
/** The body size field has 3 bytes. */
export const MAX_FRAME_SIZE = 0xffffff;
/** rlp([capability-id = 0, context-id = 0]); geth ignores it on receipt, and so do we. */
const HEADER_DATA = Uint8Array.of(0xc2, 0x80, 0x80);
/** Zero padding of a body, as plaintext for the keystream. */
const PAD = new Uint8Array(16);
/**
 * One plaintext header for every sealer and one for every reader: each uses it within one
 * synchronous call, and a typed array per session would cost about 200 bytes of heap per idle
 * peer. Two, because a sealer writes only the first 6 bytes (the rest stay zero), while a
 * reader decrypts all 16 (the remote's padding included).
 */
const SEAL_HEADER = new Uint8Array(HEADER_SIZE);
const READ_HEADER = new Uint8Array(HEADER_SIZE);

const padded = (n: number): number => (n + 15) & ~15;

/**
 * Each direction's MAC state has one owner: a second sealer (or reader) on the same Secrets
 * would advance the shared keccak state behind the first one's back, and both would then
 * produce or expect wrong MACs forever. Refusing the second owner turns that into an error.
 */
const owned = new WeakSet<object>();
function claim(state: object, what: string): void {
  if (owned.has(state)) throw new Error(`${what}: these Secrets already have a ${what}; derive new secrets for another session`);
  owned.add(state);
}

/** Total bytes on the wire for a frame with a body of `size` bytes. */
export function frameWireSize(size: number): number {
  return HEADER_BLOCK_SIZE + padded(size) + MAC_SIZE;
}

/** The egress half of a session. */
export class FrameSealer {
  readonly #stream: Keystream;
  readonly #mac: HashMac;

  constructor(secrets: Secrets) {
    claim(secrets.egressMac, 'FrameSealer');
    this.#stream = new Keystream(secrets.aes);
    this.#mac = new HashMac(secrets.mac, secrets.egressMac);
  }

  /** Encrypt and authenticate one frame body. */
  seal(body: Uint8Array): Uint8Array {
    const size = body.length;
    if (size > MAX_FRAME_SIZE) throw new RangeError(`frame body of ${size} bytes exceeds ${MAX_FRAME_SIZE}`);
    const bodyPadded = padded(size);
    // Every byte of `out` is written below: header, header MAC, body, padding, frame MAC.
    const out = scratchBytes(HEADER_BLOCK_SIZE + bodyPadded + MAC_SIZE);

    // Header, body and padding are encrypted straight into their places in `out`; the header
    // MAC goes between header and body, outside the keystream.
    this.#stream.reserve(HEADER_SIZE, size, bodyPadded - size);
    const header = SEAL_HEADER;
    header[0] = size >>> 16;
    header[1] = (size >>> 8) & 0xff;
    header[2] = size & 0xff;
    header.set(HEADER_DATA, 3);
    this.#stream.xorInto(header, out, 0);
    this.#stream.xorInto(body, out, HEADER_BLOCK_SIZE);
    this.#stream.xorInto(PAD.subarray(0, bodyPadded - size), out, HEADER_BLOCK_SIZE + size);
    out.set(this.#mac.header(out.subarray(0, HEADER_SIZE)), HEADER_SIZE);
    out.set(this.#mac.frame(out.subarray(HEADER_BLOCK_SIZE, HEADER_BLOCK_SIZE + bodyPadded)), HEADER_BLOCK_SIZE + bodyPadded);
    return out;
  }
}

/**
 * The ingress half of a session: an incremental decoder. Push socket chunks of any size,
 * then call read() until it returns undefined ("need more data").
 *
 * The header MAC is checked before the body size is believed; a body is never assembled
 * before all of it has arrived, so a peer that announces 16 MiB and stalls costs only the
 * bytes it really sent. A frame that arrives in one chunk is decrypted straight from it.
 */
export class FrameReader {
  readonly #stream: Keystream;
  readonly #mac: HashMac;
  #maxFrameSize: number;
  readonly #queue = new ByteQueue();
  /** Body size from a verified header whose body has not all arrived yet. */
  #pendingSize = -1;
  #failed: FrameError | undefined;

  constructor(secrets: Secrets, options: { maxFrameSize?: number } = {}) {
    const max = options.maxFrameSize ?? MAX_FRAME_SIZE;
    if (!Number.isInteger(max) || max < 0 || max > MAX_FRAME_SIZE) {
      throw new RangeError(`maxFrameSize must be an integer in [0, ${MAX_FRAME_SIZE}], got ${max}`);
    }
    claim(secrets.ingressMac, 'FrameReader');
    this.#stream = new Keystream(secrets.aes);
    this.#mac = new HashMac(secrets.mac, secrets.ingressMac);
    this.#maxFrameSize = max;
  }

  /** Change the body size limit for headers not yet read (at most MAX_FRAME_SIZE). */
  set maxFrameSize(size: number) {
    if (!Number.isInteger(size) || size < 0 || size > MAX_FRAME_SIZE) {
      throw new RangeError(`maxFrameSize must be an integer in [0, ${MAX_FRAME_SIZE}], got ${size}`);
    }
    this.#maxFrameSize = size;
  }

  get maxFrameSize(): number {
    return this.#maxFrameSize;
  }

  /** Bytes received and not yet consumed (a verified header is consumed before its body arrives). */
  get buffered(): number {
    return this.#queue.length;
  }

  push(chunk: Uint8Array): void {
    this.#queue.push(chunk);
  }

  /**
   * The next complete frame body, or undefined when more data is needed. After a FrameError
   * the stream is unusable (the keystream and MAC have diverged) and every call rethrows it.
   */
  read(): Uint8Array | undefined {
    if (this.#failed) throw this.#failed;
    try {
      return this.#read();
    } catch (err) {
      if (err instanceof FrameError) {
        this.#failed = err;
        this.#queue.drain();
      }
      throw err;
    }
  }

  #read(): Uint8Array | undefined {
    if (this.#pendingSize < 0) {
      if (this.#queue.length < HEADER_BLOCK_SIZE) return undefined;
      const block = this.#queue.take(HEADER_BLOCK_SIZE);
      const headerCt = block.subarray(0, HEADER_SIZE);
      if (!equalBytes(this.#mac.header(headerCt), block.subarray(HEADER_SIZE))) {
        throw new FrameError('frame: bad header MAC');
      }
      const header = READ_HEADER;
      // The body's size is in the header: reserve its smallest, one block (a Ping's, say).
      this.#stream.reserve(HEADER_SIZE, 16, 0);
      this.#stream.xorInto(headerCt, header, 0);
      const size = (header[0]! << 16) | (header[1]! << 8) | header[2]!;
      if (size > this.#maxFrameSize) {
        throw new FrameError(`frame: body of ${size} bytes exceeds the ${this.#maxFrameSize}-byte limit`);
      }
      this.#pendingSize = size;
    }
    const size = this.#pendingSize;
    const need = padded(size) + MAC_SIZE;
    if (this.#queue.length < need) return undefined;
    const block = this.#queue.take(need);
    const bodyCt = block.subarray(0, need - MAC_SIZE);
    if (!equalBytes(this.#mac.frame(bodyCt), block.subarray(need - MAC_SIZE))) {
      throw new FrameError('frame: bad frame MAC');
    }
    this.#pendingSize = -1;
    // A fresh buffer: the caller owns the body.
    const plain = new Uint8Array(bodyCt.length);
    this.#stream.xorInto(bodyCt, plain, 0);
    return plain.subarray(0, size);
  }
}
