/** eth Status (eth/69): decodeStatus's size guard and its tolerance of extra fields. */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.js';
import { DisconnectReason } from '../../src/reasons.js';
import { decodeStatus, encodeStatus, MAX_STATUS_SIZE, type EthStatus } from '../../src/eth/status.js';
import { deepList, elapsed, wideList } from '../helpers/rlp-bombs.js';

// Both found by fuzzing.
describe('decodeStatus', () => {
  it('decodeStatus refuses a payload above MAX_STATUS_SIZE before decoding it', () => {
    // Was: 100+ ms for 60 KB of nested lists, seconds for 4 MiB of one-byte items.
    for (const payload of [wideList(4 << 20), deepList(20_000), new Uint8Array(MAX_STATUS_SIZE + 1)]) {
      expect(elapsed(() => decodeStatus(payload))).toBeLessThan(50);
      let error: unknown;
      try {
        decodeStatus(payload);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).reason).toBe(DisconnectReason.SubprotocolError);
    }
  });

  it('decodeStatus still reads a Status of exactly MAX_STATUS_SIZE bytes (extra fields)', () => {
    const s: EthStatus = {
      version: 69,
      networkId: 1n,
      genesisHash: new Uint8Array(32).fill(1),
      forkId: { hash: Uint8Array.of(1, 2, 3, 4), next: 0n },
      earliestBlock: 0n,
      latestBlock: 100n,
      latestBlockHash: new Uint8Array(32).fill(2),
    };
    const body = encodeStatus(s).subarray(2); // the fields, without the short list header 0xf8 <len>
    // New list header (3 bytes) ‖ fields ‖ extra string header (3 bytes) ‖ extra string.
    const extraLen = MAX_STATUS_SIZE - 3 - body.length - 3;
    const extra = Uint8Array.of(0xb9, extraLen >> 8, extraLen & 0xff);
    const inner = body.length + extra.length + extraLen;
    const payload = new Uint8Array(3 + inner);
    payload.set([0xf9, inner >> 8, inner & 0xff]);
    payload.set(body, 3);
    payload.set(extra, 3 + body.length);
    expect(payload.length).toBe(MAX_STATUS_SIZE);
    expect(decodeStatus(payload)).toEqual(s);
  });
});
