/**
 * A real Prometheus server and promtool (Debian's `prometheus` package; .ci/run installs it).
 * Without them a test file skips loudly; in CI (CI set) their absence is a failure.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './geth.js';

export interface PrometheusBinaries {
  prometheus: string;
  promtool: string;
}

const which = (name: string): string | undefined => {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
};

export function prometheusBinaries(): PrometheusBinaries | undefined {
  const prometheus = which('prometheus');
  const promtool = which('promtool');
  if (prometheus && promtool) return { prometheus, promtool };
  const msg = "Prometheus tests need prometheus and promtool on PATH: apt-get install -y --no-install-recommends prometheus (as .ci/run does).";
  if (process.env['CI']) throw new Error(msg);
  console.warn(`\n*** SKIPPING Prometheus tests ***\n${msg}\n`);
  return undefined;
}

/** `promtool check metrics` on an exposition text: its complaints, '' when there are none. */
export function promtoolCheck(bin: PrometheusBinaries, text: string): string {
  const r = spawnSync(bin.promtool, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? '' : `exit ${r.status}: ${r.stdout}${r.stderr}`;
}

export interface PrometheusServer {
  url: string;
  /** An instant query; the samples' labels and values. */
  query(q: string): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  logs(): string;
  stop(): Promise<void>;
}

export async function startPrometheus(bin: PrometheusBinaries, config: string): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'rlpx-prom-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, config);
  execFileSync(bin.promtool, ['check', 'config', configFile], { stdio: 'pipe' });
  const port = await freePort();
  const logFile = join(dir, 'prometheus.log');
  const log = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    bin.prometheus,
    [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', log, log] },
  );
  closeSync(log);
  let exited = false;
  const exitedPromise = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exitedPromise;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const logs = (): string => readFileSync(logFile, 'utf8');
  const query = async (q: string): Promise<Array<{ metric: Record<string, string>; value: number }>> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`, { signal: AbortSignal.timeout(3_000) });
    const body = (await res.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
    if (body.status !== 'success') throw new Error(`query ${q}: ${body.error}`);
    return body.data.result.map((x) => ({ metric: x.metric, value: Number(x.value[1]) }));
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited) throw new Error(`prometheus exited during start-up:\n${logs().slice(-3000)}`);
    try {
      const r = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      if (r.ok) return { url, query, logs, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error('prometheus not ready within 20 s');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The multi-target scrape config of the README, pointed at one exporter. */
export function exporterScrapeConfig(exporter: string, targets: string[], interval = '1s'): string {
  return `global:
  scrape_interval: ${interval}
  scrape_timeout: ${interval}
scrape_configs:
  - job_name: rlpx
    metrics_path: /probe
    params:
      module: [default]
    static_configs:
      - targets:
${targets.map((t) => `          - ${t}`).join('\n')}
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: ${exporter}
  - job_name: rlpx_exporter
    static_configs:
      - targets: ['${exporter}']
`;
}
