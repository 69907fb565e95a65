/**
 * The simulated discovery network of discv4-sim.ts and discv5-sim.ts: child processes (one per
 * 127.0.0.x) that each run a share of the nodes, print one line per node, take the whole list
 * on stdin, fill their tables with it and say "ready"; "stats" asks for datagrams received.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export interface SimChild {
  proc: ChildProcessByStdio<Writable, Readable, null>;
  lines: AsyncIterator<string>;
}

export async function nextLine(c: SimChild): Promise<string> {
  const r = await c.lines.next();
  if (r.done) throw new Error('sim child ended');
  return r.value;
}

/** Start `total` nodes of `script` in `nChildren` children on 127.0.0.2.., each told of all: the children and every node's line. */
export async function startNetwork(script: string, total: number, nChildren: number): Promise<{ children: SimChild[]; lines: string[] }> {
  const per = Math.ceil(total / nChildren);
  const counts = Array.from({ length: nChildren }, (_, i) => Math.max(0, Math.min(per, total - i * per)));
  const children = counts.map((count, i): SimChild => {
    const proc = spawn(process.execPath, ['--import', 'tsx', script, `127.0.0.${i + 2}`, String(count)], { stdio: ['pipe', 'pipe', 'inherit'] });
    return { proc, lines: createInterface({ input: proc.stdout })[Symbol.asyncIterator]() };
  });
  const lines: string[] = [];
  for (const [i, c] of children.entries()) for (let k = 0; k < counts[i]!; k++) lines.push(await nextLine(c));
  for (const c of children) c.proc.stdin.write(`${lines.join('\n')}\n\n`);
  for (const c of children) if ((await nextLine(c)) !== 'ready') throw new Error('sim child not ready');
  return { children, lines };
}

/** Datagrams the whole network has received so far. */
export async function received(children: SimChild[]): Promise<number> {
  let sum = 0;
  for (const c of children) {
    c.proc.stdin.write('stats\n');
    sum += (JSON.parse((await nextLine(c)).slice(6)) as { received: number }).received;
  }
  return sum;
}
