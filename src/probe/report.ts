/** How a probe tells what it saw: the eth Status as plain JSON, and what to fix after a failure. */
import { bytesToHex } from '../crypto/bytes.js';
import { StatusError } from '../eth/status.js';
import type { EthHandshake } from '../eth/protocol.js';
import { HandshakeError, NetworkError, RlpxError, TimeoutError } from '../errors.js';
import { DisconnectReason } from '../reasons.js';

/**
 * A uint64 for JSON: a number while it is exact (up to 2^53 - 1), a bigint above, which the
 * commands write with all its digits (exactJson in src/cli/common.ts).
 */
export type Uint64 = number | bigint;

export const exactUint = (v: bigint): Uint64 => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

export interface EthReport {
  version: number;
  networkId: Uint64;
  genesis: string;
  forkId: { hash: string; next: Uint64 };
  earliestBlock: Uint64;
  latestBlock: Uint64;
  latestBlockHash: string;
  fork: EthHandshake['fork'];
  /** Whether the node served the header of its latest block; null when not checked (or not reached). */
  serves: boolean | null;
  /** Why not, when `serves` is false. */
  servesReason: string | null;
}

const hex = (b: Uint8Array): string => `0x${bytesToHex(b)}`;

export function ethReport({ status: s, fork }: EthHandshake): EthReport {
  return {
    version: s.version,
    networkId: exactUint(s.networkId),
    genesis: hex(s.genesisHash),
    forkId: { hash: hex(s.forkId.hash), next: exactUint(s.forkId.next) },
    earliestBlock: exactUint(s.earliestBlock),
    latestBlock: exactUint(s.latestBlock),
    latestBlockHash: hex(s.latestBlockHash),
    fork,
    serves: null,
    servesReason: null,
  };
}

/** What to fix, for errors that end a probe. */
export function hint(err: unknown): string {
  if (err instanceof HandshakeError) return ' (is the node id in the enode right? the node could not read our auth)';
  if (err instanceof TimeoutError) return ' (the node did not answer in time; is it overloaded, stopped, or behind a firewall?)';
  if (err instanceof NetworkError) return ' (is the node running and listening on that host and port?)';
  if (err instanceof RlpxError && err.reason === DisconnectReason.UselessPeer) return ' (the node does not run eth; drop --eth, or eth.require in the module)';
  if (err instanceof StatusError && ['network', 'genesis', 'forkid'].includes(err.check)) return " (the node is alive but on another chain or fork than --chain/--genesis, or the module's eth chain)";
  return '';
}
