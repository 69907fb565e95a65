/**
 * The eth subprotocol on a Peer: the Status handshake both ways, the peer's block range
 * (eth/69+), our requests to the peer (request(), used by EthClient) and answers to its
 * requests (empty lists by default, what the `answer` handler gives, or, with a `source`, a
 * chain served by geth's rules: serve-session.ts). Announcements
 * (Transactions, NewPooledTransactionHashes) are ignored; a code the version lacks, a second
 * Status or a malformed message closes the peer with 0x10, as geth does.
 *
 * With a chain configured it sends our Status first, as geth and reth do, advertising the
 * genesis block (or the head it is given) and the fork ID of that head, and checks the
 * remote's network, genesis and fork ID. Without one it waits for the remote Status and
 * mirrors it, so that a probe needs no configuration. Either way the remote's range is
 * checked, kept, and moved forward by its BlockRangeUpdates.
 */
import { EventEmitter } from 'node:events';
import { abortable } from '../abort.js';
import { ClosedError, ProtocolError, TimeoutError } from '../errors.js';
import { ethConfig, type EthConfig, type EthOptions } from '../options.js';
import { DisconnectReason } from '../reasons.js';
import type { ProtocolChannel } from '../peer/channel.js';
import type { Peer, Protocol } from '../peer/peer.js';
import { emptyAnswer, type EthRequest, type RequestHandler } from './answer.js';
import type { Chain } from './chain.js';
import type { ChainSource } from './chain-source.js';
import { MessageError } from './errors.js';
import { decodeMessage, encodeMessage, isResponse, messageName, RESPONSE_OF, type RequestName } from './messages.js';
import { RequestTracker, type RequestBody, type RequestOptions, type ResponseOf } from './tracker.js';
import { forkId, type ForkVerdict, type Head } from './forkid.js';
import { BLOCK_RANGE_UPDATE_CODE, BlockRangeTracker, encodeBlockRangeUpdate, validateBlockRange, type BlockRange, type PeerRange } from './range.js';
import { serveSession } from './serve-session.js';
import { decodeStatus, encodeStatus, ETH_STATUS_CODE, StatusError, validateStatus, type EthStatus } from './status.js';

/** eth versions and their message-code counts, as geth v1.17 offers them. */
export const ETH_VERSIONS: ReadonlyArray<{ version: number; length: number }> = [
  { version: 69, length: 18 },
  { version: 70, length: 18 },
  { version: 71, length: 20 },
  { version: 72, length: 22 },
];

/** What we advertise: a block range and the timestamp of its latest block. */
export interface LocalHead extends BlockRange {
  time: bigint;
}

/**
 * `timeout` (default 5 s) is how long to wait for the remote Status (geth waits 5 s for ours).
 * `disconnectOnTimeout` (default true) disconnects (0x0b) a peer whose Status does not come in
 * time; two mirroring responders only answer, so between two of ours neither speaks first:
 * tools that may meet one another (ping, listen, monitor) set it false and only stop waiting.
 */
export interface EthResponderOptions extends EthOptions {
  /** Our chain: send our Status first and check the remote's network, genesis and fork ID. */
  chain?: Chain;
  /** With a chain, the range we advertise (default: only the genesis block). */
  head?: () => LocalHead;
  /**
   * With a chain, wait up to this many ms for the remote Status before sending ours (default
   * 0: at once). geth refuses a mismatching Status as soon as it reads it, and may close
   * before its own is written; a probe that hears first can always say where the node is.
   */
  statusDelay?: number;
  /**
   * Accept a BlockRangeUpdate whose latest block is below the previous one (default false:
   * closed with 0x10). geth sends one after a SetHead.
   */
  allowRangeRewind?: boolean;
  /** Our clock for the fork ID rules, in seconds (default: now). */
  now?: () => bigint;
  /** Without a chain: refuse remotes on another network or genesis (closed with 0x10). */
  networkId?: bigint;
  genesisHash?: Uint8Array;
  /** Answers the peer's requests (default: empty lists, same request id). */
  answer?: RequestHandler;
  /**
   * Serve this chain instead: GetBlockHeaders, GetBlockBodies, GetReceipts and
   * GetBlockAccessLists answered by geth v1.17.5's rules, one request at a time per peer, the
   * peer's socket held while 64 wait (give `chain` and `head` to advertise it).
   */
  source?: ChainSource;
}

/** The outcome of a Status exchange. */
export interface EthHandshake {
  status: EthStatus;
  /** Our verdict on the remote fork ID; 'unchecked' without a chain. */
  fork: ForkVerdict | 'unchecked';
  forkDetail?: string;
}

export interface EthResponderEvents {
  /** A peer's Status passed our checks. */
  status: [peer: Peer, handshake: EthHandshake];
  /** A peer's range moved (BlockRangeUpdate). */
  range: [peer: Peer, range: PeerRange];
  /** With a source: a request answered with `items` items. */
  served: [peer: Peer, code: number, items: number];
  /** With a source: a malformed request (the peer is closed with 0x10). */
  refused: [peer: Peer, error: MessageError];
  /** With a source: it failed while answering a request, which was answered empty. */
  sourceError: [peer: Peer, error: Error];
}

interface Exchange {
  promise: Promise<EthHandshake>;
  resolve(h: EthHandshake): void;
  reject(e: Error): void;
  range: BlockRangeTracker;
  channel?: ProtocolChannel;
  tracker?: RequestTracker;
}

const nowSeconds = (): bigint => BigInt(Math.floor(Date.now() / 1000));

export class EthResponder extends EventEmitter<EthResponderEvents> {
  /** Pass these in PeerOptions.protocols (or ListenOptions/DialOptions). */
  readonly protocols: Protocol[];
  readonly chain: Chain | undefined;
  readonly #options: EthResponderOptions;
  readonly #config: EthConfig;
  readonly #exchanges = new WeakMap<Peer, Exchange>();
  /** Channels of peers past Status, until they close: where announceRange() goes. */
  readonly #live = new Set<ProtocolChannel>();

  constructor(options: EthResponderOptions = {}) {
    super({ captureRejections: false });
    this.#options = options;
    this.#config = ethConfig(options);
    this.chain = options.chain;
    const run = (channel: ProtocolChannel, peer: Peer): void => this.#run(channel, peer);
    this.protocols = ETH_VERSIONS.map(({ version, length }) => ({ name: 'eth', version, length, run }));
  }

  /**
   * The remote Status and fork verdict, once exchanged; rejects if the exchange fails, or
   * with the signal's reason when it aborts first (the peer is left as it is).
   */
  status(peer: Peer, options: { signal?: AbortSignal } = {}): Promise<EthHandshake> {
    return abortable(this.#exchange(peer).promise, options.signal, () => {});
  }

  /** The peer's range as last announced (Status, then BlockRangeUpdates); undefined before Status. */
  range(peer: Peer): PeerRange | undefined {
    return this.#exchanges.get(peer)?.range.range;
  }

  /** The eth version negotiated with a peer, once its Status is in. */
  version(peer: Peer): number | undefined {
    return this.#exchanges.get(peer)?.channel?.version;
  }

  /**
   * Send a request to a peer (after its Status) and resolve with the decoded response. The
   * response may hold at most `maxItems` items. A bad response closes the peer with 0x10
   * and rejects; a timeout or abort rejects and leaves the peer open.
   */
  async request<K extends RequestName>(peer: Peer, name: K, body: RequestBody<K>, maxItems: number, options: RequestOptions = {}): Promise<ResponseOf<K>> {
    await this.status(peer, options.signal ? { signal: options.signal } : {});
    const tracker = this.#exchanges.get(peer)?.tracker;
    if (!tracker) throw new ClosedError('no eth session with this peer');
    return tracker.request(name, body, maxItems, options);
  }

  /** What we advertise now (with a chain). */
  localHead(): LocalHead {
    const chain = this.chain;
    if (!chain) throw new RangeError('no chain configured');
    const head = this.#options.head?.() ?? { earliestBlock: 0n, latestBlock: 0n, latestBlockHash: chain.genesisHash, time: chain.genesisTime };
    validateBlockRange(head); // never advertise what geth would refuse
    return head;
  }

  /**
   * Our head moved: send `range` (default: localHead()) to every peer whose Status exchange is
   * done, as geth does when its head moves (it waits for 32 blocks, or a rewind). Resolves when
   * all are queued; a peer that closes meanwhile is skipped.
   */
  async announceRange(range: BlockRange = this.localHead()): Promise<number> {
    validateBlockRange(range);
    const payload = encodeBlockRangeUpdate({ earliestBlock: range.earliestBlock, latestBlock: range.latestBlock, latestBlockHash: range.latestBlockHash });
    const sent = await Promise.allSettled([...this.#live].map((ch) => ch.send(BLOCK_RANGE_UPDATE_CODE, payload)));
    return sent.filter((r) => r.status === 'fulfilled').length;
  }

  /** Announce a new range of ours to a peer whose Status exchange is done. */
  sendBlockRange(peer: Peer, range: BlockRange): Promise<void> {
    const ch = this.#exchanges.get(peer)?.channel;
    if (!ch) return Promise.reject(new ClosedError('no eth session with this peer'));
    validateBlockRange(range);
    return ch.send(BLOCK_RANGE_UPDATE_CODE, encodeBlockRangeUpdate(range));
  }

  #exchange(peer: Peer): Exchange {
    let x = this.#exchanges.get(peer);
    if (x) return x;
    let resolve!: (h: EthHandshake) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<EthHandshake>((res, rej) => ((resolve = res), (reject = rej)));
    promise.catch(() => {});
    const exchange: Exchange = { promise, resolve, reject, range: new BlockRangeTracker({ allowRewind: this.#options.allowRangeRewind ?? false }) };
    this.#exchanges.set(peer, exchange);
    void peer.closed.then((info) => {
      const err = info.error ?? new ClosedError(`peer closed: ${info.name}`);
      exchange.reject(err);
      exchange.tracker?.close(err);
    });
    // Peers are past Hello: one without an eth channel will never send a Status.
    if (!peer.protocol('eth')) exchange.reject(new ProtocolError('peer does not run eth', { reason: DisconnectReason.UselessPeer }));
    return (x = exchange);
  }

  #ourStatus(chain: Chain, version: number): EthStatus {
    const head = this.localHead();
    return {
      version,
      networkId: chain.networkId,
      genesisHash: chain.genesisHash,
      forkId: forkId(chain, { number: head.latestBlock, time: head.time }),
      earliestBlock: head.earliestBlock,
      latestBlock: head.latestBlock,
      latestBlockHash: head.latestBlockHash,
    };
  }

  #run(channel: ProtocolChannel, peer: Peer): void {
    const exchange = this.#exchange(peer);
    const o = this.#options;
    const chain = this.chain;
    // Built now, so that a bad head() fails run() (0x10), not a timer.
    let ours = chain ? encodeStatus(this.#ourStatus(chain, channel.version)) : undefined;
    const sendOurs = (): void => {
      if (!ours || peer.isClosing) return;
      channel.send(ETH_STATUS_CODE, ours).catch(() => {});
      ours = undefined;
    };
    const delay = chain && o.statusDelay ? setTimeout(sendOurs, o.statusDelay) : undefined;
    if (!delay) sendOurs();
    let done = false;
    const { timeout, disconnectOnTimeout } = this.#config;
    const timer = setTimeout(() => {
      if (done) return;
      if (disconnectOnTimeout) void peer.disconnect(DisconnectReason.ReadTimeout);
      else exchange.reject(new TimeoutError(`no eth Status within ${timeout} ms`, { deadline: 'status' }));
    }, timeout);
    timer.unref();
    void peer.closed.then(() => (clearTimeout(timer), clearTimeout(delay)));

    // A failure rejects the exchange with its own error, then closes the peer with 0x10.
    const failed = (err: unknown): never => {
      exchange.reject(err as Error);
      throw err;
    };
    channel.on('message', (code, payload) => {
      if (done) {
        if (code !== BLOCK_RANGE_UPDATE_CODE) return this.#after(channel, peer, exchange, code, payload);
        let range: PeerRange;
        try {
          range = exchange.range.update(payload);
        } catch (err) {
          return failed(err);
        }
        this.emit('range', peer, range);
        return;
      }
      clearTimeout(timer);
      clearTimeout(delay);
      if (code !== ETH_STATUS_CODE) failed(new StatusError('code', `first message has code 0x${code.toString(16)}, not Status`));
      let handshake: EthHandshake;
      try {
        const status = decodeStatus(payload);
        // A probe has no head of its own: it judges the fork ID as a node synced to the
        // remote's latest block would, at the current time.
        const head: Head = { number: status.latestBlock, time: o.now?.() ?? nowSeconds() };
        const fork = validateStatus(status, { version: channel.version, chain, networkId: o.networkId, genesisHash: o.genesisHash, head });
        handshake = fork ? { status, fork: fork.verdict, forkDetail: fork.detail } : { status, fork: 'unchecked' };
      } catch (err) {
        return failed(err);
      }
      done = true;
      exchange.channel = channel;
      this.#live.add(channel);
      void peer.closed.then(() => this.#live.delete(channel));
      exchange.tracker = new RequestTracker(channel.version, (c, p) => channel.send(c, p));
      if (peer.isClosing) exchange.tracker.close(new ClosedError('peer closed'));
      exchange.range.start(handshake.status);
      sendOurs();
      // Mirror the remote chain so its checks (network, genesis, fork ID, range) pass.
      if (!chain) channel.send(ETH_STATUS_CODE, encodeStatus({ ...handshake.status, version: channel.version })).catch(() => {});
      exchange.resolve(handshake);
      this.emit('status', peer, handshake);
      if (o.source) {
        void serveSession(channel, peer, o.source, {
          onServed: (code, items) => this.emit('served', peer, code, items),
          onRefused: (err) => this.emit('refused', peer, err),
          onSourceError: (err) => this.emit('sourceError', peer, err),
        });
      }
    });
  }

  /** A message after Status other than BlockRangeUpdate. Throws to close the peer with 0x10. */
  #after(channel: ProtocolChannel, peer: Peer, exchange: Exchange, code: number, payload: Uint8Array): void {
    const version = channel.version;
    const name = messageName(version, code);
    if (!name) throw new MessageError('code', `eth/${version} has no message 0x${code.toString(16)}`);
    if (name === 'Status') throw new MessageError('code', 'a second Status');
    if (isResponse(name)) return exchange.tracker!.deliver(name, payload);
    if (!(name in RESPONSE_OF)) return; // announcements: a node without a pool ignores them
    if (this.#options.source) {
      // The serve session answers requests in turn; a malformed one closes the peer now, with its error.
      try {
        decodeMessage(version, code, payload);
      } catch (err) {
        if (err instanceof MessageError) this.emit('refused', peer, err);
        throw err;
      }
      return;
    }
    const request = decodeMessage(version, code, payload) as EthRequest;
    const handler = this.#options.answer;
    const reply = (answer: unknown): void => {
      if (peer.isClosing) return;
      const response = RESPONSE_OF[name as RequestName];
      const { code: rc, payload: rp } = encodeMessage(version, response, { ...(answer as object), requestId: request.message.requestId } as never);
      channel.send(rc, rp).catch(() => {});
    };
    if (!handler) return reply(emptyAnswer(request));
    Promise.resolve()
      .then(() => handler(peer, request, version))
      .then(
        (a) => reply(a ?? emptyAnswer(request)),
        () => reply(emptyAnswer(request)),
      )
      .catch(() => {});
  }
}

/** An eth responder; see EthResponder. */
export function ethStatusResponder(options: EthResponderOptions = {}): EthResponder {
  return new EthResponder(options);
}
