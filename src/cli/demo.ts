/**
 * rlpx demo (npm start): L4 vs L7 health on loopback, needing nothing outside the machine.
 *
 * Two hubs listen: one runs our L7 health (pong deadline), one runs geth's L4 behaviour.
 * Three nodes dial both. After a few seconds "mallory" stops answering Pings but keeps
 * sending its own, exactly what a wedged-but-connected peer looks like. The L7 hub closes it
 * with 0x0b within the pong deadline; the geth-mode hub never notices.
 */
import { parseArgs } from 'node:util';
import { reasonName, DisconnectReason } from '../reasons.js';
import { generatePrivateKey } from '../crypto/secp256k1.js';
import { dial } from '../peer/dial.js';
import type { HealthMode, Peer } from '../peer/peer.js';
import { listen, type Server } from '../peer/server.js';
import { Exit, intOption } from './common.js';
import { argsOf, helpText, HELP_OPTION, type OptionDocs } from './help.js';

interface Row {
  hub: string;
  node: string;
  peer: Peer;
  closed?: string;
}

const pad = (s: string, n: number): string => (s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length));
const num = (v: number | undefined, digits = 2): string => (v === undefined ? '-' : v.toFixed(digits));

function table(rows: Row[], elapsed: number): string[] {
  const lines = [
    `t=${(elapsed / 1000).toFixed(1)}s`,
    `${pad('hub', 10)} ${pad('node', 9)} ${pad('state', 26)} ${pad('last ms', 8)} ${pad('mean ms', 8)} ${pad('sent', 5)} ${pad('recv', 5)} ${pad('miss', 5)}`,
  ];
  for (const r of rows) {
    const rtt = r.peer.rtt;
    const state = r.closed ?? r.peer.health;
    lines.push(
      `${pad(r.hub, 10)} ${pad(r.node, 9)} ${pad(state, 26)} ${pad(num(rtt.last), 8)} ${pad(num(rtt.mean), 8)} ${pad(String(rtt.sent), 5)} ${pad(String(rtt.received), 5)} ${pad(String(rtt.missed), 5)}`,
    );
  }
  return lines;
}

export const DEMO_USAGE = 'usage: rlpx demo [--duration MS] [--mute-at MS]';

export const DEMO_OPTIONS: OptionDocs = {
  duration: { type: 'string', arg: 'MS', default: '10000', help: 'how long the demo runs' },
  'mute-at': { type: 'string', arg: 'MS', default: '3000', help: 'when mallory stops answering Pings' },
  ...HELP_OPTION,
};

export const DEMO_HELP = helpText(DEMO_USAGE, 'A local L4-vs-L7 demo (npm start): an L7 hub drops a node that stops answering Pings, a geth-mode hub does not.', DEMO_OPTIONS);

export async function demoCommand(argv: string[], out: (line: string) => void, signal?: AbortSignal): Promise<number> {
  const parsed = parseArgs({ args: argv, options: argsOf(DEMO_OPTIONS) });
  const values = parsed.values as { duration?: string; 'mute-at'?: string; help?: boolean };
  if (values.help) {
    out(DEMO_HELP);
    return Exit.Ok;
  }
  const duration = intOption(values.duration, 'duration', 10_000, 1000);
  const muteAt = intOption(values['mute-at'], 'mute-at', 3_000);
  const pingInterval = 500;
  const pongTimeout = 1_500;
  const tty = process.stdout.isTTY === true;

  out('rlpx demo: L7 health (pong deadline) vs geth-style L4 health, all on 127.0.0.1');
  out(`  ping every ${pingInterval} ms; L7 pong deadline ${pongTimeout} ms; "mallory" stops answering Pings at t=${muteAt / 1000}s`);
  const hubs: Array<{ name: string; mode: HealthMode; server: Server }> = [];
  for (const [name, mode] of [['hub-l7', 'l7'], ['hub-geth', 'geth']] as const) {
    const server = await listen({ privateKey: generatePrivateKey(), port: 0, pingInterval, pongTimeout, healthMode: mode, clientId: `rlpx-demo/${name}` });
    hubs.push({ name, mode, server });
    out(`  ${name} (${mode === 'l7' ? 'L7' : 'L4, geth mode'}) listening at ${server.enode}`);
  }

  const rows: Row[] = [];
  const dialers: Peer[] = [];
  const mallory: Peer[] = [];
  for (const node of ['alice', 'bob', 'mallory']) {
    const key = generatePrivateKey();
    for (const hub of hubs) {
      const arrived = new Promise<Peer>((resolve) => {
        const onPeer = (p: Peer): void => {
          if (p.remoteHello?.clientId !== `rlpx-demo/${node}`) return;
          hub.server.off('peer', onPeer);
          resolve(p);
        };
        hub.server.on('peer', onPeer);
      });
      const d = await dial(hub.server.enode, { privateKey: key, pingInterval, pongTimeout, clientId: `rlpx-demo/${node}`, healthMode: 'geth' });
      dialers.push(d);
      if (node === 'mallory') mallory.push(d);
      const row: Row = { hub: hub.name, node, peer: await arrived };
      row.peer.on('close', (c) => (row.closed = `closed ${reasonName(c.reason)} 0x${c.reason.toString(16).padStart(2, '0')}`));
      rows.push(row);
    }
  }
  out('  3 nodes connected to both hubs (handshake + Hello)\n');

  const started = performance.now();
  let drawn = 0;
  const draw = (): void => {
    const lines = table(rows, performance.now() - started);
    if (tty) {
      if (drawn) process.stdout.write(`\x1b[${drawn}A`);
      for (const l of lines) process.stdout.write(`\x1b[2K${l}\n`);
      drawn = lines.length;
    } else {
      for (const l of lines) out(l);
      out('');
    }
  };
  const events: string[] = [];
  for (const r of rows) {
    r.peer.on('health', (h) => events.push(`t=${((performance.now() - started) / 1000).toFixed(1)}s ${r.hub} sees ${r.node}: ${h.previous} -> ${h.state}`));
    r.peer.on('close', (c) => events.push(`t=${((performance.now() - started) / 1000).toFixed(1)}s ${r.hub} closed ${r.node}: ${reasonName(c.reason)} (0x${c.reason.toString(16).padStart(2, '0')}) ${c.error ? `- ${c.error.message}` : ''}`));
  }
  const redraw = setInterval(draw, tty ? 250 : 2_500);
  const mute = setTimeout(() => {
    for (const p of mallory) p.answerPings = false;
    events.push(`t=${(muteAt / 1000).toFixed(1)}s mallory stops answering Pings (it keeps sending its own)`);
  }, muteAt);
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(done, duration);
    signal?.addEventListener('abort', done, { once: true }); // Ctrl-C ends early, with the summary
  });
  clearInterval(redraw);
  clearTimeout(mute);
  draw();

  out('\nevents:');
  for (const e of events) out(`  ${e}`);
  out('\nsummary:');
  out(`  ${pad('hub', 10)} ${pad('node', 9)} ${pad('outcome', 34)} ${pad('rtt min/mean/max ms', 22)} sent/recv/miss`);
  for (const r of rows) {
    const t = r.peer.rtt;
    out(`  ${pad(r.hub, 10)} ${pad(r.node, 9)} ${pad(r.closed ?? `connected, ${r.peer.health}`, 34)} ${pad(`${num(t.min)}/${num(t.mean)}/${num(t.max)}`, 22)} ${t.sent}/${t.received}/${t.missed}`);
  }
  const l7Closed = rows.find((r) => r.hub === 'hub-l7' && r.node === 'mallory')?.closed;
  const l4Kept = !rows.find((r) => r.hub === 'hub-geth' && r.node === 'mallory')?.closed;
  out('');
  out(`  L7: ${l7Closed ? `the pong deadline caught mallory (${l7Closed}).` : 'mallory was NOT caught (unexpected).'}`);
  out(
    `  L4: ${l4Kept ? 'the geth-mode hub keeps mallory: every Ping was written, so at L4 all looks fine (our stats mark it late and count the misses, but geth mode never acts on them).' : 'the geth-mode hub dropped mallory (unexpected).'}`,
  );

  await Promise.all(dialers.map((d) => d.disconnect(DisconnectReason.ClientQuitting)));
  await Promise.all(hubs.map((h) => h.server.close()));
  return l7Closed && l4Kept ? Exit.Ok : Exit.Unhealthy;
}
