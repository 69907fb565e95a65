/**
 * A file of concatenated RLP items (geth's `export` format: one block after another), read
 * item by item through a bounded buffer, and single items read back later by offset.
 */
import type { FileHandle } from 'node:fs/promises';
import { readOne } from './rlp-view.js';

/** One top-level item of the file: its offset and its bytes (valid until the next one is read). */
export interface FileItem {
  offset: number;
  bytes: Uint8Array;
}

const CHUNK = 1 << 20;

/**
 * The items of `file`, in order. An item larger than `maxItem` bytes, or a file that ends
 * inside an item, is a RangeError naming the offset.
 */
export async function* rlpFileItems(file: FileHandle, maxItem: number): AsyncGenerator<FileItem> {
  let buf = new Uint8Array(CHUNK);
  let bufStart = 0; // file offset of buf[0]
  let len = 0; // valid bytes in buf
  let eof = false;
  const fill = async (need: number): Promise<void> => {
    while (len < need && !eof) {
      if (need > buf.length) {
        const bigger = new Uint8Array(Math.max(need, buf.length * 2));
        bigger.set(buf.subarray(0, len));
        buf = bigger;
      }
      const { bytesRead } = await file.read(buf, len, buf.length - len, bufStart + len);
      if (bytesRead === 0) eof = true;
      len += bytesRead;
    }
  };
  let at = 0; // offset in buf
  for (;;) {
    if (len - at < 9 && !eof) {
      // Keep the unread tail at the buffer's start, then top it up.
      buf.copyWithin(0, at, len);
      bufStart += at;
      len -= at;
      at = 0;
      await fill(Math.min(buf.length, CHUNK));
    }
    if (at >= len) return;
    const prefixOnly = buf.subarray(0, Math.min(len, at + 9));
    let size: number;
    try {
      // Parsed against an unlimited view: only the prefix is needed for the size.
      size = itemSize(prefixOnly, at);
    } catch (err) {
      throw new RangeError(`offset ${bufStart + at}: ${(err as Error).message}`);
    }
    if (size > maxItem) throw new RangeError(`offset ${bufStart + at}: an item of ${size} bytes exceeds the ${maxItem}-byte limit`);
    if (len - at < size) {
      buf.copyWithin(0, at, len);
      bufStart += at;
      len -= at;
      at = 0;
      await fill(size);
      if (len < size) throw new RangeError(`offset ${bufStart}: the file ends inside an item of ${size} bytes`);
    }
    const bytes = buf.subarray(at, at + size);
    readOne(bytes); // geth's strict prefix checks on the item
    yield { offset: bufStart + at, bytes };
    at += size;
  }
}

/** The full size of the item starting at `at`, from its prefix alone. */
function itemSize(b: Uint8Array, at: number): number {
  const p = b[at]!;
  if (p < 0x80) return 1;
  if (p <= 0xb7) return 1 + p - 0x80;
  if (p <= 0xbf || (p > 0xf7)) {
    const ll = p - (p <= 0xbf ? 0xb7 : 0xf7);
    if (at + 1 + ll > b.length) throw new RangeError('the file ends inside a length');
    if (b[at + 1] === 0) throw new RangeError('length has leading zeros');
    let n = 0;
    for (let i = 0; i < ll; i++) n = n * 256 + b[at + 1 + i]!;
    if (n < 56) throw new RangeError('long form for a short length');
    return 1 + ll + n;
  }
  return 1 + p - 0xc0;
}

/** `size` bytes of `file` at `offset`. */
export async function readAt(file: FileHandle, offset: number, size: number, into?: Uint8Array): Promise<Uint8Array> {
  const out = into ?? new Uint8Array(size);
  let done = 0;
  while (done < size) {
    const { bytesRead } = await file.read(out, done, size - done, offset + done);
    if (bytesRead === 0) throw new RangeError(`offset ${offset + done}: the file is shorter than when it was indexed`);
    done += bytesRead;
  }
  return out;
}
