/**
 * `rlpx monitor` as a user runs it: a child `node --import tsx src/cli/main.ts ...`, its exit code,
 * stdout and stderr, with the other side of the wire in-process so both ends are observed.
 */
import { describe, expect, it } from 'vitest';
import { parseMetrics, sampleValue } from '../helpers/cli.js';
import { cliSuite, expectExit } from '../helpers/cli-suite.js';
import { HOST, sleep } from '../helpers/loopback.js';

const { cli, server } = cliSuite();

describe('rlpx monitor', () => {
  it('serves Prometheus metrics for an up node, then for the node gone (0x08 by remote)', async () => {
    const { server: s, id } = await server();
    const label = `${id.slice(0, 16)}@${HOST}:${s.address.port}`;
    const node = { node: label };
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
    for (const name of ['rlpx_peer_up', 'rlpx_ping_rtt_seconds', 'rlpx_pings_sent_total', 'rlpx_pongs_received_total', 'rlpx_pings_lost_total', 'rlpx_disconnects_total', 'rlpx_reconnects_total']) {
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
    expect(sampleValue(down.samples, 'rlpx_disconnects_total', { ...node, reason: 'client quitting', by: 'remote' })).toBe(1);
    expect(sampleValue(down.samples, 'rlpx_reconnects_total', node)!).toBeGreaterThanOrEqual(1);

    mon.kill('SIGTERM');
    const r = await mon.exited;
    expectExit(r, 0);
    expect(r.stderr).toBe('');
  });
});
