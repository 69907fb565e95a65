/**
 * rlpx fetch <enode> --out DIR: download blocks (and receipts) from a node over devp2p,
 * verify every item against its header and the header chain, and write DIR/chain.rlp in the
 * format `geth export` writes and `geth import` reads (RLP blocks back to back), and with
 * --receipts DIR/receipts.rlp (see src/eth/receipts-file.ts). Exit 0 done; 1 the node was
 * reached but did not give the range, or gave data that does not verify; 2 no session.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bytesToHex } from '../crypto/bytes.js';
import { encodeBlock } from '../eth/block.js';
import { EthClient } from '../eth/client.js';
import { downloadBlocks } from '../eth/download.js';
import { ethStatusResponder } from '../eth/protocol.js';
import { encodeReceiptsEntry } from '../eth/receipts-file.js';
import { dial } from '../peer/dial.js';
import { parseEnode } from '../peer/enode.js';
import type { Peer } from '../peer/peer.js';
import { DisconnectReason } from '../reasons.js';
import { Exit, STATUS_DELAY, UsageError, exactJson, intOption, loadChain, loadKey } from './common.js';
import { argsOf, CHAIN_DOCS, helpText, HELP_OPTION, KEY_DOCS, type OptionDocs } from './help.js';

export const FETCH_USAGE = 'usage: rlpx fetch <enode> --out DIR [--from N] [--to M] [--receipts] [--chain NAME | --genesis FILE [--network-id N]] [--json]';

export const FETCH_OPTIONS: OptionDocs = {
  out: { type: 'string', arg: 'DIR', help: 'directory to write chain.rlp (and receipts.rlp) into; created if missing' },
  from: { type: 'string', arg: 'N', default: '1', help: 'first block' },
  to: { type: 'string', arg: 'M', default: "the node's latest block", help: 'last block (inclusive)' },
  receipts: { type: 'boolean', help: 'also fetch receipts, verified against each header, into receipts.rlp' },
  batch: { type: 'string', arg: 'N', default: '128', help: 'headers per request (geth serves up to 1024)' },
  timeout: { type: 'string', arg: 'MS', default: '10000', help: 'deadline of the connection, the Status and each request' },
  json: { type: 'boolean', help: 'print one JSON summary as the last stdout line (integers exact, see README)' },
  ...CHAIN_DOCS,
  ...KEY_DOCS,
  ...HELP_OPTION,
};

export const FETCH_HELP = helpText(FETCH_USAGE, 'Download and verify blocks (and receipts) over devp2p into DIR/chain.rlp (geth export format). Exit 0 done, 1 incomplete or unverified, 2 no session.', FETCH_OPTIONS);

const bigOption = (v: string | undefined, name: string): bigint | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || BigInt(v) >= 1n << 64n) throw new UsageError(`--${name} must be a block number (uint64), got "${v}"`);
  return BigInt(v);
};

export async function fetchCommand(argv: string[], out: (line: string) => void, signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: argsOf(FETCH_OPTIONS) });
  const v = values as Record<string, string | boolean | undefined>;
  const str = (k: string): string | undefined => v[k] as string | undefined;
  if (v['help']) {
    out(FETCH_HELP);
    return Exit.Ok;
  }
  if (positionals.length !== 1) throw new UsageError(`expected one enode URL\n${FETCH_USAGE}`);
  const dir = str('out');
  if (!dir) throw new UsageError(`--out DIR is required\n${FETCH_USAGE}`);
  try {
    parseEnode(positionals[0]!);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const from = bigOption(str('from'), 'from') ?? 1n;
  const toOption = bigOption(str('to'), 'to');
  if (toOption !== undefined && toOption < from) throw new UsageError(`--to ${toOption} is below --from ${from}`);
  const batch = intOption(str('batch'), 'batch', 128, 1);
  if (batch > 1024) throw new UsageError('--batch must be at most 1024');
  const timeout = intOption(str('timeout'), 'timeout', 10_000, 1);
  const privateKey = loadKey({ key: str('key'), 'key-file': str('key-file') });
  const chain = loadChain({ chain: str('chain'), genesis: str('genesis'), 'network-id': str('network-id') });
  const json = v['json'] === true;
  const withReceipts = v['receipts'] === true;
  const tty = !json && process.stderr.isTTY === true;

  const started = performance.now();
  const summary = {
    ok: false,
    enode: positionals[0]!,
    from,
    to: toOption ?? null,
    blocks: 0,
    transactions: 0,
    receipts: withReceipts ? 0 : null,
    head: null as { number: bigint; hash: string } | null,
    files: { chain: join(dir, 'chain.rlp'), receipts: withReceipts ? join(dir, 'receipts.rlp') : null },
    duration_ms: 0,
    error: null as string | null,
  };
  const finish = (code: number): number => {
    summary.duration_ms = Math.round(performance.now() - started);
    if (tty) process.stderr.write('\n');
    if (json) out(exactJson(summary));
    else if (summary.ok) out(`fetched blocks ${summary.from}..${summary.to} (${summary.blocks} blocks, ${summary.transactions} transactions${withReceipts ? `, ${summary.receipts} receipts` : ''}), all verified, into ${dir}`);
    else process.stderr.write(`rlpx fetch: ${summary.error}\n`);
    return code;
  };

  const eth = ethStatusResponder({ ...(chain ? { chain, statusDelay: STATUS_DELAY } : {}), timeout, disconnectOnTimeout: false });
  let peer: Peer;
  try {
    peer = await dial(positionals[0]!, { privateKey, protocols: eth.protocols, pingInterval: 0, connectTimeout: timeout, handshakeTimeout: timeout, helloTimeout: timeout, signal });
  } catch (err) {
    summary.error = (err as Error).message;
    return finish(Exit.Error);
  }
  let fds: number[] = [];
  try {
    const { status } = await eth.status(peer, { signal });
    const to = toOption ?? status.latestBlock;
    summary.to = to;
    if (to < from) throw new Error(`the node's latest block ${status.latestBlock} is below --from ${from}`);
    mkdirSync(dir, { recursive: true });
    const chainFd = openSync(summary.files.chain, 'w');
    fds = [chainFd];
    const receiptsFd = withReceipts ? openSync(summary.files.receipts!, 'w') : undefined;
    if (receiptsFd !== undefined) fds.push(receiptsFd);
    const client = new EthClient(eth);
    // From block 1 on a known chain, block 1 must follow its genesis.
    const parent = chain && from === 1n ? chain.genesisHash : undefined;
    for await (const blocks of downloadBlocks(client, peer, { from, to, receipts: withReceipts, batch, timeout, signal, ...(parent ? { parent } : {}) })) {
      if (from === 0n && chain && summary.blocks === 0 && !Buffer.from(blocks[0]!.header.hash).equals(chain.genesisHash)) throw new Error('block 0 is not the genesis of --chain/--genesis');
      for (const b of blocks) {
        writeSync(chainFd, encodeBlock(b));
        if (receiptsFd !== undefined) writeSync(receiptsFd, encodeReceiptsEntry(b.header.number, b.header.hash, b.receipts!));
        summary.blocks++;
        summary.transactions += b.transactions.length;
        if (summary.receipts !== null) summary.receipts += b.receipts!.length;
        summary.head = { number: b.header.number, hash: `0x${bytesToHex(b.header.hash)}` };
      }
      if (tty) process.stderr.write(`\rfetched ${summary.blocks} of ${to - from + 1n} blocks (up to #${summary.head!.number})`);
    }
    summary.ok = true;
  } catch (err) {
    summary.error = signal.aborted ? 'interrupted' : (err as Error).message;
  } finally {
    for (const fd of fds) closeSync(fd);
    if (!peer.isClosing) await peer.disconnect(DisconnectReason.ClientQuitting).catch(() => {});
  }
  return finish(summary.ok ? Exit.Ok : Exit.Unhealthy);
}
