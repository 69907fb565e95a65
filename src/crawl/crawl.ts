/**
 * crawl(seeds, options): dial every node once and report what it says over RLPx, as an async
 * iterator of NodeResults in the order they finish. Bounded concurrency, a per-node deadline
 * and a global dial rate; `rlpx crawl` is a thin command around it.
 */
import { setMaxListeners } from 'node:events';
import { bytesToHex } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { generatePrivateKey } from '../crypto/secp256k1.js';
import type { Chain } from '../eth/chain.js';
import { ethStatusResponder, type EthResponder } from '../eth/protocol.js';
import { dialConfig, type DialConfig } from '../options.js';
import { formatEnode, parseEnode, type Enode } from '../peer/enode.js';
import type { Protocol } from '../peer/peer.js';
import { crawlNode, type NodeContext } from './crawl-node.js';
import type { NodeResult } from './result.js';
import { addAlternate, type DialTarget } from './seeds.js';
import { TokenBucket } from './token-bucket.js';
import { checkSignal } from '../abort.js';

export const CRAWL_DEFAULTS = Object.freeze({
  concurrency: 200,
  /** Per node, from the TCP connect to the Disconnect, ms. */
  timeout: 10_000,
  /** Dials per second across the crawl. */
  rate: 500,
  /** With a chain: how long to listen for the node's Status before sending ours (see EthResponderOptions). */
  statusDelay: 250,
  /** Longest wait for an eth Status, ms (capped by the node's deadline). */
  ethTimeout: 5_000,
});

export interface CrawlOptions {
  /** Our node key (default: a fresh one per crawl). */
  privateKey?: Uint8Array;
  /** The client id of our Hello. */
  clientId?: string;
  /** Nodes in progress at once (default 200). */
  concurrency?: number;
  /** Per-node deadline, ms (default 10,000). */
  timeout?: number;
  /** Dials per second (default 500); 0 or Infinity for no limit. */
  rate?: number;
  /** Dials that may go out at once after an idle spell (default rate/10, at least 1). */
  burst?: number;
  /** Check each node's Status against this chain (network, genesis, fork ID); else mirror it. */
  chain?: Chain;
  statusDelay?: number;
  ethTimeout?: number;
  /** Node ids (hex keccak256 of the key, as NodeResult.id) not to dial: an earlier crawl's. */
  skip?: Iterable<string>;
  /** Local address to dial from. */
  localAddress?: string;
  /**
   * More targets come later through add() (node discovery); the crawl ends only after end()
   * once every target is done.
   */
  open?: boolean;
  signal?: AbortSignal;
}

/** Enode URLs, parsed Enodes, or targets from collectSeeds/SeedSet (which keep their sources). */
export type CrawlSeed = string | Enode | DialTarget;

function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || Number.isNaN(v) || v < min || (v !== Infinity && !Number.isInteger(v))) {
    throw new RangeError(`crawl: ${name} must be an integer >= ${min}, got ${v}`);
  }
  return v;
}

function toTarget(seed: CrawlSeed, index: number): DialTarget {
  if (typeof seed !== 'string' && typeof seed.id === 'string') return seed as DialTarget;
  const enode = typeof seed === 'string' ? parseEnode(seed) : (seed as Enode);
  const source = typeof seed === 'string' ? `seed:${index + 1}` : 'seed';
  return { id: bytesToHex(keccak256(enode.id)), publicKey: enode.id, enode: formatEnode(enode), host: enode.host, port: enode.port, sources: [source] };
}

/** A no-op snap/1: offered beside eth so that clients which want it keep us past Hello. */
const SNAP: Protocol = { name: 'snap', version: 1, length: 8 };

export class Crawl implements AsyncIterable<NodeResult> {
  /** Seeds that named a node already among the targets. */
  duplicates: number;
  /** Nodes left out by `skip`. */
  skipped: number;
  /**
   * Targets not dialed yet, in order, merged by id (#byId) until their dial starts. A target is
   * dropped once dialed: after that only its id is kept (#seen), for the dedup, so a crawl of
   * many nodes holds per node no more than its id.
   */
  #pending: (DialTarget | undefined)[] = [];
  #next = 0;
  readonly #byId = new Map<string, DialTarget>();
  readonly #seen = new Set<string>();
  #total = 0;
  readonly #skip: Set<string>;
  #open: boolean;
  readonly #openable: boolean;
  #wake: (() => void) | undefined;
  readonly eth: EthResponder;
  readonly #config: DialConfig;
  readonly #concurrency: number;
  readonly #timeout: number;
  readonly #bucket: TokenBucket;
  readonly #signal: AbortSignal | undefined;
  #started = false;
  #done = 0;
  #inFlight = 0;

  constructor(seeds: Iterable<CrawlSeed>, options: CrawlOptions = {}) {
    checkSignal(options.signal);
    const d = CRAWL_DEFAULTS;
    this.#concurrency = positive('concurrency', options.concurrency, d.concurrency);
    this.#timeout = positive('timeout', options.timeout, d.timeout);
    const rate = options.rate ?? d.rate;
    if (typeof rate !== 'number' || !(rate >= 0)) throw new RangeError(`crawl: rate must be >= 0, got ${rate}`);
    this.#bucket = options.burst === undefined ? new TokenBucket(rate) : new TokenBucket(rate, positive('burst', options.burst, 1));
    this.#signal = options.signal;
    const ethTimeout = Math.min(positive('ethTimeout', options.ethTimeout, d.ethTimeout), this.#timeout);
    // Nodes that never send a Status are reported as such; we do not disconnect them for it.
    this.eth = ethStatusResponder({
      ...(options.chain ? { chain: options.chain, statusDelay: positive('statusDelay', options.statusDelay, d.statusDelay, 0) } : {}),
      timeout: ethTimeout,
      disconnectOnTimeout: false,
    });
    this.#config = dialConfig({
      privateKey: options.privateKey ?? generatePrivateKey(),
      ...(options.clientId !== undefined ? { clientId: options.clientId } : {}),
      ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
      protocols: [...this.eth.protocols, SNAP],
      // A node with no capability we know still tells us its Hello.
      requireSharedProtocol: false,
      pingInterval: 0,
      healthMode: 'geth',
      connectTimeout: this.#timeout,
      handshakeTimeout: this.#timeout,
      helloTimeout: this.#timeout,
    });
    this.#skip = new Set(options.skip ?? []);
    this.#open = options.open === true;
    this.#openable = this.#open;
    this.duplicates = 0;
    this.skipped = 0;
    let i = 0;
    for (const seed of seeds) this.#add(toTarget(seed, i++));
  }

  #add(t: DialTarget): boolean {
    const known = this.#byId.get(t.id);
    if (known) {
      this.duplicates++;
      if (known.sources !== t.sources) known.sources.push(...t.sources);
      for (const ep of [t, ...(t.alternates ?? [])]) addAlternate(known, ep);
      return false;
    }
    if (this.#seen.has(t.id)) {
      // Dialed already (or being dialed): its line is out, nothing to merge into.
      this.duplicates++;
      return false;
    }
    if (this.#skip.has(t.id)) {
      this.skipped++;
      return false;
    }
    // Our own copy: the sources list grows as duplicates are merged.
    const own = { ...t, sources: [...t.sources], ...(t.alternates ? { alternates: [...t.alternates] } : {}) };
    this.#byId.set(t.id, own);
    this.#seen.add(t.id);
    this.#pending.push(own);
    this.#total++;
    return true;
  }

  /** The next target to dial, forgotten here but for its id. */
  #take(): DialTarget | undefined {
    const t = this.#pending[this.#next];
    if (!t) return undefined;
    this.#pending[this.#next++] = undefined;
    // Drop the dialed head now and then, so the queue's array does not keep its full length.
    if (this.#next >= 1024 && this.#next * 2 >= this.#pending.length) {
      this.#pending = this.#pending.slice(this.#next);
      this.#next = 0;
    }
    this.#byId.delete(t.id);
    return t;
  }

  get #waiting(): number {
    return this.#pending.length - this.#next;
  }

  /** Add a target to an open crawl; false when it is known (its sources merge), skipped, or after end(). */
  add(seed: CrawlSeed): boolean {
    if (!this.#openable) throw new Error('crawl: add() needs a crawl started with { open: true }');
    if (!this.#open) return false;
    const added = this.#add(toTarget(seed, this.#total));
    if (added) this.#wake?.();
    return added;
  }

  /** No more targets: the crawl ends once those it has are done. */
  end(): void {
    this.#open = false;
    this.#wake?.();
  }

  /** Targets taken so far (dialed, being dialed or waiting). */
  get total(): number {
    return this.#total;
  }

  /** Nodes finished so far. */
  get done(): number {
    return this.#done;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<NodeResult> {
    if (this.#started) throw new Error('crawl: a crawl can be iterated once');
    this.#started = true;
    const outer = this.#signal;
    outer?.throwIfAborted();
    // Ends every node in progress: on the caller's abort, a break, or a throw.
    const stop = new AbortController();
    setMaxListeners(0, stop.signal); // one listener per node in progress
    const onAbort = (): void => {
      stop.abort(outer!.reason);
      wake();
    };
    outer?.addEventListener('abort', onAbort, { once: true });
    const ctx: NodeContext = { config: this.#config, eth: this.eth, timeout: this.#timeout, signal: stop.signal };
    const finished: NodeResult[] = [];
    const running = new Set<Promise<void>>();
    let wakeUp: (() => void) | undefined;
    const wake = (): void => {
      const w = wakeUp;
      wakeUp = undefined;
      w?.();
    };
    this.#wake = wake;
    try {
      for (;;) {
        outer?.throwIfAborted();
        let wait = 0;
        while (this.#waiting > 0 && running.size < this.#concurrency) {
          wait = this.#bucket.take();
          if (wait > 0) break;
          const target = this.#take()!;
          this.#inFlight++;
          const p: Promise<void> = crawlNode(target, ctx).then((results) => {
            running.delete(p);
            this.#inFlight--;
            this.#done++;
            finished.push(...results);
            wake();
          });
          running.add(p);
        }
        while (finished.length > 0) {
          yield finished.shift()!;
          outer?.throwIfAborted();
        }
        if (this.#waiting === 0 && running.size === 0 && !this.#open) return;
        await new Promise<void>((resolve) => {
          wakeUp = resolve;
          if (wait > 0 && running.size < this.#concurrency) setTimeout(wake, wait);
        });
      }
    } finally {
      this.#wake = undefined;
      outer?.removeEventListener('abort', onAbort);
      if (running.size > 0) {
        stop.abort(outer?.aborted ? outer.reason : new DOMException('crawl stopped', 'AbortError'));
        await Promise.all(running);
      }
    }
  }
}

/** `for await (const node of crawl(targets, { signal }))`: see Crawl. */
export function crawl(seeds: Iterable<CrawlSeed>, options?: CrawlOptions): Crawl {
  return new Crawl(seeds, options);
}
