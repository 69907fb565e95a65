/**
 * `rlpx exporter` as an operator runs it: a child process, asked over HTTP as Prometheus asks
 * it, then scraped by a real Prometheus that also probes a real geth, live and then frozen.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { CHAINS } from '../../src/eth/chain.js';
import { ethStatusResponder } from '../../src/eth/protocol.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { formatEnode } from '../../src/peer/enode.js';
import { parseMetrics, sampleValue, type CliProcess } from '../helpers/cli.js';
import { cliSuite } from '../helpers/cli-suite.js';
import { gethBinaries, startGeth, type GethNode } from '../helpers/geth.js';
import { closedPort, HOST, silentServer, sleep, waitUntil, within } from '../helpers/loopback.js';
import { exporterScrapeConfig, prometheusBinaries, promtoolCheck, startPrometheus, type PrometheusServer } from '../helpers/prometheus.js';

const { cli, res, server } = cliSuite();

/** Start an exporter child; its base URL from its first line. */
async function exporter(args: string[] = []): Promise<{ proc: CliProcess; base: string }> {
  const proc = cli.spawn(['exporter', '--listen', `${HOST}:0`, ...args], { timeout: 60_000 });
  const line = await proc.waitForLine(() => true, 10_000, 'the exporter address');
  const base = /^exporter at (http:\/\/\S+?)\/ /.exec(line)?.[1];
  expect(base, line).toBeDefined();
  return { proc, base: base! };
}

const get = async (url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: string }> => {
  const r = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text() };
};
const probeUrl = (base: string, target: string, extra = ''): string => `${base}/probe?target=${encodeURIComponent(target)}${extra}`;

describe('rlpx exporter over HTTP', () => {
  it('/probe of a live node: probe_success 1 and the probe metrics; /metrics counts it', async () => {
    const { server: s, id } = await server();
    const { base } = await exporter();
    const r = await get(probeUrl(base, s.enode));
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain/);
    const m = parseMetrics(r.body);
    expect(sampleValue(m.samples, 'probe_success', {})).toBe(1);
    expect(sampleValue(m.samples, 'rlpx_probe_pings_sent', {})).toBe(3);
    expect(sampleValue(m.samples, 'rlpx_probe_pongs_received', {})).toBe(3);
    expect(sampleValue(m.samples, 'rlpx_probe_disconnect_reason', { by: 'local' })).toBe(8);
    expect(sampleValue(m.samples, 'rlpx_probe_full', {})).toBe(0);
    for (const phase of ['connect', 'handshake', 'hello', 'ping']) expect(sampleValue(m.samples, 'rlpx_probe_phase_duration_seconds', { phase })!).toBeGreaterThan(0);
    for (const stat of ['min', 'median', 'max']) expect(sampleValue(m.samples, 'rlpx_probe_rtt_seconds', { stat })!).toBeGreaterThan(0);
    expect(m.samples.find((x) => x.name === 'rlpx_probe_info')?.labels).toMatchObject({ client_id: 'cli-test-server/1.0', p2p_version: '5' });
    expect(sampleValue(m.samples, 'probe_timeout_seconds', {})).toBe(5);
    expect(r.body).not.toContain(id); // the target is Prometheus' label, not ours to repeat

    const own = parseMetrics((await get(`${base}/metrics`)).body);
    expect(sampleValue(own.samples, 'rlpx_exporter_probes_total', { module: 'default', result: 'success' })).toBe(1);
    expect(sampleValue(own.samples, 'rlpx_exporter_probe_duration_seconds_count', { module: 'default' })).toBe(1);
    expect(sampleValue(own.samples, 'rlpx_exporter_probes_in_flight', {})).toBe(0);
    expect(own.types.has('process_resident_memory_bytes')).toBe(true);
  });

  it("the scrape timeout header, less 0.5 s, is the probe's deadline when smaller than the module's", async () => {
    const { server: s } = await server();
    const { base } = await exporter();
    const r = await get(probeUrl(base, s.enode), { 'X-Prometheus-Scrape-Timeout-Seconds': '2' });
    expect(sampleValue(parseMetrics(r.body).samples, 'probe_timeout_seconds', {})).toBe(1.5);
    const bad = await get(probeUrl(base, s.enode), { 'X-Prometheus-Scrape-Timeout-Seconds': 'soon' });
    expect(bad.status).toBe(400);
  });

  /** A TCP server that accepts and never writes; each connection's close time. */
  const mute = async (): Promise<{ enode: string; closes: Array<Promise<number>> }> => {
    const closes: Array<Promise<number>> = [];
    const sockets = new Set<Socket>();
    const srv = createServer((c) => {
      sockets.add(c);
      c.resume(); // read (and drop) what comes, so the probe's FIN is seen
      c.on('error', () => {});
      closes.push(new Promise((resolve) => c.once('close', () => resolve(performance.now()))));
    });
    await new Promise<void>((r) => srv.listen(0, HOST, r));
    res.add(() => new Promise<void>((r) => (sockets.forEach((c) => c.destroy()), srv.close(() => r()))));
    return { enode: formatEnode({ id: publicKeyOf(generatePrivateKey()), host: HOST, port: (srv.address() as { port: number }).port }), closes };
  };

  it('a node that accepts TCP and says nothing: probe_success 0 at the deadline, its socket closed, the timeout in the debug log', async () => {
    const { base } = await exporter();
    const silent = await mute();
    const t0 = performance.now();
    const r = await get(probeUrl(base, silent.enode, '&debug=true'), { 'X-Prometheus-Scrape-Timeout-Seconds': '1.5' });
    // The 1 s deadline (1.5 s less 0.5 s) ends it, not the module's 5 s; room for a loaded machine.
    expect(performance.now() - t0).toBeLessThan(2_500);
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/handshake failed: probe deadline of \d{3,4} ms passed/);
    expect(r.body).toContain('probe_success 0');
    expect(silent.closes).toHaveLength(1);
    // Closed by the probe at its deadline, not left to the node or the OS.
    expect((await within(silent.closes[0]!, 1_000, 'the probe socket closed')) - t0).toBeLessThan(2_500);
  });

  it('a scraper that hangs up stops its probe: the socket to the node closes at once, not at the 5 s deadline', async () => {
    const { base } = await exporter();
    const silent = await mute();
    const t0 = performance.now();
    await expect(fetch(probeUrl(base, silent.enode), { signal: AbortSignal.timeout(300) })).rejects.toThrow();
    await waitUntil(() => silent.closes.length === 1, 2_000, 'the probe connected');
    const closedAt = await within(silent.closes[0]!, 2_000, 'the probe socket closed');
    expect(closedAt - t0).toBeLessThan(2_500);
    expect(await get(`${base}/-/healthy`)).toMatchObject({ status: 200 }); // and the exporter is fine
  });

  it('bad requests: 400 for a missing target or an unknown module; 200 with probe_success 0 for a bad enode or a closed port', async () => {
    const { base } = await exporter();
    const missing = await get(`${base}/probe`);
    expect(missing).toMatchObject({ status: 400, body: 'target parameter is missing\n' });
    const unknown = await get(`${base}/probe?target=x&module=nope`);
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatch(/^unknown module "nope"; known: default, eth/);
    const malformed = await get(probeUrl(base, 'enode://xyz@127.0.0.1:1', '&debug=true'));
    expect(malformed.status).toBe(200);
    expect(malformed.body).toMatch(/enode failed: enode: /);
    expect(malformed.body).toContain('probe_success 0');
    const closed = await get(probeUrl(base, formatEnode({ id: publicKeyOf(generatePrivateKey()), host: HOST, port: await closedPort() })));
    expect(closed.status).toBe(200);
    expect(sampleValue(parseMetrics(closed.body).samples, 'probe_success', {})).toBe(0);
    expect((await get(`${base}/nowhere`)).status).toBe(404);
    expect(await get(`${base}/-/healthy`)).toMatchObject({ status: 200, body: 'Healthy\n' });
    expect((await get(`${base}/`)).body).toContain('/probe?target=');
    const own = parseMetrics((await get(`${base}/metrics`)).body);
    expect(sampleValue(own.samples, 'rlpx_exporter_requests_rejected_total', { why: 'no_target' })).toBe(1);
    expect(sampleValue(own.samples, 'rlpx_exporter_probes_total', { module: 'default', result: 'failure' })).toBe(2);
  });

  it('debug=true: the step log, then the metrics, then the module as YAML', async () => {
    const { server: s } = await server();
    const { base } = await exporter();
    const r = await get(probeUrl(base, s.enode, '&debug=true'));
    const [log, metrics, module] = r.body.split(/\n\n\nMetrics that would have been returned:\n|\n\nModule configuration:\n/);
    expect(log).toMatch(/connect to 127\.0\.0\.1:\d+\n.*RLPx handshake[\s\S]*pong 3\/3[\s\S]*probe succeeded/);
    expect(metrics).toContain('probe_success 1');
    expect(module).toMatch(/^default:\n  timeout_ms: 5000\n  pings:\n    count: 3\n/);
  });

  it('modules from a YAML file: a fixed key the node sees, full_ok for a node that is full, eth required', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlpx-exporter-'));
    const key = generatePrivateKey();
    writeFileSync(join(dir, 'key'), bytesToHex(key));
    writeFileSync(
      join(dir, 'modules.yml'),
      `modules:\n  trusted:\n    key_file: ${join(dir, 'key')}\n    pings: { count: 1 }\n  full_ok:\n    full_ok: true\n  strict: {}\n  eth:\n    eth: { require: true }\n    timeout_ms: 1000\n`,
    );
    const { base } = await exporter(['--config', join(dir, 'modules.yml')]);
    const { server: s } = await server();
    const seen = new Promise<string>((resolve) => s.once('peer', (p) => resolve(p.id)));
    expect(sampleValue(parseMetrics((await get(probeUrl(base, s.enode, '&module=trusted'))).body).samples, 'rlpx_probe_pings_sent', {})).toBe(1);
    expect(await seen).toBe(bytesToHex(publicKeyOf(key)));

    const { server: full } = await server({ maxPeers: 0 });
    const strict = parseMetrics((await get(probeUrl(base, full.enode, '&module=strict'))).body).samples;
    expect(sampleValue(strict, 'probe_success', {})).toBe(0);
    expect(sampleValue(strict, 'rlpx_probe_full', {})).toBe(1);
    expect(sampleValue(strict, 'rlpx_probe_disconnect_reason', { by: 'remote' })).toBe(4);
    const ok = parseMetrics((await get(probeUrl(base, full.enode, '&module=full_ok'))).body).samples;
    expect(sampleValue(ok, 'probe_success', {})).toBe(1);
    // This listener runs no eth: a module that requires eth fails at Hello.
    const eth = await get(probeUrl(base, s.enode, '&module=eth&debug=true'));
    expect(eth.body).toMatch(/hello failed: no shared capability/);
    expect(eth.body).toContain('probe_success 0');
  });

  it("a module with a chain: rlpx_probe_eth_fork_compatible 1 on that chain; on another, failure and the node's own network id", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlpx-exporter-'));
    writeFileSync(join(dir, 'm.json'), JSON.stringify({ modules: { sepolia: { eth: { require: true, serves: false, chain: 'sepolia' } }, serves: { eth: { require: true, chain: 'sepolia' } }, holesky: { eth: { require: true, chain: 'holesky' } } } }));
    const { base } = await exporter(['--config', join(dir, 'm.json')]);
    const { server: s } = await server({ protocols: ethStatusResponder({ chain: CHAINS['sepolia']! }).protocols });
    const same = parseMetrics((await get(probeUrl(base, s.enode, '&module=sepolia'))).body).samples;
    expect(sampleValue(same, 'probe_success', {})).toBe(1);
    expect(sampleValue(same, 'rlpx_probe_eth_fork_compatible', {})).toBe(1);
    expect(sampleValue(same, 'rlpx_probe_eth_network_id', {})).toBe(11155111);
    expect(sampleValue(same, 'rlpx_probe_eth_serves', {})).toBeUndefined(); // not asked
    // Asked (the default), our node holds no sepolia blocks: it answers empty, so it does not serve.
    const served = parseMetrics((await get(probeUrl(base, s.enode, '&module=serves'))).body).samples;
    expect(sampleValue(served, 'probe_success', {})).toBe(0);
    expect(sampleValue(served, 'rlpx_probe_eth_serves', {})).toBe(0);
    expect(sampleValue(served, 'rlpx_probe_eth_fork_compatible', {})).toBe(1);
    expect(sampleValue(served, 'rlpx_probe_phase_duration_seconds', { phase: 'headers' })).toBeGreaterThan(0);
    const other = parseMetrics((await get(probeUrl(base, s.enode, '&module=holesky'))).body).samples;
    expect(sampleValue(other, 'probe_success', {})).toBe(0);
    expect(sampleValue(other, 'rlpx_probe_eth_network_id', {})).toBe(11155111); // where the node is, though not where we want it
  });

  it('past --max-concurrent a request waits for a slot; past --max-waiting it gets 503', async () => {
    const { base } = await exporter(['--max-concurrent', '1', '--max-waiting', '1']);
    const silent = await silentServer(res);
    const { server: s } = await server();
    const slow = get(probeUrl(base, silent.enode), { 'X-Prometheus-Scrape-Timeout-Seconds': '1.5' }); // holds the slot for 1 s
    await sleep(200);
    const waiting = get(probeUrl(base, s.enode), { 'X-Prometheus-Scrape-Timeout-Seconds': '3' }); // waits, then runs
    await sleep(200);
    const refused = await get(probeUrl(base, s.enode));
    expect(refused.status).toBe(503);
    expect(refused.body).toBe('more than 1 probes waiting; try later\n');
    expect(sampleValue(parseMetrics((await slow).body).samples, 'probe_success', {})).toBe(0);
    const w = parseMetrics((await waiting).body).samples;
    expect(sampleValue(w, 'probe_success', {})).toBe(1);
    expect(sampleValue(w, 'probe_timeout_seconds', {})).toBe(2.5);
    const own = parseMetrics((await get(`${base}/metrics`)).body).samples;
    expect(sampleValue(own, 'rlpx_exporter_requests_rejected_total', { why: 'full' })).toBe(1);
  });

  it('a bad modules file stops the exporter with a one-line error and exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlpx-exporter-'));
    writeFileSync(join(dir, 'bad.yml'), 'modules:\n  x:\n    pings: { count: 0 }\n');
    const r = await cli.run(['exporter', '--listen', `${HOST}:0`, '--config', join(dir, 'bad.yml')], { timeout: 10_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('rlpx: module x.pings.count must be an integer >= 1, got 0\n');
    writeFileSync(join(dir, 'typo.yml'), 'modules:\n  x:\n    ping: {}\n');
    const t = await cli.run(['exporter', '--listen', `${HOST}:0`, '--config', join(dir, 'typo.yml')], { timeout: 10_000 });
    expect(t.stderr).toMatch(/^rlpx: module x: unknown key ping; known: /);
  });
});

const prom = prometheusBinaries();
const gethBin = gethBinaries();

describe.skipIf(!prom || !gethBin)('a real Prometheus scraping the exporter', () => {
  let geth: GethNode;
  let prometheus: PrometheusServer | undefined;
  beforeAll(async () => {
    geth = await startGeth(gethBin!, { verbosity: 2 });
  }, 60_000);
  afterAll(async () => {
    await prometheus?.stop();
    geth?.signal('SIGCONT');
    await geth?.stop();
  });

  /** The value of an instant query's first sample, once it equals `want` (15 s at most). */
  const awaitQuery = async (q: string, want: number): Promise<number | undefined> => {
    let last: number | undefined;
    for (let i = 0; i < 75; i++) {
      last = (await prometheus!.query(q))[0]?.value;
      if (last === want) return last;
      await sleep(200);
    }
    return last;
  };
  const awaitSuccess = (instance: string, want: number): Promise<number | undefined> => awaitQuery(`probe_success{instance="${instance}"}`, want);

  it('probe_success 1 for our listener and for geth; 0 for geth frozen with SIGSTOP, whose kernel still accepts TCP', async () => {
    const { server: s } = await server();
    const { base } = await exporter();
    const addr = base.replace('http://', '');
    prometheus = await startPrometheus(prom!, exporterScrapeConfig(addr, [s.enode, geth.enode]));
    const targets = async (): Promise<string> => `${prometheus!.logs()}\n${await (await fetch(`${prometheus!.url}/api/v1/targets`)).text()}`;
    expect(await awaitSuccess(s.enode, 1), await targets()).toBe(1);
    expect(await awaitSuccess(geth.enode, 1)).toBe(1);
    const info = await prometheus.query(`rlpx_probe_info{instance="${geth.enode}"}`);
    expect(info[0]?.metric['client_id']).toMatch(/^Geth\//);
    expect(await awaitQuery('up{job="rlpx_exporter"}', 1)).toBe(1);

    geth.signal('SIGSTOP');
    // What blackbox_exporter's tcp_connect checks: the kernel completes the TCP handshake.
    await new Promise<void>((resolve, reject) => {
      const c = connect(geth.port, HOST, () => (c.destroy(), resolve()));
      c.once('error', reject);
    });
    expect(await awaitSuccess(geth.enode, 0)).toBe(0);
    expect(await awaitSuccess(s.enode, 1)).toBe(1);
    // The exporter itself stayed up and kept its deadline (1 s scrape timeout less 0.5 s).
    expect(await awaitQuery(`probe_timeout_seconds{instance="${geth.enode}"}`, 0.5)).toBe(0.5);
    geth.signal('SIGCONT');
  }, 40_000);

  it('promtool check metrics passes on /probe (listener, geth, a failure) and on /metrics', async () => {
    const { server: s } = await server();
    const { base } = await exporter();
    const bodies = [
      (await get(probeUrl(base, s.enode))).body,
      (await get(probeUrl(base, geth.enode))).body,
      (await get(probeUrl(base, formatEnode({ id: publicKeyOf(generatePrivateKey()), host: HOST, port: await closedPort() })))).body,
      (await get(`${base}/metrics`)).body,
    ];
    for (const b of bodies) expect(promtoolCheck(prom!, b), b).toBe('');
  });

  it("module eth against geth: its Status as rlpx_probe_eth_*, promtool-clean", async () => {
    const { base } = await exporter();
    const body = (await get(probeUrl(base, geth.enode, '&module=eth'))).body;
    expect(promtoolCheck(prom!, body), body).toBe('');
    const m = parseMetrics(body).samples;
    expect(sampleValue(m, 'probe_success', {})).toBe(1);
    expect(sampleValue(m, 'rlpx_probe_eth_network_id', {})).toBe(1337);
    expect(sampleValue(m, 'rlpx_probe_eth_latest_block', {})).toBe(0);
    expect(sampleValue(m, 'rlpx_probe_phase_duration_seconds', { phase: 'status' })!).toBeGreaterThan(0);
    // No chain in the module: no fork verdict to report.
    expect(sampleValue(m, 'rlpx_probe_eth_fork_compatible', {})).toBeUndefined();
  });
});
