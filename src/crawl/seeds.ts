/**
 * Seeds for a crawl: enode lists (one per line) and node records from DNS trees, merged into
 * one dial target per node id, so no node is dialed twice however many seeds name it.
 */
import { bytesToHex } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { formatEnode, parseEnode, type Enode } from '../peer/enode.js';
import { decodeEnr, ENR_PREFIX, type Enr } from '../discovery/enr.js';
import { walkDnsTrees, type DnsTreeOptions } from '../discovery/dns-tree.js';
import type { DnsTreeError } from '../discovery/errors.js';

/** A line of an enode list that is neither a node, blank, nor a comment. */
export class SeedError extends Error {
  override name = 'SeedError';
  readonly source: string;
  /** 1-based. */
  readonly line: number;
  constructor(source: string, line: number, message: string, options?: { cause?: unknown }) {
    super(`${source}:${line}: ${message}`, options);
    this.source = source;
    this.line = line;
  }
}

export type Seed = { kind: 'enode'; enode: Enode; source: string } | { kind: 'enr'; enr: Enr; source: string };

/**
 * One node per line, as an enode:// URL or an enr: record. Blank lines and `#` comments (whole
 * lines or after a node) are skipped; a malformed line is one SeedError and the rest goes on.
 */
export function parseEnodeList(text: string, source = 'input'): { seeds: Seed[]; errors: SeedError[] } {
  const seeds: Seed[] = [];
  const errors: SeedError[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const hash = lines[i]!.indexOf('#');
    const line = (hash >= 0 ? lines[i]!.slice(0, hash) : lines[i]!).trim();
    if (line === '') continue;
    const where = `${source}:${i + 1}`;
    try {
      seeds.push(
        line.startsWith(ENR_PREFIX)
          ? { kind: 'enr', enr: decodeEnr(line), source: where }
          : { kind: 'enode', enode: parseEnode(line), source: where },
      );
    } catch (err) {
      errors.push(new SeedError(source, i + 1, (err as Error).message, { cause: err }));
    }
  }
  return { seeds, errors };
}

export interface DialTarget {
  /** Hex keccak256 of the public key: the key targets are merged by. */
  id: string;
  /** 64-byte public key. */
  publicKey: Uint8Array;
  /** The enode URL to dial. */
  enode: string;
  host: string;
  port: number;
  /** The newest record seen for this node, when one came from an ENR. */
  enr?: Enr;
  /**
   * Other endpoints that seeds gave for the same node key, first seen first: the crawl tries
   * each in turn when the one before fails before the RLPx handshake completes.
   */
  alternates?: Endpoint[];
  /** Every seed that named this node ("file:line", an enrtree:// URL), first first. */
  sources: string[];
  /** With node discovery: ISO 8601 time it first heard of the node. */
  firstSeen?: string;
  /**
   * With node discovery: dial the endpoint and every alternate, each once, one result each
   * (a node found at several addresses), rather than the alternates only when one fails.
   */
  dialEvery?: boolean;
  /** With node discovery: where the endpoint came from. */
  from?: AddressSource;
}

/**
 * Where discovery learned an address: the record's ip/tcp ("enr"), its ip6/tcp6 ("enr6"), or
 * where discovery met the node (a NEIGHBORS entry, a bootnode's seed: "discovery").
 */
export type AddressSource = 'enr' | 'enr6' | 'discovery';

/** Where a node may be dialed. */
export interface Endpoint {
  enode: string;
  host: string;
  port: number;
  from?: AddressSource;
}

/** Keep `ep` as an alternate of `target` unless the target already has that host and port. */
export function addAlternate(target: DialTarget, ep: Endpoint): void {
  const same = (e: Endpoint): boolean => e.host === ep.host && e.port === ep.port;
  if (same(target) || target.alternates?.some(same)) return;
  (target.alternates ??= []).push({ enode: ep.enode, host: ep.host, port: ep.port, ...(ep.from ? { from: ep.from } : {}) });
}

/** A node known only from records with no IP and TCP port. */
export interface UndialableSeed {
  id: string;
  enr: Enr;
  sources: string[];
}

/**
 * Merges seeds by node id. A node's endpoint comes from its newest record (highest seq), since
 * a record is the node's own signed word and an enode line is not; with no record, from the
 * first enode line. Other endpoints for the same key are kept as `alternates`, tried in turn
 * when the first cannot be reached. Records without an endpoint leave a node undialable until
 * one turns up.
 */
export class SeedSet {
  readonly #targets = new Map<string, DialTarget>();
  readonly #undialable = new Map<string, UndialableSeed>();
  /** Seeds that named a node already present. */
  duplicates = 0;

  add(seed: Seed): void {
    if (seed.kind === 'enode') this.addEnode(seed.enode, seed.source);
    else this.addEnr(seed.enr, seed.source);
  }

  addEnode(enode: Enode, source: string): void {
    const id = bytesToHex(keccak256(enode.id));
    const known = this.#targets.get(id);
    if (known) {
      this.duplicates++;
      known.sources.push(source);
      // Same key, another endpoint (a moved or multi-homed node): dialed if the first fails.
      addAlternate(known, { enode: formatEnode(enode), host: enode.host, port: enode.port });
      return;
    }
    const earlier = this.#undialable.get(id);
    this.#undialable.delete(id);
    this.#targets.set(id, {
      id,
      publicKey: enode.id,
      enode: formatEnode(enode),
      host: enode.host,
      port: enode.port,
      ...(earlier ? { enr: earlier.enr } : {}),
      sources: [...(earlier?.sources ?? []), source],
    });
  }

  addEnr(enr: Enr, source: string): void {
    const id = bytesToHex(enr.nodeId);
    const ep = enr.tcpEndpoint;
    const target = this.#targets.get(id);
    if (target) {
      this.duplicates++;
      target.sources.push(source);
      if (target.enr && enr.seq <= target.enr.seq) return;
      target.enr = enr;
      // A newer record without an endpoint still leaves the one we have to dial; one with an
      // endpoint goes first, and the one it replaces stays as an alternate.
      if (ep && (ep.host !== target.host || ep.port !== target.port)) {
        const previous: Endpoint = { enode: target.enode, host: target.host, port: target.port };
        Object.assign(target, { enode: enr.toEnode(), host: ep.host, port: ep.port });
        if (target.alternates) target.alternates = target.alternates.filter((e) => e.host !== ep.host || e.port !== ep.port);
        addAlternate(target, previous);
      }
      return;
    }
    const waiting = this.#undialable.get(id);
    if (waiting) {
      this.duplicates++;
      waiting.sources.push(source);
    }
    if (ep) {
      this.#undialable.delete(id);
      const sources = waiting?.sources ?? [source];
      this.#targets.set(id, { id, publicKey: enr.publicKey, enode: enr.toEnode(), host: ep.host, port: ep.port, enr, sources });
    } else if (!waiting) {
      this.#undialable.set(id, { id, enr, sources: [source] });
    } else if (enr.seq > waiting.enr.seq) {
      waiting.enr = enr;
    }
  }

  /** One per node, in the order nodes were first seen with an endpoint. */
  get targets(): DialTarget[] {
    return [...this.#targets.values()];
  }

  get undialable(): UndialableSeed[] {
    return [...this.#undialable.values()];
  }
}

export interface CollectSeedsInput {
  /** Enode lists' text, each with a name for error messages (a file name, "stdin"). */
  lists?: { text: string; source: string }[];
  /** enrtree:// URLs. */
  trees?: string[];
  dns?: DnsTreeOptions;
}

export interface CollectedSeeds {
  targets: DialTarget[];
  undialable: UndialableSeed[];
  duplicates: number;
  errors: (SeedError | DnsTreeError)[];
}

/** Everything the seeds name, merged: lists first, then every record of every tree. */
export async function collectSeeds(input: CollectSeedsInput): Promise<CollectedSeeds> {
  const set = new SeedSet();
  const errors: (SeedError | DnsTreeError)[] = [];
  for (const list of input.lists ?? []) {
    const parsed = parseEnodeList(list.text, list.source);
    for (const seed of parsed.seeds) set.add(seed);
    errors.push(...parsed.errors);
  }
  if (input.trees && input.trees.length > 0) {
    const walk = walkDnsTrees(input.trees, input.dns);
    for await (const node of walk) set.addEnr(node.enr, node.tree.url);
    errors.push(...walk.errors);
  }
  return { targets: set.targets, undialable: set.undialable, duplicates: set.duplicates, errors };
}
