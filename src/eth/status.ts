/**
 * The eth/69+ Status message (EIP-7642): codec and the checks a node makes on the remote's.
 *
 *   Status (0x00) = [version, networkId, genesisHash, [forkHash(4), forkNext],
 *                    earliestBlock, latestBlock, latestBlockHash]
 *
 * Extra list elements are ignored, as devp2p asks. Every failure is a StatusError naming its
 * check, with reason 0x10.
 */
import { RLP } from '@ethereumjs/rlp';
import { bytesToHex, equalBytes } from '../crypto/bytes.js';
import type { Chain } from './chain.js';
import { ProtocolError } from '../errors.js';
import { DisconnectReason } from '../reasons.js';
import { decodeList, fixedBytes, isZero, uint64 } from './fields.js';
import { checkForkId, type ForkCheck, type ForkId, type Head } from './forkid.js';

export type { ForkId } from './forkid.js';

export const ETH_STATUS_CODE = 0x00;

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

/**
 * Largest Status payload decoded: about 20 times any Status geth sends. It bounds the work of
 * @ethereumjs/rlp's decode, which is O(depth x size) and allocates per item, so a 16 MiB
 * Status of nested or one-byte items would block the event loop for seconds and use GiBs.
 */
export const MAX_STATUS_SIZE = 4096;

export interface EthStatus {
  version: number;
  networkId: bigint;
  genesisHash: Uint8Array;
  forkId: ForkId;
  earliestBlock: bigint;
  latestBlock: bigint;
  latestBlockHash: Uint8Array;
}

export function encodeStatus(s: EthStatus): Uint8Array {
  return RLP.encode([s.version, s.networkId, s.genesisHash, [s.forkId.hash, s.forkId.next], s.earliestBlock, s.latestBlock, s.latestBlockHash]);
}

function field<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new StatusError('rlp', `${what} is malformed`);
  return v;
}

export function decodeStatus(payload: Uint8Array): EthStatus {
  if (payload.length > MAX_STATUS_SIZE) throw new StatusError('size', `${payload.length} bytes exceeds the ${MAX_STATUS_SIZE}-byte limit`);
  const d = decodeList(payload);
  if ('error' in d) throw new StatusError('rlp', 'not valid RLP', { cause: d.error });
  const v = d.list;
  if (v.length < 7 || !Array.isArray(v[3]) || v[3].length < 2) throw new StatusError('rlp', 'not an eth/69 Status list');
  const fork = v[3] as unknown[];
  const version = field(uint64(v[0]), 'version');
  return {
    // Versions past 2^53 are no version anyone speaks; they fail the version check below.
    version: version > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(version),
    networkId: field(uint64(v[1]), 'networkId'),
    genesisHash: field(fixedBytes(v[2], 32), 'genesisHash'),
    forkId: { hash: field(fixedBytes(fork[0], 4), 'forkId hash'), next: field(uint64(fork[1]), 'forkId next') },
    earliestBlock: field(uint64(v[4]), 'earliestBlock'),
    latestBlock: field(uint64(v[5]), 'latestBlock'),
    latestBlockHash: field(fixedBytes(v[6], 32), 'latestBlockHash'),
  };
}

/** What a remote Status must match. Without a chain only what is given is compared. */
export interface StatusExpectation {
  /** The eth version the channel runs. */
  version: number;
  chain?: Chain | undefined;
  /** Without a chain: partial checks, as the responder has always allowed. */
  networkId?: bigint | undefined;
  genesisHash?: Uint8Array | undefined;
  /** Our head for the fork ID rules (with a chain). */
  head?: Head | undefined;
}

const short = (h: Uint8Array): string => `0x${bytesToHex(h)}`;

/**
 * Check a remote Status in geth's order (network, version, genesis, fork ID, range), then the
 * latest hash, which geth refuses when zero. Returns the fork verdict when a chain is given.
 */
export function validateStatus(remote: EthStatus, want: StatusExpectation): ForkCheck | undefined {
  const chain = want.chain;
  const fork = chain ? checkForkId(chain, want.head ?? { number: 0n, time: chain.genesisTime }, remote.forkId) : undefined;
  const fail = (check: ConstructorParameters<typeof StatusError>[0], message: string): never => {
    throw new StatusError(check, message, { status: remote, ...(fork ? { fork } : {}) });
  };
  const networkId = chain?.networkId ?? want.networkId;
  const genesis = chain?.genesisHash ?? want.genesisHash;
  if (networkId !== undefined && remote.networkId !== networkId) fail('network', `network ${remote.networkId} != ${networkId}`);
  if (remote.version !== want.version) fail('version', `version ${remote.version} != ${want.version}`);
  if (genesis && !equalBytes(remote.genesisHash, genesis)) fail('genesis', `genesis ${short(remote.genesisHash)} != ${short(genesis)}`);
  if (fork && fork.verdict !== 'compatible') fail('forkid', `fork ID ${short(remote.forkId.hash)}/${remote.forkId.next} rejected: ${fork.detail}`);
  if (remote.earliestBlock > remote.latestBlock) fail('range', `earliest block ${remote.earliestBlock} > latest block ${remote.latestBlock}`);
  if (isZero(remote.latestBlockHash)) fail('hash', 'latest block hash is zero');
  return fork;
}
