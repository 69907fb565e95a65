/**
 * eth errors. Each names the check that failed, so a caller (and a test) can tell a peer on
 * another network from one that sent garbage; all close the session with 0x10, as geth does.
 * They extend ProtocolError: they are protocol violations of a subprotocol. (StatusError
 * lives with the Status in status.ts, whose decoded value it carries.)
 */
import { ProtocolError } from '../errors.js';
import { DisconnectReason } from '../reasons.js';

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

/** What was wrong with an eth message. */
export type MessageCheck = 'rlp' | 'size' | 'shape' | 'field' | 'code' | 'type';

/**
 * An eth message (or an item in one: header, transaction, receipt) that geth's decoder would
 * refuse: bad RLP, wrong shape, a non-canonical integer, a field of the wrong size, a code
 * the negotiated version does not have. Closes the peer with 0x10, as geth does.
 */
export class MessageError extends ProtocolError {
  override name = 'MessageError';
  readonly check: MessageCheck;
  constructor(check: MessageCheck, message: string, options: { cause?: unknown } = {}) {
    super(`eth message: ${message}`, { reason: DisconnectReason.SubprotocolError, cause: options.cause });
    this.check = check;
  }
}

/**
 * A response the request tracker refuses, as geth's p2p/tracker does: no request with that id
 * ('unsolicited'), a request of another kind ('code'), more items than asked ('too-many'), or
 * items that are not what was asked ('mismatch': a header of another hash, a body that does
 * not match its header). Closes the peer with 0x10.
 */
export type ResponseCheck = 'unsolicited' | 'code' | 'too-many' | 'mismatch';

export class ResponseError extends ProtocolError {
  override name = 'ResponseError';
  readonly check: ResponseCheck;
  constructor(check: ResponseCheck, message: string, options: { cause?: unknown } = {}) {
    super(`eth response: ${message}`, { reason: DisconnectReason.SubprotocolError, cause: options.cause });
    this.check = check;
  }
}

/** Data that does not match its header or its neighbours (verify.ts). */
export type VerifyCheck = 'hash' | 'number' | 'parent' | 'transactions' | 'ommers' | 'withdrawals' | 'receipts' | 'bloom' | 'access-list';

export class VerifyError extends ProtocolError {
  override name = 'VerifyError';
  readonly check: VerifyCheck;
  constructor(check: VerifyCheck, message: string) {
    super(`eth verify: ${message}`, { reason: DisconnectReason.SubprotocolError });
    this.check = check;
  }
}
