/**
 * eth errors. Each names the check that failed, so a caller (and a test) can tell a peer on
 * another network from one that sent garbage; all close the session with 0x10, as geth does.
 * They extend ProtocolError: they are protocol violations of a subprotocol.
 */
import { ProtocolError } from '../errors.js';
import { DisconnectReason } from '../reasons.js';
import type { EthStatus } from './status.js';
import type { ForkCheck } from './forkid.js';

export type StatusCheck = 'version' | 'network' | 'genesis' | 'forkid' | 'range' | 'hash' | 'size' | 'rlp' | 'code';

/** A remote Status that is malformed or on another chain. */
export class StatusError extends ProtocolError {
  override name = 'StatusError';
  readonly check: StatusCheck;
  /** The decoded Status, when it could be decoded: a mismatch still says where the node is. */
  readonly status: EthStatus | undefined;
  /** Our verdict on its fork ID, when a chain was configured and the Status decoded. */
  readonly fork: ForkCheck | undefined;
  constructor(check: StatusCheck, message: string, options: { cause?: unknown; status?: EthStatus; fork?: ForkCheck } = {}) {
    super(`eth status: ${message}`, { reason: DisconnectReason.SubprotocolError, cause: options.cause });
    this.check = check;
    this.status = options.status;
    this.fork = options.fork;
  }
}

export type BlockRangeCheck = 'range' | 'hash' | 'backwards' | 'size' | 'rlp';

/** A BlockRangeUpdate (0x11) that is malformed, inverted, or moves the head back. */
export class BlockRangeError extends ProtocolError {
  override name = 'BlockRangeError';
  readonly check: BlockRangeCheck;
  constructor(check: BlockRangeCheck, message: string, options: { cause?: unknown } = {}) {
    super(`eth block range update: ${message}`, { reason: DisconnectReason.SubprotocolError, cause: options.cause });
    this.check = check;
  }
}

/** A genesis.json that cannot be read, or a chain that cannot be built from it. */
export class GenesisError extends Error {
  override name = 'GenesisError';
}
