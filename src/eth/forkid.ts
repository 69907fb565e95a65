/**
 * Fork identifiers (EIP-2124): what a node says about its chain and fork state in Status, and
 * the rules to decide whether a remote's identifier is compatible with ours.
 *
 *   FORK_HASH = CRC32(genesis hash ‖ fork₁ ‖ ... ‖ forkₙ), each passed fork as a uint64 BE
 *   FORK_NEXT = the next fork not yet passed, or 0
 *
 * Forks come from the chain's schedule the way geth gathers them: block forks first, then
 * time forks, each sorted, duplicates counted once, block forks at 0 and time forks at or
 * before the genesis timestamp left out (they are the genesis rule set).
 */
import { crc32 } from 'node:zlib';
import type { Chain } from './chain.js';

export interface ForkId {
  /** CRC32 checksum, 4 bytes big-endian. */
  hash: Uint8Array;
  next: bigint;
}

/** 'incompatible' is EIP-2124's "local incompatible or stale": the detail says which rule. */
export type ForkVerdict = 'compatible' | 'remote-stale' | 'incompatible';

export interface ForkCheck {
  verdict: ForkVerdict;
  detail: string;
}

/** A head position: a block number and its timestamp (seconds). */
export interface Head {
  number: bigint;
  time: bigint;
}

/**
 * geth's line between block numbers and timestamps in FORK_NEXT (the mainnet genesis time,
 * go-ethereum core/forkid timestampThreshold): a remote next above it is read as a time.
 */
const TIMESTAMP_THRESHOLD = 1438269973n;
const MAX_UINT64 = (1n << 64n) - 1n;

function sortedUnique(values: readonly bigint[]): bigint[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The counted forks of a chain: [byBlock, byTime]. */
export function chainForks(chain: Chain): [bigint[], bigint[]] {
  return [sortedUnique(chain.forkBlocks).filter((b) => b !== 0n), sortedUnique(chain.forkTimes).filter((t) => t > chain.genesisTime)];
}

function update(sum: number, fork: bigint): number {
  const be = Buffer.alloc(8);
  be.writeBigUInt64BE(fork);
  return crc32(be, sum);
}

function checksumBytes(sum: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, sum >>> 0);
  return out;
}

const sameHash = (a: Uint8Array, b: Uint8Array): boolean => a.length === 4 && b.length === 4 && a.every((v, i) => v === b[i]);

/** The fork ID of `chain` at a head of block `head.number` with timestamp `head.time`. */
export function forkId(chain: Chain, head: Head): ForkId {
  const [byBlock, byTime] = chainForks(chain);
  let sum = crc32(chain.genesisHash);
  for (const [forks, at] of [[byBlock, head.number], [byTime, head.time]] as const) {
    for (const fork of forks) {
      if (fork > at) return { hash: checksumBytes(sum), next: fork };
      sum = update(sum, fork);
    }
  }
  return { hash: checksumBytes(sum), next: 0n };
}

/**
 * Check a remote fork ID against ours at `head` with EIP-2124's rules, plus geth's rule 1a:
 * a remote FORK_NEXT that is a time is compared with our head's time even while our next
 * unpassed fork is still a block fork.
 */
export function checkForkId(chain: Chain, head: Head, remote: ForkId): ForkCheck {
  const [byBlock, byTime] = chainForks(chain);
  const forks = [...byBlock, ...byTime, MAX_UINT64]; // the sentinel is never passed
  const blockCount = byTime.length === 0 ? forks.length : byBlock.length;
  const sums: Uint8Array[] = [];
  let sum = crc32(chain.genesisHash);
  sums.push(checksumBytes(sum));
  for (const fork of forks.slice(0, -1)) sums.push(checksumBytes((sum = update(sum, fork))));

  for (let i = 0; i < forks.length; i++) {
    const at = i < blockCount ? head.number : head.time;
    if (at >= forks[i]!) continue;
    // forks[i] is our first unpassed fork: sums[i] is our current state.
    if (sameHash(sums[i]!, remote.hash)) {
      const n = remote.next;
      if (n > 0n && (at >= n || (n > TIMESTAMP_THRESHOLD && head.time >= n))) {
        return { verdict: 'incompatible', detail: `local incompatible or stale: same fork state, but the remote's next fork ${n} has passed here without us forking (rule 1a)` };
      }
      return { verdict: 'compatible', detail: 'same fork state (rule 1)' };
    }
    for (let j = 0; j < i; j++) {
      if (!sameHash(sums[j]!, remote.hash)) continue;
      if (forks[j] !== remote.next) {
        return { verdict: 'remote-stale', detail: `remote stale: it is at one of our past forks but expects next ${remote.next}, not ${forks[j]} (rule 2)` };
      }
      return { verdict: 'compatible', detail: 'remote is syncing: at one of our past forks, expecting our next (rule 2)' };
    }
    for (let j = i + 1; j < sums.length; j++) {
      if (sameHash(sums[j]!, remote.hash)) return { verdict: 'compatible', detail: 'we are behind: the remote is at one of our future forks (rule 3)' };
    }
    return { verdict: 'incompatible', detail: 'local incompatible or stale: the fork hash is none of our past, current or future states (rule 4)' };
  }
  // Unreachable: the sentinel is always unpassed. Accept, as geth does.
  return { verdict: 'compatible', detail: 'no unpassed fork' };
}
