/** status: decodeStatus (eth/69), as an RLP payload target; refusals carry SubprotocolError. */
import fc from 'fast-check';
import { RLP } from '@ethereumjs/rlp';
import { ProtocolError } from '../../../src/errors.js';
import { DisconnectReason } from '../../../src/reasons.js';
import { decodeStatus, encodeStatus, type EthStatus } from '../../../src/eth/status.js';
import { statusPayload } from '../fixtures.js';
import { exactBytes, rlpTree, shaped, slot, uintField, type Rlp } from '../generators.js';
import { bigintSafe, check, same } from '../harness.js';
import { rlpPayloadTarget } from './rlp-payload.js';

const uint64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const statusArb: fc.Arbitrary<EthStatus> = fc.record({
  version: fc.oneof(fc.integer({ min: 60, max: 80 }), fc.maxSafeNat()),
  networkId: fc.oneof(fc.constantFrom(1n, 11155111n, 17000n), uint64),
  genesisHash: exactBytes(32),
  forkId: fc.record({ hash: exactBytes(4), next: fc.oneof(fc.constant(0n), uint64) }),
  earliestBlock: uint64,
  latestBlock: uint64,
  latestBlockHash: exactBytes(32),
});

/** A Status, and extra list elements at the top level and in the fork id (ignored by the decoder). */
interface StatusValue {
  status: EthStatus;
  extra: Rlp[];
  forkExtra: Rlp[];
}

const extraArb = fc.oneof({ weight: 3, arbitrary: fc.constant<Rlp[]>([]) }, fc.array(rlpTree, { maxLength: 2 }));
const hashSlot = (n: number): fc.Arbitrary<Rlp> => slot(fc.oneof({ weight: 4, arbitrary: exactBytes(n) }, fc.uint8Array({ maxLength: n + 2 })));

export const statusTarget = rlpPayloadTarget<EthStatus, StatusValue, Rlp[]>({
  name: 'status',
  decode: decodeStatus,
  roundtrip: {
    weight: 2,
    arbitrary: fc.record({ status: statusArb, extra: extraArb, forkExtra: extraArb }),
    encode({ status: s, extra, forkExtra }) {
      if (extra.length === 0 && forkExtra.length === 0) return encodeStatus(s);
      return RLP.encode([
        s.version,
        s.networkId,
        s.genesisHash,
        [s.forkId.hash, s.forkId.next, ...forkExtra],
        s.earliestBlock,
        s.latestBlock,
        s.latestBlockHash,
        ...extra,
      ]);
    },
    matches: (s, { status: w }) =>
      s.version === w.version &&
      s.networkId === w.networkId &&
      same(s.genesisHash, w.genesisHash) &&
      same(s.forkId.hash, w.forkId.hash) &&
      s.forkId.next === w.forkId.next &&
      s.earliestBlock === w.earliestBlock &&
      s.latestBlock === w.latestBlock &&
      same(s.latestBlockHash, w.latestBlockHash),
  },
  special: {
    kind: 'shaped',
    weight: 3,
    arbitrary: shaped([
      slot(uintField(8)),
      slot(uintField(8)),
      hashSlot(32),
      slot(shaped([hashSlot(4), slot(uintField(8))])),
      slot(uintField(8)),
      slot(uintField(8)),
      hashSlot(32),
    ]),
    payload: (list) => RLP.encode(list),
  },
  bytes: { weight: 2, max: 400 },
  rlpWeight: 1,
  mutated: { weight: 2, base: fc.constant(statusPayload), maxEdits: 4 },
  deepWeight: 1,
  refusal: { error: ProtocolError, reason: DisconnectReason.SubprotocolError },
  accepted(s) {
    const u64 = (v: bigint): boolean => typeof v === 'bigint' && v >= 0n && v < 1n << 64n;
    check(
      u64(s.networkId) && u64(s.forkId.next) && u64(s.earliestBlock) && u64(s.latestBlock) && Number.isInteger(s.version) && s.version >= 0,
      () => `status: integer out of range in ${JSON.stringify(s, bigintSafe)}`,
    );
    check(s.genesisHash.length === 32 && s.latestBlockHash.length === 32 && s.forkId.hash.length === 4, () => `status: hash of the wrong size`);
  },
});
