/** ping: decodeMessage on Ping/Pong bodies, as sent before and after Hello and damaged. */
import fc from 'fast-check';
import { concatBytes } from '../../../src/crypto/bytes.js';
import { encodeCode, MIN_MESSAGE_SIZE } from '../../../src/wire/message.js';
import { MAX_DECODED_SIZE } from '../../../src/wire/snappy.js';
import { snappyCompress } from '../../../src/wire/snappy.js';
import { EMPTY_LIST, P2PCode } from '../../../src/peer/p2p.js';
import { bytes, mutate, mutationsArb, type Mutation } from '../generators.js';
import type { TargetBody } from '../harness.js';
import { checkMessage } from './message.js';

/** Ping and Pong carry [] (0xc0), snappy-compressed after Hello; the peer ignores the payload. */
type PingInput =
  | { kind: 'compressed' | 'raw'; code: number; decompress: boolean; maxSize: number }
  | { kind: 'bytes'; code: number; payload: Uint8Array; decompress: boolean; maxSize: number }
  | { kind: 'mutated'; code: number; mutations: Mutation[]; decompress: boolean; maxSize: number };

export function pingTarget(): TargetBody<PingInput> {
  const compressed = snappyCompress(EMPTY_LIST);
  const common = {
    code: fc.constantFrom(P2PCode.Ping, P2PCode.Pong),
    decompress: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, fc.constant(false)),
    // The caps a peer can run with: the option refuses less than MIN_MESSAGE_SIZE.
    maxSize: fc.oneof({ weight: 3, arbitrary: fc.constant(MAX_DECODED_SIZE) }, fc.integer({ min: MIN_MESSAGE_SIZE, max: 4096 })),
  };
  const arbitrary: fc.Arbitrary<PingInput> = fc.oneof(
    fc.record({ kind: fc.constantFrom('compressed' as const, 'raw' as const), ...common }),
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('bytes' as const), payload: bytes(64), ...common }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('mutated' as const), mutations: mutationsArb(3), ...common }) },
  );
  return {
    kinds: ['compressed', 'raw', 'bytes', 'mutated'],
    arbitrary,
    check(input: PingInput): void {
      let payload: Uint8Array;
      if (input.kind === 'bytes') payload = input.payload;
      else if (input.kind === 'mutated') payload = mutate(compressed, input.mutations);
      else payload = input.kind === 'compressed' ? compressed : EMPTY_LIST;
      const body = concatBytes(encodeCode(input.code), payload);
      // A Ping as sent: compressed after Hello, raw before.
      const valid = (input.kind === 'compressed' && input.decompress) || (input.kind === 'raw' && !input.decompress);
      checkMessage('ping', body, input.decompress, input.maxSize, valid ? { code: input.code, payload: EMPTY_LIST } : undefined);
    },
  };
}
