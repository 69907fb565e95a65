/**
 * Many listening nodes in several child processes (listener-farm-worker.ts), so that a crawl
 * dials nodes that do not share its event loop, as on a real network.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./listener-farm-worker.ts', import.meta.url));

export interface FarmStats {
  accepted: number;
  rejected: number;
  rss: number;
}

export interface ListenerFarm {
  enodes: string[];
  /** Per child: peers accepted, connections rejected, RSS. */
  stats(): Promise<FarmStats[]>;
  close(): Promise<void>;
}

function reply<T>(child: ChildProcess, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`listener farm: no ${what} within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: unknown): void => done(undefined, m as T);
    const onExit = (code: number | null): void => done(new Error(`listener farm child exited (${code}) before ${what}`));
    function done(err?: Error, value?: T): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(value!);
    }
    child.once('message', onMessage);
    child.once('exit', onExit);
  });
}

/** `total` listeners spread evenly over `processes` children. */
export async function startListenerFarm(total: number, processes: number): Promise<ListenerFarm> {
  const children: ChildProcess[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(
      children.map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const exited = once(c, 'exit');
        if (c.connected) c.send('exit');
        const kill = setTimeout(() => c.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(kill);
      }),
    );
  };
  try {
    const ready = [];
    for (let i = 0; i < processes; i++) {
      const n = Math.floor(total / processes) + (i < total % processes ? 1 : 0);
      const child = fork(WORKER, [String(n), `farm${i}`], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      children.push(child);
      ready.push(reply<{ enodes: string[] }>(child, 60_000, 'enodes'));
    }
    // Each child's nodes in a row, as a list sorted by address would have them. Interleaved,
    // every child works at once, and on two cores five busy processes crawl 1,000 nodes about
    // half as fast: the listeners' CPU, not the crawler's, would be measured.
    const enodes = (await Promise.all(ready)).flatMap((r) => r.enodes);
    return {
      enodes,
      stats: () => Promise.all(children.map((c) => (c.send('stats'), reply<FarmStats>(c, 5_000, 'stats')))),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
