#!/usr/bin/env node
/** The rlpx command: ping, listen, monitor, exporter, crawl, fetch, demo. */
import { setFlagsFromString } from 'node:v8';
import { pingCommand, PING_USAGE } from './ping.js';
import { listenCommand, LISTEN_USAGE } from './listen.js';
import { monitorCommand, MONITOR_USAGE } from './monitor.js';
import { demoCommand, DEMO_USAGE } from './demo.js';
import { exporterCommand, EXPORTER_USAGE } from './exporter.js';
import { crawlCommand, CRAWL_USAGE } from './crawl.js';
import { fetchCommand, FETCH_USAGE } from './fetch.js';
import { Exit, UsageError } from './common.js';
import { VERSION } from '../version.js';
import { keccakBackend } from '../crypto/keccak.js';
import { secp256k1Backend } from '../crypto/secp256k1.js';

function versionLine(): string {
  return `rlpx ${VERSION} (keccak: ${keccakBackend}, secp256k1: ${secp256k1Backend}; node ${process.version})`;
}

const USAGE = `rlpx: devp2p RLPx health checks

  ${PING_USAGE}
  ${LISTEN_USAGE}
  ${MONITOR_USAGE}
  ${EXPORTER_USAGE}
  ${CRAWL_USAGE}
  ${FETCH_USAGE}
  ${DEMO_USAGE}
  usage: rlpx --version                 version and crypto backends in use

  rlpx COMMAND --help lists a command's options and their defaults.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = (line: string): void => void process.stdout.write(line + '\n');
  const stop = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
  // `rlpx listen | head -1` closes our stdout: that is the reader's choice, not a crash.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') stop.abort();
    else throw err;
  });
  switch (command) {
    case 'ping':
      return pingCommand(rest, out, stop.signal);
    case 'listen':
      return listenCommand(rest, out, stop.signal);
    case 'monitor':
      return monitorCommand(rest, out, stop.signal);
    case 'exporter':
      return exporterCommand(rest, out, stop.signal);
    case 'crawl':
      // A crawl allocates a dial's worth of garbage per node, most of it promoted (a dial
      // outlives a scavenge), and V8's default growth lets the old generation swell with it:
      // peak RSS at 10,000 local listeners 186-201 MiB by default, 121-123 MiB with this
      // (1,000: 92-101 -> 85 MiB). V8 reads it as it sizes the heap, so setting it here works.
      setFlagsFromString('--optimize-for-size');
      return crawlCommand(rest, out, stop.signal);
    case 'fetch':
      return fetchCommand(rest, out, stop.signal);
    case 'demo':
      return demoCommand(rest, out, stop.signal);
    case '--version':
    case 'version':
      out(versionLine());
      return Exit.Ok;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      out(USAGE);
      return command === undefined ? Exit.Error : Exit.Ok;
    default:
      throw new UsageError(`unknown command "${command}"; try: rlpx help`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Nothing of ours should be left running; exit promptly even if a library timer lingers.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (err: unknown) => {
    const msg = err instanceof UsageError || (err as Error)?.name === 'TypeError' ? (err as Error).message : `${(err as Error)?.stack ?? err}`;
    process.stderr.write(`rlpx: ${msg.split('\n')[0]}\n`);
    process.exit(Exit.Error);
  },
);
