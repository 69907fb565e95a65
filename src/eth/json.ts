/**
 * The eth Status as JSON, exactly as the CLI prints it (`rlpx ping --json`'s `eth`, the crawl's
 * `eth`): a Status holds bigints, which JSON.stringify refuses.
 */
import { bytesToHex } from '../crypto/bytes.js';
import type { EthHandshake } from './protocol.js';

/**
 * A uint64 for JSON: a number while it is exact (up to 2^53 - 1, which every real block number
 * is), a bigint above it, so that nothing is ever rounded. `exactJson` writes such a bigint with
 * all its digits; plain JSON.stringify throws on it rather than round.
 */
export type Uint64 = number | bigint;

export const exactUint = (v: bigint): Uint64 => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

/** JSON.stringify, but a bigint is written as a JSON number with all its digits (as the CLI prints). */
export function exactJson(value: unknown, space?: number): string {
  const mark = '\u0000bigint:';
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${mark}${v}` : v), space);
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}

export interface EthStatusJson {
  version: number;
  networkId: Uint64;
  /** Hashes are 0x-prefixed hex, as geth's JSON-RPC writes them. */
  genesis: string;
  forkId: { hash: string; next: Uint64 };
  earliestBlock: Uint64;
  latestBlock: Uint64;
  latestBlockHash: string;
  /** The fork verdict against the responder's chain; 'unchecked' without one. */
  fork: EthHandshake['fork'];
}

/** `exactJson(ethStatusJson(await eth.status(peer)))` prints what the CLI prints. */
export function ethStatusJson({ status: s, fork }: Pick<EthHandshake, 'status' | 'fork'>): EthStatusJson {
  return {
    version: s.version,
    networkId: exactUint(s.networkId),
    genesis: bytesToHex(s.genesisHash, { prefixed: true }),
    forkId: { hash: bytesToHex(s.forkId.hash, { prefixed: true }), next: exactUint(s.forkId.next) },
    earliestBlock: exactUint(s.earliestBlock),
    latestBlock: exactUint(s.latestBlock),
    latestBlockHash: bytesToHex(s.latestBlockHash, { prefixed: true }),
    fork,
  };
}
