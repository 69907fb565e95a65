/**
 * A cross-check, not a benchmark: our initiator against the reference's recipient (and the
 * other way round), frames both ways. When it passes, both libraries do the same protocol
 * work, so their timings compare like with like.
 */
import { randomBytes } from 'node:crypto';
import { FrameReader, FrameSealer, HandshakeState } from '../src/codec.js';
import { RefPeer } from './reference.js';

export interface Keys {
  keyA: Uint8Array;
  idA: Uint8Array;
  keyB: Uint8Array;
  idB: Uint8Array;
}

function same(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Our side ⇄ reference side, for a few sizes each way; throws on the first mismatch. */
function exchange(ours: HandshakeState, ref: RefPeer): void {
  const s = ours.secrets();
  const sealer = new FrameSealer(s);
  const reader = new FrameReader(s);
  for (const size of [0, 1, 64, 1000, 70_000]) {
    const out = new Uint8Array(randomBytes(size));
    const wire = sealer.seal(out);
    if (!same(ref.open(wire.subarray(0, 32), wire.subarray(32)), out)) throw new Error(`ours → reference, ${size} B`);
    const back = new Uint8Array(randomBytes(size));
    const [header, body] = ref.seal(back);
    reader.push(header);
    reader.push(body);
    if (!same(reader.read(), back)) throw new Error(`reference → ours, ${size} B`);
  }
}

export function interopCheck(keys: Keys): void {
  {
    const ours = HandshakeState.initiator(keys.idB, { privateKey: keys.keyA });
    const ref = RefPeer.recipient(keys.keyB, keys.idB);
    ref.readAuth(ours.makeAuth());
    ours.readAck(ref.makeAck());
    exchange(ours, ref);
  }
  {
    const ref = RefPeer.initiator(keys.keyA, keys.idA, keys.idB);
    const ours = HandshakeState.recipient({ privateKey: keys.keyB });
    ours.readAuth(ref.makeAuth());
    ref.readAck(ours.makeAck());
    exchange(ours, ref);
  }
}
