/** Crypto-only handshakes per second: both sides, no sockets. */
import { verifyFrames } from './frames.js';
import { measure, type Measurement, type MeasureOptions } from './measure.js';
import type { Subject } from './types.js';

export function benchHandshakes(subject: Subject, options: MeasureOptions): Measurement {
  // The secrets must agree: frames sealed with one side's open with the other's, both ways.
  verifyFrames(subject, subject.handshake(), 64);
  return measure(() => {
    subject.handshake();
  }, options);
}
