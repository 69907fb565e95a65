/**
 * The discv5 session layer over any datagram sender: it turns datagrams into verified
 * messages from known node ids and back. It keeps the sessions (per node id and address,
 * bounded in number and age), answers packets it cannot open with WHOAREYOU, completes
 * handshakes both ways, and matches responses to our requests (one active request per node,
 * so a handshake is never raced by a second one). What a request means is the caller's job.
 *
 * Nothing a remote sends throws out of handlePacket: bad input is dropped and counted by kind.
 */
import { bytesToHex } from '../crypto/bytes.js';
import type { Enr } from './enr.js';
import type { DiscoveryNode } from './node.js';
import { V5PacketError, V5RequestError, type V5DropKind } from './v5-errors.js';
import { openMessage } from './v5-crypto.js';
import { handshakePacket, openHandshake, randomPacket, sealedPacket, whoareyouPacket } from './v5-handshake.js';
import { BoundedLru } from './v5-lru.js';
import { decodeMessage, encodeMessage, newRequestId, type V5Message } from './v5-message.js';
import { decodePacket, decodeWhoareyouAuth, FLAG_HANDSHAKE, FLAG_WHOAREYOU, type DecodedPacket } from './v5-packet.js';
import { SourceRateLimit } from './v5-rate.js';

/**
 * The largest request message we send: what still fits a handshake packet carrying our record
 * (iv 16, static header 23, auth-data 34 + 64 + 33 + a 300-byte record, GCM tag 16) in 1,280.
 */
export const MAX_REQUEST_SIZE = 1280 - 16 - 23 - (34 + 64 + 33 + 300) - 16;

/** A NODES answer spans at most this many packets (geth's totalNodesResponseLimit). */
export const NODES_RESPONSE_LIMIT = 5;

export interface Endpoint {
  ip: string;
  port: number;
}

type RequestMessage = Extract<V5Message, { type: 'ping' | 'findnode' | 'talkreq' }>;
/** A request of ours, before the transport gives it a fresh request id. */
export type V5Request = RequestMessage extends infer M ? (M extends RequestMessage ? Omit<M, 'reqId'> : never) : never;

/** A request from a node that proved its id (the packet opened with its session key). */
export interface InboundRequest {
  message: RequestMessage;
  id: Uint8Array;
  from: Endpoint;
}

export interface V5TransportOptions {
  privateKey: Uint8Array;
  localId: Uint8Array;
  /** Our record as it is now (its seq decides whether a handshake carries it). */
  localRecord: () => Enr;
  /** Sends one datagram; errors are the sender's to swallow. */
  send: (packet: Uint8Array, to: Endpoint) => void;
  /** The record we hold of a node, so a WHOAREYOU asks only for a newer one. */
  knownRecord?: (id: Uint8Array) => Enr | undefined;
  onRequest: (req: InboundRequest) => void;
  /** A node completed a handshake with us and sent its record (already verified). */
  onHandshake?: (record: Enr, from: Endpoint) => void;
  /** Sessions kept (default 1,000) and for how long (default 12 h). */
  maxSessions?: number;
  sessionTtlMs?: number;
  /** How long a WHOAREYOU waits for its handshake (default 1 s, as geth). */
  handshakeTimeoutMs?: number;
  maxChallenges?: number;
  /** Datagrams per second per source IP (default 1,000, bursts of 2,000). */
  packetRate?: number;
  /** WHOAREYOUs per second per source IP (default 100, bursts of 200): a handshake costs us an ECDH. */
  challengeRate?: number;
  /** Requests in flight or queued (default 2,000). */
  maxPendingRequests?: number;
  requestTimeoutMs?: number;
}

interface Session {
  writeKey: Uint8Array;
  readKey: Uint8Array;
  /**
   * The read key of the session this one replaced. When both sides start a handshake at once,
   * each ends up writing with the keys of the handshake it answered last, which the other side
   * has replaced with its own; keeping the previous read key lets both directions open at once
   * rather than dropping the first messages until one more handshake.
   */
  prevReadKey?: Uint8Array;
}

interface PendingChallenge {
  packet: Uint8Array;
  challengeData: Uint8Array;
  known?: Enr;
}

type Expect = 'pong' | 'nodes' | 'talkresp';

interface Call {
  node: DiscoveryNode;
  reqId: Uint8Array;
  pt: Uint8Array;
  expect: Expect;
  nonce?: string;
  handshakeSent: boolean;
  responses: V5Message[];
  total: number;
  timeoutMs: number;
  timer?: NodeJS.Timeout;
  resolve: (r: V5Message[]) => void;
  reject: (e: unknown) => void;
}

export type V5Counters = Record<V5DropKind, number> & { packetsIn: number; packetsOut: number; handshakes: number };

const key = (id: Uint8Array, ep: Endpoint): string => `${bytesToHex(id)}@${ep.ip}:${ep.port}`;

export class V5Transport {
  readonly counters: V5Counters = {
    'malformed-header': 0,
    undecryptable: 0,
    'malformed-message': 0,
    'unsolicited-whoareyou': 0,
    'bad-handshake': 0,
    'unsolicited-response': 0,
    'rate-limited': 0,
    overload: 0,
    packetsIn: 0,
    packetsOut: 0,
    handshakes: 0,
  };
  readonly #o: V5TransportOptions;
  readonly #sessions: BoundedLru<Session>;
  readonly #challenges: BoundedLru<PendingChallenge>;
  readonly #packetLimit: SourceRateLimit;
  readonly #challengeLimit: SourceRateLimit;
  readonly #active = new Map<string, Call>();
  readonly #queued = new Map<string, Call[]>();
  readonly #byNonce = new Map<string, Call>();
  #pending = 0;
  #closed = false;

  constructor(options: V5TransportOptions) {
    this.#o = options;
    this.#sessions = new BoundedLru(options.maxSessions ?? 1000, options.sessionTtlMs ?? 12 * 3600_000);
    this.#challenges = new BoundedLru(options.maxChallenges ?? 1000, options.handshakeTimeoutMs ?? 1000);
    const packetRate = options.packetRate ?? 1000;
    const challengeRate = options.challengeRate ?? 100;
    this.#packetLimit = new SourceRateLimit({ rate: packetRate, burst: packetRate * 2 });
    this.#challengeLimit = new SourceRateLimit({ rate: challengeRate, burst: challengeRate * 2 });
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  get challengeCount(): number {
    return this.#challenges.size;
  }

  get pendingRequests(): number {
    return this.#pending;
  }

  #drop(kind: V5DropKind): void {
    this.counters[kind]++;
  }

  #send(packet: Uint8Array, to: Endpoint): void {
    this.counters.packetsOut++;
    this.#o.send(packet, to);
  }

  /** Feed one received datagram. Never throws. */
  handlePacket(data: Uint8Array, from: Endpoint): void {
    if (this.#closed) return;
    this.counters.packetsIn++;
    if (!this.#packetLimit.take(from.ip)) return this.#drop('rate-limited');
    try {
      const p = decodePacket(this.#o.localId, data);
      if (p.flag === FLAG_WHOAREYOU) this.#onWhoareyou(p, from);
      else if (p.flag === FLAG_HANDSHAKE) this.#onHandshake(p, from);
      else this.#onMessage(p, from);
    } catch (err) {
      this.#drop(err instanceof V5PacketError ? err.kind : 'malformed-message');
    }
  }

  #onMessage(p: DecodedPacket, from: Endpoint): void {
    const srcId = p.authdata;
    const session = this.#sessions.get(key(srcId, from));
    if (session) {
      const pt = openMessage(session.readKey, p.nonce, p.message, p.ad) ?? (session.prevReadKey && openMessage(session.prevReadKey, p.nonce, p.message, p.ad));
      if (pt) return this.#dispatch(pt, srcId, from);
      this.#drop('undecryptable');
    }
    this.#challenge(srcId, from, p.nonce);
  }

  /** WHOAREYOU, or the same one again while its handshake is pending (a resend must not change the challenge). */
  #challenge(srcId: Uint8Array, from: Endpoint, nonce: Uint8Array): void {
    const k = key(srcId, from);
    const pending = this.#challenges.get(k);
    if (!this.#challengeLimit.take(from.ip)) return this.#drop('rate-limited');
    if (pending) return this.#send(pending.packet, from);
    const known = this.#o.knownRecord?.(srcId);
    const c = whoareyouPacket(srcId, nonce, known?.seq ?? 0n);
    this.#challenges.set(k, { ...c, ...(known ? { known } : {}) });
    this.#send(c.packet, from);
  }

  #onHandshake(p: DecodedPacket, from: Endpoint): void {
    if (p.authdata.length < 32) throw new V5PacketError('malformed-header', 'discv5: handshake auth-data too short');
    // A challenge answers once: a replayed handshake finds none.
    const challenge = this.#challenges.take(key(p.authdata.subarray(0, 32), from));
    if (!challenge) throw new V5PacketError('bad-handshake', 'discv5: handshake for no challenge of ours');
    const h = openHandshake(p, this.#o.privateKey, this.#o.localId, challenge);
    this.#setSession(key(h.srcId, from), { writeKey: h.keys.recipientKey, readKey: h.keys.initiatorKey });
    this.counters.handshakes++;
    if (h.record) this.#o.onHandshake?.(h.record, from);
    this.#dispatch(h.pt, h.srcId, from);
  }

  #onWhoareyou(p: DecodedPacket, from: Endpoint): void {
    const call = this.#byNonce.get(bytesToHex(p.nonce));
    if (!call || call.handshakeSent || call.node.ip !== from.ip || call.node.udp !== from.port) {
      throw new V5PacketError('unsolicited-whoareyou', 'discv5: WHOAREYOU for no request of ours');
    }
    const { enrSeq } = decodeWhoareyouAuth(p.authdata);
    const local = this.#o.localRecord();
    const hs = handshakePacket({
      destId: call.node.id,
      destPublicKey: call.node.publicKey,
      srcId: this.#o.localId,
      staticKey: this.#o.privateKey,
      challengeData: p.ad,
      ...(enrSeq < local.seq ? { record: local.raw } : {}),
      pt: call.pt,
    });
    this.#setSession(key(call.node.id, from), { writeKey: hs.keys.initiatorKey, readKey: hs.keys.recipientKey });
    call.handshakeSent = true;
    this.#byNonce.delete(call.nonce!);
    call.nonce = bytesToHex(hs.nonce);
    this.#byNonce.set(call.nonce, call);
    this.#arm(call);
    this.#send(hs.packet, from);
  }

  #setSession(k: string, session: Session): void {
    const old = this.#sessions.get(k);
    this.#sessions.set(k, old ? { ...session, prevReadKey: old.readKey } : session);
  }

  #dispatch(pt: Uint8Array, srcId: Uint8Array, from: Endpoint): void {
    const msg = decodeMessage(pt);
    if (msg.type === 'ping' || msg.type === 'findnode' || msg.type === 'talkreq') {
      this.#o.onRequest({ message: msg, id: srcId, from });
      return;
    }
    const call = this.#active.get(bytesToHex(srcId));
    if (!call || call.expect !== msg.type || bytesToHex(call.reqId) !== bytesToHex(msg.reqId)) {
      throw new V5PacketError('unsolicited-response', 'discv5: response to no request of ours');
    }
    call.responses.push(msg);
    if (msg.type === 'nodes') {
      if (call.responses.length === 1) call.total = Math.min(Math.max(msg.total, 1), NODES_RESPONSE_LIMIT);
      if (call.responses.length < call.total) return this.#arm(call);
    }
    this.#finish(call, undefined);
  }

  /** Send a response (or any message) over the session we hold with `id` at `to`; false without one. */
  respond(id: Uint8Array, to: Endpoint, message: V5Message): boolean {
    const session = this.#sessions.get(key(id, to));
    if (!session || this.#closed) return false;
    this.#send(sealedPacket(id, this.#o.localId, session.writeKey, encodeMessage(message)).packet, to);
    return true;
  }

  /**
   * Send a request and collect its answer: one PONG or TALKRESP, or every NODES packet (up to
   * the count the first one announces, at most 5). A handshake happens on the way if needed.
   */
  request(node: DiscoveryNode, message: V5Request, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<V5Message[]> {
    if (this.#closed) return Promise.reject(new V5RequestError('closed', 'discv5: closed'));
    if (this.#pending >= (this.#o.maxPendingRequests ?? 2000)) {
      this.#drop('overload');
      return Promise.reject(new V5RequestError('overload', 'discv5: too many requests in flight'));
    }
    options.signal?.throwIfAborted();
    const reqId = newRequestId();
    const pt = encodeMessage({ ...message, reqId } as V5Message);
    if (pt.length > MAX_REQUEST_SIZE) return Promise.reject(new RangeError(`discv5: a ${pt.length}-byte request is over ${MAX_REQUEST_SIZE} bytes`));
    const expect: Expect = message.type === 'ping' ? 'pong' : message.type === 'findnode' ? 'nodes' : 'talkresp';
    return new Promise<V5Message[]>((resolve, reject) => {
      const call: Call = {
        node,
        reqId,
        pt,
        expect,
        handshakeSent: false,
        responses: [],
        total: 1,
        timeoutMs: options.timeoutMs ?? this.#o.requestTimeoutMs ?? 1000,
        resolve,
        reject,
      };
      this.#pending++;
      const signal = options.signal;
      if (signal) {
        const onAbort = (): void => this.#finish(call, signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        const done = (): void => signal.removeEventListener('abort', onAbort);
        call.resolve = (r) => (done(), resolve(r));
        call.reject = (e) => (done(), reject(e));
      }
      const id = bytesToHex(node.id);
      if (this.#active.has(id)) {
        const q = this.#queued.get(id) ?? [];
        q.push(call);
        this.#queued.set(id, q);
      } else {
        this.#start(call);
      }
    });
  }

  #start(call: Call): void {
    const id = bytesToHex(call.node.id);
    this.#active.set(id, call);
    const to = { ip: call.node.ip, port: call.node.udp };
    const session = this.#sessions.get(key(call.node.id, to));
    const sent = session
      ? sealedPacket(call.node.id, this.#o.localId, session.writeKey, call.pt)
      : randomPacket(call.node.id, this.#o.localId);
    call.nonce = bytesToHex(sent.nonce);
    this.#byNonce.set(call.nonce, call);
    this.#arm(call);
    this.#send(sent.packet, to);
  }

  #arm(call: Call): void {
    clearTimeout(call.timer);
    call.timer = setTimeout(() => {
      // Some NODES packets arrived but not all: what came is the answer, as geth takes it.
      if (call.expect === 'nodes' && call.responses.length > 0) this.#finish(call, undefined);
      else this.#finish(call, new V5RequestError('timeout', `discv5: no ${call.expect} from ${call.node.ip}:${call.node.udp}`));
    }, call.timeoutMs);
  }

  #finish(call: Call, error: unknown): void {
    const id = bytesToHex(call.node.id);
    clearTimeout(call.timer);
    if (call.nonce) this.#byNonce.delete(call.nonce);
    if (this.#active.get(id) === call) {
      this.#active.delete(id);
      const q = this.#queued.get(id);
      const next = q?.shift();
      if (q && q.length === 0) this.#queued.delete(id);
      if (next) this.#start(next);
    } else {
      const q = this.#queued.get(id);
      const at = q?.indexOf(call) ?? -1;
      if (at < 0) return; // already finished
      q!.splice(at, 1);
      if (q!.length === 0) this.#queued.delete(id);
    }
    this.#pending--;
    if (error === undefined) call.resolve(call.responses);
    else call.reject(error);
  }

  /** Fail every request and forget every session. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const closed = (): V5RequestError => new V5RequestError('closed', 'discv5: closed');
    const queued = [...this.#queued.values()].flat();
    this.#queued.clear();
    for (const c of queued) {
      this.#pending--;
      c.reject(closed());
    }
    for (const c of [...this.#active.values()]) this.#finish(c, closed());
    this.#sessions.clear();
    this.#challenges.clear();
  }
}
