/**
 * The package as a user gets it. From a copy of the working tree without dist/ (what a clone
 * holds): a path dependency must build itself (prepare); `npm pack` must build (prepack) and
 * ship the JS, the .d.ts files and an executable bin, and no source maps; the tarball, installed
 * offline into a fresh project, must type-check under strict NodeNext and run (import and
 * require), its bin must print the version and backends, and where the native addons cannot
 * load the @noble fallback must say so once on stderr.
 *
 * The tests share one temp dir and run in order: each builds on what the one before installed.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';
import { CONSUMER_CJS, CONSUMER_TS, consumerTsconfig, copyCleanTree, run, runOk, writeTarballConsumer } from './helpers/package.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; engines: { node: string } };
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const NPM_INSTALL = ['install', '--offline', '--no-audit', '--no-fund'];
// The bin is run as an executable (its shebang finds node on PATH), not as `node main.js`.
const PATH_WITH_NODE = { PATH: `${dirname(process.execPath)}${delimiter}${process.env['PATH'] ?? ''}` };
const FALLBACK_LINE = /^rlpx: native crypto did not load, using the slower @noble fallback for keccak \(.+\); secp256k1 \(.+\)$/;

/** What CONSUMER_TS prints. */
interface ConsumerReport {
  serverId: string;
  enode: string;
  clientIdSeen: string;
  statusSeenByServer: { network: string; latest: string; fork: string };
  statusMirrored: { network: string; genesis: boolean };
  rtt: number;
  closed: { reason: number; initiator: string };
  rlp: [string, number, string];
  rlpBytes: string;
  backends: [string, string];
}

let tmp: string;
let tree: string; // the clean copy of the project
let app: string; // the project that installs the tarball

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'rlpx-package-'));
  tree = join(tmp, 'rlpx');
  app = join(tmp, 'app');
  await copyCleanTree(tree);
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('package', () => {
  it('engines.node covers what the package uses (node:zlib crc32 needs 20.15)', () => {
    const min = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(pkg.engines.node);
    expect(min, `engines.node "${pkg.engines.node}" is not a plain >=x.y.z`).not.toBeNull();
    const [major, minor] = [Number(min![1]), Number(min![2])];
    expect(major > 20 || (major === 20 && minor >= 15)).toBe(true);
  });

  it('a path dependency builds itself through prepare', async () => {
    const viaPath = join(tmp, 'via-path');
    mkdirSync(viaPath);
    writeFileSync(join(viaPath, 'package.json'), JSON.stringify({ name: 'via-path', private: true, type: 'module' }));
    expect(existsSync(join(tree, 'dist'))).toBe(false);
    await runOk('npm', [...NPM_INSTALL, '../rlpx'], viaPath, {}, 90_000);
    expect(existsSync(join(tree, 'dist/index.js'))).toBe(true);
    const r = await runOk(process.execPath, ['--input-type=module', '-e', "const m = await import('rlpx'); console.log(typeof m.dial)"], viaPath);
    expect(r.stdout.trim()).toBe('function');
  }, 120_000);

  it('npm pack builds and ships the JS, the declarations and an executable bin, and no source maps', async () => {
    rmSync(join(tree, 'dist'), { recursive: true, force: true });
    const packed = await runOk('npm', ['pack', '--json', '--pack-destination', tmp], tree, {}, 90_000);
    // --json prints the report last, from the start of a line; build output may come before it.
    const [report] = JSON.parse(packed.stdout.slice(packed.stdout.search(/^\[/m))) as Array<{ filename: string; files: Array<{ path: string; mode: number }> }>;
    const files = new Map(report!.files.map((f) => [f.path, f.mode]));
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/codec.js', 'dist/codec.d.ts', 'dist/eth/index.js', 'dist/eth/index.d.ts', 'dist/crawl/index.js', 'dist/crawl/index.d.ts', 'dist/discovery/index.js', 'dist/discovery/index.d.ts', 'dist/cli/main.js']) {
      expect(files.has(f), f).toBe(true);
    }
    expect([...files.keys()].filter((f) => !/^dist\/.+\.(js|d\.ts)$/.test(f)).sort()).toEqual(['LICENSE', 'README.md', 'package.json']);
    expect(files.get('dist/cli/main.js')! & 0o111).toBe(0o111);
    expect(report!.filename).toBe(`rlpx-${pkg.version}.tgz`);

    writeTarballConsumer(app, `file:../${report!.filename}`, { allowScripts: { keccak: false, secp256k1: false } });
    // allowScripts as the README recommends it: the denied scripts must not run, and the
    // prebuilt addons must load without them (the next tests check the backends).
    const install = await runOk('npm', [...NPM_INSTALL, '--foreground-scripts', `../${report!.filename}`], app, {}, 90_000);
    expect(install.stdout + install.stderr).not.toMatch(/> (keccak|secp256k1)@\S+ install/);
    const installed = join(app, 'node_modules/rlpx');
    const bin = readFileSync(join(installed, 'dist/cli/main.js'), 'utf8');
    expect(bin.startsWith('#!/usr/bin/env node\n')).toBe(true);
    for (const [f] of files) {
      if (f.endsWith('.js')) expect(readFileSync(join(installed, f), 'utf8'), f).not.toMatch(/sourceMappingURL/);
    }
  }, 150_000);

  it('a strict NodeNext consumer type-checks against the installed package and runs: listen, dial, eth Status, ping, disconnect, codec', async () => {
    writeFileSync(join(app, 'consumer.ts'), CONSUMER_TS);
    writeFileSync(join(app, 'tsconfig.json'), consumerTsconfig());
    await runOk(process.execPath, [TSC, '-p', '.'], app, {}, 60_000);
    const r = await runOk(process.execPath, ['out/consumer.js'], app, {}, 20_000);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout.trim()) as ConsumerReport;
    expect(out.serverId).toMatch(/^[0-9a-f]{128}$/);
    expect(out.enode).toMatch(new RegExp(`^enode://${out.serverId}@127\\.0\\.0\\.1:[1-9]\\d*$`));
    expect(out.clientIdSeen).toBe(out.serverId);
    expect(out.statusSeenByServer).toEqual({ network: '1337', latest: '7', fork: 'unchecked' });
    expect(out.statusMirrored).toEqual({ network: '1337', genesis: true });
    expect(out.rtt).toBeGreaterThan(0);
    expect(out.closed).toEqual({ reason: 0x08, initiator: 'local' });
    expect(out.rlp).toEqual(['0102', 0, 'abc']);
    expect(out.rlpBytes).toBe('c8820102c083616263');
    expect(out.backends).toEqual(['native', 'libsecp256k1']);
  }, 90_000);

  it('require() loads all five entry points (require(esm), no flag from Node 20.19)', async () => {
    writeFileSync(join(app, 'consumer.cjs'), CONSUMER_CJS);
    // Node 20.17-20.18 had require(esm) behind this flag; from 20.19 it is on by default.
    const flags = (process.features as { require_module?: boolean }).require_module ? [] : ['--experimental-require-module'];
    const r = await runOk(process.execPath, [...flags, 'consumer.cjs'], app);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout.trim()) as Record<string, unknown>;
    expect(out).toMatchObject({ listen: 'function', rlp: 'c483646f67', eth: [69, 70, 71, 72], crawl: ['function', 'function', 30303], discovery: ['function', 1280] });
    expect(out['id']).toMatch(/^[0-9a-f]{128}$/);
  });

  it('the bin (and src via tsx) prints the package version and the crypto backends; RLPX_CRYPTO=noble is not announced', async () => {
    const rlpx = join(app, 'node_modules/.bin/rlpx');
    const native = await runOk(rlpx, ['--version'], app, PATH_WITH_NODE);
    expect(native.stdout).toBe(`rlpx ${pkg.version} (keccak: native, secp256k1: libsecp256k1; node ${process.version})\n`);
    expect(native.stderr).toBe('');
    const forced = await runOk(rlpx, ['--version'], app, { ...PATH_WITH_NODE, RLPX_CRYPTO: 'noble' });
    expect(forced.stdout).toBe(`rlpx ${pkg.version} (keccak: noble, secp256k1: noble; node ${process.version})\n`);
    expect(forced.stderr).toBe('');
    // The same line from the sources, which read package.json from another directory depth.
    const fromSrc = await runOk(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--version'], ROOT);
    expect(fromSrc.stdout).toBe(native.stdout);
  });

  it('without loadable native addons, @noble takes over and says so once on stderr', async () => {
    // What a platform without prebuilt binaries (linux-arm64) sees: node-gyp-build finds no
    // build for it. Removing this install's prebuilds/ gives exactly that, with the real
    // packages and no hook in our code.
    for (const dep of ['keccak', 'secp256k1']) {
      rmSync(join(app, 'node_modules', dep, 'prebuilds'), { recursive: true });
      expect(existsSync(join(app, 'node_modules', dep, 'build')), `${dep} has a build/ that would still load`).toBe(false);
    }
    const version = await run(join(app, 'node_modules/.bin/rlpx'), ['--version'], app, PATH_WITH_NODE);
    expect(version.code).toBe(0);
    expect(version.stdout).toBe(`rlpx ${pkg.version} (keccak: noble, secp256k1: noble; node ${process.version})\n`);
    const lines = version.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(FALLBACK_LINE);
    expect(lines[0]).toContain('No native build was found');

    // The whole consumer still works on the fallback, and hears about it once.
    const consumer = await run(process.execPath, ['out/consumer.js'], app, {}, 30_000);
    expect(consumer.code, consumer.stderr).toBe(0);
    expect((JSON.parse(consumer.stdout.trim()) as ConsumerReport).backends).toEqual(['noble', 'noble']);
    expect(consumer.stderr.trimEnd()).toMatch(FALLBACK_LINE);
  }, 60_000);
});
