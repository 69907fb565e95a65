/**
 * Helpers for test/package.test.ts: the project as a fresh clone has it (no dist/), consumer
 * projects that install it offline, and child commands with hard timeouts.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command to completion (SIGKILL after `timeout` ms); never rejects. */
export function run(file: string, args: readonly string[], cwd: string, env: Record<string, string> = {}, timeout = 60_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: { ...process.env, ...env }, timeout, killSignal: 'SIGKILL', maxBuffer: 16 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** run(), failing with the command's output unless it exits 0. */
export async function runOk(file: string, args: readonly string[], cwd: string, env: Record<string, string> = {}, timeout?: number): Promise<RunResult> {
  const r = await run(file, args, cwd, env, timeout);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
  return r;
}

/**
 * The files a clone of the working tree would hold (tracked and not ignored, as they are on
 * disk now), copied to `dest`, with node_modules linked to this checkout's so that the build
 * finds tsc without a second install.
 */
export async function copyCleanTree(dest: string): Promise<void> {
  const { stdout } = await runOk('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], ROOT);
  for (const file of stdout.split('\0')) {
    // '' ends the list; a missing file is a deletion not yet committed; a node_modules that is
    // a symlink is not matched by .gitignore's node_modules/ and is linked below anyway.
    if (file === '' || file === 'node_modules' || !existsSync(join(ROOT, file))) continue;
    cpSync(join(ROOT, file), join(dest, file));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dest, 'node_modules'));
}

/**
 * A consumer project in `dir` depending on the rlpx tarball at `spec`. Its lockfile carries this checkout's
 * locked runtime dependencies: `npm ci` caches their tarballs but not the registry metadata a
 * fresh resolution needs, so without the lock `npm install --offline` stops at ENOTCACHED.
 */
export function writeTarballConsumer(dir: string, spec: string, extra: Record<string, unknown> = {}): void {
  mkdirSync(dir, { recursive: true });
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };
  const runtime = Object.entries(lock.packages).filter(([path, p]) => path !== '' && !p.dev && !p.devOptional);
  const manifest = { name: 'consumer', private: true, type: 'module', dependencies: { rlpx: spec }, ...extra };
  const rlpx = { version: pkg['version'], resolved: spec, dependencies: pkg['dependencies'], bin: pkg['bin'], engines: pkg['engines'] };
  const consumerLock = {
    name: 'consumer',
    lockfileVersion: 3,
    requires: true,
    packages: { '': { name: 'consumer', dependencies: { rlpx: spec } }, 'node_modules/rlpx': rlpx, ...Object.fromEntries(runtime) },
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(consumerLock, null, 2));
}

/** tsconfig for the consumer: strict NodeNext, library .d.ts files checked too. */
export function consumerTsconfig(): string {
  return JSON.stringify({
    compilerOptions: {
      strict: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      skipLibCheck: false,
      types: ['node'],
      // @types/node is a dev dependency here, not something the package pulls in.
      typeRoots: [join(ROOT, 'node_modules/@types')],
      outDir: 'out',
    },
    files: ['consumer.ts'],
  });
}

/**
 * An ES module consumer of all three entry points: two keys, listen + dial on 127.0.0.1, an
 * eth Status answered by the responder from 'rlpx/eth', one Ping, a Disconnect, and the RLP
 * and hex helpers of 'rlpx/codec'. It prints one JSON line of what it saw.
 */
export const CONSUMER_TS = `
import { dial, listen, generatePrivateKey, DisconnectReason, type Peer, type Protocol } from 'rlpx';
import { rlpEncode, rlpDecode, hexToBytes, bytesToHex, publicKeyOf, keccak256, keccakBackend, secp256k1Backend, type NestedUint8Array } from 'rlpx/codec';
import { ethStatusResponder, encodeStatus, decodeStatus, type EthStatus } from 'rlpx/eth';

const serverKey = generatePrivateKey();
const clientKey = generatePrivateKey();
const responder = ethStatusResponder();
const server = await listen({ privateKey: serverKey, host: '127.0.0.1', port: 0, protocols: responder.protocols });
const accepted = new Promise<Peer>((resolve) => server.once('peer', resolve));

// Two responders only answer, so the dialer speaks first with a Status of its own.
const ours: EthStatus = {
  version: 69,
  networkId: 1337n,
  genesisHash: keccak256(rlpEncode('genesis')),
  forkId: { hash: hexToBytes('0xdeadbeef'), next: 0n },
  earliestBlock: 0n,
  latestBlock: 7n,
  latestBlockHash: keccak256(rlpEncode(7)),
};
let answered!: (s: EthStatus) => void;
const answer = new Promise<EthStatus>((resolve) => (answered = resolve));
const eth69: Protocol = {
  name: 'eth',
  version: 69,
  length: 18,
  run(channel) {
    channel.on('message', (code, payload) => {
      if (code === 0) answered(decodeStatus(payload));
    });
    void channel.send(0, encodeStatus(ours));
  },
};

const peer = await dial(server.enode, { privateKey: clientKey, protocols: [eth69], signal: AbortSignal.timeout(10_000) });
const { status: seen, fork } = await responder.status(await accepted);
const mirrored = await answer;
const rtt: number = await peer.ping();
const closed = await peer.disconnect(DisconnectReason.ClientQuitting);
await server.close();

const decoded = rlpDecode(rlpEncode([hexToBytes('0x0102'), [], 'abc'])) as NestedUint8Array;
console.log(JSON.stringify({
  serverId: bytesToHex(publicKeyOf(serverKey)),
  enode: server.enode,
  clientIdSeen: bytesToHex(peer.remotePublicKey),
  statusSeenByServer: { network: seen.networkId.toString(), latest: seen.latestBlock.toString(), fork },
  statusMirrored: { network: mirrored.networkId.toString(), genesis: bytesToHex(mirrored.genesisHash) === bytesToHex(ours.genesisHash) },
  rtt,
  closed: { reason: closed.reason, initiator: closed.initiator },
  rlp: [bytesToHex(decoded[0] as Uint8Array), (decoded[1] as NestedUint8Array).length, new TextDecoder().decode(decoded[2] as Uint8Array)],
  rlpBytes: bytesToHex(rlpEncode([hexToBytes('0x0102'), [], 'abc'])),
  backends: [keccakBackend, secp256k1Backend],
}));
`;

/** The same package from CommonJS: require() of an ES module, which Node >= 20.19 allows. */
export const CONSUMER_CJS = `
const rlpx = require('rlpx');
const codec = require('rlpx/codec');
const eth = require('rlpx/eth');
const crawl = require('rlpx/crawl');
const discovery = require('rlpx/discovery');
const key = rlpx.generatePrivateKey();
console.log(JSON.stringify({
  listen: typeof rlpx.listen,
  id: codec.bytesToHex(codec.publicKeyOf(key)),
  rlp: codec.bytesToHex(codec.rlpEncode(['dog'])),
  eth: eth.ethStatusResponder().protocols.map((p) => p.version),
  crawl: [typeof crawl.crawl, typeof crawl.walkDnsTrees, crawl.encodeEnr({ ip: '127.0.0.1', tcp: 30303 }, key).tcp],
  discovery: [typeof discovery.startDiscoveryV4, discovery.MAX_PACKET_SIZE],
}));
`;
