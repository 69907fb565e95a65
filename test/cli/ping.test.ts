/**
 * `rlpx ping` as a user runs it: a child `node --import tsx src/cli/main.ts ...`, its exit code,
 * stdout and stderr, with the other side of the wire in-process so both ends are observed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { formatEnode } from '../../src/peer/enode.js';
import type { CloseInfo, Peer } from '../../src/peer/peer.js';
import type { Server } from '../../src/peer/server.js';
import { DisconnectReason } from '../../src/reasons.js';
import { lastJson } from '../helpers/cli.js';
import { cliSuite, expectExit, SERVER_CLIENT_ID, type PingJson } from '../helpers/cli-suite.js';
import { closedPort, HOST, within } from '../helpers/loopback.js';
import { gethBinaries, startGeth, type GethNode } from '../helpers/geth.js';

const { cli, server } = cliSuite();

/** The first peer the server admits. */
const firstPeer = (s: Server): Promise<Peer> => new Promise((resolve) => s.once('peer', resolve));

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
