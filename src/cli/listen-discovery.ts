/**
 * `rlpx listen --discovery v4|v5|v4,v5`: node discovery on the listen port's number (UDP beside
 * TCP, as geth runs them), both protocols on one UDP socket with one table and one record when
 * both are asked for (discovery.ts), our record carrying the `eth` fork ID of the chain listen
 * serves, if it has one.
 */
import type { Chain } from '../eth/chain.js';
import { forkId } from '../eth/forkid.js';
import { startDiscovery, type Discovery } from '../discovery/discovery.js';
import { UsageError } from './common.js';
import type { OptionDocs } from './help.js';

export const DISCOVERY_DOCS: OptionDocs = {
  discovery: { type: 'string', arg: 'PROTO', help: 'run node discovery on the same port number, UDP (PROTO: v4, v5 or v4,v5 on one socket)' },
  bootnodes: { type: 'string', arg: 'NODES', help: 'with --discovery: comma-separated enode:// or enr: records to join by' },
};

export interface ListenDiscoveryInput {
  discovery?: string | undefined;
  bootnodes?: string | undefined;
  privateKey: Uint8Array;
  host: string;
  port: number;
  /** The chain listen answers Status for: its fork ID (at genesis) goes into our record. */
  chain?: Chain | undefined;
}

/** The protocols started; close() stops them and their socket. */
export type ListenDiscovery = Discovery;

/** Which protocols a --discovery value asks for: "v4", "v5", "v4,v5" (either order). */
export function parseDiscoveryProtocols(value: string, flag: string): { v4: boolean; v5: boolean } {
  const parts = value.split(',').map((s) => s.trim());
  const ok = parts.length > 0 && parts.length <= 2 && parts.every((p) => p === 'v4' || p === 'v5') && new Set(parts).size === parts.length;
  if (!ok) throw new UsageError(`${flag}: only "v4", "v5" or "v4,v5" are supported, got "${value}"`);
  return { v4: parts.includes('v4'), v5: parts.includes('v5') };
}

/** Started discovery, or undefined without --discovery. UsageError for bad flags or a busy port. */
export async function startListenDiscovery(input: ListenDiscoveryInput): Promise<ListenDiscovery | undefined> {
  if (input.discovery === undefined) {
    if (input.bootnodes !== undefined) throw new UsageError('--bootnodes needs --discovery v4, v5 or v4,v5');
    return undefined;
  }
  const want = parseDiscoveryProtocols(input.discovery, '--discovery');
  const bootnodes = (input.bootnodes ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const fork = input.chain ? forkId(input.chain, { number: 0n, time: input.chain.genesisTime }) : undefined;
  const eth = fork ? { eth: { forkHash: fork.hash, forkNext: fork.next } } : {};
  try {
    // One socket, one table, one record for both (see discovery.ts); one protocol runs alone.
    return await startDiscovery({ protocols: want, privateKey: input.privateKey, host: input.host, port: input.port, tcpPort: input.port, bootnodes, ...eth });
  } catch (err) {
    throw new UsageError(`--discovery: ${(err as Error).message}`);
  }
}
