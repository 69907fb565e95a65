/** How a probe tells what it saw: the eth Status as plain JSON, and what to fix after a failure. */
import { StatusError } from '../eth/errors.js';
import { HandshakeError, NetworkError, RlpxError, TimeoutError } from '../errors.js';
import { DisconnectReason } from '../reasons.js';

/** The probe's eth section: the Status as the library's ethStatusJson gives it. */
export { ethStatusJson as ethReport, type EthStatusJson as EthReport } from '../eth/json.js';

/** What to fix, for errors that end a probe. */
export function hint(err: unknown): string {
  if (err instanceof HandshakeError) return ' (is the node id in the enode right? the node could not read our auth)';
  if (err instanceof TimeoutError) return ' (the node did not answer in time; is it overloaded, stopped, or behind a firewall?)';
  if (err instanceof NetworkError) return ' (is the node running and listening on that host and port?)';
  if (err instanceof RlpxError && err.reason === DisconnectReason.UselessPeer) return ' (the node does not run eth; drop --eth, or eth.require in the module)';
  if (err instanceof StatusError && ['network', 'genesis', 'forkid'].includes(err.check)) return " (the node is alive but on another chain or fork than --chain/--genesis, or the module's eth chain)";
  return '';
}
