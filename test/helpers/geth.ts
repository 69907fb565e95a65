/**
 * A real geth for interop tests: built once by scripts/build-geth.sh, started offline on
 * 127.0.0.1 with free ports and a throwaway datadir, always stopped and removed.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, openSync, closeSync, readFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface GethBinaries {
  geth: string;
  devp2p: string;
  version: string;
}

/**
 * geth and devp2p, built if needed. In CI a failure is fatal; elsewhere, without Go, the
 * caller may skip, and we say loudly how to enable the tests.
 */
export function gethBinaries(): GethBinaries | undefined {
  try {
    const dir = execFileSync('bash', [join(ROOT, 'scripts/build-geth.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 20 * 60_000,
    }).trim().split('\n').pop()!;
    const geth = join(dir, 'geth');
    const version = execFileSync(geth, ['version'], { encoding: 'utf8' }).match(/^Version: (.*)$/m)?.[1] ?? 'unknown';
    return { geth, devp2p: join(dir, 'devp2p'), version };
  } catch (err) {
    const msg = `geth interop tests need geth: scripts/build-geth.sh failed (${(err as Error).message.split('\n')[0]}). Install Go (>= 1.24) and run 'bash scripts/build-geth.sh'.`;
    if (process.env['CI']) throw new Error(msg);
    console.warn(`\n*** SKIPPING geth interop tests ***\n${msg}\n`);
    return undefined;
  }
}

/**
 * bench/geth-peer (go-ethereum's p2p.Server running the bench echo protocol), built by
 * scripts/build-geth-peer.sh; undefined (loudly) outside CI when it cannot be built.
 */
export function gethPeerBinary(): string | undefined {
  try {
    return execFileSync('bash', [join(ROOT, 'scripts/build-geth-peer.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 20 * 60_000,
    }).trim().split('\n').pop()!;
  } catch (err) {
    const msg = `go-ethereum p2p tests need bench/geth-peer: scripts/build-geth-peer.sh failed (${(err as Error).message.split('\n')[0]}).`;
    if (process.env['CI']) throw new Error(msg);
    console.warn(`\n*** SKIPPING go-ethereum p2p tests ***\n${msg}\n`);
    return undefined;
  }
}

/**
 * A port free for TCP and for UDP on 127.0.0.1 at this moment (geth and our listeners bind both
 * on one number; a TCP-only check handed out ports whose UDP side a discovery node held).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.unref();
      s.on('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = createSocket('udp4');
      u.unref();
      u.once('error', () => (u.close(), resolve(false)));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (udpFree || attempt >= 20) return port;
  }
}

export const GETH_NETWORK_ID = 1337;

export const GENESIS = {
  config: {
    chainId: GETH_NETWORK_ID,
    homesteadBlock: 0,
    eip150Block: 0,
    eip155Block: 0,
    eip158Block: 0,
    byzantiumBlock: 0,
    constantinopleBlock: 0,
    petersburgBlock: 0,
    istanbulBlock: 0,
    berlinBlock: 0,
    londonBlock: 0,
    mergeNetsplitBlock: 0,
    shanghaiTime: 0,
    terminalTotalDifficulty: 0,
  },
  difficulty: '0x0',
  gasLimit: '0x1c9c380',
  baseFeePerGas: '0x3b9aca00',
  alloc: {},
};

export interface GethNode {
  enode: string;
  /** 64-byte public key hex. */
  id: string;
  port: number;
  logFile: string;
  /** Send the geth process a signal (SIGSTOP freezes it with its sockets open; SIGCONT thaws it). */
  signal(sig: NodeJS.Signals): void;
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  logs(): string;
  stop(): Promise<void>;
}

export interface GethOptions {
  nodeKeyHex?: string;
  maxPeers?: number;
  verbosity?: number;
  /** A genesis other than GENESIS (an object, or the path of a genesis.json), and its network id. */
  genesis?: object | string;
  networkId?: number;
  /** Blocks to `geth import` after init (an RLP chain file). */
  importChain?: string;
  /**
   * Run discv4/v5 (instead of --nodiscover) on loopback only, DNS discovery off, with these
   * bootnodes: discovery.md's recipe for a local network of gethes on 127.0.0.1.
   */
  discovery?: { bootnodes: string[]; /** false: discv5 alone (geth's discv4 off). */ v4?: boolean };
}

/** A fixed node key so the enode is stable across runs. */
export const GETH_NODE_KEY = 'b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291';

/**
 * Start a geth; started again on fresh ports (up to 3 times) when one it was given was taken in
 * the moment between freePort() and geth's bind, which parallel test files make likely.
 */
export async function startGeth(bin: GethBinaries, options: GethOptions = {}): Promise<GethNode> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startGethOnce(bin, options);
    } catch (err) {
      if (attempt >= 3 || !/address already in use/.test((err as Error).message)) throw err;
    }
  }
}

/** Start several gethes at once; if one fails, the others are stopped before the error is thrown. */
export async function startGethes(bin: GethBinaries, options: readonly GethOptions[]): Promise<GethNode[]> {
  const settled = await Promise.allSettled(options.map((o) => startGeth(bin, o)));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const started = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  if (failed) {
    await Promise.all(started.map((g) => g.stop()));
    throw failed.reason;
  }
  return started;
}

async function startGethOnce(bin: GethBinaries, options: GethOptions): Promise<GethNode> {
  const dir = mkdtempSync(join(tmpdir(), 'rlpx-geth-'));
  const datadir = join(dir, 'data');
  const genesisFile = typeof options.genesis === 'string' ? options.genesis : join(dir, 'genesis.json');
  if (typeof options.genesis !== 'string') writeFileSync(genesisFile, JSON.stringify(options.genesis ?? GENESIS));
  execFileSync(bin.geth, ['init', '--datadir', datadir, genesisFile], { stdio: 'pipe' });
  if (options.importChain) execFileSync(bin.geth, ['import', '--datadir', datadir, options.importChain], { stdio: 'pipe', timeout: 60_000 });
  const [port, authPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const logFile = join(dir, 'geth.log');
  const log = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    bin.geth,
    [
      '--datadir', datadir,
      '--networkid', String(options.networkId ?? GETH_NETWORK_ID),
      ...(options.discovery
        ? ['--netrestrict', '127.0.0.0/8', '--discovery.dns=', ...(options.discovery.v4 === false ? ['--discovery.v4=false', '--discovery.v5'] : []), ...(options.discovery.bootnodes.length > 0 ? ['--bootnodes', options.discovery.bootnodes.join(',')] : [])]
        : ['--nodiscover']),
      '--nat', 'none',
      '--port', String(port),
      '--maxpeers', String(options.maxPeers ?? 5),
      '--nodekeyhex', options.nodeKeyHex ?? GETH_NODE_KEY,
      '--authrpc.addr', '127.0.0.1', '--authrpc.port', String(authPort),
      '--http', '--http.addr', '127.0.0.1', '--http.port', String(httpPort), '--http.api', 'admin,eth,net,debug',
      '--ipcdisable',
      '--verbosity', String(options.verbosity ?? 4),
    ],
    { stdio: ['ignore', log, log] },
  );
  closeSync(log);
  let exited = false;
  const exitedPromise = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));

  let id = 0;
  const rpc = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${httpPort}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await res.json()) as { result?: T; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result as T;
  };

  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGCONT'); // a frozen geth cannot act on SIGTERM
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitedPromise;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (exited) throw new Error(`geth exited during start-up:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
      try {
        const info = await rpc<{ enode: string; id: string; enr: string }>('admin_nodeInfo');
        const enode = info.enode.replace(/\?.*$/, '');
        const m = /^enode:\/\/([0-9a-f]{128})@/.exec(enode)!;
        return {
          enode: `enode://${m[1]}@127.0.0.1:${port}`,
          id: m[1]!,
          port,
          logFile,
          signal: (sig) => void (exited || child.kill(sig)),
          rpc,
          logs: () => readFileSync(logFile, 'utf8'),
          stop,
        };
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`geth did not answer RPC within 60 s: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
}
