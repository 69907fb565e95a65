/**
 * The client side of EIP-1459: walk DNS trees and yield their node records.
 *
 * For each tree: the root TXT record at its domain, checked against the key in its URL; then
 * the ENR subtree (e=) and the link subtree (l=), each entry fetched under its hash name and
 * checked against that hash. Links lead to further trees, each followed once, up to a depth.
 * Every problem becomes a DnsTreeError in `errors` and the walk goes on with the rest.
 */
import { Resolver } from 'node:dns/promises';
import { hashMatches, parseRoot, parseSubtreeEntry, parseTreeLink, ROOT_PREFIX, verifyRoot, type TreeLink } from './dns-entry.js';
import type { Enr } from './enr.js';
import { DnsTreeError } from './errors.js';
import { checkSignal } from '../abort.js';

/** What the walk needs of a resolver; node:dns/promises Resolver fits. */
export interface TxtResolver {
  resolveTxt(name: string): Promise<string[][]>;
  cancel?(): void;
}

export interface DnsTreeOptions {
  /** DNS servers ("1.2.3.4", "127.0.0.1:5353", "[::1]:53"); the system's when omitted. */
  servers?: string[];
  /**
   * Used instead of a fresh node:dns Resolver (then servers, timeout and tries are its own).
   * Its cancel(), if any, is called when the walk is aborted or left early.
   */
  resolver?: TxtResolver;
  /** Per query, in ms (default 2000). */
  timeout?: number;
  /** Attempts per query (default 2). */
  tries?: number;
  /** Lookups in flight at once (default 8). */
  concurrency?: number;
  /** How many links away from the given trees to follow (default 4; 0: none). */
  maxLinkDepth?: number;
  /** Lookups in the whole walk, roots included (default 10,000). */
  maxEntries?: number;
  /** Longest TXT record accepted, its strings joined (default 512: one UDP answer). */
  maxTxtLength?: number;
  signal?: AbortSignal;
}

export interface TreeInfo {
  url: string;
  domain: string;
  /** The root's sequence number. */
  seq: number;
  /** 0 for a tree given to the walk, 1 for one it links to, and so on. */
  depth: number;
  /** Domains of the trees whose links led here, the given tree first. */
  via: string[];
}

export interface TreeNode {
  enr: Enr;
  tree: TreeInfo;
  /** The name the record was found under. */
  fqdn: string;
}

type Subtree = 'enr' | 'link';
type Task = { kind: 'root'; link: TreeLink; via: string[] } | { kind: 'entry'; tree: TreeInfo; subtree: Subtree; hash: string };

export interface DnsTreeStats {
  lookups: number;
  trees: number;
  enrs: number;
}

function positiveInt(value: number | undefined, fallback: number, name: string, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new RangeError(`dns tree: ${name} must be an integer >= ${min}`);
  return value;
}

export class DnsTreeWalk implements AsyncIterable<TreeNode> {
  /** Every problem met, in the order found. */
  readonly errors: DnsTreeError[] = [];
  readonly stats: DnsTreeStats = { lookups: 0, trees: 0, enrs: 0 };
  readonly #resolver: TxtResolver;
  readonly #signal: AbortSignal | undefined;
  readonly #concurrency: number;
  readonly #maxLinkDepth: number;
  readonly #maxEntries: number;
  readonly #maxTxt: number;
  readonly #queue: Task[] = [];
  /** Domains whose tree is queued or walked: each is followed once. */
  readonly #domains = new Set<string>();
  /** `domain subtree hash` of entries queued or fetched. */
  readonly #seen = new Set<string>();
  #limitReported = false;
  #started = false;

  constructor(urls: Iterable<string>, options: DnsTreeOptions = {}) {
    checkSignal(options.signal);
    this.#concurrency = positiveInt(options.concurrency, 8, 'concurrency');
    this.#maxLinkDepth = positiveInt(options.maxLinkDepth, 4, 'maxLinkDepth', 0);
    this.#maxEntries = positiveInt(options.maxEntries, 10_000, 'maxEntries');
    this.#maxTxt = positiveInt(options.maxTxtLength, 512, 'maxTxtLength');
    this.#signal = options.signal;
    if (options.resolver) {
      this.#resolver = options.resolver;
    } else {
      const resolver = new Resolver({
        timeout: positiveInt(options.timeout, 2000, 'timeout'),
        tries: positiveInt(options.tries, 2, 'tries'),
      });
      if (options.servers) resolver.setServers(options.servers);
      this.#resolver = resolver;
    }
    for (const url of urls) {
      try {
        this.#addTree(parseTreeLink(url), []);
      } catch (err) {
        this.#report(err, url, 'malformed-link');
      }
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<TreeNode> {
    if (this.#started) throw new Error('dns tree: a walk can be iterated once');
    this.#started = true;
    const signal = this.#signal;
    signal?.throwIfAborted();
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<undefined>((resolve) => {
      onAbort = () => {
        this.#resolver.cancel?.();
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    // Each task's promise settles with itself and what it found, and never rejects.
    interface Settled {
      self: Promise<Settled>;
      found: TreeNode[];
    }
    const inflight = new Set<Promise<Settled>>();
    try {
      while (this.#queue.length > 0 || inflight.size > 0) {
        while (this.#queue.length > 0 && inflight.size < this.#concurrency) {
          // Depth first: records come out as soon as their branch is read, and the queue stays short.
          const task = this.#queue.pop()!;
          const p: Promise<Settled> = this.#run(task).then((found) => ({ self: p, found }));
          inflight.add(p);
        }
        const done = await Promise.race([...inflight, aborted]);
        signal?.throwIfAborted();
        inflight.delete(done!.self);
        for (const node of done!.found) yield node;
      }
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      // Stopped early (break, abort): drop what is still in flight.
      if (inflight.size > 0) this.#resolver.cancel?.();
    }
  }

  #addTree(link: TreeLink, via: string[]): void {
    if (this.#domains.has(link.domain)) return;
    this.#domains.add(link.domain);
    this.#queue.push({ kind: 'root', link, via });
  }

  /**
   * Entries are content-addressed, so a branch cannot reach its own ancestor (that would take
   * a keccak256 fixed point); fetching each hash once is enough to end every walk.
   */
  #addEntry(tree: TreeInfo, subtree: Subtree, hash: string): void {
    const key = `${tree.domain} ${subtree} ${hash}`;
    if (this.#seen.has(key)) return; // shared by two branches, or e= and l= alike: fetched once
    this.#seen.add(key);
    this.#queue.push({ kind: 'entry', tree, subtree, hash });
  }

  #report(err: unknown, fqdn: string, kind: DnsTreeError['kind']): void {
    if (this.#signal?.aborted) return; // cancelled lookups are not the tree's fault
    this.errors.push(err instanceof DnsTreeError ? err : new DnsTreeError(kind, fqdn, String((err as Error)?.message ?? err), { cause: err }));
  }

  /** TXT records at a name, each record's strings joined; undefined (and reported) on failure. */
  async #lookup(fqdn: string): Promise<string[] | undefined> {
    if (this.stats.lookups >= this.#maxEntries) {
      if (!this.#limitReported) {
        this.#limitReported = true;
        this.#report(new DnsTreeError('limit', fqdn, `entry cap of ${this.#maxEntries} lookups reached; the rest is not fetched`), fqdn, 'limit');
      }
      return undefined;
    }
    this.stats.lookups++;
    try {
      return (await this.#resolver.resolveTxt(fqdn)).map((strings) => strings.join(''));
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'error';
      this.#report(new DnsTreeError('resolve', fqdn, `TXT lookup failed (${code})`, { cause: err }), fqdn, 'resolve');
      return undefined;
    }
  }

  async #run(task: Task): Promise<TreeNode[]> {
    try {
      return task.kind === 'root' ? await this.#root(task.link, task.via) : await this.#entry(task);
    } catch (err) {
      // The parsers throw DnsTreeErrors; anything else would be a bug, still kept to this entry.
      if (task.kind === 'root') this.#report(err, task.link.domain, 'malformed-root');
      else this.#report(err, `${task.hash}.${task.tree.domain}`, 'unknown-entry');
      return [];
    }
  }

  async #root(link: TreeLink, via: string[]): Promise<TreeNode[]> {
    const records = await this.#lookup(link.domain);
    if (!records) return [];
    // The domain may hold other TXT records (SPF and the like); the root is the one with the prefix.
    const text = records.find((r) => r.startsWith(ROOT_PREFIX));
    if (text === undefined) {
      this.#report(new DnsTreeError('malformed-root', link.domain, `no ${ROOT_PREFIX} record among ${records.length} TXT records`), link.domain, 'malformed-root');
      return [];
    }
    if (text.length > this.#maxTxt) {
      this.#report(new DnsTreeError('oversized', link.domain, `root of ${text.length} characters is over ${this.#maxTxt}`), link.domain, 'oversized');
      return [];
    }
    const root = parseRoot(text, link.domain);
    if (!verifyRoot(root, link.publicKey)) {
      this.#report(new DnsTreeError('root-signature', link.domain, `root is not signed by the key of ${link.url}`), link.domain, 'root-signature');
      return [];
    }
    this.stats.trees++;
    const tree: TreeInfo = { url: link.url, domain: link.domain, seq: root.seq, depth: via.length, via };
    this.#addEntry(tree, 'enr', root.eroot.toUpperCase());
    this.#addEntry(tree, 'link', root.lroot.toUpperCase());
    return [];
  }

  async #entry(task: Extract<Task, { kind: 'entry' }>): Promise<TreeNode[]> {
    const { tree, subtree, hash } = task;
    const fqdn = `${hash}.${tree.domain}`;
    const records = await this.#lookup(fqdn);
    if (!records) return [];
    const text = records.find((r) => hashMatches(hash, r));
    if (text === undefined) {
      const big = records.find((r) => r.length > this.#maxTxt);
      if (big !== undefined) throw new DnsTreeError('oversized', fqdn, `TXT record of ${big.length} characters is over ${this.#maxTxt}`);
      throw new DnsTreeError('hash-mismatch', fqdn, `no TXT record hashes to ${hash}`);
    }
    if (text.length > this.#maxTxt) throw new DnsTreeError('oversized', fqdn, `TXT record of ${text.length} characters is over ${this.#maxTxt}`);
    const entry = parseSubtreeEntry(text, fqdn);
    switch (entry.type) {
      case 'branch':
        for (const child of entry.hashes) this.#addEntry(tree, subtree, child);
        return [];
      case 'enr':
        if (subtree !== 'enr') throw new DnsTreeError('wrong-subtree', fqdn, 'node record in the link subtree');
        this.stats.enrs++;
        return [{ enr: entry.enr, tree, fqdn }];
      case 'link':
        if (subtree !== 'link') throw new DnsTreeError('wrong-subtree', fqdn, 'link in the ENR subtree');
        this.#follow(tree, entry.link, fqdn);
        return [];
    }
  }

  #follow(tree: TreeInfo, link: TreeLink, fqdn: string): void {
    const target = link.domain;
    if (target === tree.domain || tree.via.includes(target)) {
      const cycle = [...tree.via, tree.domain, target].join(' -> ');
      throw new DnsTreeError('loop', fqdn, `link back to ${target}, a tree whose links led here (${cycle})`);
    }
    if (this.#domains.has(target)) return; // reached another way: each tree is walked once
    if (tree.depth + 1 > this.#maxLinkDepth) {
      throw new DnsTreeError('limit', fqdn, `link to ${target} is past the depth limit of ${this.#maxLinkDepth}`);
    }
    this.#addTree(link, [...tree.via, tree.domain]);
  }
}

/** Walk the trees at these enrtree:// URLs: `for await (const { enr, tree } of walkDnsTrees(urls))`. */
export function walkDnsTrees(urls: Iterable<string>, options?: DnsTreeOptions): DnsTreeWalk {
  return new DnsTreeWalk(urls, options);
}
