/**
 * This project against geth's own p2p stack (go-ethereum v1.17.5 as a library, bench/geth-peer),
 * on the same work in one run: an echo subprotocol between every pairing of the two (geth⇄geth,
 * geth driving ours, ours driving geth, ours⇄ours) at three message sizes, ping-pong and
 * streamed, and RLPx handshakes + Hello per second served by each, with geth's dialer.
 *
 * Each side is its own process: one listener per implementation for the whole section, and one
 * driver process per figure, which connects, warms up and times `reps` repetitions on one
 * session. GETH_PROFILE_DIR=/tmp/p also CPU-profiles our side (node --cpu-prof) in the 64 B
 * streamed and handshake-load cases and records the top self-time entries.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { compiled, ROOT } from './compile.js';
import { sizeLabel } from './frames.js';
import { PAIRS, type FloorRow, type GethCell, type GethConfig, type GethResults, type HandshakeRow, type Impl } from './geth-types.js';
import { profileTop } from './profile-top.js';

interface Session {
  requests: number;
  cpuUs: number;
}

/** The command line that runs one implementation's program in `mode` (ours: `program`, a bench file). */
function command(impl: Impl, binary: string, nodeArgs: string[], args: string[], program = 'echo-peer.ts'): [string, string[]] {
  return impl === 'geth' ? [binary, args] : [process.execPath, [...nodeArgs, compiled(program), ...args]];
}

/** A listening echo node: its enode (or tcp://host:port for a floor echo), and the session lines it prints as sessions end. */
class Listener {
  readonly #proc: ChildProcess;
  readonly #sessions: Session[] = [];
  #waiter: (() => void) | undefined;
  #exited = false;
  readonly enode: Promise<string>;

  constructor(
    readonly impl: Impl,
    binary: string,
    nodeArgs: string[] = [],
    floor = false,
  ) {
    const [cmd, args] = floor ? command(impl, binary, nodeArgs, [impl === 'geth' ? 'tcplisten' : 'listen'], 'tcp-echo.ts') : command(impl, binary, nodeArgs, ['listen']);
    this.#proc = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: this.#proc.stdout! });
    this.enode = new Promise((resolve, reject) => {
      lines.once('line', (l) => (l.startsWith(floor ? 'tcp://' : 'enode://') ? resolve(l.trim()) : reject(new Error(`${impl} listener: ${l}`))));
      this.#proc.once('exit', (code) => reject(new Error(`${impl} listener exited (${code}) before printing its enode`)));
      lines.on('line', (l) => {
        if (!l.startsWith('{')) return;
        this.#sessions.push(JSON.parse(l) as Session);
        this.#waiter?.();
      });
    });
    // Awaited by the section; a listener that dies unawaited (the other one failed first) is no unhandled rejection.
    this.enode.catch(() => {});
    this.#proc.once('exit', () => {
      this.#exited = true;
      this.#waiter?.();
    });
  }

  /** The next session line: the echo side's CPU over the session a driver just ended. */
  async nextSession(timeoutMs = 10_000): Promise<Session> {
    const deadline = Date.now() + timeoutMs;
    while (this.#sessions.length === 0) {
      if (this.#exited || Date.now() > deadline) throw new Error(`${this.impl} listener printed no session line`);
      await new Promise<void>((r) => {
        this.#waiter = r;
        setTimeout(r, 100);
      });
    }
    return this.#sessions.shift()!;
  }

  /**
   * This process's CPU so far in µs, from /proc/PID/stat (utime + stime, in clock ticks of
   * 10 ms on Linux); undefined where there is no /proc. Read between loads, when it is idle.
   */
  cpuUs(): number | undefined {
    try {
      // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
      const stat = readFileSync(`/proc/${this.#proc.pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) * 10_000;
    } catch {
      return undefined;
    }
  }

  /** SIGTERM (so a --cpu-prof profile gets written), SIGKILL after 5 s; its own pid only. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    const gone = new Promise<void>((r) => this.#proc.once('exit', () => r()));
    this.#proc.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5_000).unref())]);
    if (!this.#exited) this.#proc.kill('SIGKILL');
  }
}

/** Run one driver (or the Go handshake loader) to its end and parse the JSON line it prints. */
function runDriver<T>(impl: Impl, binary: string, args: string[], nodeArgs: string[] = [], timeoutMs = 300_000, program?: string): Promise<T> {
  const [cmd, argv] = command(impl, binary, nodeArgs, args, program);
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as T);
      else reject(new Error(`${impl} ${args[0]} ${args.slice(1).join(' ')}: exit ${signal ?? code}: ${err.trim().split('\n').pop() ?? ''}`));
    });
  });
}

/** Both programs take the same arguments (Go's flag package reads --name as -name). */
const driveArgs = (enode: string, size: number, n: number, mode: 'pingpong' | 'stream', reps: number): string[] =>
  ['drive', '--enode', enode, '--n', String(n), '--size', String(size), '--mode', mode, '--reps', String(reps)];
const floorArgs = (impl: Impl, addr: string, size: number, n: number, mode: 'pingpong' | 'stream', reps: number): string[] =>
  [impl === 'geth' ? 'tcpdrive' : 'drive', '--addr', addr.replace(/^tcp:\/\//, ''), '--n', String(n), '--size', String(size), '--mode', mode, '--reps', String(reps)];
const loadArgs = (enode: string, n: number, concurrency: number, reps: number): string[] =>
  ['hsload', '--enode', enode, '--n', String(n), '--c', String(concurrency), '--reps', String(reps)];

function buildGethPeer(progress: (m: string) => void): { binary: string; seconds: number } {
  const t0 = performance.now();
  progress('geth: building bench/geth-peer (cached after the first build)…');
  const binary = execFileSync('bash', [path.join(ROOT, 'scripts', 'build-geth-peer.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return { binary, seconds: (performance.now() - t0) / 1000 };
}

export async function benchGeth(cfg: GethConfig, progress: (m: string) => void): Promise<GethResults> {
  const started = performance.now();
  const results: GethResults = { config: cfg, build: { binary: '', seconds: 0 }, rows: [], handshakes: [], floor: [], profiles: [], errors: [], seconds: 0 };
  const record = (what: string, err: unknown): void => {
    const msg = `${what}: ${err instanceof Error ? err.message : String(err)}`;
    results.errors.push(msg);
    progress(`geth: FAILED ${msg}`);
  };
  try {
    results.build = buildGethPeer(progress);
  } catch (err) {
    record('build', err);
    return results;
  }
  const bin = results.build.binary;
  const listeners = { geth: new Listener('geth', bin), ours: new Listener('ours', bin) };
  try {
    const enodes = { geth: await listeners.geth.enode, ours: await listeners.ours.enode };
    for (const { size, n } of cfg.workloads) {
      for (const mode of ['pingpong', 'stream'] as const) {
        const row = { size, n, mode, cells: {} as Record<string, GethCell> };
        results.rows.push(row);
        for (const pair of PAIRS) {
          const what = `${n} × ${sizeLabel(size)} ${mode}, ${pair.driver} drives ${pair.echo}`;
          progress(`geth: ${what}…`);
          try {
            const args = driveArgs(enodes[pair.echo], size, n, mode, cfg.reps);
            const d = await runDriver<{ ms: number[]; cpuUs: number; requests: number }>(pair.driver, bin, args);
            const echo = await listeners[pair.echo].nextSession();
            if (echo.requests !== d.requests) throw new Error(`echo side counted ${echo.requests} requests, driver sent ${d.requests}`);
            row.cells[pair.key] = { ms: d.ms, best: Math.min(...d.ms), driverCpuUs: d.cpuUs, echoCpuUs: echo.cpuUs, requests: d.requests };
          } catch (err) {
            record(what, err);
          }
        }
      }
    }
    for (const { concurrency, n } of cfg.handshakes) {
      const row: HandshakeRow = { concurrency, n, perSec: {}, cpu: {} };
      results.handshakes.push(row);
      for (const server of ['geth', 'ours'] as const) {
        const what = `handshakes, ${concurrency} in flight, against ${server}`;
        progress(`geth: ${what}…`);
        try {
          const cpu0 = listeners[server].cpuUs();
          const d = await runDriver<{ perSec: number[]; cpuUs: number; handshakes: number }>('geth', bin, loadArgs(enodes[server], n, concurrency, cfg.reps));
          const cpu1 = listeners[server].cpuUs();
          row.perSec[server] = d.perSec;
          row.cpu[server] = { serverUs: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0, dialerUs: d.cpuUs, handshakes: d.handshakes };
        } catch (err) {
          record(what, err);
        }
      }
    }
  } catch (err) {
    record('listeners', err);
  } finally {
    await Promise.all([listeners.geth.stop(), listeners.ours.stop()]);
  }
  await benchFloor(cfg, bin, results, progress, record);
  const dir = process.env.GETH_PROFILE_DIR;
  if (dir && results.errors.length === 0) {
    try {
      await profileOurs(cfg, bin, dir, results, progress);
    } catch (err) {
      record('profiles', err);
    }
  }
  results.seconds = (performance.now() - started) / 1000;
  return results;
}

/**
 * Each runtime's floor: the same workloads over a plain TCP echo (no RLPx), Go driving Go's
 * echo and Node driving Node's, one listener per runtime, run after the RLPx cells.
 */
async function benchFloor(cfg: GethConfig, bin: string, results: GethResults, progress: (m: string) => void, record: (what: string, err: unknown) => void): Promise<void> {
  const listeners = { geth: new Listener('geth', bin, [], true), ours: new Listener('ours', bin, [], true) };
  try {
    const addrs = { geth: await listeners.geth.enode, ours: await listeners.ours.enode };
    for (const { size, n } of cfg.workloads) {
      for (const mode of ['pingpong', 'stream'] as const) {
        const row: FloorRow = { size, n, mode, cells: {} };
        results.floor.push(row);
        for (const impl of ['geth', 'ours'] as const) {
          const what = `${n} × ${sizeLabel(size)} ${mode}, plain TCP echo, ${impl === 'geth' ? 'Go' : 'Node'}`;
          progress(`geth: ${what}…`);
          try {
            const cpu0 = listeners[impl].cpuUs();
            const d = await runDriver<{ ms: number[]; cpuUs: number; requests: number }>(impl, bin, floorArgs(impl, addrs[impl], size, n, mode, cfg.reps), [], 300_000, 'tcp-echo.ts');
            const cpu1 = listeners[impl].cpuUs();
            const echoCpuUs = cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0;
            row.cells[impl] = { ms: d.ms, best: Math.min(...d.ms), driverCpuUs: d.cpuUs, echoCpuUs, requests: d.requests };
          } catch (err) {
            record(what, err);
          }
        }
      }
    }
  } catch (err) {
    record('floor listeners', err);
  } finally {
    await Promise.all([listeners.geth.stop(), listeners.ours.stop()]);
  }
}

/** GETH_PROFILE_DIR: our side under node --cpu-prof, one case at a time, each against geth. */
async function profileOurs(cfg: GethConfig, bin: string, dir: string, results: GethResults, progress: (m: string) => void): Promise<void> {
  const small = cfg.workloads[0]!;
  const prof = (name: string): string[] => ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`];
  const stream = (enode: string): string[] => driveArgs(enode, small.size, small.n, 'stream', cfg.reps);
  const cases: { what: string; name: string; run: () => Promise<void> }[] = [
    {
      what: `ours echoing, geth driving ${small.n} × ${sizeLabel(small.size)} streamed`,
      name: 'echo-stream',
      run: async () => {
        const l = new Listener('ours', bin, prof('echo-stream'));
        try {
          await runDriver('geth', bin, stream(await l.enode));
          await l.nextSession();
        } finally {
          await l.stop();
        }
      },
    },
    {
      what: `ours driving geth, ${small.n} × ${sizeLabel(small.size)} streamed`,
      name: 'drive-stream',
      run: async () => {
        const l = new Listener('geth', bin);
        try {
          await runDriver('ours', bin, stream(await l.enode), prof('drive-stream'));
        } finally {
          await l.stop();
        }
      },
    },
    ...cfg.handshakes.map(({ concurrency, n }) => ({
      what: `ours serving handshakes + Hello, geth's dialer, ${concurrency} in flight`,
      name: `handshakes-c${concurrency}`,
      run: async () => {
        const l = new Listener('ours', bin, prof(`handshakes-c${concurrency}`));
        try {
          await runDriver('geth', bin, loadArgs(await l.enode, n, concurrency, cfg.reps));
        } finally {
          await l.stop();
        }
      },
    })),
  ];
  for (const c of cases) {
    progress(`geth: profiling ${c.what}…`);
    await c.run();
    const file = path.join(dir, `${c.name}.cpuprofile`);
    results.profiles.push({ what: c.what, file, ...profileTop(file, 5) });
  }
}
