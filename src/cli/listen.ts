/**
 * rlpx listen: a node that accepts peers, answers their Pings, runs its own ping loop and
 * prints one line per event. The first stdout line is its enode, before anything is accepted.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { reasonName, DisconnectReason } from '../reasons.js';
import { bytesToHex } from '../crypto/bytes.js';
import type { Chain } from '../eth/chain.js';
import { genesisSource } from '../eth/chain-source.js';
import { ChainFileError, FileStore } from '../eth/file-store.js';
import { decodeHeader } from '../eth/header.js';
import { genesisHeaderOf } from '../eth/genesis.js';
import { ethStatusResponder, type EthResponderOptions } from '../eth/protocol.js';
import { listen } from '../peer/server.js';
import { Exit, UsageError, intOption, loadChain, loadKey, ms, round } from './common.js';
import { DISCOVERY_DOCS, startListenDiscovery } from './listen-discovery.js';
import { argsOf, helpText, HELP_OPTION, KEY_DOCS, type OptionDocs } from './help.js';

export const LISTEN_USAGE = `usage: rlpx listen [--host H] [--port P] [--key HEX | --key-file FILE] [--max-peers N] [--ping-interval MS] [--json] [--chain NAME | --genesis FILE [--network-id N]] [--serve DIR] [--discovery v4|v5|v4,v5 [--bootnodes NODES]]`;

export const LISTEN_OPTIONS: OptionDocs = {
  host: { type: 'string', arg: 'H', default: '127.0.0.1', help: 'address to listen on' },
  port: { type: 'string', arg: 'P', default: '30303', help: 'TCP port; 0 for a free one' },
  ...KEY_DOCS,
  'max-peers': { type: 'string', arg: 'N', default: '50', help: 'peers at once; more are refused with 0x04' },
  'ping-interval': { type: 'string', arg: 'MS', default: '15000', help: 'ms between our Pings to each peer' },
  json: { type: 'boolean', help: 'one JSON object per event' },
  chain: { type: 'string', arg: 'NAME', help: 'our chain: send its Status (genesis as head) and check the remote\'s (mainnet, sepolia, holesky, hoodi)' },
  genesis: { type: 'string', arg: 'FILE', help: 'our chain from a genesis.json: send its Status, check the remote\'s, serve block 0' },
  'network-id': { type: 'string', arg: 'N', help: 'with --chain or --genesis: the network id, if not the chain id' },
  serve: { type: 'string', arg: 'DIR', help: 'serve DIR/chain.rlp (geth export) and DIR/receipts.rlp; needs --chain or --genesis' },
  ...DISCOVERY_DOCS,
  ...HELP_OPTION,
};

export const LISTEN_HELP = helpText(LISTEN_USAGE, 'Accept peers, answer their Pings, ping them, print one line per event; the first line is our enode.', LISTEN_OPTIONS);

export async function listenCommand(argv: string[], out: (line: string) => void, signal: AbortSignal): Promise<number> {
  const parsed = parseArgs({ args: argv, allowPositionals: true, options: argsOf(LISTEN_OPTIONS) });
  const positionals = parsed.positionals;
  const values = parsed.values as {
    host?: string;
    port?: string;
    key?: string;
    'key-file'?: string;
    'max-peers'?: string;
    'ping-interval'?: string;
    json?: boolean;
    help?: boolean;
    chain?: string;
    genesis?: string;
    'network-id'?: string;
    serve?: string;
    discovery?: string;
    bootnodes?: string;
  };
  if (values.help) {
    out(LISTEN_HELP);
    return Exit.Ok;
  }
  values.host ??= '127.0.0.1';
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"\n${LISTEN_USAGE}`);
  const port = intOption(values.port, 'port', 30303);
  if (port > 65535) throw new UsageError(`--port must be <= 65535`);
  const chain = loadChain(values);
  if (values.serve !== undefined && !chain) throw new UsageError('--serve needs --chain or --genesis');
  const store = values.serve !== undefined ? await openStore(values.serve, chain!, values.genesis) : undefined;
  const ethOptions: EthResponderOptions = { disconnectOnTimeout: false };
  if (chain) Object.assign(ethOptions, { chain, allowRangeRewind: true });
  if (!store && values.genesis !== undefined && chain) {
    // Without --serve a genesis file still gives us block 0: the head we announce, served.
    const header = genesisHeaderOf(JSON.parse(readFileSync(values.genesis, 'utf8')) as Record<string, unknown>);
    const fields = decodeHeader(header);
    Object.assign(ethOptions, { source: genesisSource(header, { time: fields.timestamp, withdrawals: fields.withdrawalsRoot !== undefined }) });
  }
  if (store) {
    const head = await store.head();
    const local = { earliestBlock: await store.earliest(), latestBlock: head.number, latestBlockHash: head.hash, time: head.time };
    Object.assign(ethOptions, { source: store, head: () => local });
  }
  const eth = ethStatusResponder(ethOptions);
  const privateKey = loadKey(values);
  let server;
  try {
    server = await listen({
      privateKey,
      host: values.host,
      port,
      maxPeers: intOption(values['max-peers'], 'max-peers', 50),
      pingInterval: intOption(values['ping-interval'], 'ping-interval', 15_000),
      protocols: eth.protocols,
      requireSharedProtocol: false,
    });
  } catch (err) {
    await store?.close();
    throw new UsageError(`cannot listen on ${values.host}:${port}: ${(err as Error).message}`);
  }
  const emit = (event: string, fields: Record<string, unknown>, text: string): void =>
    out(values.json ? JSON.stringify({ event, time: new Date().toISOString(), ...fields }) : text);

  let discovery;
  try {
    // The port number listen got (a free one for --port 0), so TCP and UDP share it.
    discovery = await startListenDiscovery({ ...values, privateKey, host: values.host, port: server.address.port, chain });
  } catch (err) {
    await server.close(DisconnectReason.ClientQuitting);
    throw err;
  }
  out(values.json ? JSON.stringify({ event: 'listening', enode: server.enode }) : server.enode);
  if (discovery?.v4) {
    const d = discovery.v4;
    emit('discovery', { protocol: 'v4', enr: d.enr.toText(), udp: d.address.port }, `discovery    v4 on udp ${d.address.port} ${d.enr.toText()}`);
    d.on('added', (n) => emit('node-added', { id: Buffer.from(n.publicKey).toString('hex'), ip: n.ip, udp: n.udp }, `node-added   ${Buffer.from(n.publicKey).toString('hex').slice(0, 16)} ${n.ip}:${n.udp}`));
  }
  if (discovery?.v5) {
    const d = discovery.v5;
    emit('discovery', { protocol: 'v5', enr: d.enr.toText(), udp: d.address.port }, `discovery    v5 on udp ${d.address.port} ${d.enr.toText()}`);
  }
  if (store) {
    const head = await store.head();
    const hash = `0x${bytesToHex(head.hash)}`;
    emit('serving', { dir: values.serve, latestBlock: Number(head.number), latestBlockHash: hash }, `serving      ${values.serve}: blocks 0-${head.number}, head ${hash}`);
  }
  eth.on('sourceError', (peer, err) => emit('source-error', { id: peer.id, error: err.message }, `source-error ${peer.id.slice(0, 16)} ${err.message}`));
  eth.on('refused', (peer, err) => emit('refused', { id: peer.id, error: err.message }, `refused      ${peer.id.slice(0, 16)} ${err.message}`));

  server.on('peer', (peer) => {
    const id = peer.id;
    const short = id.slice(0, 16);
    const hello = peer.remoteHello!;
    const caps = hello.capabilities.map((c) => `${c.name}/${c.version}`);
    emit('connected', { id, clientId: hello.clientId, caps }, `connected    ${short} ${hello.clientId} [${caps.join(', ')}]`);
    peer.on('ping', () => emit('ping', { id }, `ping         ${short}`));
    peer.on('pong', (rtt) => emit('pong', { id, rtt_ms: round(rtt) }, `pong         ${short} rtt=${ms(rtt)}`));
    peer.on('health', (h) => emit('health', { id, state: h.state, previous: h.previous }, `health       ${short} ${h.previous} -> ${h.state}`));
    peer.on('close', (c) =>
      emit(
        'disconnected',
        { id, reason: c.reason, name: reasonName(c.reason), by: c.initiator, error: c.error?.message ?? null },
        `disconnected ${short} ${reasonName(c.reason)} (0x${c.reason.toString(16).padStart(2, '0')}) by ${c.initiator}`,
      ),
    );
  });
  server.on('rejected', (r) => emit('rejected', { remote: r.remote, error: r.error.message }, `rejected     ${r.remote}: ${r.error.message}`));

  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await discovery?.close();
  await server.close(DisconnectReason.ClientQuitting);
  await store?.close();
  await new Promise((r) => setImmediate(r)); // let the peers' close events print first
  emit('stopped', {}, 'stopped');
  return Exit.Ok;
}

/** The store of `--serve DIR`, its genesis from --genesis (or block 0 of chain.rlp). */
async function openStore(dir: string, chain: Chain, genesisFile: string | undefined): Promise<FileStore> {
  // loadChain has read and checked the file already: this only takes its header.
  const genesisHeader = genesisFile === undefined ? undefined : genesisHeaderOf(JSON.parse(readFileSync(genesisFile, 'utf8')) as Record<string, unknown>);
  try {
    return await FileStore.open(dir, { genesisHash: chain.genesisHash, ...(genesisHeader ? { genesisHeader } : {}) });
  } catch (err) {
    if (err instanceof ChainFileError || err instanceof RangeError) throw new UsageError(`--serve ${dir}: ${err.message}`);
    throw err;
  }
}
