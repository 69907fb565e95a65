/** What every rlpx command shares: exit codes, usage errors, key loading, formatting. */
import { readFileSync } from 'node:fs';
import { generatePrivateKey, privateKeyFrom } from '../crypto/secp256k1.js';
import { CHAINS, chainByName, type Chain } from '../eth/chain.js';
import { readGenesisFile } from '../eth/genesis.js';

/** Exit codes are a contract with scripts and probes. */
export const Exit = {
  Ok: 0,
  /** Reached the node, but it is unhealthy. */
  Unhealthy: 1,
  /** No session: bad arguments, bad enode, refused, handshake failure. */
  Error: 2,
} as const;

/** An error the user can fix; main prints its message on one line and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function loadKey(values: { key?: string | undefined; 'key-file'?: string | undefined }): Uint8Array {
  if (values.key && values['key-file']) throw new UsageError('give --key or --key-file, not both');
  try {
    if (values.key) return privateKeyFrom(values.key);
    if (values['key-file']) return privateKeyFrom(readFileSync(values['key-file'], 'utf8').trim());
  } catch (err) {
    throw new UsageError(`bad private key: ${(err as Error).message}`);
  }
  return generatePrivateKey();
}

export function intOption(value: string | undefined, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${value}"`);
  return Number(value);
}

export const ms = (v: number | undefined): string => (v === undefined ? '-' : `${v.toFixed(3)} ms`);

/** Round to microseconds for JSON output. */
export const round = (v: number | undefined): number | null => (v === undefined ? null : Math.round(v * 1000) / 1000);

export interface Summary {
  sent: number;
  received: number;
  lost: number;
  min?: number;
  median?: number;
  max?: number;
  mean?: number;
  jitter?: number;
}

/** Summary statistics of a list of RTTs; jitter is the mean absolute difference of neighbours. */
export function summarize(sent: number, rtts: number[]): Summary {
  const s: Summary = { sent, received: rtts.length, lost: sent - rtts.length };
  if (rtts.length === 0) return s;
  const sorted = [...rtts].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  let jitter = 0;
  for (let i = 1; i < rtts.length; i++) jitter += Math.abs(rtts[i]! - rtts[i - 1]!);
  return {
    ...s,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    median: sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2,
    mean: rtts.reduce((a, b) => a + b, 0) / rtts.length,
    jitter: rtts.length > 1 ? jitter / (rtts.length - 1) : 0,
  };
}

/**
 * ms a probe with a chain waits to hear the remote Status before sending its own, so that a
 * node on another chain is reported with its Status (see EthResponderOptions.statusDelay).
 */
export const STATUS_DELAY = 250;

/** The chain to check remotes against, or undefined to mirror whatever they send. */
export function loadChain(values: { chain?: string | undefined; genesis?: string | undefined; 'network-id'?: string | undefined }): Chain | undefined {
  if (values.chain !== undefined && values.genesis !== undefined) throw new UsageError('give --chain or --genesis, not both');
  const networkId = values['network-id'];
  if (networkId !== undefined && !/^\d+$/.test(networkId)) throw new UsageError(`--network-id must be a decimal integer, got "${networkId}"`);
  if (values.chain !== undefined) {
    const chain = chainByName(values.chain);
    if (!chain) throw new UsageError(`unknown chain "${values.chain}"; known: ${Object.keys(CHAINS).join(', ')}, or --genesis FILE`);
    return networkId === undefined ? chain : { ...chain, networkId: BigInt(networkId) };
  }
  if (values.genesis !== undefined) {
    try {
      return readGenesisFile(values.genesis, networkId === undefined ? {} : { networkId: BigInt(networkId) });
    } catch (err) {
      throw new UsageError(`--genesis ${values.genesis}: ${(err as Error).message}`);
    }
  }
  if (networkId !== undefined) throw new UsageError('--network-id needs --chain or --genesis');
  return undefined;
}

/**
 * JSON with exact integers: a bigint is written as a JSON number with all its digits, never
 * rounded to a double (JSON allows any length; jq 1.7+, Python and Go's json.Number read it
 * exactly, while JavaScript's JSON.parse rounds above 2^53 - 1 unless given a reviver that
 * reads the source text).
 */
export function exactJson(value: unknown): string {
  const mark = '\u0000bigint:';
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${mark}${v}` : v));
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}
