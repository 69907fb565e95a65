/**
 * The ethtest chain as `rlpx listen --serve` reads it: chain.rlp and genesis.json from the Go
 * module cache, and a receipts.rlp made from what a geth that imported the chain says over
 * JSON-RPC (eth_getBlockReceipts), in the receipts file's format: `[blockHash, receipts]` per
 * block, each receipt `[type, status, cumulativeGas, logs]`.
 */
import { mkdtempSync, openSync, closeSync, writeSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RLP } from '@ethereumjs/rlp';
import { hexToBytes } from '../../src/crypto/bytes.js';
import type { GethNode } from './geth.js';
import { ethtestData } from './geth-chain.js';

interface RpcLog {
  address: string;
  topics: string[];
  data: string;
}
interface RpcReceipt {
  type: string;
  status?: string;
  root?: string;
  cumulativeGasUsed: string;
  logs: RpcLog[];
  blockHash: string;
}

const bytes = (hex: string): Uint8Array => hexToBytes(hex.replace(/^0x/, ''));

/** A receipt as eth/69 sends it: status 0x01 on success, empty on failure, or a state root. */
function networkReceipt(r: RpcReceipt): unknown[] {
  const status = r.root ? bytes(r.root) : r.status === '0x1' ? Uint8Array.of(1) : new Uint8Array(0);
  return [BigInt(r.type), status, BigInt(r.cumulativeGasUsed), r.logs.map((l) => [bytes(l.address), l.topics.map(bytes), bytes(l.data)])];
}

/** A directory with chain.rlp (linked) and receipts.rlp for blocks 1..head, from `geth`. */
export async function servedChainDir(geth: GethNode): Promise<{ dir: string; genesis: string; cleanup(): void }> {
  const data = ethtestData();
  const dir = mkdtempSync(join(tmpdir(), 'rlpx-served-'));
  symlinkSync(data.chain, join(dir, 'chain.rlp'));
  const head = Number(await geth.rpc<string>('eth_blockNumber'));
  const fd = openSync(join(dir, 'receipts.rlp'), 'w');
  try {
    for (let n = 1; n <= head; n++) {
      const block = await geth.rpc<{ hash: string }>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false]);
      const receipts = await geth.rpc<RpcReceipt[]>('eth_getBlockReceipts', [`0x${n.toString(16)}`]);
      writeSync(fd, RLP.encode([bytes(block.hash), receipts.map(networkReceipt)] as never));
    }
  } finally {
    closeSync(fd);
  }
  return { dir, genesis: data.genesis, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
