/**
 * rlpx ping <enode>: the L7 health check as a command, on the probe the exporter runs (see
 * src/probe/probe.ts). Exit 0 healthy; 1 reached but unhealthy (a full node without
 * --full-ok included); 2 no session (bad arguments, bad enode, refused, handshake failure).
 */
import { parseArgs } from 'node:util';
import { reasonName } from '../reasons.js';
import { parseEnode } from '../peer/enode.js';
import { probe, type ProbeResult } from '../probe/probe.js';
import type { EthReport } from '../probe/report.js';
import { Exit, UsageError, exactJson, intOption, loadChain, loadKey, ms, round, summarize } from './common.js';
import { argsOf, CHAIN_DOCS, helpText, HELP_OPTION, KEY_DOCS, type OptionDocs } from './help.js';

export const PING_USAGE = `usage: rlpx ping <enode> [--count N] [--interval MS] [--timeout MS] [--deadline MS] [--full-ok] [--key HEX | --key-file FILE] [--json] [--eth [--chain NAME | --genesis FILE [--network-id N]]]`;

/** The default --deadline: with Node's start-up, a run fits a Kubernetes probe's `timeoutSeconds: 5`. */
export const PING_DEADLINE = 4_500;

/** What a run needs besides the waits between Pings: connect, handshakes and a last Pong from a node that answers. */
const PING_SLACK = 2_500;

/**
 * The deadline without --deadline: PING_DEADLINE, or longer when --count and --interval ask
 * for more waiting than it leaves room for, so that they alone never cut a run short (4 Pings
 * 10 s apart get 32.5 s; the defaults, 3 Pings 1 s apart, keep 4.5 s).
 */
export function defaultPingDeadline(count: number, interval: number): number {
  return Math.max(PING_DEADLINE, (count - 1) * interval + PING_SLACK);
}

export const PING_OPTIONS: OptionDocs = {
  count: { type: 'string', arg: 'N', default: '3', help: 'Pings to send' },
  interval: { type: 'string', arg: 'MS', default: '1000', help: 'ms between Pings' },
  timeout: { type: 'string', arg: 'MS', default: '5000', help: 'deadline of each phase (connect, handshake, Hello, Status) and of each Pong' },
  deadline: { type: 'string', arg: 'MS', default: `${PING_DEADLINE}, or (count - 1) × interval + ${PING_SLACK} if longer`, help: 'limit of the whole run; 4500 fits timeoutSeconds: 5 of a Kubernetes exec probe' },
  'full-ok': { type: 'boolean', help: 'a node that answers "too many peers" (0x04) after the handshake is healthy: exit 0, not 1' },
  json: { type: 'boolean', help: 'print one JSON object, the result, as the last stdout line; for every outcome' },
  eth: { type: 'boolean', help: 'require the eth Status (and so eth); without it a Status is only reported' },
  ...CHAIN_DOCS,
  ...KEY_DOCS,
  ...HELP_OPTION,
};

export const PING_HELP = helpText(PING_USAGE, 'Dial, handshake, Hello, (eth Status), N Pings, Disconnect 0x08. Exit 0 healthy, 1 unhealthy or full, 2 no session.', PING_OPTIONS);

/** What --json prints. */
export interface PingJson {
  ok: boolean;
  /** Reached and answering at L7: a session, or a full node's 0x04. */
  alive: boolean;
  full: boolean;
  enode: string | null;
  remote: ProbeResult['remote'];
  eth: EthReport | null;
  sent: number;
  received: number;
  lost: number;
  rtt_ms: { min: number | null; median: number | null; max: number | null; mean: number | null; jitter: number | null };
  phases_ms: Record<string, number | null>;
  duration_ms: number | null;
  disconnect: ProbeResult['disconnect'];
  error: string | null;
  /** The phase an error stopped the run in (connect, handshake, hello, status, ping), or 'usage'. */
  failed_phase: string | null;
}

function toJson(r: ProbeResult, count: number): PingJson {
  const s = summarize(r.sent, r.rtts);
  const sent = r.remote ? count : r.sent; // Pings never sent because the peer left count as lost
  return {
    ok: r.success,
    alive: r.alive,
    full: r.full,
    enode: r.enode,
    remote: r.remote,
    eth: r.eth,
    sent,
    received: r.received,
    lost: sent - r.received,
    rtt_ms: { min: round(s.min), median: round(s.median), max: round(s.max), mean: round(s.mean), jitter: round(s.jitter) },
    phases_ms: Object.fromEntries(Object.entries(r.phases).map(([k, v]) => [k, round(v)])),
    duration_ms: round(r.durationMs),
    disconnect: r.disconnect,
    error: r.error,
    failed_phase: r.failedPhase,
  };
}

function usageJson(error: string): PingJson {
  const none = { min: null, median: null, max: null, mean: null, jitter: null };
  return { ok: false, alive: false, full: false, enode: null, remote: null, eth: null, sent: 0, received: 0, lost: 0, rtt_ms: none, phases_ms: {}, duration_ms: null, disconnect: null, error, failed_phase: 'usage' };
}

export async function pingCommand(argv: string[], out: (line: string) => void, signal?: AbortSignal): Promise<number> {
  // With --json even a usage error is a JSON result: the flag is looked for before parsing.
  const json = argv.includes('--json');
  try {
    return await run(argv, out, signal);
  } catch (err) {
    if (!json || !(err instanceof UsageError || (err as Error)?.name === 'TypeError')) throw err;
    out(JSON.stringify(usageJson((err as Error).message.split('\n')[0]!)));
    return Exit.Error;
  }
}

async function run(argv: string[], out: (line: string) => void, signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: argsOf(PING_OPTIONS) });
  const v = values as Record<string, string | boolean | undefined>;
  const str = (k: string): string | undefined => v[k] as string | undefined;
  if (v['help']) {
    out(PING_HELP);
    return Exit.Ok;
  }
  if (positionals.length !== 1) throw new UsageError(`expected one enode URL\n${PING_USAGE}`);
  const count = intOption(str('count'), 'count', 3, 1);
  const interval = intOption(str('interval'), 'interval', 1000);
  const timeout = intOption(str('timeout'), 'timeout', 5000, 1);
  const deadline = intOption(str('deadline'), 'deadline', defaultPingDeadline(count, interval), 1);
  const privateKey = loadKey({ key: str('key'), 'key-file': str('key-file') });
  const chain = loadChain({ chain: str('chain'), genesis: str('genesis'), 'network-id': str('network-id') });
  const json = v['json'] === true;
  try {
    parseEnode(positionals[0]!);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const human = (line: string): void => {
    if (!json) out(line);
  };
  const r = await probe(positionals[0]!, {
    privateKey,
    count,
    interval,
    timeout,
    deadline,
    health: 'l7',
    // A chain is only of use with the eth handshake: asking for one asks for that.
    requireEth: v['eth'] === true || chain !== undefined,
    chain,
    fullOk: v['full-ok'] === true,
    stopPings: signal,
    onSession: (res) => printSession(res, human),
    onPing: (i, rtt, why) => human(rtt === undefined ? `ping ${i + 1}/${count}: lost (${why})` : `pong ${i + 1}/${count}: rtt=${ms(rtt)}`),
  });
  const j = toJson(r, count);
  const code = r.success ? Exit.Ok : r.alive ? Exit.Unhealthy : Exit.Error;
  if (json) {
    out(exactJson(j));
    return code;
  }
  if (!r.remote && !r.full) {
    process.stderr.write(`rlpx ping: ${r.error}\n`);
    return code;
  }
  printHuman(j, human);
  return code;
}

/** The remote's Hello, printed as soon as the session is up. */
function printSession(r: ProbeResult, human: (line: string) => void): void {
  if (!r.remote) return;
  human(`connected to ${r.enode}`);
  human(`  client    ${r.remote.clientId}`);
  human(`  p2p       v${r.remote.version}`);
  human(`  caps      ${r.remote.caps.join(', ') || '(none)'}`);
  human(`  node id   ${r.remote.id}`);
}

function printHuman(j: PingJson, human: (line: string) => void): void {
  const e = j.eth;
  if (e) {
    human(`  eth       v${e.version}, network ${e.networkId}, genesis ${e.genesis.slice(0, 18)}…, fork id ${e.forkId.hash}/${e.forkId.next}: ${e.fork}`);
    human(`  blocks    ${e.earliestBlock}..${e.latestBlock}, latest ${e.latestBlockHash}`);
    if (e.serves !== null) human(`  serves    ${e.serves ? 'yes: the header of its latest block came back' : `no: ${e.servesReason}`}`);
  }
  if (j.full) human(`the node is full (too many peers): alive, ${j.ok ? 'healthy with --full-ok' : 'unhealthy without --full-ok'}`);
  if (j.error && !j.ok) human(`  error     ${j.error}`);
  human(`--- ${(j.enode ?? '').slice(0, 30)}… ping statistics ---`);
  human(`${j.sent} sent, ${j.received} received, ${j.lost} lost`);
  const t = j.rtt_ms;
  if (j.received > 0) human(`rtt min/median/max/mean/jitter = ${[t.min, t.median, t.max, t.mean, t.jitter].map((x) => x!.toFixed(3)).join('/')} ms`);
  if (j.disconnect) human(`disconnect: ${reasonName(j.disconnect.reason)} (0x${j.disconnect.reason.toString(16).padStart(2, '0')}) by ${j.disconnect.by}`);
}
