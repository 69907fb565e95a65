/**
 * `rlpx listen --discovery v4`: discv4 on the listen port's number (UDP beside TCP, as geth
 * runs them), our record carrying the `eth` fork ID of the chain listen serves, if it has one.
 */
import type { Chain } from '../eth/chain.js';
import { forkId } from '../eth/forkid.js';
import { startDiscoveryV4, type DiscoveryV4 } from '../discovery/v4-discovery.js';
import { UsageError } from './common.js';
import type { OptionDocs } from './help.js';

export const DISCOVERY_DOCS: OptionDocs = {
  discovery: { type: 'string', arg: 'PROTO', help: 'run node discovery on the same port number, UDP (PROTO: v4)' },
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

/** Started discovery, or undefined without --discovery. UsageError for bad flags or a busy port. */
export async function startListenDiscovery(input: ListenDiscoveryInput): Promise<DiscoveryV4 | undefined> {
  if (input.discovery === undefined) {
    if (input.bootnodes !== undefined) throw new UsageError('--bootnodes needs --discovery v4');
    return undefined;
  }
  if (input.discovery !== 'v4') throw new UsageError(`--discovery: only "v4" is supported, got "${input.discovery}"`);
  const bootnodes = (input.bootnodes ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const eth = input.chain ? forkId(input.chain, { number: 0n, time: input.chain.genesisTime }) : undefined;
  try {
    return await startDiscoveryV4({
      privateKey: input.privateKey,
      host: input.host,
      port: input.port,
      tcpPort: input.port,
      bootnodes,
      ...(eth ? { eth: { forkHash: eth.hash, forkNext: eth.next } } : {}),
    });
  } catch (err) {
    throw new UsageError(`--discovery: ${(err as Error).message}`);
  }
}
