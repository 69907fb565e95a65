/** Frame seal+open throughput: one session pair per library and size, initiator → recipient. */
import { randomBytes } from 'node:crypto';
import { measure, type Measurement, type MeasureOptions } from './measure.js';
import type { SessionPair, Subject } from './types.js';

export const FRAME_SIZES = [64, 1024, 16 * 1024, 1024 * 1024] as const;

export function sizeLabel(size: number): string {
  if (size >= 1 << 20 && size % (1 << 20) === 0) return `${size >> 20} MiB`;
  if (size >= 1 << 10 && size % (1 << 10) === 0) return `${size >> 10} KiB`;
  return `${size} B`;
}

export interface FrameRate extends Measurement {
  /** 10^6 body bytes per second, from the median frames per second. */
  mbPerSec: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * Prove the pair works at this size before it is timed: a few frames each way, every opened
 * body compared with what was sealed (so the MAC chains and keystreams stay in step).
 */
export function verifyFrames(subject: Subject, pair: SessionPair, size: number): void {
  for (let i = 0; i < 3; i++) {
    for (const [way, open] of [['forward', pair.forward], ['backward', pair.backward]] as const) {
      const body = new Uint8Array(randomBytes(size));
      const opened = open(body);
      if (!sameBytes(opened, body)) {
        throw new Error(`${subject.name}: ${sizeLabel(size)} frame ${i} (${way}) opened to different bytes`);
      }
    }
  }
}

export function benchFrames(subject: Subject, size: number, options: MeasureOptions): FrameRate {
  const pair = subject.handshake();
  verifyFrames(subject, pair, size);
  const body = new Uint8Array(randomBytes(size));
  const forward = pair.forward;
  const m = measure(() => {
    // A cheap check per frame (and a use of the result); the bytes are compared below.
    if (forward(body).length !== size) throw new Error(`${subject.name}: opened body has the wrong size`);
  }, options);
  // The loop kept working the whole time: one last frame must still open to the input.
  if (!sameBytes(forward(body), body)) throw new Error(`${subject.name}: ${sizeLabel(size)} frame broke during the run`);
  return { ...m, mbPerSec: (m.opsPerSec * size) / 1e6 };
}
