/** Module files: one verify function, defaults for what is left out, a clear error for the rest. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { generatePrivateKey } from '../../src/crypto/secp256k1.js';
import { CHAINS } from '../../src/eth/chain.js';
import { ConfigError, loadModules, MODULE_DEFAULTS, parseModules, verifyModule } from '../../src/cli/exporter-modules.js';

describe('probe modules', () => {
  it('an empty module is the defaults; the built-in modules are default and eth', () => {
    expect(verifyModule('m', {})).toEqual(MODULE_DEFAULTS);
    expect(verifyModule('m', null)).toEqual(MODULE_DEFAULTS);
    const builtIn = loadModules(undefined, undefined);
    expect([...builtIn.keys()]).toEqual(['default', 'eth']);
    expect(builtIn.get('eth')!.spec.eth.require).toBe(true);
    expect(builtIn.get('default')!.privateKey).toBeUndefined();
  });

  it('YAML and JSON files alike; a chain by name; a key file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlpx-modules-'));
    const key = generatePrivateKey();
    writeFileSync(join(dir, 'k'), `${bytesToHex(key)}\n`);
    const yaml = parseModules(`modules:\n  main:\n    timeout_ms: 2000\n    pings: { count: 5, interval_ms: 0 }\n    health: geth\n    eth: { require: true, chain: sepolia }\n    key_file: ${join(dir, 'k')}\n    full_ok: true\n`, undefined);
    const m = yaml.get('main')!;
    expect(m.spec).toEqual({ timeout_ms: 2000, pings: { count: 5, interval_ms: 0 }, health: 'geth', eth: { require: true, serves: true, chain: 'sepolia' }, key_file: join(dir, 'k'), full_ok: true });
    expect(m.privateKey).toEqual(key);
    expect(m.chain).toBe(CHAINS['sepolia']);
    const json = parseModules(JSON.stringify({ modules: { j: { pings: { count: 2 } } } }), undefined);
    expect(json.get('j')!.spec.pings).toEqual({ count: 2, interval_ms: MODULE_DEFAULTS.pings.interval_ms });
  });

  it.each([
    ['modules: []', /"modules" must map at least one name/],
    ['other: 1', /unknown key other; known: modules/],
    ['modules:\n  a:\n    pings: { count: 0 }', /module a\.pings\.count must be an integer >= 1, got 0/],
    ['modules:\n  a:\n    timeout_ms: "5s"', /module a\.timeout_ms must be an integer >= 1, got "5s"/],
    ['modules:\n  a:\n    health: l4', /module a\.health must be l7 or geth, got "l4"/],
    ['modules:\n  a:\n    full_ok: yes please', /module a\.full_ok must be true or false/],
    ['modules:\n  a:\n    eth: { chain: nowhere }', /module a: unknown chain "nowhere"/],
    ['modules:\n  a:\n    eth: { chian: mainnet }', /module a\.eth: unknown key chian/],
    ['modules:\n  a:\n    key_file: /nonexistent/key', /module a: bad private key: ENOENT/],
    ['modules: {a: [1', /^config: /],
  ])('%j is refused', (text, message) => {
    expect(() => parseModules(text, undefined)).toThrow(ConfigError);
    expect(() => parseModules(text, undefined)).toThrow(message);
  });
});
