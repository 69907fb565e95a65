/**
 * rlpx exporter: the blackbox_exporter pattern for RLPx. Prometheus asks
 * `/probe?target=enode://…&module=NAME`; each request runs one probe and answers with that
 * probe's metrics alone. Prometheus schedules, shards and retries; the exporter is stateless.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { stringify as toYaml } from 'yaml';
import { generatePrivateKey } from '../crypto/secp256k1.js';
import { probe } from '../probe/probe.js';
import { probeRegistry } from '../probe/metrics.js';
import { loadModules, type ProbeModule } from './exporter-modules.js';
import { Exit, UsageError, intOption, loadKey } from './common.js';
import { argsOf, helpText, HELP_OPTION, KEY_DOCS, type OptionDocs } from './help.js';
import { Limiter } from './limiter.js';

export const EXPORTER_USAGE = 'usage: rlpx exporter [--listen HOST:PORT] [--config FILE] [--max-concurrent N] [--max-waiting N] [--timeout-offset MS] [--key HEX | --key-file FILE]';

export const EXPORTER_OPTIONS: OptionDocs = {
  listen: { type: 'string', arg: 'HOST:PORT', default: '127.0.0.1:9465', help: 'address to serve /probe and /metrics on; 0.0.0.0:9465 to be scraped from other hosts' },
  config: { type: 'string', arg: 'FILE', default: 'built-in modules default and eth', help: 'modules file, YAML or JSON' },
  'max-concurrent': { type: 'string', arg: 'N', default: '200', help: 'probes run at once; more requests wait' },
  'max-waiting': { type: 'string', arg: 'N', default: '1000', help: 'requests that may wait for a slot; past it they get 503' },
  'timeout-offset': { type: 'string', arg: 'MS', default: '500', help: "subtracted from Prometheus' X-Prometheus-Scrape-Timeout-Seconds" },
  key: { ...KEY_DOCS['key']!, default: 'a new key per probe', help: 'one private key (32 bytes hex) for the modules without key_file' },
  'key-file': KEY_DOCS['key-file']!,
  ...HELP_OPTION,
};

const SUMMARY = `Serves /probe?target=ENODE&module=NAME[&debug=true], /metrics, /-/healthy and an index at /.`;
export const EXPORTER_HELP = helpText(EXPORTER_USAGE, SUMMARY, EXPORTER_OPTIONS);

function parseListen(v: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(v);
  const port = Number(m?.[2]);
  if (!m || !m[1] || port > 65535) throw new UsageError(`--listen must be HOST:PORT, got "${v}"`);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

function exporterMetrics(): { registry: Registry; probes: Counter<'module' | 'result'>; duration: Histogram<'module'>; inFlight: Gauge; waiting: Gauge; rejected: Counter<'why'> } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client names these gauges *_total, which Prometheus' rules keep for counters
  // (promtool check metrics refuses them); the same counts are in nodejs_active_*.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  const registers = [registry];
  return {
    registry,
    probes: new Counter({ name: 'rlpx_exporter_probes_total', help: 'Probes run, by module and result', labelNames: ['module', 'result'], registers }),
    duration: new Histogram({ name: 'rlpx_exporter_probe_duration_seconds', help: 'How long probes took, by module', labelNames: ['module'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
    inFlight: new Gauge({ name: 'rlpx_exporter_probes_in_flight', help: 'Probes running now', registers }),
    waiting: new Gauge({ name: 'rlpx_exporter_probes_waiting', help: 'Probe requests waiting for a slot', registers }),
    rejected: new Counter({ name: 'rlpx_exporter_requests_rejected_total', help: 'Requests answered with an error status, by why', labelNames: ['why'], registers }),
  };
}

const INDEX = `<!doctype html><html><head><title>rlpx exporter</title></head><body>
<h1>rlpx exporter</h1>
<p>RLPx L7 probes for Prometheus: <code>/probe?target=enode://ID@HOST:PORT&amp;module=default</code>; add <code>&amp;debug=true</code> for the probe's log.</p>
<ul><li><a href="/metrics">/metrics</a>: the exporter's own metrics</li><li><a href="/-/healthy">/-/healthy</a></li></ul>
</body></html>
`;

export async function exporterCommand(argv: string[], out: (line: string) => void, signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: argsOf(EXPORTER_OPTIONS) });
  if (values['help']) {
    out(EXPORTER_HELP);
    return Exit.Ok;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"\n${EXPORTER_USAGE}`);
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const { host, port } = parseListen(str('listen') ?? '127.0.0.1:9465');
  const maxConcurrent = intOption(str('max-concurrent'), 'max-concurrent', 200, 1);
  const maxWaiting = intOption(str('max-waiting'), 'max-waiting', 1000);
  const offset = intOption(str('timeout-offset'), 'timeout-offset', 500);
  // Without --key/--key-file each probe has a key of its own, so overlapping probes of one node
  // (two Prometheus servers, a retry) are never refused as "already connected".
  const shared = str('key') !== undefined || str('key-file') !== undefined ? loadKey({ key: str('key'), 'key-file': str('key-file') }) : undefined;
  const modules = loadModules(str('config'), shared);
  const m = exporterMetrics();
  const limiter = new Limiter(maxConcurrent, maxWaiting);

  const send = (res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
    if (!res.headersSent) res.writeHead(status, { 'content-type': type }).end(body);
  };
  const badRequest = (res: ServerResponse, why: string, message: string): void => {
    m.rejected.inc({ why });
    send(res, 400, `${message}\n`);
  };

  const handleProbe = async (url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = url.searchParams.get('target');
    if (!target) return badRequest(res, 'no_target', 'target parameter is missing');
    const name = url.searchParams.get('module') ?? 'default';
    const mod: ProbeModule | undefined = modules.get(name);
    if (!mod) return badRequest(res, 'unknown_module', `unknown module "${name}"; known: ${[...modules.keys()].join(', ')}`);
    let deadline = mod.spec.timeout_ms;
    const header = req.headers['x-prometheus-scrape-timeout-seconds'];
    if (header !== undefined) {
      const secs = Number(header);
      if (!Number.isFinite(secs) || secs <= 0) return badRequest(res, 'bad_timeout', `X-Prometheus-Scrape-Timeout-Seconds must be a positive number, got "${String(header)}"`);
      deadline = Math.max(1, Math.min(deadline, Math.round(secs * 1000) - offset));
    }
    // A scraper that gives up stops its probe: the socket is closed, not left to time out.
    const gone = new AbortController();
    res.once('close', () => gone.abort(new Error('the client closed the request')));
    const started = performance.now();
    m.waiting.inc();
    const slot = await limiter.acquire(AbortSignal.any([gone.signal, AbortSignal.timeout(deadline)]));
    m.waiting.dec();
    if (slot !== 'ok') {
      m.rejected.inc({ why: slot });
      return send(res, 503, slot === 'full' ? `more than ${maxWaiting} probes waiting; try later\n` : `no probe slot within ${deadline} ms\n`);
    }
    m.inFlight.inc();
    try {
      const s = mod.spec;
      const left = Math.max(1, deadline - Math.round(performance.now() - started));
      const result = await probe(target, {
        privateKey: mod.privateKey ?? generatePrivateKey(),
        count: s.pings.count,
        interval: s.pings.interval_ms,
        timeout: left,
        deadline: left,
        health: s.health,
        requireEth: s.eth.require,
        serves: s.eth.serves,
        chain: mod.chain,
        fullOk: s.full_ok,
        signal: gone.signal,
      });
      result.deadlineMs = deadline; // the wait for a slot was part of it
      m.probes.inc({ module: name, result: result.success ? 'success' : 'failure' });
      m.duration.observe({ module: name }, result.durationMs / 1000);
      const reg = probeRegistry(result);
      const metrics = await reg.metrics();
      if (url.searchParams.get('debug') === 'true') {
        const log = [`Logs for the probe of ${target} with module ${name}:`, ...result.log].join('\n');
        send(res, 200, `${log}\n\n\nMetrics that would have been returned:\n${metrics}\n\nModule configuration:\n${toYaml({ [name]: s })}`);
      } else send(res, 200, metrics, reg.contentType);
    } finally {
      m.inFlight.dec();
      limiter.release();
    }
  };

  const http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://exporter');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'only GET\n');
    const route = (): Promise<void> | void => {
      switch (url.pathname) {
        case '/probe':
          return handleProbe(url, req, res);
        case '/metrics':
          return m.registry.metrics().then((body) => send(res, 200, body, m.registry.contentType));
        case '/-/healthy':
          return send(res, 200, 'Healthy\n');
        case '/':
          return send(res, 200, INDEX, 'text/html; charset=utf-8');
        default:
          return send(res, 404, 'not found; try /probe, /metrics, /-/healthy or /\n');
      }
    };
    // A probe never throws; anything else is our bug, and still not a 500 for a probe.
    Promise.resolve()
      .then(route)
      .catch((err: unknown) => {
        m.rejected.inc({ why: 'internal' });
        if (url.pathname === '/probe') send(res, 200, `# rlpx exporter error: ${(err as Error)?.message}\nprobe_success 0\n`, 'text/plain; version=0.0.4');
        else send(res, 503, `${(err as Error)?.message}\n`);
      });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', (err) => reject(new UsageError(`cannot listen on ${host}:${port}: ${err.message}`)));
    http.listen(port, host, resolve);
  });
  const addr = http.address() as { port: number };
  out(`exporter at http://${host.includes(':') ? `[${host}]` : host}:${addr.port}/ (modules: ${[...modules.keys()].join(', ')})`);
  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  http.closeAllConnections();
  await new Promise<void>((r) => http.close(() => r()));
  return Exit.Ok;
}
