/**
 * The README's quick start, run as written: its code block is taken from README.md, its
 * placeholder enode replaced by a local listener's, its imports pointed at src/, then it is
 * type-checked under strict NodeNext and run as a child process.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatePrivateKey } from '../src/crypto/secp256k1.js';
import { chainByName } from '../src/eth/chain.js';
import { EthResponder } from '../src/eth/protocol.js';
import { listen, type Server } from '../src/peer/server.js';
import { ROOT } from './helpers/cli.js';
import { run } from './helpers/package.js';

const PLACEHOLDER = 'enode://<128 hex>@127.0.0.1:30303';

/** The first ```ts block after a heading. */
function codeBlockAfter(markdown: string, heading: string): string {
  const at = markdown.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README has no "${heading}"`);
  const m = /```ts\n([\s\S]*?)```/.exec(markdown.slice(at));
  if (!m) throw new Error(`no ts block after "${heading}"`);
  return m[1]!;
}

const dir = join(ROOT, '.scratch', `readme-${process.pid}`);
let server: Server | undefined;
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('README', () => {
  it('the quick start type-checks and runs against a local node', async () => {
    const example = codeBlockAfter(readFileSync(join(ROOT, 'README.md'), 'utf8'), '## Quick start');
    expect(example).toContain(PLACEHOLDER);
    // A node that sends its Status first (a chain configured), as geth does.
    const eth = new EthResponder({ chain: chainByName('mainnet')! });
    server = await listen({ privateKey: generatePrivateKey(), port: 0, protocols: eth.protocols });
    const source = example
      .replace(PLACEHOLDER, server.enode)
      .replace(`from 'rlpx';`, `from '../../src/index.js';`)
      .replace(`from 'rlpx/eth';`, `from '../../src/eth/index.js';`);
    expect(source).not.toMatch(/from 'rlpx/);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'example.mts');
    writeFileSync(file, `${source}\nexport {};\n`);

    const tsc = await run(
      join(ROOT, 'node_modules/.bin/tsc'),
      ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2023,esnext.disposable', '--types', 'node', '--skipLibCheck', file],
      ROOT,
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);

    const r = await run(join(ROOT, 'node_modules/.bin/tsx'), [file], ROOT, {}, 30_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/version: 5/);
    expect(r.stdout).toMatch(/^1n$/m); // the mainnet network id, from the node's Status
    expect(r.stdout).toMatch(/^rtt \d+(\.\d+)? ms/m);
    expect(r.stdout).toMatch(/^client quitting local$/m);
  }, 60_000);
});
