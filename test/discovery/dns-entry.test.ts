import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { base32nopad } from '@scure/base';
import { keccak256 } from '../../src/crypto/keccak.js';
import { bytesToHex, hexToBytes } from '../../src/crypto/bytes.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { buildDnsTree } from '../../src/discovery/dns-build.js';
import {
  entryHash,
  formatRoot,
  formatTreeLink,
  hashMatches,
  parseRoot,
  parseSubtreeEntry,
  parseTreeLink,
  verifyRoot,
} from '../../src/discovery/dns-entry.js';
import { encodeEnr } from '../../src/discovery/enr.js';
import { DnsTreeError, EnrError } from '../../src/discovery/errors.js';
import { SPEC_DOMAIN, SPEC_ENTRIES, SPEC_PRINTED_URL, SPEC_PUBLIC_KEY, SPEC_ROOT, SPEC_URL } from './spec-tree.js';

function kindOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DnsTreeError);
    return (err as DnsTreeError).kind;
  }
  return 'none';
}

describe('enrtree:// links', () => {
  it("encode the spec's signing key as the URL other implementations use", () => {
    expect(formatTreeLink(hexToBytes(SPEC_PUBLIC_KEY), SPEC_DOMAIN)).toBe(SPEC_URL);
    const link = parseTreeLink(SPEC_URL);
    expect(bytesToHex(link.publicKey)).toBe(SPEC_PUBLIC_KEY);
    expect(link.domain).toBe(SPEC_DOMAIN);
    expect(link.url).toBe(SPEC_URL);
  });

  it('parse the URL the spec prints too (a valid key, just not the one that signed its example)', () => {
    const link = parseTreeLink(SPEC_PRINTED_URL);
    expect(bytesToHex(link.publicKey)).not.toBe(SPEC_PUBLIC_KEY);
    expect(link.domain).toBe(SPEC_DOMAIN);
  });

  it('normalize case and a trailing dot', () => {
    const link = parseTreeLink(SPEC_URL.toLowerCase().replace('nodes.example.org', 'Nodes.Example.ORG.'));
    expect(link.url).toBe(SPEC_URL);
  });

  it('reject malformed links as malformed-link', () => {
    const key = SPEC_URL.slice('enrtree://'.length, SPEC_URL.indexOf('@'));
    for (const bad of [
      'enrtree:/x@y',
      `enrtree://${key}`,
      `enrtree://${key}@`,
      `enrtree://${key}@bad domain`,
      `enrtree://${key}@-lead.example`,
      `enrtree://${key.slice(0, -1)}@a.example`,
      `enrtree://${key}1@a.example`,
      `enrtree://AAAA@a.example`,
      `enrtree://${'A'.repeat(53)}@a.example`,
    ]) {
      expect(kindOf(() => parseTreeLink(bad)), bad).toBe('malformed-link');
    }
  });
});

describe('entries of the dnsdisc.md example', () => {
  it('are published under the base32 of their keccak256', () => {
    for (const [hash, text] of Object.entries(SPEC_ENTRIES)) {
      expect(entryHash(text)).toBe(hash);
      expect(hashMatches(hash, text)).toBe(true);
      expect(hashMatches(hash.toLowerCase(), text)).toBe(true); // DNS answers may change case
      const short = base32nopad.encode(keccak256(new TextEncoder().encode(text)).subarray(0, 12));
      expect(hashMatches(short, text)).toBe(true); // a 12-byte hash: the shortest allowed
      expect(hashMatches(short.slice(0, 16), text)).toBe(false); // 10 bytes: too short
      expect(hashMatches(hash, text + ' ')).toBe(false);
    }
    expect(hashMatches('AAAA', 'x')).toBe(false); // too short to be a hash
  });

  it('root: parses and verifies against the printed key, and fails against others', () => {
    const root = parseRoot(SPEC_ROOT, SPEC_DOMAIN);
    expect(root).toMatchObject({ eroot: 'JWXYDBPXYWG6FX3GMDIBFA6CJ4', lroot: 'C7HRFPF3BLGF3YR4DY5KX3SMBE', seq: 1 });
    expect(root.signature.length).toBe(65);
    expect(verifyRoot(root, hexToBytes(SPEC_PUBLIC_KEY))).toBe(true);
    expect(verifyRoot(root, parseTreeLink(SPEC_PRINTED_URL).publicKey)).toBe(false);
    expect(verifyRoot({ ...root, seq: 2 }, hexToBytes(SPEC_PUBLIC_KEY))).toBe(false);
  });

  it('branch, ENR and link leaves', () => {
    const branch = parseSubtreeEntry(SPEC_ENTRIES['JWXYDBPXYWG6FX3GMDIBFA6CJ4']!, 'x');
    expect(branch).toEqual({ type: 'branch', hashes: ['2XS2367YHAXJFGLZHVAWLQD4ZY', 'H4FHT4B454P6UXFD7JCYQ5PWDY', 'MHTDO6TMUBRIA2XWG5LUDACK24'] });
    const leaf = parseSubtreeEntry(SPEC_ENTRIES['2XS2367YHAXJFGLZHVAWLQD4ZY']!, 'x');
    expect(leaf.type).toBe('enr');
    if (leaf.type === 'enr') {
      expect([...leaf.enr.pairs.keys()]).toEqual(['id', 'secp256k1']);
      expect(leaf.enr.dialable).toBe(false);
    }
    const link = parseSubtreeEntry(SPEC_ENTRIES['C7HRFPF3BLGF3YR4DY5KX3SMBE']!, 'x');
    expect(link.type === 'link' && link.link.domain).toBe('morenodes.example.org');
    expect(parseSubtreeEntry('enrtree-branch:', 'x')).toEqual({ type: 'branch', hashes: [] });
  });
});

describe('roots we sign', () => {
  it('round-trip and verify under the signing key only', () => {
    const key = generatePrivateKey();
    const text = formatRoot('JWXYDBPXYWG6FX3GMDIBFA6CJ4', 'C7HRFPF3BLGF3YR4DY5KX3SMBE', 42, key);
    const root = parseRoot(text, 'd');
    expect(root.seq).toBe(42);
    expect(verifyRoot(root, publicKeyOf(key))).toBe(true);
    expect(verifyRoot(root, publicKeyOf(generatePrivateKey()))).toBe(false);
  });

  it('malformed roots are malformed-root', () => {
    const sig = SPEC_ROOT.slice(SPEC_ROOT.indexOf('sig=') + 4);
    for (const bad of [
      'enrtree-root:v2 e=JWXYDBPXYWG6FX3GMDIBFA6CJ4 l=C7HRFPF3BLGF3YR4DY5KX3SMBE seq=1 sig=' + sig,
      'enrtree-root:v1 e=JWXYDBPXYWG6FX3GMDIBFA6CJ4 l=C7HRFPF3BLGF3YR4DY5KX3SMBE seq=x sig=' + sig,
      'enrtree-root:v1 e=JWXY l=C7HRFPF3BLGF3YR4DY5KX3SMBE seq=1 sig=' + sig,
      'enrtree-root:v1 e=JWXYDBPXYWG6FX3GMDIBFA6CJ4 l=C7HRFPF3BLGF3YR4DY5KX3SMBE seq=1 sig=' + sig.slice(0, -2),
      'enrtree-root:v1 e=JWXYDBPXYWG6FX3GMDIBFA6CJ4 l=C7HRFPF3BLGF3YR4DY5KX3SMBE seq=1 sig=' + sig + '=',
      'enrtree-root:v1 e=JWXYDBPXYWG6FX3GMDIBFA6CJ4 l=C7HRFPF3BLGF3YR4DY5KX3SMBE seq=1',
      SPEC_ROOT + ' extra=1',
    ]) {
      expect(kindOf(() => parseRoot(bad, 'd')), bad).toBe('malformed-root');
    }
  });
});

describe('subtree entries that are wrong', () => {
  it('have a typed kind and keep their cause', () => {
    expect(kindOf(() => parseSubtreeEntry('enrtree-branch:JWXYDBPXYWG6FX3GMDIBFA6CJ4,nope!', 'x'))).toBe('malformed-branch');
    expect(kindOf(() => parseSubtreeEntry('enrtree-branch:JWXYDBPXYWG6FX3GMDIBFA6CJ4,', 'x'))).toBe('malformed-branch');
    expect(kindOf(() => parseSubtreeEntry('v=spf1 -all', 'x'))).toBe('unknown-entry');
    expect(kindOf(() => parseSubtreeEntry(SPEC_ROOT, 'x'))).toBe('unknown-entry'); // a root is no subtree entry
    let err: DnsTreeError | undefined;
    try {
      parseSubtreeEntry('enr:-HW4QOFzoVLaFJnNhbgMoDXPnOvcdVuj7pDpqRvh6BRDO68aVi5ZcjB3vzQRZH2IcLBGHzo8uUN3snqmgTiE56CH3AMBgmlkgnY0iXNlY3AyNTZrMaECC2_24YYkYHEgdzxlSNKQEnHhuNAbNlMlWJxrJxbAFvB', 'leaf.x');
    } catch (e) {
      err = e as DnsTreeError;
    }
    expect(err?.kind).toBe('malformed-enr');
    expect(err?.fqdn).toBe('leaf.x');
    expect(err?.cause).toBeInstanceOf(EnrError);
  });

  it('any string parses or throws a DnsTreeError, nothing else', () => {
    const prefixes = fc.constantFrom('', 'enr:', 'enrtree-branch:', 'enrtree://', 'enrtree-root:v1 ');
    fc.assert(
      fc.property(prefixes, fc.string({ maxLength: 300 }), (p, s) => {
        try {
          parseSubtreeEntry(p + s, 'x');
        } catch (err) {
          if (!(err instanceof DnsTreeError)) throw err;
        }
        try {
          parseRoot(p + s, 'x');
        } catch (err) {
          if (!(err instanceof DnsTreeError)) throw err;
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('buildDnsTree', () => {
  it('publishes every entry under its hash with branches of at most maxChildren', () => {
    const enrs = Array.from({ length: 30 }, (_, i) => encodeEnr({ ip: '127.0.0.1', tcp: 30000 + i }, generatePrivateKey()));
    const key = generatePrivateKey();
    const tree = buildDnsTree({ domain: 'Nodes.Test', privateKey: key, seq: 7, enrs, links: [SPEC_URL], maxChildren: 4 });
    expect(tree.url).toBe(formatTreeLink(publicKeyOf(key), 'nodes.test'));
    expect(tree.records.get('nodes.test')).toBe(tree.root);
    const root = parseRoot(tree.root, 'nodes.test');
    expect(verifyRoot(root, publicKeyOf(key))).toBe(true);
    for (const [name, text] of tree.records) {
      if (name === 'nodes.test') continue;
      expect(name.endsWith('.nodes.test')).toBe(true);
      expect(hashMatches(name.split('.')[0]!, text)).toBe(true);
      const e = parseSubtreeEntry(text, name);
      if (e.type === 'branch') expect(e.hashes.length).toBeLessThanOrEqual(4);
    }
    // Every record reachable from e= once, in 30 leaves.
    const leaves: string[] = [];
    const visit = (hash: string) => {
      const e = parseSubtreeEntry(tree.records.get(`${hash}.nodes.test`.toLowerCase())!, hash);
      if (e.type === 'branch') e.hashes.forEach(visit);
      else if (e.type === 'enr') leaves.push(e.enr.toText());
    };
    visit(root.eroot);
    expect(leaves.sort()).toEqual(enrs.map((e) => e.toText()).sort());
    expect(tree.records.get(`${root.lroot}.nodes.test`.toLowerCase())).toBe(SPEC_URL);
  });
});
