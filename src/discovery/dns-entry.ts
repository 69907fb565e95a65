/**
 * The TXT entries of an EIP-1459 DNS tree (ethereum/devp2p dnsdisc.md):
 *   enrtree-root:v1 e=<enr root> l=<link root> seq=<n> sig=<base64url of a 65-byte signature>
 *   enrtree-branch:<hash>,<hash>,...
 *   enrtree://<base32 of the 33-byte compressed key>@<domain>   (a link, and the URL form)
 *   enr:<base64url of the record>
 * An entry lives at <hash>.<domain>, where hash is base32 (RFC 4648, unpadded) of the first
 * 16 bytes of keccak256 of its text; readers accept any prefix of 12 to 32 bytes.
 */
import { base32nopad, base64urlnopad } from '@scure/base';
import { keccak256 } from '../crypto/keccak.js';
import { decompressPublicKey, sign, verify } from '../crypto/secp256k1.js';
import { compressPublicKey } from './enr-values.js';
import { decodeEnr, ENR_PREFIX, type Enr } from './enr.js';
import { DnsTreeError } from './errors.js';

export const ROOT_PREFIX = 'enrtree-root:v1';
export const BRANCH_PREFIX = 'enrtree-branch:';
export const LINK_PREFIX = 'enrtree://';
const HASH_SIZE = 16;
const MIN_HASH_SIZE = 12;
const MAX_HASH_SIZE = 32;

const utf8 = new TextEncoder();

/** A tree's location: its domain and the key that signs its root. */
export interface TreeLink {
  /** The enrtree:// URL, normalized (domain in lower case). */
  url: string;
  domain: string;
  /** 64-byte x ‖ y. */
  publicKey: Uint8Array;
}

export interface RootEntry {
  eroot: string;
  lroot: string;
  seq: number;
  /** 65 bytes r ‖ s ‖ v; v is not needed to verify against a known key. */
  signature: Uint8Array;
}

export type SubtreeEntry =
  | { type: 'branch'; hashes: string[] }
  | { type: 'enr'; enr: Enr }
  | { type: 'link'; link: TreeLink };

/** base32 of the first 16 bytes of keccak256(text): the name an entry is published under. */
export function entryHash(text: string): string {
  return base32nopad.encode(keccak256(utf8.encode(text)).subarray(0, HASH_SIZE));
}

/** The bytes of a hash label, or undefined when it is not base32 of 12 to 32 bytes. */
function hashBytes(label: string): Uint8Array | undefined {
  try {
    // DNS names are case-insensitive, so a label may come back in any case.
    const bytes = base32nopad.decode(label.toUpperCase());
    return bytes.length >= MIN_HASH_SIZE && bytes.length <= MAX_HASH_SIZE ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/** Whether text is the entry that `label` names: keccak256(text) starts with its bytes. */
export function hashMatches(label: string, text: string): boolean {
  const want = hashBytes(label);
  if (!want) return false;
  const got = keccak256(utf8.encode(text));
  return Buffer.compare(want, got.subarray(0, want.length)) === 0;
}

const DOMAIN = /^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;

/** Parse an enrtree://<key>@<domain> URL or link entry. */
export function parseTreeLink(text: string, fqdn: string = text): TreeLink {
  if (typeof text !== 'string' || !text.startsWith(LINK_PREFIX)) {
    throw new DnsTreeError('malformed-link', fqdn, 'expected enrtree://<key>@<domain>');
  }
  const rest = text.slice(LINK_PREFIX.length);
  const at = rest.indexOf('@');
  const keyText = at < 0 ? '' : rest.slice(0, at);
  const domain = (at < 0 ? '' : rest.slice(at + 1)).replace(/\.$/, '').toLowerCase();
  if (!DOMAIN.test(domain)) throw new DnsTreeError('malformed-link', fqdn, `"${domain}" is not a domain name`);
  let publicKey: Uint8Array;
  try {
    publicKey = decompressPublicKey(base32nopad.decode(keyText.toUpperCase()));
  } catch (err) {
    throw new DnsTreeError('malformed-link', fqdn, 'key is not base32 of a compressed secp256k1 key', { cause: err });
  }
  return { url: `${LINK_PREFIX}${keyText.toUpperCase()}@${domain}`, domain, publicKey };
}

export function formatTreeLink(publicKey: Uint8Array, domain: string): string {
  return `${LINK_PREFIX}${base32nopad.encode(compressPublicKey(publicKey))}@${domain}`;
}

/** seq is geth's uint; up to 15 digits keeps it exact in a number, far past any real tree's. */
const ROOT = /^enrtree-root:v1 e=([A-Za-z2-7]+) l=([A-Za-z2-7]+) seq=(\d{1,15}) sig=([A-Za-z0-9_-]+)$/;

function signedPart(eroot: string, lroot: string, seq: number): Uint8Array {
  return utf8.encode(`${ROOT_PREFIX} e=${eroot} l=${lroot} seq=${seq}`);
}

/** Parse a root entry (its form only: verifyRoot checks the signature). */
export function parseRoot(text: string, fqdn: string): RootEntry {
  const m = ROOT.exec(text);
  if (!m) throw new DnsTreeError('malformed-root', fqdn, `not "${ROOT_PREFIX} e=<hash> l=<hash> seq=<n> sig=<signature>"`);
  const [, eroot, lroot, seqText, sigText] = m as unknown as [string, string, string, string, string];
  if (!hashBytes(eroot) || !hashBytes(lroot)) throw new DnsTreeError('malformed-root', fqdn, 'e= or l= is not a valid hash');
  let signature: Uint8Array;
  try {
    signature = base64urlnopad.decode(sigText);
  } catch (err) {
    throw new DnsTreeError('malformed-root', fqdn, 'sig= is not unpadded URL-safe base64', { cause: err });
  }
  if (signature.length !== 65) throw new DnsTreeError('malformed-root', fqdn, `sig= is ${signature.length} bytes, not 65`);
  return { eroot, lroot, seq: Number(seqText), signature };
}

/** True when the root is signed by the tree's key (over keccak256 of the text before " sig="). */
export function verifyRoot(root: RootEntry, publicKey: Uint8Array): boolean {
  const hash = keccak256(signedPart(root.eroot, root.lroot, root.seq));
  return verify(hash, root.signature.subarray(0, 64), publicKey);
}

export function formatRoot(eroot: string, lroot: string, seq: number, privateKey: Uint8Array): string {
  const signature = sign(keccak256(signedPart(eroot, lroot, seq)), privateKey);
  return `${ROOT_PREFIX} e=${eroot} l=${lroot} seq=${seq} sig=${base64urlnopad.encode(signature)}`;
}

export function formatBranch(hashes: readonly string[]): string {
  return BRANCH_PREFIX + hashes.join(',');
}

/** Parse an entry found under a hash name: a branch, an ENR leaf or a link leaf. */
export function parseSubtreeEntry(text: string, fqdn: string): SubtreeEntry {
  if (text.startsWith(BRANCH_PREFIX)) {
    const list = text.slice(BRANCH_PREFIX.length);
    const hashes = list === '' ? [] : list.split(',');
    const bad = hashes.find((h) => !hashBytes(h));
    if (bad !== undefined) throw new DnsTreeError('malformed-branch', fqdn, `"${bad.slice(0, 60)}" is not a valid hash`);
    return { type: 'branch', hashes: hashes.map((h) => h.toUpperCase()) };
  }
  if (text.startsWith(ENR_PREFIX)) {
    try {
      return { type: 'enr', enr: decodeEnr(text) };
    } catch (err) {
      throw new DnsTreeError('malformed-enr', fqdn, `bad node record: ${(err as Error).message}`, { cause: err });
    }
  }
  if (text.startsWith(LINK_PREFIX)) return { type: 'link', link: parseTreeLink(text, fqdn) };
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  throw new DnsTreeError('unknown-entry', fqdn, `unknown entry type: "${shown}"`);
}
