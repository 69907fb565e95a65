/**
 * The benchmarks' child programs run compiled, as users run a build: src/ and bench/
 * transpiled with the project's compiler options (what `npm run build` emits, without the type
 * check, which `npm run typecheck` does), then plain node. Under tsx, esbuild's `keepNames`
 * gives closures a `name` property (and a property store), so per-peer heap would read higher
 * than in a build.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/**
 * Inside node_modules, so the compiled files resolve the project's dependencies; one directory per
 * checkout, because git worktrees may share one node_modules and must not overwrite each other's build.
 */
const BUILD_DIR = path.join(ROOT, 'node_modules', '.cache', `rlpx-bench-${createHash('sha256').update(ROOT).digest('hex').slice(0, 8)}`);

let done = false;

function tsFiles(dir: string): string[] {
  return (readdirSync(path.join(ROOT, dir), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f));
}

/**
 * Compile src/ and bench/ into BUILD_DIR (once per run) and return the compiled path of the
 * bench program `entry` (relative to bench/). A fraction of a second.
 */
export function compiled(entry: string): string {
  if (!done) {
    const base = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
    const { options } = ts.convertCompilerOptionsFromJson({ ...base.compilerOptions, declaration: false, sourceMap: false }, ROOT);
    options.module = ts.ModuleKind.ESNext; // the package is "type": "module": NodeNext emits ESM here too
    for (const rel of [...tsFiles('src'), ...tsFiles('bench')]) {
      const out = ts.transpileModule(readFileSync(path.join(ROOT, rel), 'utf8'), { compilerOptions: options, fileName: rel });
      const dest = path.join(BUILD_DIR, rel.replace(/\.ts$/, '.js'));
      mkdirSync(path.dirname(dest), { recursive: true });
      writeFileSync(dest, out.outputText);
    }
    // node_modules is a package-scope boundary: say that these files are ES modules.
    writeFileSync(path.join(BUILD_DIR, 'package.json'), '{ "type": "module", "private": true }\n');
    done = true;
  }
  return path.join(BUILD_DIR, 'bench', entry.replace(/\.ts$/, '.js'));
}
