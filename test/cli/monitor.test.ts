/**
 * `rlpx monitor` as a user runs it: a child `node --import tsx src/cli/main.ts ...`, its exit code,
 * stdout and stderr, with the other side of the wire in-process so both ends are observed.
 */
import { describe, expect, it } from 'vitest';
import { parseMetrics, sampleValue } from '../helpers/cli.js';
import { cliSuite, expectExit } from '../helpers/cli-suite.js';
import { HOST, sleep } from '../helpers/loopback.js';
import { prometheusBinaries, promtoolCheck } from '../helpers/prometheus.js';

const { cli, server } = cliSuite();
const prom = prometheusBinaries();

describe('rlpx monitor', () => {
  it('serves Prometheus metrics for an up node, then for the node gone (0x08 by remote)', async () => {
    const { server: s, id } = await server();
    const label = `${id.slice(0, 16)}@${HOST}:${s.address.port}`;
    const node = { target: label };
    const mon = cli.spawn(['monitor', s.enode, '--metrics-port', '0', '--interval', '200', '--json'], { timeout: 20_000 });
    const first = JSON.parse(await mon.waitForLine(() => true, 8_000, 'the first line')) as { event: string; url: string };
    expect(first).toEqual({ event: 'metrics', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/) });
    const scrape = async (): Promise<ReturnType<typeof parseMetrics>> => {
      const resp = await fetch(first.url, { signal: AbortSignal.timeout(3_000) });
      expect(resp.status).toBe(200);
      return parseMetrics(await resp.text());
    };
    const ev = (name: string) => (l: string): boolean => (JSON.parse(l) as { event: string }).event === name;
    await mon.waitForLine(ev('connected'), 3_000, "the 'connected' event");

    await sleep(1_500);
    const up = await scrape();
    expect(sampleValue(up.samples, 'rlpx_peer_health_state', { ...node, state: 'healthy' })).toBe(1);
    expect(sampleValue(up.samples, 'rlpx_peer_health_state', { ...node, state: 'down' })).toBe(0);
    expect(up.samples.some((x) => 'node' in x.labels), 'no metric is labelled node').toBe(false);
    if (prom) expect(promtoolCheck(prom, await (await fetch(first.url)).text())).toBe('');
    for (const name of ['rlpx_peer_up', 'rlpx_peer_health_state', 'rlpx_ping_rtt_seconds', 'rlpx_pings_sent_total', 'rlpx_pongs_received_total', 'rlpx_pings_lost_total', 'rlpx_disconnects_total', 'rlpx_reconnects_total']) {
      expect(up.types.has(name), `metric ${name} declared`).toBe(true);
    }
    expect(sampleValue(up.samples, 'rlpx_peer_up', node)).toBe(1);
    const count = sampleValue(up.samples, 'rlpx_ping_rtt_seconds_count', node)!;
    expect(count).toBeGreaterThanOrEqual(2);
    expect(sampleValue(up.samples, 'rlpx_ping_rtt_seconds_bucket', { ...node, le: '+Inf' })).toBe(count);
    expect(up.samples.filter((x) => x.name === 'rlpx_ping_rtt_seconds_bucket').length).toBeGreaterThan(1);
    expect(sampleValue(up.samples, 'rlpx_ping_rtt_seconds_sum', node)!).toBeGreaterThan(0);
    expect(sampleValue(up.samples, 'rlpx_pings_sent_total', node)!).toBeGreaterThanOrEqual(count);
    expect(sampleValue(up.samples, 'rlpx_pongs_received_total', node)).toBe(count);
    expect(sampleValue(up.samples, 'rlpx_pings_lost_total', node) ?? 0).toBe(0);
    expect(sampleValue(up.samples, 'rlpx_reconnects_total', node) ?? 0).toBe(0);
    expect(mon.lines.filter(ev('pong')).length).toBeGreaterThanOrEqual(2);

    await s.close();
    const gone = JSON.parse(await mon.waitForLine(ev('disconnected'), 3_000, "the 'disconnected' event"));
    expect(gone).toMatchObject({ reason: 8, name: 'client quitting', by: 'remote' });
    await sleep(1_500);
    const down = await scrape();
    expect(sampleValue(down.samples, 'rlpx_peer_up', node)).toBe(0);
    expect(sampleValue(down.samples, 'rlpx_disconnects_total', { ...node, reason: 'client_quitting', by: 'remote', cause: 'none' })).toBe(1);
    expect(sampleValue(down.samples, 'rlpx_peer_health_state', { ...node, state: 'down' })).toBe(1);
    if (prom) expect(promtoolCheck(prom, await (await fetch(first.url)).text())).toBe('');
    expect(sampleValue(down.samples, 'rlpx_reconnects_total', node)!).toBeGreaterThanOrEqual(1);

    mon.kill('SIGTERM');
    const r = await mon.exited;
    expectExit(r, 0);
    expect(r.stderr).toBe('');
  });

  it('a node that takes the handshake and then misses Pongs: cause pong_timeout, and the backoff grows instead of flapping', async () => {
    const { server: s, id } = await server({ answerPings: false });
    const target = { target: `${id.slice(0, 16)}@${HOST}:${s.address.port}` };
    const mon = cli.spawn(['monitor', s.enode, '--metrics-port', '0', '--interval', '100', '--timeout', '200', '--json'], { timeout: 20_000 });
    const first = JSON.parse(await mon.waitForLine(() => true, 8_000, 'the first line')) as { url: string };
    const connects: number[] = [];
    const isConnect = (l: string): boolean => (JSON.parse(l) as { event: string }).event === 'connected';
    for (let i = 0; connects.length < 3 && i < 100; i++) {
      await sleep(100);
      connects.splice(0, connects.length, ...mon.lines.filter(isConnect).map((l) => Date.parse((JSON.parse(l) as { time: string }).time)));
    }
    expect(connects).toHaveLength(3);
    // Backoff 1 s, then 2 s: a reset on every connect would make both gaps ~1.3 s.
    expect(connects[2]! - connects[1]!).toBeGreaterThan(connects[1]! - connects[0]! + 600);
    const m = parseMetrics(await (await fetch(first.url)).text());
    expect(sampleValue(m.samples, 'rlpx_disconnects_total', { ...target, reason: 'read_timeout', by: 'local', cause: 'pong_timeout' })!).toBeGreaterThanOrEqual(2);
    mon.kill('SIGTERM');
    expectExit(await mon.exited, 0);
  });
});
