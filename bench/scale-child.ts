/**
 * The parent's end of a scale child (bench/scale-worker.ts): start it with a raised open-file
 * limit, send it commands over IPC and await their replies, stop it. `ChildGroup` holds the
 * children of one scenario so that all of them go at its end, on error too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { compiled, ROOT } from './compile.js';

export type Impl = 'ours' | 'ref';
/** 'compiled' (default): the child runs a transpiled build under plain node (see compile.ts); 'tsx': under tsx. */
export type Loader = 'compiled' | 'tsx';

/** Open-file limit asked for in the children: 10,000 sockets need more than the common 1,024. */
export const WANT_NOFILE = 65_536;
const WORKER_TS = fileURLToPath(new URL('./scale-worker.ts', import.meta.url));

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class ScaleChild {
  readonly #proc: ChildProcess;
  readonly label: string;
  #next = 1;
  readonly #pending = new Map<number, Pending>();
  #exit: string | undefined;

  private constructor(proc: ChildProcess, label: string) {
    this.#proc = proc;
    this.label = label;
    proc.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${label}: ${m.error}`));
    });
    proc.on('exit', (code, signal) => {
      this.#exit = `${label} exited (${signal ?? code})`;
      this.#failAll(new Error(this.#exit));
    });
    proc.on('error', (err) => this.#failAll(err));
  }

  #failAll(err: Error): void {
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.#pending.clear();
  }

  /** Start one child: bash raises the file limit, then execs node (so the pid is node's). Resolves once it is ready. */
  static async start(impl: Impl, label: string, lifetimeMs: number, loader: Loader = 'compiled'): Promise<{ child: ScaleChild; nofile: number }> {
    const script = `ulimit -n ${WANT_NOFILE} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; export SCALE_NOFILE="$(ulimit -n)"; exec "$0" "$@"`;
    const entry = loader === 'tsx' ? ['--import', 'tsx', WORKER_TS] : [compiled('scale-worker.ts')];
    // SCALE_NODE_ARGS: extra node flags for the children, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p".
    const extra = (process.env.SCALE_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
    const proc = spawn('bash', ['-c', script, process.execPath, '--expose-gc', ...extra, ...entry, impl], {
      cwd: ROOT,
      stdio: ['ignore', 2, 2, 'ipc'],
      env: { ...process.env, SCALE_WORKER_LIFETIME_MS: String(lifetimeMs) },
    });
    const child = new ScaleChild(proc, label);
    const hello = await child.#await<{ nofile: number }>(0, 20_000, 'start');
    return { child, nofile: hello.nofile };
  }

  #await<T>(id: number, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#exit) return reject(new Error(this.#exit));
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.label}: ${what} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
    });
  }

  call<T>(cmd: string, args: unknown = {}, timeoutMs = 60_000): Promise<T> {
    const id = this.#next++;
    const p = this.#await<T>(id, timeoutMs, cmd);
    this.#proc.send({ id, cmd, args });
    return p;
  }

  /** Ask it to exit and wait for it (so profiles asked for with SCALE_NODE_ARGS get written); kill it after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.#exited()) return;
    const gone = new Promise<void>((r) => this.#proc.once('exit', () => r()));
    try {
      this.#proc.send({ id: this.#next++, cmd: 'exit', args: {} });
    } catch {
      // channel already closed
    }
    await Promise.race([gone, new Promise((r) => setTimeout(r, graceMs).unref())]);
    await this.kill();
  }

  /** Kill it (by its own pid, nothing broader) and wait, briefly, for it to go. */
  async kill(): Promise<void> {
    if (this.#exited()) return;
    const gone = new Promise<void>((r) => this.#proc.once('exit', () => r()));
    this.#proc.kill('SIGKILL');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 2_000).unref())]);
  }

  #exited(): boolean {
    return this.#proc.exitCode !== null || this.#proc.signalCode !== null;
  }
}

/** The children of one scenario. */
export class ChildGroup {
  readonly #children: ScaleChild[] = [];
  /** Open-file limit the last child started with. */
  nofile = NaN;

  constructor(
    readonly lifetimeMs: number,
    readonly loader: Loader,
  ) {}

  async start(impl: Impl, label: string): Promise<ScaleChild> {
    const { child, nofile } = await ScaleChild.start(impl, label, this.lifetimeMs, this.loader);
    this.#children.push(child);
    this.nofile = nofile;
    return child;
  }

  /** Orderly end: every child exits by itself, or is killed after a grace period. */
  async stop(): Promise<void> {
    await Promise.all(this.#children.map((c) => c.stop()));
  }

  /** Whatever happened: kill what is left. */
  async close(): Promise<void> {
    await Promise.all(this.#children.map((c) => c.kill()));
  }
}
