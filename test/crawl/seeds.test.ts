import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { collectSeeds, parseEnodeList, SeedError, SeedSet } from '../../src/crawl/seeds.js';
import { buildDnsTree } from '../../src/discovery/dns-build.js';
import { encodeEnr } from '../../src/discovery/enr.js';
import { DnsTreeError, EnrError } from '../../src/discovery/errors.js';
import { EnodeError, parseEnode } from '../../src/peer/enode.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';

const keys = Array.from({ length: 6 }, () => generatePrivateKey());
const pub = (i: number) => bytesToHex(publicKeyOf(keys[i]!));
const id = (i: number) => bytesToHex(keccak256(publicKeyOf(keys[i]!)));
const enode = (i: number, port = 30303) => `enode://${pub(i)}@127.0.0.1:${port}`;

describe('parseEnodeList', () => {
  it('reads one node per line, skips blanks and comments, and reports bad lines by number', () => {
    const enr = encodeEnr({ ip: '127.0.0.2', tcp: 30304 }, keys[3]!).toText();
    const text = [
      '# bootnodes', // 1
      enode(0), // 2
      '', // 3
      `   ${enode(1, 30305)}   # inline comment`, // 4
      'enode://abcd@127.0.0.1:1', // 5: bad id
      '\t', // 6
      enr, // 7
      'enr:AAAA', // 8: bad record
      `${enode(2)}?discport=30399\r`, // 9, CRLF
      'http://example.org', // 10
    ].join('\n');
    const { seeds, errors } = parseEnodeList(text, 'nodes.txt');
    expect(seeds.map((s) => s.source)).toEqual(['nodes.txt:2', 'nodes.txt:4', 'nodes.txt:7', 'nodes.txt:9']);
    expect(seeds.map((s) => s.kind)).toEqual(['enode', 'enode', 'enr', 'enode']);
    expect(seeds[1]!.kind === 'enode' && seeds[1]!.enode.port).toBe(30305);
    expect(seeds[3]!.kind === 'enode' && seeds[3]!.enode.discport).toBe(30399);
    expect(errors.map((e) => [e.line, e.source])).toEqual([
      [5, 'nodes.txt'],
      [8, 'nodes.txt'],
      [10, 'nodes.txt'],
    ]);
    for (const e of errors) expect(e).toBeInstanceOf(SeedError);
    expect(errors[0]!.cause).toBeInstanceOf(EnodeError);
    expect(errors[1]!.cause).toBeInstanceOf(EnrError);
    expect(errors[0]!.message).toMatch(/^nodes\.txt:5: enode: node id must be 128 hex/);
  });

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ maxLength: 80 }), fc.constant(enode(0)), fc.constant('enode://')), { maxLength: 20 }), (lines) => {
        const { seeds, errors } = parseEnodeList(lines.join('\n'));
        for (const e of errors) expect(e).toBeInstanceOf(SeedError);
        expect(seeds.length + errors.length).toBeLessThanOrEqual(lines.length);
      }),
      { numRuns: 500 },
    );
  });
});

describe('SeedSet', () => {
  it('merges an enode and a record of the same node into one target', () => {
    const set = new SeedSet();
    set.addEnode(parseEnode(enode(0, 30303)), 'list:1');
    set.addEnr(encodeEnr({ seq: 4, ip: '127.0.0.9', tcp: 31000 }, keys[0]!), 'tree-a');
    set.addEnode(parseEnode(enode(0, 30400)), 'list:9');
    const [t, ...rest] = set.targets;
    expect(rest).toEqual([]);
    expect(t!.id).toBe(id(0));
    expect(t!.sources).toEqual(['list:1', 'tree-a', 'list:9']);
    expect(set.duplicates).toBe(2);
    // The record is the node's own word, newer than any list: its endpoint wins.
    expect(t!.enode).toBe(`enode://${pub(0)}@127.0.0.9:31000`);
    expect(t!.enr!.seq).toBe(4n);
  });

  it('keeps every endpoint seeds give for one key: the first to dial, the others as alternates', () => {
    const set = new SeedSet();
    set.addEnode(parseEnode(enode(4, 30303)), 'list:1');
    set.addEnode(parseEnode(enode(4, 30304)), 'list:2');
    set.addEnode(parseEnode(enode(4, 30303)), 'list:3'); // the same endpoint again: nothing new
    const [t] = set.targets;
    expect(t).toMatchObject({ port: 30303, sources: ['list:1', 'list:2', 'list:3'] });
    expect(t!.alternates).toEqual([{ enode: enode(4, 30304), host: '127.0.0.1', port: 30304 }]);
    // A record's endpoint goes first; the one it replaces is kept, none twice.
    set.addEnr(encodeEnr({ seq: 1, ip: '127.0.0.1', tcp: 30304 }, keys[4]!), 'tree');
    expect(set.targets[0]!.port).toBe(30304);
    expect(set.targets[0]!.alternates).toEqual([{ enode: enode(4, 30303), host: '127.0.0.1', port: 30303 }]);
  });

  it('keeps the newest record: a higher seq replaces the endpoint, a lower or equal one does not', () => {
    const set = new SeedSet();
    set.addEnr(encodeEnr({ seq: 2, ip: '127.0.0.1', tcp: 1000 }, keys[1]!), 'a');
    set.addEnr(encodeEnr({ seq: 1, ip: '127.0.0.1', tcp: 2000 }, keys[1]!), 'b');
    set.addEnr(encodeEnr({ seq: 2, ip: '127.0.0.1', tcp: 3000 }, keys[1]!), 'c');
    expect(set.targets[0]!.port).toBe(1000);
    set.addEnr(encodeEnr({ seq: 3, ip: '127.0.0.1', tcp: 4000 }, keys[1]!), 'd');
    expect(set.targets[0]!.port).toBe(4000);
    // A newer record without an endpoint keeps the one we can dial.
    set.addEnr(encodeEnr({ seq: 5 }, keys[1]!), 'e');
    expect(set.targets[0]).toMatchObject({ port: 4000, sources: ['a', 'b', 'c', 'd', 'e'] });
    expect(set.targets[0]!.enr!.seq).toBe(5n);
  });

  it('lists records without a TCP endpoint as undialable until an endpoint turns up', () => {
    const set = new SeedSet();
    set.addEnr(encodeEnr({ seq: 1, ip: '127.0.0.1', udp: 30303 }, keys[2]!), 'tree');
    set.addEnr(encodeEnr({ seq: 2, ip: '127.0.0.1' }, keys[2]!), 'tree2');
    set.addEnr(encodeEnr({ seq: 1 }, keys[3]!), 'tree');
    expect(set.targets).toEqual([]);
    expect(set.undialable.map((u) => [u.id, u.enr.seq, u.sources])).toEqual([
      [id(2), 2n, ['tree', 'tree2']],
      [id(3), 1n, ['tree']],
    ]);
    set.addEnode(parseEnode(enode(2, 30311)), 'list:3');
    set.addEnr(encodeEnr({ seq: 1, ip: '127.0.0.1', tcp: 30312 }, keys[3]!), 'tree3');
    expect(set.undialable).toEqual([]);
    expect(set.targets.map((t) => [t.id, t.port, t.sources])).toEqual([
      [id(2), 30311, ['tree', 'tree2', 'list:3']],
      [id(3), 30312, ['tree', 'tree3']],
    ]);
    expect(set.targets[0]!.enr!.seq).toBe(2n);
  });
});

describe('collectSeeds from a list and a DNS tree', () => {
  let server: DnsServer;
  beforeAll(async () => {
    server = await startDnsServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('dedupes across sources and gathers every error with its cause', async () => {
    const enrs = [0, 1, 4].map((i) => encodeEnr({ ip: '127.0.0.1', tcp: 32000 + i }, keys[i]!));
    const tree = buildDnsTree({ domain: 'seeds.test', privateKey: generatePrivateKey(), enrs: [...enrs, encodeEnr({}, keys[5]!), 'junk'] });
    for (const [name, text] of tree.records) server.zone.set(name, [text]);
    const list = [enode(0), 'not an enode', enode(2)].join('\n');
    const got = await collectSeeds({
      lists: [{ text: list, source: 'stdin' }],
      trees: [tree.url],
      dns: { servers: [server.address], timeout: 500, tries: 1 },
    });
    expect(got.targets.map((t) => t.id).sort()).toEqual([id(0), id(1), id(2), id(4)].sort());
    expect(got.targets.find((t) => t.id === id(0))!.sources).toEqual(['stdin:1', tree.url]);
    expect(got.undialable.map((u) => u.id)).toEqual([id(5)]);
    expect(got.duplicates).toBe(1);
    expect(got.errors.map((e) => (e instanceof SeedError ? `seed:${e.line}` : `dns:${(e as DnsTreeError).kind}`))).toEqual(['seed:2', 'dns:unknown-entry']);
  });
});
