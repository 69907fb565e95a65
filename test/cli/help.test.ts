/**
 * `--help` of every command, as a user runs it: exit 0, each option with its default, and the
 * README's table for that command listing exactly the same options and defaults.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { ROOT } from '../helpers/cli.js';
import { cliSuite, expectExit } from '../helpers/cli-suite.js';

const { cli } = cliSuite();
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

type Row = { option: string; default: string };

/** The option rows of the README table under `### \`rlpx COMMAND`. */
function readmeOptions(command: string): Row[] {
  const at = README.indexOf(`### \`rlpx ${command}`);
  expect(at, `README has a section for rlpx ${command}`).toBeGreaterThan(0);
  const section = README.slice(at, README.indexOf('\n### ', at + 1));
  return [...section.matchAll(/^\| `(--[^`]+)` \| ([^|]*) \|/gm)].map((m) => ({ option: m[1]!, default: m[2]!.trim() }));
}

/** The option lines of `--help`. */
function helpOptions(text: string): Row[] {
  return [...text.matchAll(/^ {2}(--\S+(?: [A-Z:]+)?) {2,}.*?(?: \(default: (.*)\))?$/gm)].map((m) => ({ option: m[1]!, default: m[2] ?? '' }));
}

describe('--help and the README agree', () => {
  it.each(['ping', 'listen', 'monitor', 'exporter', 'crawl', 'fetch', 'demo'])('rlpx %s --help', async (command) => {
    const r = await cli.run([command, '--help'], { timeout: 10_000 });
    expectExit(r, 0);
    expect(r.stdout).toMatch(new RegExp(`^usage: rlpx ${command}`));
    const help = helpOptions(r.stdout);
    expect(help.length).toBeGreaterThan(1);
    expect(help.map((o) => o.option)).toContain('--help');
    expect(readmeOptions(command)).toEqual(help);
  });

  it('rlpx --version and rlpx help', async () => {
    const v = await cli.run(['--version'], { timeout: 10_000 });
    expectExit(v, 0);
    expect(v.stdout).toMatch(new RegExp(`^rlpx ${VERSION.replace(/\./g, '\\.')} `));
    const h = await cli.run(['help'], { timeout: 10_000 });
    expectExit(h, 0);
    for (const c of ['ping', 'listen', 'monitor', 'exporter', 'crawl', 'fetch', 'demo']) expect(h.stdout).toContain(`usage: rlpx ${c}`);
  });
});
