import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseClientId } from '../../src/crawl/client-id.js';

// Client ids as these clients sent them in Hello (our geth build, and peers seen in the wild).
const REAL: [string, Record<string, string | undefined>][] = [
  ['Geth/v1.17.5-stable/linux-amd64/go1.26.8', { name: 'Geth', version: '1.17.5', versionSuffix: '-stable', os: 'linux', arch: 'amd64', lang: 'go1.26.8' }],
  ['Geth/v1.10.4-omnibus-3dd33368/linux-amd64/go1.16.5', { name: 'Geth', version: '1.10.4', versionSuffix: '-omnibus-3dd33368', os: 'linux', arch: 'amd64', lang: 'go1.16.5' }],
  ['reth/v1.10.2-8e3b5e6/x86_64-unknown-linux-gnu', { name: 'reth', version: '1.10.2', versionSuffix: '-8e3b5e6', os: 'linux', arch: 'x86_64', lang: undefined }],
  ['Nethermind/v1.25.4+20b10b35/linux-x64/dotnet8.0.2', { name: 'Nethermind', version: '1.25.4', versionSuffix: '+20b10b35', os: 'linux', arch: 'x64', lang: 'dotnet8.0.2' }],
  [
    'Nethermind/v1.0.0-rc28dev-c9d5542a/X64-Microsoft Windows 10.0.17134 /Core4.6.27617.05',
    { name: 'Nethermind', version: '1.0.0', versionSuffix: '-rc28dev-c9d5542a', os: 'Microsoft Windows 10.0.17134', arch: 'X64', lang: 'Core4.6.27617.05' },
  ],
  ['besu/v21.7.0-RC1/linux-x86_64/corretto-java-11', { name: 'besu', version: '21.7.0', versionSuffix: '-RC1', os: 'linux', arch: 'x86_64', lang: 'corretto-java-11' }],
  ['besu/v26.9-develop-d997aad/linux-x86_64/openjdk-java-25', { name: 'besu', version: '26.9', versionSuffix: '-develop-d997aad', os: 'linux', arch: 'x86_64', lang: 'openjdk-java-25' }],
  ['erigon/v3.0.10-9be6eea7/linux-amd64/go1.23.10', { name: 'erigon', version: '3.0.10', versionSuffix: '-9be6eea7', os: 'linux', arch: 'amd64', lang: 'go1.23.10' }],
  ['erigon/v2.53.4-c4843268/linux-arm64/go1.20.8', { name: 'erigon', version: '2.53.4', versionSuffix: '-c4843268', os: 'linux', arch: 'arm64', lang: 'go1.20.8' }],
];

describe('parseClientId', () => {
  it.each(REAL)('%s', (raw, want) => {
    const got = parseClientId(raw)!;
    expect(got).toBeDefined();
    expect(got.raw).toBe(raw);
    for (const [k, v] of Object.entries(want)) expect(got[k as keyof typeof got], k).toBe(v);
    expect(got.identity).toBeUndefined();
  });

  it("reads geth's --identity between name and version", () => {
    expect(parseClientId('Geth/bootnode-7/v1.17.5-stable/linux-amd64/go1.26.8')).toMatchObject({
      name: 'Geth',
      identity: 'bootnode-7',
      version: '1.17.5',
      os: 'linux',
      arch: 'amd64',
    });
  });

  it('keeps name and version when the rest is missing or unusual', () => {
    expect(parseClientId('erigon/v3.0.0')).toEqual({ raw: 'erigon/v3.0.0', name: 'erigon', version: '3.0.0' });
    expect(parseClientId('Nethermind/v1.30.0')).toMatchObject({ name: 'Nethermind', version: '1.30.0' });
    const odd = parseClientId('foo/v2/weird')!;
    expect(odd).toMatchObject({ name: 'foo', version: '2' });
    expect(odd.os).toBeUndefined();
  });

  it('is undefined where there is no Name/version shape', () => {
    for (const s of ['', 'Geth', '/v1.0.0', 'Geth/latest/linux-amd64', 'hello world', 'a/b/c/d']) {
      expect(parseClientId(s), s).toBeUndefined();
    }
    expect(parseClientId(42 as unknown as string)).toBeUndefined();
  });

  it('never throws on any string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const r = parseClientId(s);
        if (r) expect(r.name.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });
});
