/**
 * The exporter under load: `npm run bench -- --only exporter [--quick] [--json]`.
 *
 * Three processes, as in production: local listeners in one child (bench/exporter.ts
 * --listeners), `rlpx exporter` in another, and this one as Prometheus, keeping 200 /probe
 * requests in flight for a fixed time over keep-alive HTTP. Reported: probes/s, p50/p99 of the
 * request duration seen by the client, probe_success, and the exporter's RSS (its own
 * process_resident_memory_bytes, sampled every 500 ms; the peak), and its CPU time per probe
 * (process_cpu_seconds_total), which, unlike probes/s, does not move with the machine's load. EXPORTER_PROF=DIR writes a CPU
 * profile of the exporter into DIR.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { generatePrivateKey } from '../src/crypto/secp256k1.js';
import { listen, type Server } from '../src/peer/server.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface ExporterBench {
  concurrency: number;
  listeners: number;
  seconds: number;
  probes: number;
  failures: number;
  http503: number;
  probesPerSecond: number;
  p50ms: number;
  p99ms: number;
  maxMs: number;
  rssMiB: { idle: number; peak: number };
  /** The exporter's CPU time per probe (its process_cpu_seconds_total): what the machine's load does not change. */
  cpuMsPerProbe: number;
}

/** Child mode: N listeners on loopback; prints their enodes as one JSON line, runs until killed. */
async function runListeners(n: number): Promise<void> {
  const servers: Server[] = [];
  for (let i = 0; i < n; i++) {
    // Room for every probe at once; loopback is exempt from the inbound throttle by default.
    servers.push(await listen({ privateKey: generatePrivateKey(), port: 0, maxPeers: 1_000, maxPendingHandshakes: 500, pingInterval: 0 }));
  }
  process.stdout.write(JSON.stringify(servers.map((s) => s.enode)) + '\n');
}

function firstLine(child: ChildProcess, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      child.stdout!.off('data', onData);
      resolve(buf.slice(0, nl));
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before its first line`)));
    setTimeout(() => reject(new Error(`${what}: no first line within 20 s`)), 20_000).unref();
  });
}

const get = (agent: Agent, url: string): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

export async function benchExporter(opts: { concurrency: number; listeners: number; seconds: number }, progress: (s: string) => void): Promise<ExporterBench> {
  const tsx = ['--import', 'tsx'];
  const children: ChildProcess[] = [];
  try {
    const nodes = spawn(process.execPath, [...tsx, 'bench/exporter.ts', '--listeners', String(opts.listeners)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(nodes);
    const enodes = JSON.parse(await firstLine(nodes, 'listeners')) as string[];
    const exporter = spawn(process.execPath, [...(process.env['EXPORTER_PROF'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['EXPORTER_PROF']}`] : []), ...tsx, 'src/cli/main.ts', 'exporter', '--listen', '127.0.0.1:0', '--max-concurrent', String(opts.concurrency)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(exporter);
    const base = /^exporter at (http:\/\/\S+?)\/ /.exec(await firstLine(exporter, 'exporter'))![1]!;
    const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
    const metric = async (name: string): Promise<number> => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec((await get(agent, `${base}/metrics`)).body)![1]);
    const rss = async (): Promise<number> => (await metric('process_resident_memory_bytes')) / 2 ** 20;
    const probeOnce = async (i: number): Promise<{ ms: number; ok: boolean; status: number }> => {
      const t0 = performance.now();
      const r = await get(agent, `${base}/probe?target=${encodeURIComponent(enodes[i % enodes.length]!)}`);
      return { ms: performance.now() - t0, ok: r.status === 200 && /^probe_success 1$/m.test(r.body), status: r.status };
    };
    // Warm-up: JIT, the agent's sockets, the listeners' first handshakes; not counted.
    for (let w = 0; w < 3; w++) await Promise.all(Array.from({ length: opts.concurrency }, (_, i) => probeOnce(i)));
    const idle = await rss();
    progress(`exporter: ${opts.concurrency} probes in flight for ${opts.seconds} s against ${enodes.length} listeners in another process`);
    let peak = idle;
    const sampler = setInterval(() => void rss().then((v) => (peak = Math.max(peak, v)), () => {}), 500);
    const durations: number[] = [];
    let failures = 0;
    let http503 = 0;
    const cpu0 = await metric('process_cpu_seconds_total');
    const end = performance.now() + opts.seconds * 1000;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: opts.concurrency }, async (_, worker) => {
        for (let k = 0; performance.now() < end; k++) {
          const r = await probeOnce(worker + k);
          durations.push(r.ms);
          if (!r.ok) failures++;
          if (r.status === 503) http503++;
        }
      }),
    );
    const elapsed = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const cpu = (await metric('process_cpu_seconds_total')) - cpu0;
    peak = Math.max(peak, await rss());
    agent.destroy();
    durations.sort((a, b) => a - b);
    const round = (v: number): number => Math.round(v * 10) / 10;
    return {
      concurrency: opts.concurrency,
      listeners: enodes.length,
      seconds: round(elapsed),
      probes: durations.length,
      failures,
      http503,
      probesPerSecond: round(durations.length / elapsed),
      p50ms: round(quantile(durations, 0.5)),
      p99ms: round(quantile(durations, 0.99)),
      maxMs: round(durations[durations.length - 1] ?? NaN),
      rssMiB: { idle: round(idle), peak: round(peak) },
      cpuMsPerProbe: Math.round((cpu * 1000 * 100) / durations.length) / 100,
    };
  } finally {
    for (const c of children) c.kill('SIGTERM');
  }
}

/** Entry from bench/run.ts (`--only exporter`). */
export async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const progress = (s: string): void => void process.stderr.write(`${s}\n`);
  const results = [];
  // 200 in flight is the figure asked for; 20 shows the latency when the CPU is not the queue.
  for (const concurrency of quick ? [200] : [200, 20]) results.push(await benchExporter({ concurrency, listeners: 4, seconds: quick ? 3 : 10 }, progress));
  console.log('in flight | probes/s | p50 ms | p99 ms | max ms | failed | 503 | exporter RSS idle/peak MiB | exporter CPU ms/probe');
  for (const r of results) {
    console.log(`${String(r.concurrency).padStart(9)} | ${String(r.probesPerSecond).padStart(8)} | ${String(r.p50ms).padStart(6)} | ${String(r.p99ms).padStart(6)} | ${String(r.maxMs).padStart(6)} | ${String(r.failures).padStart(6)} | ${String(r.http503).padStart(3)} | ${`${r.rssMiB.idle}/${r.rssMiB.peak}`.padEnd(26)} | ${r.cpuMsPerProbe}`);
  }
  console.log('targets: >= 200 probes/s with 200 in flight, p99 < 100 ms (default module: 3 Pings 10 ms apart)');
  if (argv.includes('--json')) console.log(JSON.stringify({ exporter: results }));
}

if (process.argv[2] === '--listeners') void runListeners(Number(process.argv[3] ?? 4));
