/**
 * Run the real `rlpx` CLI as a child process: `node --import tsx src/cli/main.ts ...` from the
 * repository root. Every child has a hard timeout (SIGKILL) and is tracked, so afterEach can
 * kill whatever a failed test left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Killed by the hard timeout. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
  ms: number;
}

/** One running `rlpx` child. */
export class CliProcess {
  readonly child: ChildProcess;
  readonly args: readonly string[];
  stdout = '';
  stderr = '';
  timedOut = false;
  /** Settles once the child has exited and its stdio is drained; never rejects. */
  readonly exited: Promise<CliExit>;
  #done = false;
  #listeners = new Set<() => void>();

  constructor(args: readonly string[], timeoutMs: number) {
    this.args = args;
    const started = performance.now();
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d;
      this.#notify();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
    });
    const hard = setTimeout(() => {
      this.timedOut = true;
      this.child.kill('SIGKILL');
    }, timeoutMs);
    this.exited = new Promise<CliExit>((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        clearTimeout(hard);
        this.#done = true;
        this.#notify();
        resolve({ code, signal, timedOut: this.timedOut, stdout: this.stdout, stderr: this.stderr, ms: Math.round(performance.now() - started) });
      };
      this.child.once('error', () => finish(null, null));
      this.child.once('close', finish);
    });
  }

  get running(): boolean {
    return !this.#done;
  }

  /** Complete stdout lines so far. */
  get lines(): string[] {
    const all = this.stdout.split('\n');
    all.pop(); // the unterminated tail, if any
    return all;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.running) this.child.kill(signal);
  }

  /** The first stdout line matching `pred`; fails if the child exits or `timeoutMs` passes first. */
  waitForLine(pred: (line: string) => boolean, timeoutMs = 5_000, what = 'a matching line'): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = this.lines.find(pred);
        if (hit !== undefined) return done(() => resolve(hit));
        if (this.#done) return done(() => reject(new Error(`rlpx ${this.args[0]} exited before printing ${what}\n${this.describe()}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no ${what} from rlpx ${this.args[0]} within ${timeoutMs} ms\n${this.describe()}`))), timeoutMs);
      const done = (fn: () => void): void => {
        clearTimeout(timer);
        this.#listeners.delete(check);
        fn();
      };
      this.#listeners.add(check);
      check();
    });
  }

  /** Wait until `n` stdout lines match `pred`. */
  async waitForLines(pred: (line: string) => boolean, n: number, timeoutMs = 5_000, what = 'matching lines'): Promise<string[]> {
    await this.waitForLine(() => this.lines.filter(pred).length >= n, timeoutMs, `${n} ${what}`);
    return this.lines.filter(pred);
  }

  describe(): string {
    return `args: ${this.args.join(' ')}\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  #notify(): void {
    for (const l of [...this.#listeners]) l();
  }
}

/** Spawns children and remembers them, for killAll() in afterEach. */
export class Cli {
  readonly #children = new Set<CliProcess>();

  spawn(args: readonly string[], { timeout = 15_000 }: { timeout?: number } = {}): CliProcess {
    const p = new CliProcess(args, timeout);
    this.#children.add(p);
    return p;
  }

  /** Run to completion (or the hard timeout). */
  run(args: readonly string[], opts: { timeout?: number } = {}): Promise<CliExit> {
    return this.spawn(args, opts).exited;
  }

  /** SIGKILL every child still running and wait for it to go. */
  async killAll(): Promise<void> {
    const left = [...this.#children];
    this.#children.clear();
    await Promise.all(
      left.map(async (p) => {
        p.kill('SIGKILL');
        await p.exited;
      }),
    );
  }
}

/** The last non-empty stdout line, parsed as JSON. */
export function lastJson<T = Record<string, unknown>>(stdout: string): T {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error('no stdout');
  return JSON.parse(lines[lines.length - 1]!) as T;
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition, samples only (plus the set of names declared by # TYPE). */
export function parseMetrics(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) {
      types.set(t[1]!, t[2]!);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return { samples, types };
}

/** Value of the one sample with this name whose labels include `labels`; undefined if none. */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length > 1) throw new Error(`${hits.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return hits[0]?.value;
}
