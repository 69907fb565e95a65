/**
 * Build and sign an EIP-1459 tree as a zone: every TXT record it needs, by name. For tests,
 * harnesses and anyone publishing a small list; the client side is dns-tree.ts.
 */
import { publicKeyOf } from '../crypto/secp256k1.js';
import { entryHash, formatBranch, formatRoot, formatTreeLink } from './dns-entry.js';
import type { Enr } from './enr.js';

/**
 * Hashes per branch: 13 of 26 characters plus commas keep a branch under ~370 bytes, so it
 * fits a 512-byte UDP answer with its name and headers (geth builds its trees the same way).
 */
export const MAX_BRANCH_CHILDREN = 13;

export interface DnsTreeInput {
  domain: string;
  /** Signs the root; its public key goes into the tree's enrtree:// URL. */
  privateKey: Uint8Array;
  seq?: number;
  enrs?: readonly (Enr | string)[];
  /** enrtree:// URLs of other trees. */
  links?: readonly string[];
  maxChildren?: number;
}

export interface BuiltDnsTree {
  /** enrtree://<key>@<domain>, the URL clients are given. */
  url: string;
  domain: string;
  /** The root entry's text, published at the domain itself. */
  root: string;
  /** Every record, the root included: fully qualified name → TXT text. */
  records: Map<string, string>;
}

export function buildDnsTree(input: DnsTreeInput): BuiltDnsTree {
  const domain = input.domain.toLowerCase();
  const max = input.maxChildren ?? MAX_BRANCH_CHILDREN;
  if (!Number.isInteger(max) || max < 2) throw new RangeError('buildDnsTree: maxChildren must be an integer >= 2');
  const records = new Map<string, string>();
  const put = (text: string): string => {
    const hash = entryHash(text);
    records.set(`${hash}.${domain}`.toLowerCase(), text);
    return hash;
  };
  // A single entry is its own subtree; up to `max` hang off one branch; more are split into
  // at most `max` groups, each its own subtree.
  const top = (texts: readonly string[]): string => {
    if (texts.length === 1) return texts[0]!;
    if (texts.length <= max) return formatBranch(texts.map(put));
    const size = Math.ceil(texts.length / max);
    const groups: string[] = [];
    for (let i = 0; i < texts.length; i += size) groups.push(put(top(texts.slice(i, i + size))));
    return formatBranch(groups);
  };
  const enrTexts = (input.enrs ?? []).map((e) => (typeof e === 'string' ? e : e.toText()));
  const eroot = put(top(enrTexts));
  const lroot = put(top(input.links ?? []));
  const root = formatRoot(eroot, lroot, input.seq ?? 1, input.privateKey);
  records.set(domain, root);
  return { url: formatTreeLink(publicKeyOf(input.privateKey), domain), domain, root, records };
}
