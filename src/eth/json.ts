/**
 * The eth Status as JSON, exactly as the CLI prints it (`rlpx ping --json`'s `eth`, the crawl's
 * `eth`): a Status holds bigints, which JSON.stringify refuses.
 */
import { bytesToHex } from '../crypto/bytes.js';
import type { EthHandshake } from './protocol.js';

export interface EthStatusJson {
  version: number;
  /** uint64 fields are JSON numbers: exact up to 2^53 - 1, which every real network and block number is. */
  networkId: number;
  /** Hashes are 0x-prefixed hex, as geth's JSON-RPC writes them. */
  genesis: string;
  forkId: { hash: string; next: number };
  earliestBlock: number;
  latestBlock: number;
  latestBlockHash: string;
  /** The fork verdict against the responder's chain; 'unchecked' without one. */
  fork: EthHandshake['fork'];
}

/** `JSON.stringify(ethStatusJson(await eth.status(peer)))` prints what the CLI prints. */
export function ethStatusJson({ status: s, fork }: Pick<EthHandshake, 'status' | 'fork'>): EthStatusJson {
  return {
    version: s.version,
    networkId: Number(s.networkId),
    genesis: bytesToHex(s.genesisHash, { prefixed: true }),
    forkId: { hash: bytesToHex(s.forkId.hash, { prefixed: true }), next: Number(s.forkId.next) },
    earliestBlock: Number(s.earliestBlock),
    latestBlock: Number(s.latestBlock),
    latestBlockHash: bytesToHex(s.latestBlockHash, { prefixed: true }),
    fork,
  };
}
