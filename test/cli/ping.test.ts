/**
 * The `rlpx` CLI as a user runs it: each test spawns `node --import tsx src/cli/main.ts ...`
 * and checks exit codes, stdout and stderr, with the other side of the wire in-process
 * (our Server or dial()) so both ends are observed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { dial } from '../../src/peer/dial.js';
import { formatEnode, parseEnode } from '../../src/peer/enode.js';
import type { CloseInfo, Peer } from '../../src/peer/peer.js';
import { listen, type ListenOptions, type Server } from '../../src/peer/server.js';
import { DisconnectReason } from '../../src/reasons.js';
import { Cli, lastJson, parseMetrics, sampleValue, type CliExit } from '../helpers/cli.js';
import { closedPort, HOST, Resources, sleep, within } from '../helpers/loopback.js';
import { gethBinaries, startGeth, type GethNode } from '../helpers/geth.js';

const cli = new Cli();
const res = new Resources();
afterEach(async () => {
  await cli.killAll();
  await res.closeAll();
});

const SERVER_CLIENT_ID = 'cli-test-server/1.0';

async function server(opts: Partial<ListenOptions> = {}): Promise<{ server: Server; id: string }> {
  const privateKey = opts.privateKey ?? generatePrivateKey();
  const s = await listen({ privateKey, port: 0, clientId: SERVER_CLIENT_ID, ...opts });
  res.server(s);
  return { server: s, id: bytesToHex(publicKeyOf(privateKey)) };
}

/** The first peer the server admits. */
const firstPeer = (s: Server): Promise<Peer> => new Promise((resolve) => s.once('peer', resolve));

/** An exit, with the child's output in the assertion message when it is not the expected code. */
function expectExit(r: CliExit, code: number): void {
  expect({ code: r.code, timedOut: r.timedOut }, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toEqual({ code, timedOut: false });
}

interface PingJson {
  ok: boolean;
  enode: string;
  remote: { id: string; clientId: string; version: number; caps: string[] } | null;
  sent: number;
  received: number;
  lost: number;
  rtt_ms: Record<'min' | 'median' | 'max' | 'mean' | 'jitter', number | null>;
  disconnect: { reason: number; name: string; by: 'local' | 'remote' } | null;
  error: string | null;
}

describe('rlpx ping', () => {
  it('--json: exit 0, full result, and the node sees us leave with 0x08', async () => {
    const { server: s, id } = await server();
    const seen = firstPeer(s).then((p) => p.closed);
    const r = await cli.run(['ping', s.enode, '--json', '--count', '3', '--interval', '100'], { timeout: 10_000 });
    expectExit(r, 0);
    expect(r.stderr).toBe('');
    const j = lastJson<PingJson>(r.stdout);
    expect(j).toMatchObject({
      ok: true,
      enode: s.enode,
      remote: { id, clientId: SERVER_CLIENT_ID, version: 5 },
      sent: 3,
      received: 3,
      lost: 0,
      disconnect: { reason: 8, name: 'client quitting', by: 'local' },
      error: null,
    });
    expect(j.remote!.id).toMatch(/^[0-9a-f]{128}$/);
    expect(Array.isArray(j.remote!.caps)).toBe(true);
    const { min, median, max, mean, jitter } = j.rtt_ms;
    for (const v of [min, median, max, mean, jitter]) expect(typeof v).toBe('number');
    expect(min!).toBeGreaterThan(0);
    expect(min!).toBeLessThanOrEqual(median!);
    expect(median!).toBeLessThanOrEqual(max!);
    expect(mean!).toBeGreaterThanOrEqual(min!);
    expect(mean!).toBeLessThanOrEqual(max!);
    expect(jitter!).toBeGreaterThanOrEqual(0);

    const info: CloseInfo = await within(seen, 3_000, "server peer's close");
    expect(info).toMatchObject({ initiator: 'remote', reason: DisconnectReason.ClientQuitting });
  });

  it('human output: Hello fields, one pong line per ping, and the summary', async () => {
    const { server: s, id } = await server();
    const r = await cli.run(['ping', s.enode, '--count', '3', '--interval', '100'], { timeout: 10_000 });
    expectExit(r, 0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`connected to ${s.enode}`);
    expect(r.stdout).toContain(SERVER_CLIENT_ID);
    expect(r.stdout).toMatch(/^\s+p2p\s+v5$/m);
    expect(r.stdout).toContain(id);
    const pongs = r.stdout.split('\n').filter((l) => /^pong \d\/3: rtt=\d+\.\d{3} ms$/.test(l));
    expect(pongs).toHaveLength(3);
    expect(r.stdout).toContain('3 sent, 3 received, 0 lost');
    expect(r.stdout).toMatch(/^rtt min\/median\/max\/mean\/jitter = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms$/m);
    expect(r.stdout).toMatch(/^disconnect: client quitting \(0x08\) by local$/m);
  });

  it('exit 1 when the node stops answering Pings: every ping lost', async () => {
    // Set at creation: a Ping that arrives with the Hello is handled before any 'peer' listener runs.
    const { server: s } = await server({ answerPings: false });
    const r = await cli.run(['ping', s.enode, '--json', '--count', '2', '--interval', '50', '--timeout', '300'], { timeout: 10_000 });
    expectExit(r, 1);
    const j = lastJson<PingJson>(r.stdout);
    expect(j).toMatchObject({ ok: false, sent: 2, received: 0, lost: 2, disconnect: { reason: 8, by: 'local' } });
    expect(j.rtt_ms).toEqual({ min: null, median: null, max: null, mean: null, jitter: null });
  });

  it('exit 1 when the node disconnects us mid-run (0x04 by remote)', async () => {
    const { server: s } = await server();
    s.on('peer', (p) => {
      const t = setTimeout(() => void p.disconnect(DisconnectReason.TooManyPeers), 150);
      void p.closed.then(() => clearTimeout(t));
    });
    const r = await cli.run(['ping', s.enode, '--json', '--count', '5', '--interval', '100'], { timeout: 10_000 });
    expectExit(r, 1);
    const j = lastJson<PingJson>(r.stdout);
    expect(j).toMatchObject({ ok: false, sent: 5, disconnect: { reason: 4, name: 'too many peers', by: 'remote' } });
    expect(j.received).toBeLessThan(5);
    expect(j.lost).toBe(5 - j.received);
    expect(j.error).toMatch(/too many peers/);
  });

  describe('exit 2 with a one-line message on stderr', () => {
    const validEnode = (port: number): string => formatEnode({ id: publicKeyOf(generatePrivateKey()), host: HOST, port });
    const cases: Array<[string, () => Promise<string[]>, RegExp]> = [
      ['malformed enode', async () => ['ping', 'enode://xyz'], /^rlpx: enode: /],
      ['closed port', async () => ['ping', validEnode(await closedPort()), '--timeout', '2000'], /^rlpx ping: connect to 127\.0\.0\.1:\d+ failed: .*ECONNREFUSED.*\(is the node running/],
      ['bad --count', async () => ['ping', validEnode(30303), '--count', 'abc'], /^rlpx: --count must be an integer >= 1, got "abc"$/],
      ['unknown command', async () => ['frobnicate'], /^rlpx: unknown command "frobnicate"/],
    ];
    it.each(cases)('%s', async (_name, args, message) => {
      const r = await cli.run(await args(), { timeout: 10_000 });
      expectExit(r, 2);
      expect(r.stdout).toBe('');
      expect(r.stderr.endsWith('\n')).toBe(true);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(message);
    });

    it('closed port with --json: a JSON result with ok:false and the error, nothing on stderr', async () => {
      const enode = validEnode(await closedPort());
      const r = await cli.run(['ping', enode, '--json', '--timeout', '2000'], { timeout: 10_000 });
      expectExit(r, 2);
      expect(r.stderr).toBe('');
      expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
      const j = lastJson<PingJson>(r.stdout);
      expect(j).toMatchObject({ ok: false, enode, remote: null, received: 0, disconnect: null });
      expect(typeof j.error).toBe('string');
      expect(j.error).toMatch(/ECONNREFUSED/);
    });
  });
});

describe('rlpx listen', () => {
  it.each([
    ['human', false],
    ['json', true],
  ] as const)('%s: prints its enode first, logs our session and pings, and leaves with 0x08 on SIGTERM', async (_mode, json) => {
    const child = cli.spawn(['listen', '--port', '0', ...(json ? ['--json'] : [])], { timeout: 15_000 });
    const first = await child.waitForLine(() => true, 8_000, 'the first line');
    let enode: string;
    if (json) {
      const ev = JSON.parse(first) as { event: string; enode: string };
      expect(ev.event).toBe('listening');
      enode = ev.enode;
    } else {
      enode = first;
    }
    const node = parseEnode(enode);
    expect(formatEnode(node)).toBe(enode);
    expect(node.host).toBe(HOST);
    expect(node.port).toBeGreaterThan(0);

    const key = generatePrivateKey();
    const ourId = bytesToHex(publicKeyOf(key));
    const short = ourId.slice(0, 16);
    const peer = res.peer(await dial(node, { privateKey: key, clientId: 'cli-test-dialer/1', pingInterval: 0 }));
    expect(bytesToHex(peer.remotePublicKey)).toBe(bytesToHex(node.id));

    const event = (name: string) => (l: string): boolean => {
      if (!json) return l.startsWith(`${name.padEnd(12)} ${short}`);
      const e = JSON.parse(l) as { event: string; id?: string };
      return e.event === name && e.id === ourId;
    };
    const connected = await child.waitForLine(event('connected'), 3_000, "the 'connected' line");
    if (json) expect(JSON.parse(connected)).toMatchObject({ event: 'connected', id: ourId, clientId: 'cli-test-dialer/1', caps: [] });
    else expect(connected).toContain('cli-test-dialer/1');

    for (let i = 0; i < 3; i++) expect(await peer.ping()).toBeGreaterThan(0);
    await child.waitForLines(event('ping'), 3, 3_000, "'ping' lines");

    child.kill('SIGTERM');
    const info = await within(peer.closed, 3_000, 'our peer to be closed');
    expect(info).toMatchObject({ initiator: 'remote', reason: DisconnectReason.ClientQuitting });
    const r = await child.exited;
    expectExit(r, 0);
    expect(r.stderr).toBe('');
    const disconnected = child.lines.find(event('disconnected'));
    expect(disconnected, r.stdout).toBeDefined();
    if (json) expect(JSON.parse(disconnected!)).toMatchObject({ event: 'disconnected', id: ourId, reason: 8, name: 'client quitting', by: 'local' });
    else expect(disconnected).toMatch(/client quitting \(0x08\) by local$/);
    const last = child.lines[child.lines.length - 1]!;
    if (json) expect(JSON.parse(last)).toMatchObject({ event: 'stopped' });
    else expect(last).toBe('stopped');
  });

  // Both commands are ours and both offer eth with the mirroring Status responder, which
  // only answers a Status and never sends one first: neither side ever speaks, and the
  // session dies of the responder's 5 s Status timeout (0x0b) before a single Ping.
  it('rlpx ping against rlpx listen is healthy (exit 0)', async () => {
    const listener = cli.spawn(['listen', '--port', '0', '--json'], { timeout: 15_000 });
    const { enode } = JSON.parse(await listener.waitForLine(() => true, 8_000, 'the first line')) as { enode: string };
    const r = await cli.run(['ping', enode, '--json', '--count', '2', '--interval', '100'], { timeout: 12_000 });
    const j = lastJson<PingJson>(r.stdout);
    const why = `ping stdout:\n${r.stdout}\nlisten stdout:\n${listener.stdout}`;
    expect({ code: r.code, ok: j.ok, received: j.received, disconnect: j.disconnect, error: j.error }, why).toEqual({
      code: 0,
      ok: true,
      received: 2,
      disconnect: { reason: 8, name: 'client quitting', by: 'local' },
      error: null,
    });
  });
});

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

describe('rlpx demo', () => {
  it('the L7 hub closes mallory with 0x0b; the geth-mode hub keeps it', async () => {
    const r = await cli.run(['demo', '--duration', '4000', '--mute-at', '500'], { timeout: 15_000 });
    expectExit(r, 0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('"mallory" stops answering Pings at t=0.5s');
    const summary = r.stdout.slice(r.stdout.indexOf('\nsummary:'));
    expect(summary).toMatch(/^\s+hub-l7\s+mallory\s+closed read timeout 0x0b/m);
    expect(summary).toMatch(/^\s+hub-geth\s+mallory\s+connected/m);
    expect(summary).toMatch(/^\s+hub-l7\s+alice\s+connected, healthy/m);
    expect(r.stdout).toMatch(/hub-l7 closed mallory: read timeout \(0x0b\)/);
    expect(r.stdout).toContain('L7: the pong deadline caught mallory (closed read timeout 0x0b).');
    expect(r.stdout).toContain('L4: the geth-mode hub keeps mallory');
  });
});

const bin = gethBinaries();

describe.skipIf(!bin)(`rlpx ping against geth ${bin?.version ?? ''}`, () => {
  let geth: GethNode;
  beforeAll(async () => {
    geth = await startGeth(bin!);
  }, 120_000);
  afterAll(async () => {
    await geth?.stop();
  });

  it('exit 0: Geth Hello with eth/72, three pongs', async () => {
    const r = await cli.run(['ping', geth.enode, '--json', '--count', '3', '--interval', '200'], { timeout: 15_000 });
    expectExit(r, 0);
    const j = lastJson<PingJson>(r.stdout);
    expect(j).toMatchObject({ ok: true, sent: 3, received: 3, lost: 0, remote: { id: geth.id, version: 5 }, disconnect: { reason: 8, by: 'local' }, error: null });
    expect(j.remote!.clientId).toMatch(/^Geth\//);
    expect(j.remote!.caps).toContain('eth/72');
  });
});
