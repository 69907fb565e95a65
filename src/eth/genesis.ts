/**
 * A Chain from a geth genesis.json: the chain id (the network id unless told otherwise), the
 * fork schedule, and the genesis hash, computed as geth's Genesis.ToBlock does (go-ethereum
 * v1.17.5 core/genesis.go) or given explicitly.
 *
 * The hash is keccak256 of the RLP header; its state root is the trie of the alloc's accounts,
 * and which optional fields it has depends on the forks active at genesis: baseFee (London),
 * withdrawalsRoot (Shanghai), blobGasUsed, excessBlobGas and parentBeaconRoot (Cancun),
 * requestsHash (Prague).
 */
import { readFileSync } from 'node:fs';
import { RLP, type Input } from '@ethereumjs/rlp';
import { hexToBytes } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { BLOCK_FORKS, TIME_FORKS, type Chain } from './chain.js';
import { GenesisError } from './errors.js';
import { EMPTY_TRIE_ROOT, trieRoot } from './trie.js';

/** geth's defaults for a genesis without them (params/protocol_params.go). */
const GENESIS_GAS_LIMIT = 4_712_388n;
const INITIAL_BASE_FEE = 1_000_000_000n;
/** keccak256(rlp([])): the ommers hash of a block without ommers. */
const EMPTY_UNCLE_HASH = keccak256(RLP.encode([]));
const EMPTY_CODE_HASH = keccak256();
/** sha256('') : EIP-7685's requests hash of a block without requests. */
const EMPTY_REQUESTS_HASH = hexToBytes('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');

type Json = Record<string, unknown>;

/** A geth HexOrDecimal: a JSON number, "0x" hex or a decimal string. */
function integer(v: unknown, what: string): bigint | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new GenesisError(`${what}: ${v} is not an exact non-negative integer; write it as a "0x…" string`);
    return BigInt(v);
  }
  if (typeof v === 'string' && /^(0x[0-9a-fA-F]+|\d+)$/.test(v)) return BigInt(v);
  throw new GenesisError(`${what}: ${JSON.stringify(v)} is not an integer`);
}

function bytes(v: unknown, what: string, size?: number): Uint8Array | undefined {
  if (v === undefined || v === null) return undefined;
  const hex = typeof v === 'string' ? v.replace(/^0x/i, '') : undefined;
  if (hex === undefined || !/^([0-9a-fA-F]{2})*$/.test(hex)) throw new GenesisError(`${what}: ${JSON.stringify(v)} is not hex bytes`);
  const b = hexToBytes(hex);
  if (size !== undefined && b.length > size) throw new GenesisError(`${what}: ${b.length} bytes, expected ${size}`);
  if (size === undefined || b.length === size) return b;
  const padded = new Uint8Array(size); // geth left-pads short hashes and addresses
  padded.set(b, size - b.length);
  return padded;
}

/** A big-endian integer with no leading zeros: how RLP and the state trie store numbers. */
function trimmed(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  return b.subarray(i);
}

/** The state root of a genesis alloc: accounts [nonce, balance, storageRoot, codeHash]. */
export function allocRoot(alloc: Json): Uint8Array {
  const accounts: Array<[Uint8Array, Uint8Array]> = [];
  for (const [address, raw] of Object.entries(alloc)) {
    const what = `alloc ${address}`;
    if (typeof raw !== 'object' || raw === null) throw new GenesisError(`${what}: not an object`);
    const a = raw as Json;
    const storage: Array<[Uint8Array, Uint8Array]> = [];
    for (const [slot, value] of Object.entries((a['storage'] as Json | undefined) ?? {})) {
      const v = trimmed(bytes(value, `${what} storage ${slot}`, 32)!);
      // A zero value is no value: geth's state deletes the slot.
      if (v.length > 0) storage.push([keccak256(bytes(slot, `${what} storage key`, 32)!), RLP.encode(v)]);
    }
    const code = bytes(a['code'], `${what} code`) ?? new Uint8Array(0);
    const account = RLP.encode([
      integer(a['nonce'], `${what} nonce`) ?? 0n,
      integer(a['balance'], `${what} balance`) ?? 0n,
      storage.length ? trieRoot(storage) : EMPTY_TRIE_ROOT,
      code.length ? keccak256(code) : EMPTY_CODE_HASH,
    ]);
    accounts.push([keccak256(bytes(address, `${what} address`, 20)!), account]);
  }
  return trieRoot(accounts);
}

/** geth's genesis hash of a parsed genesis.json. */
export function genesisHashOf(genesis: Json): Uint8Array {
  return keccak256(genesisHeaderOf(genesis));
}

/** The RLP of geth's genesis header for a parsed genesis.json (block 0 of a served chain). */
export function genesisHeaderOf(genesis: Json): Uint8Array {
  const config = (genesis['config'] ?? {}) as Json;
  const num = integer(genesis['number'], 'number') ?? 0n;
  const time = integer(genesis['timestamp'], 'timestamp') ?? 0n;
  const mixHash = bytes(genesis['mixHash'], 'mixHash', 32) ?? new Uint8Array(32);
  const at = (key: string, head: bigint): boolean => {
    const v = integer(config[key], `config.${key}`);
    return v !== undefined && v <= head;
  };
  const london = at('londonBlock', num);
  const timeFork = (key: string): boolean => london && at(key, time);
  if (timeFork('amsterdamTime')) throw new GenesisError('Amsterdam at genesis is not supported: give the genesis hash explicitly');

  // geth's JSON decoding requires difficulty and gasLimit; a zero gas limit takes its default.
  const difficulty = integer(genesis['difficulty'], 'difficulty') ?? 0n;
  const gasLimit = integer(genesis['gasLimit'], 'gasLimit') || GENESIS_GAS_LIMIT;
  const nonce = new Uint8Array(8);
  new DataView(nonce.buffer).setBigUint64(0, integer(genesis['nonce'], 'nonce') ?? 0n);

  const header: Input[] = [
    bytes(genesis['parentHash'], 'parentHash', 32) ?? new Uint8Array(32),
    EMPTY_UNCLE_HASH,
    bytes(genesis['coinbase'], 'coinbase', 20) ?? new Uint8Array(20),
    allocRoot((genesis['alloc'] ?? {}) as Json),
    EMPTY_TRIE_ROOT, // transactions
    EMPTY_TRIE_ROOT, // receipts
    new Uint8Array(256), // logs bloom
    difficulty,
    num,
    gasLimit,
    integer(genesis['gasUsed'], 'gasUsed') ?? 0n,
    time,
    bytes(genesis['extraData'], 'extraData') ?? new Uint8Array(0),
    mixHash,
    nonce,
  ];
  // Optional fields in header order; a gap before a present field is encoded as zero, as
  // geth's RLP does for optional fields (only excessBlobGas before Cancun can leave one).
  const optional: Array<Input | undefined> = [];
  if (london) optional[0] = integer(genesis['baseFeePerGas'], 'baseFeePerGas') ?? INITIAL_BASE_FEE;
  if (timeFork('shanghaiTime')) optional[1] = EMPTY_TRIE_ROOT; // no withdrawals
  const excessBlobGas = integer(genesis['excessBlobGas'], 'excessBlobGas');
  if (timeFork('cancunTime')) {
    optional[2] = integer(genesis['blobGasUsed'], 'blobGasUsed') ?? 0n;
    optional[3] = excessBlobGas ?? 0n;
    optional[4] = new Uint8Array(32); // parent beacon root: genesis has no parent
  } else if (excessBlobGas !== undefined) optional[3] = excessBlobGas;
  if (timeFork('pragueTime')) optional[5] = EMPTY_REQUESTS_HASH;
  for (let i = 0; i < optional.length; i++) header.push(optional[i] ?? 0n);
  return RLP.encode(header);
}

export interface GenesisOptions {
  /** The network id, when geth runs with a --networkid other than the chain id. */
  networkId?: bigint;
  /** Skip computing the genesis hash and use this one. */
  genesisHash?: Uint8Array;
}

/** A Chain from the text of a genesis.json. Throws GenesisError. */
export function chainFromGenesis(text: string, options: GenesisOptions = {}): Chain {
  let genesis: Json;
  try {
    genesis = JSON.parse(text) as Json;
  } catch (err) {
    throw new GenesisError(`not JSON: ${(err as Error).message}`);
  }
  if (typeof genesis !== 'object' || genesis === null || typeof genesis['config'] !== 'object' || genesis['config'] === null) {
    throw new GenesisError('no "config" object: not a geth genesis.json');
  }
  const config = genesis['config'] as Json;
  const chainId = integer(config['chainId'], 'config.chainId');
  const networkId = options.networkId ?? chainId;
  if (networkId === undefined) throw new GenesisError('config.chainId is missing and no network id was given');
  const forks = (keys: readonly string[]): bigint[] => keys.flatMap((k) => integer(config[k], `config.${k}`) ?? []);
  return {
    name: 'custom',
    networkId,
    genesisHash: new Uint8Array(options.genesisHash ?? genesisHashOf(genesis)),
    genesisTime: integer(genesis['timestamp'], 'timestamp') ?? 0n,
    forkBlocks: forks(BLOCK_FORKS),
    forkTimes: forks(TIME_FORKS),
  };
}

/** A Chain from a genesis.json file. */
export function readGenesisFile(path: string, options: GenesisOptions = {}): Chain {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GenesisError(`cannot read ${path}: ${(err as Error).message}`);
  }
  return chainFromGenesis(text, options);
}

