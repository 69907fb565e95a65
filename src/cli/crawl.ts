/**
 * rlpx crawl: a census over RLPx. Seeds from enode lists (files, stdin, arguments) and
 * EIP-1459 DNS trees; one JSON line (or CSV row) per node on stdout, the summary table and
 * seed problems on stderr, a progress line there too when it is a terminal.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { crawl, CRAWL_DEFAULTS } from '../crawl/crawl.js';
import { csvHeader, csvRow, idsInOutput, type NodeResult } from '../crawl/result.js';
import { collectSeeds, type DialTarget } from '../crawl/seeds.js';
import { DISCOVER_DEFAULTS, NodeDiscovery } from '../crawl/discover.js';
import { parseDiscoveryProtocols } from './listen-discovery.js';
import { makeNode, type DiscoveryNode } from '../discovery/node.js';
import { parseEnode } from '../peer/enode.js';
import { CrawlSummary } from '../crawl/summary.js';
import { DnsTreeError } from '../discovery/errors.js';
import { Exit, UsageError, exactJson, intOption, loadChain, loadKey } from './common.js';
import { argsOf, helpText, HELP_OPTION, KEY_DOCS, type OptionDocs } from './help.js';

export const CRAWL_USAGE = `usage: rlpx crawl [ENODE...] [--nodes FILE|-]... [--dns URL]... [--discover v4|v5|v4,v5 [--discover-idle S] [--nodes-json FILE]] [options]`;

function readList(file: string): { text: string; source: string } {
  try {
    return file === '-' ? { text: readFileSync(0, 'utf8'), source: 'stdin' } : { text: readFileSync(file, 'utf8'), source: file };
  } catch (err) {
    throw new UsageError(`--nodes ${file}: ${(err as Error).message}`);
  }
}

export const CRAWL_OPTIONS: OptionDocs = {
  nodes: { type: 'string', arg: 'FILE', multiple: true, help: 'enode URLs (or enr: records), one per line; - for stdin; repeatable' },
  dns: { type: 'string', arg: 'URL', multiple: true, help: 'an EIP-1459 tree, enrtree://KEY@DOMAIN; repeatable' },
  'dns-server': { type: 'string', arg: 'HOST:PORT', multiple: true, default: "the system's", help: 'resolver for --dns; repeatable' },
  concurrency: { type: 'string', arg: 'N', default: String(CRAWL_DEFAULTS.concurrency), help: 'nodes in progress at once' },
  timeout: { type: 'string', arg: 'MS', default: String(CRAWL_DEFAULTS.timeout), help: 'deadline per node' },
  rate: { type: 'string', arg: 'N', default: String(CRAWL_DEFAULTS.rate), help: 'dials per second; 0 for no limit' },
  network: { type: 'string', arg: 'ID', help: 'write only nodes whose Status has this network id' },
  limit: { type: 'string', arg: 'N', help: 'stop once N nodes are written' },
  resume: { type: 'string', arg: 'FILE', help: 'skip the nodes in an earlier output (JSON lines or CSV)' },
  csv: { type: 'boolean', help: 'CSV with a header instead of JSON lines' },
  ...KEY_DOCS,
  chain: { type: 'string', arg: 'NAME', help: 'check each Status against a known chain and write only compatible nodes' },
  genesis: { type: 'string', arg: 'FILE', help: 'the same, for the chain of a genesis.json' },
  'network-id': { type: 'string', arg: 'N', help: 'with --chain or --genesis: the network id, if not the chain id' },
  discover: { type: 'string', arg: 'PROTO', help: 'walk the network by node discovery from the seeds, dialing each node found once (PROTO: v4, v5 or v4,v5)' },
  'discover-idle': { type: 'string', arg: 'S', default: String(DISCOVER_DEFAULTS.idleSeconds), help: 'with --discover: stop once nothing new was found for S seconds' },
  'nodes-json': { type: 'string', arg: 'FILE', help: "with --discover: write the records found as geth's nodes.json" },
  ...HELP_OPTION,
};

export const CRAWL_HELP = helpText(CRAWL_USAGE, 'Dial every seed once and print one line per node: its Hello, eth Status, one RTT and how it ended; a summary on stderr.', CRAWL_OPTIONS);

/** A progress line for terminals: done/total, rate, ETA; rewritten in place. */
function progressLine(done: number, total: number, startedMs: number): string {
  const secs = (performance.now() - startedMs) / 1000;
  const rate = secs > 0 ? done / secs : 0;
  const eta = rate > 0 ? `${Math.ceil((total - done) / rate)} s` : '-';
  return `\r\x1b[Kcrawl: ${done}/${total}  ${rate.toFixed(0)} nodes/s  ETA ${eta}`;
}

export async function crawlCommand(argv: string[], out: (line: string) => void, signal?: AbortSignal, err: (line: string) => void = (l) => void process.stderr.write(l + '\n')): Promise<number> {
  const parsed = parseArgs({ args: argv, allowPositionals: true, options: argsOf(CRAWL_OPTIONS) });
  const positionals = parsed.positionals;
  const values = parsed.values as {
    nodes?: string[];
    dns?: string[];
    'dns-server'?: string[];
    concurrency?: string;
    timeout?: string;
    rate?: string;
    network?: string;
    limit?: string;
    resume?: string;
    csv?: boolean;
    key?: string;
    'key-file'?: string;
    chain?: string;
    genesis?: string;
    'network-id'?: string;
    discover?: string;
    'discover-idle'?: string;
    'nodes-json'?: string;
    help?: boolean;
  };
  if (values.help) {
    out(CRAWL_HELP);
    return Exit.Ok;
  }
  const lists = (values.nodes ?? []).map(readList);
  if (positionals.length > 0) lists.push({ text: positionals.join('\n'), source: 'args' });
  const trees = values.dns ?? [];
  if (lists.length === 0 && trees.length === 0) throw new UsageError(`no seeds: give enode URLs, --nodes FILE (- for stdin) or --dns enrtree://...\n${CRAWL_USAGE}`);
  const concurrency = intOption(values.concurrency, 'concurrency', CRAWL_DEFAULTS.concurrency, 1);
  const timeout = intOption(values.timeout, 'timeout', CRAWL_DEFAULTS.timeout, 1);
  const rate = intOption(values.rate, 'rate', CRAWL_DEFAULTS.rate, 0);
  const limit = values.limit === undefined ? Infinity : intOption(values.limit, 'limit', 0, 1);
  // Exact: a network id may be any uint64.
  const network = values.network === undefined ? undefined : BigInt(intOption(values.network, 'network', 0) >= 0 ? values.network : '0');
  const chain = loadChain(values);
  const privateKey = loadKey(values);
  const protocols = values.discover === undefined ? undefined : parseDiscoveryProtocols(values.discover, '--discover');
  if (values.discover === undefined && (values['discover-idle'] !== undefined || values['nodes-json'] !== undefined)) throw new UsageError('--discover-idle and --nodes-json need --discover v4, v5 or v4,v5');
  const idleSeconds = intOption(values['discover-idle'], 'discover-idle', DISCOVER_DEFAULTS.idleSeconds, 1);
  let skip = new Set<string>();
  if (values.resume !== undefined) {
    try {
      skip = idsInOutput(readFileSync(values.resume, 'utf8'));
    } catch (e) {
      throw new UsageError(`--resume ${values.resume}: ${(e as Error).message}`);
    }
  }

  const summary = new CrawlSummary();
  const started = performance.now();
  let seeds: Awaited<ReturnType<typeof collectSeeds>>;
  try {
    seeds = await collectSeeds({ lists, trees, dns: { ...(values['dns-server'] ? { servers: values['dns-server'] } : {}), ...(signal ? { signal } : {}) } });
  } catch (e) {
    // The walk reports every tree problem in its errors; what is thrown is our arguments' fault, or ^C.
    if (signal?.aborted) return Exit.Unhealthy;
    const code = (e as { code?: string }).code;
    throw new UsageError(code === 'ERR_INVALID_IP_ADDRESS' ? `--dns-server: ${(e as Error).message}` : (e as Error).message);
  }
  for (const e of seeds.errors) {
    const kind = e instanceof DnsTreeError ? e.kind : 'enode-line';
    summary.seedError(kind);
    const cause = e.cause instanceof Error && !e.message.includes(e.cause.message) ? ` (${e.cause.message})` : '';
    err(`rlpx crawl: seed error [${kind}] ${e.message}${cause}`);
  }
  summary.undialable(seeds.undialable.length);
  for (const u of seeds.undialable) err(`rlpx crawl: not dialable (no IP and TCP port): ${u.enr.toText()} from ${u.sources.join(', ')}`);

  const discover = values.discover !== undefined;
  // The crawl keeps its own copy of each target until it is dialed: drop the lists' text and
  // the seed set, so a long crawl does not hold every node twice.
  lists.length = 0;
  const seedDuplicates = seeds.duplicates;
  let targets = seeds.targets;
  seeds = { targets: [], undialable: [], duplicates: seedDuplicates, errors: [] };
  const run = crawl(targets, { privateKey, concurrency, timeout, rate, skip, open: discover, ...(chain ? { chain } : {}), ...(signal ? { signal } : {}) });
  // Discovery stops with the crawl (--limit, ^C) and ends the crawl when it goes idle.
  const stopDiscovery = new AbortController();
  const discovery = discover
    ? new NodeDiscovery({
        privateKey,
        bootnodes: targets.flatMap(bootnodeOf),
        idleMs: idleSeconds * 1000,
        // The records are output only with --nodes-json: without it, keep none.
        keepRecords: values['nodes-json'] !== undefined,
        ...(protocols ? { protocols } : {}),
        onNode: (t) => void run.add(t),
        signal: signal ? AbortSignal.any([signal, stopDiscovery.signal]) : stopDiscovery.signal,
      })
    : undefined;
  targets = [];
  const discovering = discovery?.run().then(
    () => run.end(),
    (e: unknown) => {
      run.end();
      if (!stopDiscovery.signal.aborted && !signal?.aborted) err(`rlpx crawl: discovery stopped: ${(e as Error).message}`);
    },
  );
  const keep = (r: NodeResult): boolean => (network === undefined || (r.eth !== null && BigInt(r.eth.networkId) === network)) && (!chain || r.eth?.fork === 'compatible');
  const tty = process.stderr.isTTY === true;
  const crawlStarted = performance.now();
  const ticker = tty ? setInterval(() => process.stderr.write(progressLine(run.done, run.total, crawlStarted)), 250) : undefined;
  if (values.csv) out(csvHeader());
  let written = 0;
  let interrupted = false;
  try {
    for await (const r of run) {
      summary.add(r);
      if (!keep(r)) continue;
      out(values.csv ? csvRow(r) : exactJson(r));
      // --limit counts nodes: a node dialed at several addresses is one, after its last line.
      if (!r.address || r.address.index === 0) written++;
      if (written >= limit && (!r.address || r.address.index === r.address.of - 1)) break;
    }
  } catch (e) {
    if (!signal?.aborted) throw e;
    interrupted = true;
  } finally {
    if (ticker) {
      clearInterval(ticker);
      process.stderr.write('\r\x1b[K');
    }
    stopDiscovery.abort();
    await discovering;
  }
  if (discovery) {
    const by = protocols?.v5 ? ` (discv4 found ${discovery.foundBy.discv4}, discv5 ${discovery.foundBy.discv5})` : '';
    err(`--- rlpx crawl: discovery heard of ${discovery.found} nodes, ${discovery.answered} answered ENRREQUEST${by}`);
    if (values['nodes-json'] !== undefined) writeFileSync(values['nodes-json'], discovery.nodesJson());
  }

  const secs = (performance.now() - started) / 1000;
  const crawlSecs = (performance.now() - crawlStarted) / 1000;
  const seen = summary.toJSON().nodes;
  err(`--- rlpx crawl: ${seen} of ${run.total} nodes in ${crawlSecs.toFixed(2)} s (${(seen / Math.max(crawlSecs, 1e-3)).toFixed(0)} nodes/s; ${secs.toFixed(2)} s with seeds)` +
    `, ${written} written, ${run.skipped} skipped (--resume), ${seedDuplicates + run.duplicates} duplicate seeds${interrupted ? ', interrupted' : ''}`);
  for (const line of summary.format()) err(line);
  return interrupted ? Exit.Unhealthy : Exit.Ok;
}

/** A seed as a discv4 bootnode: its IP, UDP port (discport, the record's udp, else the TCP port). */
function bootnodeOf(t: DialTarget): DiscoveryNode[] {
  if (!isIP(t.host)) return [];
  const udp = t.enr?.tcpEndpoint?.udp ?? parseEnode(t.enode).discport ?? t.port;
  return [makeNode(t.publicKey, t.host, udp, t.port, t.enr)];
}
