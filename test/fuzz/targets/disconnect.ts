/** disconnect: decodeDisconnect, as an RLP payload target; it must never throw. */
import fc from 'fast-check';
import { DisconnectReason } from '../../../src/reasons.js';
import { snappyCompress } from '../../../src/wire/snappy.js';
import { decodeDisconnect, encodeDisconnect } from '../../../src/peer/disconnect.js';
import { check } from '../harness.js';
import { rlpPayloadTarget } from './rlp-payload.js';

const reasonArb = fc.integer({ min: 0, max: 255 });

export const disconnectTarget = rlpPayloadTarget<number | undefined, number, number>({
  name: 'disconnect',
  decode: decodeDisconnect,
  roundtrip: {
    weight: 1,
    arbitrary: reasonArb,
    encode: (reason) => encodeDisconnect(reason as DisconnectReason),
    matches: (r, reason) => r === reason,
  },
  // Some clients send the reason as a bare byte, not in a list.
  special: {
    kind: 'bare',
    weight: 1,
    arbitrary: reasonArb,
    payload: (byte) => Uint8Array.of(byte),
    violation: (r, byte) => (byte < 0x80 && r !== byte ? `bare reason byte ${byte} gave ${String(r)}` : undefined),
  },
  bytes: { weight: 2, max: 300 },
  rlpWeight: 2,
  // A real Disconnect, plain or as snappy sends it after Hello.
  mutated: {
    weight: 2,
    base: fc.tuple(reasonArb, fc.boolean()).map(([reason, compressed]) => {
      const p = encodeDisconnect(reason as DisconnectReason);
      return compressed ? snappyCompress(p) : p;
    }),
    maxEdits: 3,
  },
  deepWeight: 1,
  refusal: 'never',
  accepted(r, _payload, show) {
    check(r === undefined || (Number.isInteger(r) && r >= 0 && r <= 255), () => `disconnect: reason ${String(r)} is not a byte; input ${show()}`);
  },
});
