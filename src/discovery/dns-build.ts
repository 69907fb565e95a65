/**
 * Build and sign an EIP-1459 tree as a zone: every TXT record it needs, by name. For tests,
 * harnesses and anyone publishing a small list; the client side is dns-tree.ts.
 */
import { publicKeyOf } from '../crypto/secp256k1.js';
import { entryHash, formatBranch, formatRoot, formatTreeLink } from './dns-entry.js';
import { bytesToHex } from '../crypto/bytes.js';
import { decodeEnr, type Enr } from './enr.js';

/**
 * Hashes per branch: 13 of 26 characters plus commas keep a branch under ~370 bytes, so it
 * fits a 512-byte UDP answer with its name and headers (geth's maxChildren).
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
  // geth's dnsdisc build: one entry is its own subtree; up to `max` hang off one branch; more
  // are cut into chunks of `max` in order, each its own subtree, and the chunks' subtrees are
  // built the same way, until one branch of at most `max` remains.
  const top = (texts: readonly string[]): string => {
    if (texts.length === 1) return texts[0]!;
    if (texts.length <= max) return formatBranch(texts.map(put));
    const subtrees: string[] = [];
    for (let i = 0; i < texts.length; i += max) {
      const sub = top(texts.slice(i, i + max));
      put(sub);
      subtrees.push(sub);
    }
    return top(subtrees);
  };
  // Records sorted by node id, as geth's MakeTree sorts them, so the same records make the same
  // tree. Texts that are not valid records (trees that test clients) stay as given, after them.
  const keyed = (input.enrs ?? []).map((e) => ({ id: idOf(e), text: typeof e === 'string' ? e : e.toText() }));
  const enrTexts = [
    ...keyed.filter((e) => e.id !== undefined).sort((a, b) => (a.id! < b.id! ? -1 : a.id! > b.id! ? 1 : 0)),
    ...keyed.filter((e) => e.id === undefined),
  ].map((e) => e.text);
  const eroot = put(top(enrTexts));
  const lroot = put(top(input.links ?? []));
  const root = formatRoot(eroot, lroot, input.seq ?? 1, input.privateKey);
  records.set(domain, root);
  return { url: formatTreeLink(publicKeyOf(input.privateKey), domain), domain, root, records };
}

function idOf(e: Enr | string): string | undefined {
  try {
    return bytesToHex((typeof e === 'string' ? decodeEnr(e) : e).nodeId);
  } catch {
    return undefined;
  }
}
