/**
 * rlpx monitor <enode>...: a session to each node, kept up with reconnect and backoff, and
 * Prometheus metrics on /metrics. On a TTY a live table shows each node's state and RTT.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { reasonName, DisconnectReason } from '../reasons.js';
import { bytesToHex } from '../crypto/bytes.js';
import { StatusError } from '../eth/status.js';
import { TimeoutError } from '../errors.js';
import type { ForkVerdict } from '../eth/forkid.js';
import { ethStatusResponder, type EthHandshake } from '../eth/protocol.js';
import { dial } from '../peer/dial.js';
import { ethReport } from '../probe/report.js';
import { checkServes } from '../probe/serves.js';
import { formatEnode, parseEnode, type Enode } from '../peer/enode.js';
import type { Peer } from '../peer/peer.js';
import type { CloseInfo } from '../peer/peer.js';
import type { HealthState } from '../peer/health.js';
import { Exit, STATUS_DELAY, UsageError, intOption, loadChain, loadKey, ms, round } from './common.js';
import { argsOf, CHAIN_DOCS, helpText, HELP_OPTION, KEY_DOCS, type OptionDocs } from './help.js';

export const MONITOR_USAGE = `usage: rlpx monitor <enode>... [--interval MS] [--timeout MS] [--metrics-port P] [--metrics-host H] [--key HEX | --key-file FILE] [--chain NAME | --genesis FILE [--network-id N]] [--json]`;

export const MONITOR_OPTIONS: OptionDocs = {
  interval: { type: 'string', arg: 'MS', default: '5000', help: 'ms between Pings to each node' },
  timeout: { type: 'string', arg: 'MS', default: '5000', help: 'Pong deadline (a late Pong closes the session, 0x0b) and eth Status wait' },
  'metrics-port': { type: 'string', arg: 'P', default: '9464', help: 'port of /metrics; 0 for a free one' },
  'metrics-host': { type: 'string', arg: 'H', default: '127.0.0.1', help: 'address of /metrics; 0.0.0.0 (or the pod IP) for Prometheus in another pod or host' },
  ...KEY_DOCS,
  ...CHAIN_DOCS,
  json: { type: 'boolean', help: 'one JSON object per event' },
  ...HELP_OPTION,
};

export const MONITOR_HELP = helpText(MONITOR_USAGE, 'Keep a session to each node, reconnecting with backoff, and serve Prometheus metrics on /metrics.', MONITOR_OPTIONS);

const BACKOFF_MIN = 1_000;
const BACKOFF_MAX = 60_000;
/**
 * A session must hold this long before the backoff starts again from BACKOFF_MIN: a node that
 * takes the handshake and fails at once then backs off instead of flapping rlpx_peer_up.
 */
const STABLE_SESSION = 30_000;

const HEALTH_STATES: ReadonlyArray<HealthState | 'down'> = ['healthy', 'late', 'unresponsive', 'down'];

/** A Prometheus label value for a reason: 'client quitting' is client_quitting. */
export const reasonLabel = (reason: number): string => reasonName(reason).toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');

/** Which deadline a 0x0b of ours was: the L7 pong deadline, or no frame at all for a while. */
export function timeoutCause(info: CloseInfo): 'pong_timeout' | 'read_timeout' | 'other_timeout' | 'none' {
  if (info.reason !== DisconnectReason.ReadTimeout || info.initiator !== 'local') return 'none';
  const deadline = info.error instanceof TimeoutError ? info.error.deadline : undefined;
  if (deadline === 'pong') return 'pong_timeout';
  if (deadline === 'read') return 'read_timeout';
  return 'other_timeout';
}

interface Target {
  node: Enode;
  label: string;
  state: 'connecting' | 'up' | 'down';
  peer?: Peer;
  lastError?: string;
  reconnects: number;
  backoff: number;
  /** From the node's eth Status and BlockRangeUpdates, kept across sessions. */
  latestBlock?: bigint;
  fork?: EthHandshake['fork'];
}

const VERDICTS: ReadonlyArray<ForkVerdict | 'unchecked'> = ['compatible', 'remote-stale', 'incompatible', 'unchecked'];

export interface MonitorMetrics {
  registry: Registry;
  up: Gauge<'target'>;
  health: Gauge<'target' | 'state'>;
  rtt: Histogram<'target'>;
  sent: Counter<'target'>;
  received: Counter<'target'>;
  lost: Counter<'target'>;
  disconnects: Counter<'target' | 'reason' | 'by' | 'cause'>;
  reconnects: Counter<'target'>;
  latestBlock: Gauge<'target'>;
  serves: Gauge<'target'>;
  fork: Gauge<'target' | 'verdict'>;
  lag: Gauge<'target'>;
}

export function createMetrics(): MonitorMetrics {
  const registry = new Registry();
  return {
    registry,
    up: new Gauge({ name: 'rlpx_peer_up', help: '1 while an RLPx session with the node is up', labelNames: ['target'], registers: [registry] }),
    health: new Gauge({ name: 'rlpx_peer_health_state', help: "1 for the node's health state (healthy, late, unresponsive, or down without a session), 0 for the others", labelNames: ['target', 'state'], registers: [registry] }),
    rtt: new Histogram({
      name: 'rlpx_ping_rtt_seconds',
      help: 'Ping/Pong round-trip time',
      labelNames: ['target'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    sent: new Counter({ name: 'rlpx_pings_sent_total', help: 'Pings sent', labelNames: ['target'], registers: [registry] }),
    received: new Counter({ name: 'rlpx_pongs_received_total', help: 'Pongs received', labelNames: ['target'], registers: [registry] }),
    lost: new Counter({ name: 'rlpx_pings_lost_total', help: 'Pings that got no Pong in time', labelNames: ['target'], registers: [registry] }),
    disconnects: new Counter({
      name: 'rlpx_disconnects_total',
      help: 'Sessions ended, by devp2p reason (snake_case), initiator, and for our 0x0b which deadline (pong_timeout, read_timeout)',
      labelNames: ['target', 'reason', 'by', 'cause'],
      registers: [registry],
    }),
    reconnects: new Counter({ name: 'rlpx_reconnects_total', help: 'Reconnect attempts', labelNames: ['target'], registers: [registry] }),
    serves: new Gauge({ name: 'rlpx_eth_serves', help: '1 when the node served the header of the latest block its Status names (asked once per session), 0 when not', labelNames: ['target'], registers: [registry] }),
    latestBlock: new Gauge({ name: 'rlpx_eth_latest_block', help: "The node's latest block, from its eth Status and BlockRangeUpdates", labelNames: ['target'], registers: [registry] }),
    fork: new Gauge({
      name: 'rlpx_eth_fork',
      help: "1 for the verdict on the node's fork ID (EIP-2124) against --chain/--genesis, 0 for the others",
      labelNames: ['target', 'verdict'],
      registers: [registry],
    }),
    lag: new Gauge({ name: 'rlpx_eth_lag_blocks', help: 'Blocks behind the highest latest block among the monitored nodes', labelNames: ['target'], registers: [registry] }),
  };
}

export async function monitorCommand(argv: string[], out: (line: string) => void, signal: AbortSignal): Promise<number> {
  const parsed = parseArgs({ args: argv, allowPositionals: true, options: argsOf(MONITOR_OPTIONS) });
  const positionals = parsed.positionals;
  type Values = { interval?: string; timeout?: string; 'metrics-port'?: string; 'metrics-host': string; key?: string; 'key-file'?: string; chain?: string; genesis?: string; 'network-id'?: string; json?: boolean; help?: boolean };
  const values = { ...parsed.values, 'metrics-host': (parsed.values['metrics-host'] as string | undefined) ?? '127.0.0.1' } as Values;
  if (values.help) {
    out(MONITOR_HELP);
    return Exit.Ok;
  }
  if (positionals.length === 0) throw new UsageError(`expected at least one enode URL`);
  const interval = intOption(values.interval, 'interval', 5_000, 1);
  const timeout = intOption(values.timeout, 'timeout', 5_000, 1);
  const metricsPort = intOption(values['metrics-port'], 'metrics-port', 9464);
  const privateKey = loadKey(values);
  const chain = loadChain(values);
  const targets: Target[] = positionals.map((url) => {
    let node: Enode;
    try {
      node = parseEnode(url);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    return { node, label: `${bytesToHex(node.id).slice(0, 16)}@${node.host}:${node.port}`, state: 'connecting', reconnects: 0, backoff: BACKOFF_MIN };
  });
  const m = createMetrics();
  const tty = process.stdout.isTTY === true && !values.json;
  const log = (event: string, t: Target, fields: Record<string, unknown>, text: string): void => {
    if (tty) return;
    out(values.json ? JSON.stringify({ event, target: formatEnode(t.node), time: new Date().toISOString(), ...fields }) : `${t.label} ${text}`);
  };

  const http: HttpServer = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end('not found; try /metrics\n');
      return;
    }
    m.registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': m.registry.contentType }).end(body),
      (err: Error) => res.writeHead(500).end(err.message),
    );
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', (err) => reject(new UsageError(`cannot serve metrics on ${values['metrics-host']}:${metricsPort}: ${err.message}`)));
    http.listen(metricsPort, values['metrics-host'], resolve);
  });
  const addr = http.address() as { port: number };
  const metricsUrl = `http://${values['metrics-host']}:${addr.port}/metrics`;
  if (values.json) out(JSON.stringify({ event: 'metrics', url: metricsUrl }));
  else out(`metrics at ${metricsUrl}`);

  const sleep = (msDelay: number): Promise<void> =>
    new Promise((resolve) => {
      const onAbort = (): void => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, msDelay);
      signal.addEventListener('abort', onAbort, { once: true });
    });

  /** Latest block, lag behind the highest, and fork verdict of each node that sent a Status. */
  const heads = (t: Target, latest: bigint, fork?: EthHandshake['fork']): void => {
    t.latestBlock = latest;
    m.latestBlock.set({ target: t.label }, Number(latest));
    if (fork) {
      t.fork = fork;
      for (const v of VERDICTS) m.fork.set({ target: t.label, verdict: v }, v === fork ? 1 : 0);
    }
    const known = targets.filter((x) => x.latestBlock !== undefined);
    const highest = known.reduce((a, x) => (x.latestBlock! > a ? x.latestBlock! : a), 0n);
    for (const x of known) m.lag.set({ target: x.label }, Number(highest - x.latestBlock!));
  };
  const watchEth = (t: Target, peer: Peer, eth: ReturnType<typeof ethStatusResponder>): void => {
    eth.status(peer).then(
      (h) => {
        heads(t, h.status.latestBlock, h.fork);
        log('eth', t, { latestBlock: Number(h.status.latestBlock), fork: h.fork }, `eth: latest block ${h.status.latestBlock}, fork ${h.fork}`);
        // Once per session: does the node serve the head it announces?
        const report = ethReport(h);
        const closed = new AbortController();
        void peer.closed.then(() => closed.abort(new Error('closed')));
        void checkServes(eth, peer, report, { signal: AbortSignal.any([signal, closed.signal]), timeout }).then(() => {
          if (report.serves === null) return;
          m.serves.set({ target: t.label }, report.serves ? 1 : 0);
          log('serves', t, { serves: report.serves, reason: report.servesReason }, `eth: serves ${report.serves}${report.servesReason ? ` (${report.servesReason})` : ''}`);
        });
      },
      (err: unknown) => {
        // Another chain or fork: the node is still where its Status says.
        if (err instanceof StatusError && err.status) heads(t, err.status.latestBlock, err.fork?.verdict ?? 'unchecked');
        log('eth-error', t, { error: (err as Error).message }, `eth: ${(err as Error).message}`);
      },
    );
    eth.on('range', (p, r) => {
      if (p !== peer) return;
      heads(t, r.latestBlock);
      log('range', t, { latestBlock: Number(r.latestBlock) }, `eth: latest block ${r.latestBlock}`);
    });
  };

  const setHealth = (target: string, state: HealthState | 'down'): void => {
    for (const x of HEALTH_STATES) m.health.set({ target, state: x }, x === state ? 1 : 0);
  };
  const keep = async (t: Target): Promise<void> => {
    const target = t.label;
    m.up.set({ target }, 0);
    setHealth(target, 'down');
    for (let attempt = 0; !signal.aborted; attempt++) {
      if (attempt > 0) {
        t.reconnects++;
        m.reconnects.inc({ target });
        await sleep(t.backoff);
        t.backoff = Math.min(BACKOFF_MAX, t.backoff * 2);
        if (signal.aborted) break;
      }
      t.state = 'connecting';
      // A monitor follows a node's head down as well as up: geth announces a SetHead at once.
      const eth = ethStatusResponder({ ...(chain ? { chain, statusDelay: STATUS_DELAY } : {}), timeout, disconnectOnTimeout: false, allowRangeRewind: true });
      let peer: Peer;
      try {
        peer = await dial(t.node, { privateKey, protocols: eth.protocols, requireSharedProtocol: false, pingInterval: interval, pongTimeout: timeout, signal });
      } catch (err) {
        t.state = 'down';
        t.lastError = (err as Error).message;
        log('error', t, { error: t.lastError }, `error: ${t.lastError}`);
        continue;
      }
      const upSince = performance.now();
      t.peer = peer;
      t.state = 'up';
      m.up.set({ target }, 1);
      setHealth(target, peer.health);
      peer.on('health', (h) => setHealth(target, h.state));
      watchEth(t, peer, eth);
      log('connected', t, { clientId: peer.remoteHello.clientId }, `connected: ${peer.remoteHello.clientId}`);
      let sentBefore = 0;
      let lostBefore = 0;
      const syncCounters = (): void => {
        const r = peer.rtt;
        m.sent.inc({ target }, r.sent - sentBefore);
        m.lost.inc({ target }, r.missed - lostBefore);
        sentBefore = r.sent;
        lostBefore = r.missed;
      };
      peer.on('pong', (rtt) => {
        m.rtt.observe({ target }, rtt / 1000);
        m.received.inc({ target });
        syncCounters();
        log('pong', t, { rtt_ms: round(rtt) }, `pong rtt=${ms(rtt)}`);
      });
      const onAbort = (): void => void peer.disconnect(DisconnectReason.ClientQuitting);
      signal.addEventListener('abort', onAbort, { once: true });
      const info = await peer.closed;
      signal.removeEventListener('abort', onAbort);
      syncCounters();
      m.up.set({ target }, 0);
      setHealth(target, 'down');
      const cause = timeoutCause(info);
      m.disconnects.inc({ target, reason: reasonLabel(info.reason), by: info.initiator, cause });
      // Only a session that held resets the backoff; one that fails at once keeps backing off.
      if (performance.now() - upSince >= STABLE_SESSION) t.backoff = BACKOFF_MIN;
      t.state = 'down';
      t.lastError = `${reasonName(info.reason)} by ${info.initiator}${cause === 'none' ? '' : ` (${cause})`}`;
      log('disconnected', t, { reason: info.reason, name: reasonName(info.reason), by: info.initiator, cause }, `disconnected: ${t.lastError}`);
    }
  };

  let drawn = 0;
  const draw = (): void => {
    const lines = [`${'target'.padEnd(40)} ${'state'.padEnd(11)} ${'last'.padEnd(12)} ${'mean'.padEnd(12)} sent/recv/lost  note`];
    for (const t of targets) {
      const r = t.peer?.rtt;
      lines.push(`${t.label.padEnd(40)} ${t.state.padEnd(11)} ${ms(r?.last).padEnd(12)} ${ms(r?.mean).padEnd(12)} ${`${r?.sent ?? 0}/${r?.received ?? 0}/${r?.missed ?? 0}`.padEnd(15)} ${t.latestBlock === undefined ? '' : `#${t.latestBlock} ${t.fork ?? ''} `}${t.state === 'up' ? t.peer!.remoteHello!.clientId : (t.lastError ?? '')}`);
    }
    if (drawn) process.stdout.write(`\x1b[${drawn}A`);
    for (const l of lines) process.stdout.write(`\x1b[2K${l}\n`);
    drawn = lines.length;
  };
  const table = tty ? setInterval(draw, 500) : undefined;
  await Promise.all(targets.map(keep));
  if (table) clearInterval(table);
  await new Promise<void>((r) => http.close(() => r()));
  return Exit.Ok;
}
