/**
 * Errors of node discovery from records and DNS. They are not session errors, so unlike
 * RlpxError they carry no disconnect reason: a crawler collects them and goes on.
 */

/** A node record (EIP-778) that is malformed, oversized, unsigned by its key, or not dialable. */
export class EnrError extends Error {
  override name = 'EnrError';
}

/** What went wrong at one name of a DNS tree (EIP-1459); the walk goes on past each one. */
export type DnsTreeErrorKind =
  /** An enrtree:// URL or link entry that does not parse. */
  | 'malformed-link'
  /** No enrtree-root:v1 record at the tree's domain, or one that does not parse. */
  | 'malformed-root'
  /** A root whose signature is not by the key in the tree's URL. */
  | 'root-signature'
  /** An enrtree-branch entry that does not parse (a hash that is not base32 of 12 to 32 bytes). */
  | 'malformed-branch'
  /** An enr: leaf whose record is malformed or wrongly signed (the cause is an EnrError). */
  | 'malformed-enr'
  /** A TXT record of no known entry type. */
  | 'unknown-entry'
  /** An enr: leaf in the link subtree, or a link in the ENR subtree. */
  | 'wrong-subtree'
  /** A TXT record longer than the configured cap. */
  | 'oversized'
  /** A record whose keccak256 does not start with the hash it was fetched under. */
  | 'hash-mismatch'
  /** A link back to a tree whose links led here (a cycle of trees): not followed again. */
  | 'loop'
  /** The lookup failed: no such name, no TXT record, timeout, refused. */
  | 'resolve'
  /** The entry cap or the link depth limit was reached; the rest was not fetched. */
  | 'limit';

export class DnsTreeError extends Error {
  override name = 'DnsTreeError';
  readonly kind: DnsTreeErrorKind;
  /** The DNS name the problem was found at (the tree's domain for a root). */
  readonly fqdn: string;
  constructor(kind: DnsTreeErrorKind, fqdn: string, message: string, options?: { cause?: unknown }) {
    super(`${fqdn}: ${message}`, options);
    this.kind = kind;
    this.fqdn = fqdn;
  }
}

/** Why a discovery v4 datagram was refused before any handler saw it. */
export type V4PacketErrorKind = 'too-small' | 'too-large' | 'bad-hash' | 'bad-signature' | 'unknown-type' | 'malformed';

export class V4PacketError extends Error {
  override name = 'V4PacketError';
  readonly kind: V4PacketErrorKind;
  constructor(kind: V4PacketErrorKind, message: string, options?: { cause?: unknown }) {
    super(`discv4 packet: ${message}`, options);
    this.kind = kind;
  }
}

/** Why a discovery request got no usable answer. */
export type DiscoveryErrorKind =
  /** No (complete) reply within the response timeout. */
  | 'timeout'
  /** The endpoint was closed while the request was pending. */
  | 'closed'
  /** Too many requests are pending already (the bound on pending replies). */
  | 'overloaded'
  /** The reply was matched but unusable (a record of another node, an address it may not relay). */
  | 'bad-reply';

export class DiscoveryError extends Error {
  override name = 'DiscoveryError';
  readonly kind: DiscoveryErrorKind;
  constructor(kind: DiscoveryErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}
