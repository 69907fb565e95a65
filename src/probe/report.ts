/** How a probe tells what it saw: the eth Status as plain JSON, and what to fix after a failure. */
import { StatusError } from '../eth/status.js';
import { ethStatusJson, type EthStatusJson } from '../eth/json.js';
import type { EthHandshake } from '../eth/protocol.js';
import { HandshakeError, NetworkError, RlpxError, TimeoutError } from '../errors.js';
import { DisconnectReason } from '../reasons.js';

export { exactUint, type Uint64 } from '../eth/json.js';

/** The probe's eth section: the Status as the library's ethStatusJson gives it, and the serves check. */
export interface EthReport extends EthStatusJson {
  /** Whether the node served the header of its latest block; null when not checked (or not reached). */
  serves: boolean | null;
  /** Why not, when `serves` is false. */
  servesReason: string | null;
}

export function ethReport(h: Pick<EthHandshake, 'status' | 'fork'>): EthReport {
  return { ...ethStatusJson(h), serves: null, servesReason: null };
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
