/**
 * A chain as the eth handshake sees it: network id, genesis hash and the fork schedule, which
 * is all a fork ID (EIP-2124) is made of. Built-in presets for the public networks, or read
 * from a geth genesis.json (genesis.ts).
 */
import { hexToBytes } from '../crypto/bytes.js';

/** A plain Uint8Array (not a Buffer), as decoded Status fields are, so both compare equal. */
const hash = (hex: string): Uint8Array => new Uint8Array(hexToBytes(hex));

export interface Chain {
  /** 'mainnet', 'sepolia', ..., or 'custom' for a genesis file. */
  name: string;
  networkId: bigint;
  genesisHash: Uint8Array;
  /** The genesis block's timestamp: time forks at or before it are not counted (as geth). */
  genesisTime: bigint;
  /** Block numbers of the forks scheduled by block, in any order, duplicates allowed. */
  forkBlocks: readonly bigint[];
  /** Timestamps of the forks scheduled by time, in any order, duplicates allowed. */
  forkTimes: readonly bigint[];
}

/**
 * The fork fields of geth's ChainConfig, by their genesis.json names. geth builds a fork ID
 * from every field whose Go name ends in "Block" (big.Int) or "Time" (uint64); these are all
 * of them in go-ethereum v1.17.5 params/config.go.
 */
export const BLOCK_FORKS = [
  'homesteadBlock',
  'daoForkBlock',
  'eip150Block',
  'eip155Block',
  'eip158Block',
  'byzantiumBlock',
  'constantinopleBlock',
  'petersburgBlock',
  'istanbulBlock',
  'muirGlacierBlock',
  'berlinBlock',
  'londonBlock',
  'arrowGlacierBlock',
  'grayGlacierBlock',
  'mergeNetsplitBlock',
] as const;

export const TIME_FORKS = [
  'shanghaiTime',
  'cancunTime',
  'pragueTime',
  'osakaTime',
  'bpo1Time',
  'bpo2Time',
  'bpo3Time',
  'bpo4Time',
  'bpo5Time',
  'amsterdamTime',
  'bogotaTime',
  'ubtTime',
] as const;

const list = (...v: number[]): bigint[] => v.map(BigInt);

/*
 * Facts from go-ethereum v1.17.5 params/config.go (MainnetChainConfig, SepoliaChainConfig,
 * HoleskyChainConfig, HoodiChainConfig and the *GenesisHash values). Network ids equal the
 * chain ids on these networks. The genesis blocks' timestamps are from their genesis specs
 * (core/genesis.go): they matter only to drop time forks at or before genesis, which only
 * Hoodi has (Shanghai and Cancun at 0).
 */
const mainnet: Chain = {
  name: 'mainnet',
  networkId: 1n,
  genesisHash: hash('d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3'),
  genesisTime: 0n,
  forkBlocks: list(1_150_000, 1_920_000, 2_463_000, 2_675_000, 2_675_000, 4_370_000, 7_280_000, 7_280_000, 9_069_000, 9_200_000, 12_244_000, 12_965_000, 13_773_000, 15_050_000),
  forkTimes: list(1681338455, 1710338135, 1746612311, 1764798551, 1765290071, 1767747671),
};

const sepolia: Chain = {
  name: 'sepolia',
  networkId: 11155111n,
  genesisHash: hash('25a5cc106eea7138acab33231d7160d69cb777ee0c2c553fcddf5138993e6dd9'),
  genesisTime: 1633267481n,
  forkBlocks: [...list(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 1735371n],
  forkTimes: list(1677557088, 1706655072, 1741159776, 1760427360, 1761017184, 1761607008),
};

const holesky: Chain = {
  name: 'holesky',
  networkId: 17000n,
  genesisHash: hash('b5f7f912443c940f21fd611f12828d75b534364ed9e95ca4e307729a4661bde4'),
  genesisTime: 1695902100n,
  forkBlocks: list(0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
  forkTimes: list(1696000704, 1707305664, 1740434112, 1759308480, 1759800000, 1760389824),
};

const hoodi: Chain = {
  name: 'hoodi',
  networkId: 560048n,
  genesisHash: hash('bbe312868b376a3001692a646dd2d7d1e4406380dfd86b98aa8a34d1557c971b'),
  genesisTime: 1742212800n,
  forkBlocks: list(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
  forkTimes: list(0, 0, 1742999832, 1761677592, 1762365720, 1762955544),
};

export const CHAINS: Readonly<Record<string, Chain>> = Object.freeze({ mainnet, sepolia, holesky, hoodi });

/** A preset by name; undefined for a name that is not one. */
export function chainByName(name: string): Chain | undefined {
  return Object.prototype.hasOwnProperty.call(CHAINS, name) ? CHAINS[name] : undefined;
}
