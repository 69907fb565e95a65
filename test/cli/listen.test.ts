/**
 * `rlpx listen` as a user runs it: a child `node --import tsx src/cli/main.ts ...`, its exit code,
 * stdout and stderr, with the other side of the wire in-process so both ends are observed.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { dial } from '../../src/peer/dial.js';
import { formatEnode, parseEnode } from '../../src/peer/enode.js';
import { DisconnectReason } from '../../src/reasons.js';
import { lastJson } from '../helpers/cli.js';
import { ethtestData } from '../helpers/geth-chain.js';
import { cliSuite, expectExit, type PingJson } from '../helpers/cli-suite.js';
import { HOST, within } from '../helpers/loopback.js';

const { cli, res } = cliSuite();

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

  it('--chain without --serve: sends that chain\'s Status (compatible) but has no block to serve (serves false, exit 1)', async () => {
    const listener = cli.spawn(['listen', '--port', '0', '--json', '--chain', 'sepolia'], { timeout: 15_000 });
    const { enode } = JSON.parse(await listener.waitForLine(() => true, 8_000, 'the first line')) as { enode: string };
    const same = await cli.run(['ping', enode, '--json', '--count', '1', '--chain', 'sepolia'], { timeout: 12_000 });
    expectExit(same, 1);
    expect(lastJson(same.stdout)).toMatchObject({ eth: { networkId: 11155111, latestBlock: 0, fork: 'compatible', serves: false } });
    const other = await cli.run(['ping', enode, '--json', '--count', '1', '--chain', 'hoodi'], { timeout: 12_000 });
    expectExit(other, 1);
    expect(lastJson(other.stdout)).toMatchObject({ eth: { fork: 'incompatible' } });
  });

  it('--genesis without --serve: that chain\'s Status, and its genesis served (serves true, exit 0)', async () => {
    const genesis = ethtestData().genesis;
    const listener = cli.spawn(['listen', '--port', '0', '--json', '--genesis', genesis], { timeout: 15_000 });
    const { enode } = JSON.parse(await listener.waitForLine(() => true, 8_000, 'the first line')) as { enode: string };
    const r = await cli.run(['ping', enode, '--json', '--count', '1', '--genesis', genesis], { timeout: 12_000 });
    expectExit(r, 0);
    expect(lastJson(r.stdout)).toMatchObject({ eth: { latestBlock: 0, fork: 'compatible', serves: true } });
  });

  it.each([
    [['--serve', '/nonexistent'], /--serve needs --chain or --genesis/],
    [['--serve', '/nonexistent', '--chain', 'sepolia'], /--serve \/nonexistent: cannot open/],
    [['--chain', 'nowhere'], /unknown chain "nowhere"/],
  ])('usage errors: %j exits 2', async (args, message) => {
    const r = await cli.run(['listen', '--port', '0', ...args], { timeout: 10_000 });
    expectExit(r, 2);
    expect(r.stderr).toMatch(message);
  });
});
