/**
 * The top self-time entries of a V8 CPU profile (node --cpu-prof, or the inspector's
 * Profiler.stop), by function and source position, idle time left out.
 *
 *   npx tsx bench/profile-top.ts FILE.cpuprofile [--top 5]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export function profileTop(file: string, k: number): { totalMs: number; top: { name: string; selfMs: number; share: number }[] } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nameOf = new Map<number, string>();
  for (const { id, callFrame: f } of p.nodes) {
    // Our compiled files (bench/compile.ts) by their path in the project; node's and others' as they are.
    const url = f.url.replace(/^file:\/\/.*\/node_modules\/\.cache\/rlpx-bench(-[0-9a-f]+)?\//, '').replace(/^file:\/\/.*\/node_modules\//, '');
    const where = url ? ` ${url}:${f.lineNumber + 1}` : '';
    nameOf.set(id, `${f.functionName || '(anonymous)'}${where}`);
  }
  const self = new Map<string, number>();
  let total = 0;
  // timeDeltas[i] is the time from sample i-1 to sample i: charged to sample i's node.
  p.samples.forEach((id, i) => {
    const name = nameOf.get(id) ?? '?';
    if (name === '(idle)') return;
    const us = p.timeDeltas[i] ?? 0;
    self.set(name, (self.get(name) ?? 0) + us);
    total += us;
  });
  const top = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([name, us]) => ({ name, selfMs: us / 1000, share: us / total }));
  return { totalMs: total / 1000, top };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '5' } } });
  for (const file of positionals) {
    const { totalMs, top } = profileTop(file, Number(values.top));
    console.log(`${file}: ${totalMs.toFixed(0)} ms of samples (idle left out)`);
    for (const t of top) console.log(`${t.selfMs.toFixed(1).padStart(9)} ms ${(t.share * 100).toFixed(1).padStart(5)} %  ${t.name}`);
  }
}
