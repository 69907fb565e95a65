/**
 * DNS tree walks against a real DNS server on 127.0.0.1 (test/helpers/dns-server.ts), through
 * node:dns's Resolver, serving trees built and signed here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RLP } from '@ethereumjs/rlp';
import { base64urlnopad } from '@scure/base';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { buildDnsTree, type BuiltDnsTree } from '../../src/discovery/dns-build.js';
import { entryHash, formatTreeLink } from '../../src/discovery/dns-entry.js';
import { walkDnsTrees, type DnsTreeOptions, type TreeNode } from '../../src/discovery/dns-tree.js';
import { encodeEnr, type Enr } from '../../src/discovery/enr.js';
import { DnsTreeError, EnrError, type DnsTreeErrorKind } from '../../src/discovery/errors.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { SPEC_PRINTED_URL, SPEC_URL, specZone } from './spec-tree.js';

let server: DnsServer;
beforeAll(async () => {
  server = await startDnsServer();
});
afterAll(async () => {
  await server?.close();
});

/** Publish trees in the server's zone (each record one TXT record). */
function publish(...trees: BuiltDnsTree[]): void {
  for (const t of trees) for (const [name, text] of t.records) server.zone.set(name, [text]);
}
const opts = (more: DnsTreeOptions = {}): DnsTreeOptions => ({ servers: [server.address], timeout: 300, tries: 1, ...more });
const nodes = (n: number, tcp = true): Enr[] =>
  Array.from({ length: n }, (_, i) => encodeEnr(tcp ? { ip: '127.0.0.1', tcp: 40000 + i, udp: 40000 + i } : { ip: '127.0.0.1', udp: 1 }, generatePrivateKey()));
async function collect(urls: string[], options: DnsTreeOptions): Promise<{ found: TreeNode[]; errors: DnsTreeError[] }> {
  const walk = walkDnsTrees(urls, options);
  const found: TreeNode[] = [];
  for await (const n of walk) found.push(n);
  return { found, errors: walk.errors };
}
const kinds = (errors: DnsTreeError[]) => errors.map((e) => e.kind).sort();
const leafName = (text: string, domain: string) => `${entryHash(text)}.${domain}`.toLowerCase();

describe('a tree with a link, a loop and every kind of bad entry', () => {
  const keyA = generatePrivateKey();
  const keyB = generatePrivateKey();
  const keyC = generatePrivateKey();
  const good = nodes(12);
  const undialable = nodes(3, false);
  const inB = nodes(3);
  const [victimMismatch, victimMissing, victimSilent] = [good[0]!, good[1]!, good[2]!];

  const badSig = (() => {
    const raw = nodes(1)[0]!.raw.slice();
    raw[5]! ^= 0xff; // inside the signature
    return 'enr:' + base64urlnopad.encode(raw);
  })();
  const unknown = 'hello=world';
  const oversized = 'enr:' + 'A'.repeat(700);
  const urlB = formatTreeLink(publicKeyOf(keyB), 'b.test');
  const urlC = formatTreeLink(publicKeyOf(keyC), 'c.test');
  const urlMissing = formatTreeLink(publicKeyOf(generatePrivateKey()), 'missing.test');

  let result: { found: TreeNode[]; errors: DnsTreeError[] };
  let treeA: BuiltDnsTree;
  beforeAll(async () => {
    treeA = buildDnsTree({
      domain: 'a.test',
      privateKey: keyA,
      seq: 3,
      enrs: [...good, ...undialable, badSig, unknown, oversized, urlB /* a link in the ENR subtree */],
      links: [urlB, urlC, urlMissing],
      maxChildren: 4,
    });
    const treeB = buildDnsTree({ domain: 'b.test', privateKey: keyB, enrs: inB, links: [treeA.url] });
    // C's root is signed by a key other than the one its URL names.
    const treeC = buildDnsTree({ domain: 'c.test', privateKey: generatePrivateKey(), enrs: nodes(2) });
    publish(treeA, treeB, treeC);
    // Breaking three good leaves: one answers with another record, one is gone, one never answers.
    server.zone.set(leafName(victimMismatch.toText(), 'a.test'), [good[5]!.toText()]);
    server.zone.delete(leafName(victimMissing.toText(), 'a.test'));
    server.silent.add(leafName(victimSilent.toText(), 'a.test'));
    // The domain has an SPF record beside the root, as real domains do.
    server.zone.set('a.test', ['v=spf1 -all', treeA.root]);
    result = await collect([treeA.url], opts());
  });

  it('yields every good record of both trees, each once, with its tree', () => {
    const want = [...good.slice(3), ...undialable, ...inB].map((e) => e.toText()).sort();
    expect(result.found.map((n) => n.enr.toText()).sort()).toEqual(want);
    for (const n of result.found) {
      const inTreeB = inB.some((e) => e.toText() === n.enr.toText());
      expect(n.tree).toEqual(
        inTreeB ? { url: urlB, domain: 'b.test', seq: 1, depth: 1, via: ['a.test'] } : { url: treeA.url, domain: 'a.test', seq: 3, depth: 0, via: [] },
      );
      expect(n.fqdn).toBe(`${entryHash(n.enr.toText())}.${n.tree.domain}`);
    }
    expect(result.found.filter((n) => !n.enr.dialable).length).toBe(3);
  });

  it('counts each problem once, with its kind, its name and its cause', () => {
    const want: DnsTreeErrorKind[] = ['hash-mismatch', 'loop', 'malformed-enr', 'oversized', 'resolve', 'resolve', 'resolve', 'root-signature', 'unknown-entry', 'wrong-subtree'];
    expect(kinds(result.errors)).toEqual(want.sort());
    const by = (k: DnsTreeErrorKind) => result.errors.filter((e) => e.kind === k);
    expect(by('malformed-enr')[0]!.fqdn).toBe(`${entryHash(badSig)}.a.test`);
    expect(by('malformed-enr')[0]!.cause).toBeInstanceOf(EnrError);
    expect(by('unknown-entry')[0]!.message).toMatch(/unknown entry type: "hello=world"/);
    expect(by('oversized')[0]!.message).toMatch(/704 characters is over 512/);
    expect(by('wrong-subtree')[0]!.message).toMatch(/link in the ENR subtree/);
    expect(by('hash-mismatch')[0]!.fqdn.toLowerCase()).toBe(leafName(victimMismatch.toText(), 'a.test'));
    expect(by('root-signature')[0]!.fqdn).toBe('c.test');
    expect(by('loop')[0]!.message).toMatch(/link back to a\.test.*a\.test -> b\.test -> a\.test/);
    const resolve = by('resolve').map((e) => [e.fqdn.toLowerCase(), (e.cause as { code?: string }).code]).sort();
    expect(resolve).toEqual(
      [
        [leafName(victimMissing.toText(), 'a.test'), 'ENOTFOUND'],
        [leafName(victimSilent.toText(), 'a.test'), 'ETIMEOUT'],
        ['missing.test', 'ENOTFOUND'],
      ].sort(),
    );
  });

  it('fetched the oversized answer over TCP after a truncated UDP one', () => {
    expect(server.queries.tcp).toBeGreaterThanOrEqual(1);
  });
});

describe('the dnsdisc.md example tree', () => {
  beforeAll(() => {
    for (const [name, records] of specZone()) server.zone.set(name, records);
  });

  it('verifies under its signing key and yields its three records; its link does not resolve here', async () => {
    const { found, errors } = await collect([SPEC_URL], opts());
    expect(found.length).toBe(3);
    expect(found.every((n) => !n.enr.dialable && n.tree.seq === 1)).toBe(true);
    expect(errors.map((e) => [e.kind, e.fqdn])).toEqual([['resolve', 'morenodes.example.org']]);
  });

  it('is refused under the key of the URL printed beside it', async () => {
    const { found, errors } = await collect([SPEC_PRINTED_URL], opts());
    expect(found).toEqual([]);
    expect(kinds(errors)).toEqual(['root-signature']);
  });
});

describe('limits', () => {
  it('follows links up to maxLinkDepth and reports the first link past it', async () => {
    const keys = [0, 1, 2].map(() => generatePrivateKey());
    const urls = keys.map((k, i) => formatTreeLink(publicKeyOf(k), `d${i}.test`));
    const trees = keys.map((k, i) => buildDnsTree({ domain: `d${i}.test`, privateKey: k, enrs: nodes(2), links: urls[i + 1] ? [urls[i + 1]!] : [] }));
    publish(...trees);
    const { found, errors } = await collect([urls[0]!], opts({ maxLinkDepth: 1 }));
    expect(found.map((n) => n.tree.domain).sort()).toEqual(['d0.test', 'd0.test', 'd1.test', 'd1.test']);
    expect(errors.map((e) => e.kind)).toEqual(['limit']);
    expect(errors[0]!.message).toMatch(/link to d2\.test is past the depth limit of 1/);
  });

  it('stops at maxEntries lookups with one limit error', async () => {
    const tree = buildDnsTree({ domain: 'many.test', privateKey: generatePrivateKey(), enrs: nodes(30), maxChildren: 13 });
    publish(tree);
    const walk = walkDnsTrees([tree.url], opts({ maxEntries: 10, concurrency: 1 }));
    let n = 0;
    for await (const _ of walk) n++;
    expect(walk.stats.lookups).toBe(10);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(30);
    expect(kinds(walk.errors)).toEqual(['limit']);
  });

  it('caps TXT length as configured and joins records split into several strings', async () => {
    const enrs = nodes(2);
    const tree = buildDnsTree({ domain: 'split.test', privateKey: generatePrivateKey(), enrs });
    publish(tree);
    // One leaf as 20-character strings: a resolver hands them back separately.
    const text = enrs[0]!.toText();
    server.zone.set(leafName(text, 'split.test'), [text.match(/.{1,20}/g)!]);
    const ok = await collect([tree.url], opts());
    expect(ok.found.length).toBe(2);
    expect(ok.errors).toEqual([]);
    const capped = await collect([tree.url], opts({ maxTxtLength: 100 }));
    expect(capped.found.length).toBe(0);
    expect(new Set(kinds(capped.errors))).toEqual(new Set(['oversized']));
  });
});

describe('walk control', () => {
  it('a malformed URL among good ones is one error; the others are walked', async () => {
    const tree = buildDnsTree({ domain: 'ctl.test', privateKey: generatePrivateKey(), enrs: nodes(1) });
    publish(tree);
    const { found, errors } = await collect(['enrtree://nope@x.test', tree.url], opts());
    expect(found.length).toBe(1);
    expect(kinds(errors)).toEqual(['malformed-link']);
  });

  it('abort rejects the iteration promptly with the reason, and leaves nothing running', async () => {
    const tree = buildDnsTree({ domain: 'slow.test', privateKey: generatePrivateKey(), enrs: nodes(20) });
    publish(tree);
    for (const name of tree.records.keys()) if (name !== 'slow.test') server.silent.add(name);
    const controller = new AbortController();
    const walk = walkDnsTrees([tree.url], opts({ timeout: 5000, signal: controller.signal }));
    const started = performance.now();
    setTimeout(() => controller.abort(new Error('enough')), 100);
    let caught: unknown;
    try {
      for await (const _ of walk) expect.unreachable();
    } catch (err) {
      caught = err;
    }
    expect((caught as Error).message).toBe('enough');
    expect(performance.now() - started).toBeLessThan(1500);
    expect(walk.errors).toEqual([]); // cancelled lookups are not the tree's fault
    // An already aborted signal refuses at once.
    await expect(walkDnsTrees([tree.url], opts({ signal: AbortSignal.abort() }))[Symbol.asyncIterator]().next()).rejects.toThrow();
  });

  it('break ends the walk; a walk is iterated once', async () => {
    const tree = buildDnsTree({ domain: 'brk.test', privateKey: generatePrivateKey(), enrs: nodes(10) });
    publish(tree);
    const walk = walkDnsTrees([tree.url], opts());
    for await (const _ of walk) break;
    expect(walk.stats.enrs).toBeGreaterThanOrEqual(1);
    await expect(walk[Symbol.asyncIterator]().next()).rejects.toThrow(/iterated once/);
  });

  it('refuses bad options up front', () => {
    expect(() => walkDnsTrees([], { concurrency: 0 })).toThrow(RangeError);
    expect(() => walkDnsTrees([], { maxTxtLength: 1.5 })).toThrow(RangeError);
  });
});

describe('RLP of a record that is fine but unsigned by its key, via DNS', () => {
  it('is malformed-enr with the EnrError as cause', async () => {
    const key = generatePrivateKey();
    const good = encodeEnr({ ip: '127.0.0.1', tcp: 1 }, key);
    const items = RLP.decode(good.raw) as Uint8Array[];
    items[1] = Uint8Array.of(9); // seq changed after signing
    const forged = 'enr:' + base64urlnopad.encode(RLP.encode(items));
    const tree = buildDnsTree({ domain: 'forged.test', privateKey: generatePrivateKey(), enrs: [forged, good] });
    publish(tree);
    const { found, errors } = await collect([tree.url], opts());
    expect(found.map((n) => n.enr.toText())).toEqual([good.toText()]);
    expect(errors.map((e) => [e.kind, (e.cause as Error).message])).toEqual([['malformed-enr', "enr: signature is not by the record's key"]]);
  });
});

describe('a zone with random damage', () => {
  it('never throws: every record found is a good one, every problem a DnsTreeError', async () => {
    const enrs = nodes(12);
    const good = new Set(enrs.map((e) => e.toText()));
    const keyR = generatePrivateKey();
    const tree = buildDnsTree({ domain: 'rand.test', privateKey: keyR, enrs, maxChildren: 3 });
    const names = [...tree.records.keys()];
    const garbage = fc.oneof(
      fc.string({ maxLength: 600 }),
      fc.constantFrom('enr:', 'enrtree-branch:', 'enrtree://', 'enrtree-root:v1 ').chain((p) => fc.string({ maxLength: 300 }).map((s) => p + s)),
      fc.constant(enrs[0]!.toText()),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...names), garbage, fc.boolean()), { minLength: 1, maxLength: 4 }), async (damage) => {
        publish(tree);
        for (const [name, text, drop] of damage) {
          if (drop) server.zone.delete(name);
          else server.zone.set(name, [text]);
        }
        const { found, errors } = await collect([tree.url], opts());
        for (const n of found) expect(good.has(n.enr.toText())).toBe(true);
        for (const e of errors) expect(e).toBeInstanceOf(DnsTreeError);
        // Nothing is lost silently: fewer records than published means at least one error.
        if (found.length < enrs.length) expect(errors.length).toBeGreaterThan(0);
      }),
      { numRuns: 40 },
    );
  });
});
