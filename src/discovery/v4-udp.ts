/**
 * The discv4 protocol on a UdpPort: the server side (answer PING, FINDNODE and ENRREQUEST as
 * geth does, with the endpoint proof) and the client side (ping, findNode, requestEnr with the
 * bond dance; its requests wait for their replies in V4Replies). Every datagram that fails a check is dropped and counted by reason; nothing a
 * remote sends throws out of the handler or grows memory without bound.
 */
import { bytesToHex, equalBytes } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { isValidPublicKey } from '../crypto/secp256k1.js';
import { abortable } from '../abort.js';
import { V4Replies, type ReplyKind, type ReplyMatcher } from './v4-replies.js';
import type { Enr } from './enr.js';
import { DiscoveryError, V4PacketError, type V4PacketErrorKind } from './errors.js';
import { ipBytes, isLan, relayError } from './netutil.js';
import { makeNode, type DiscoveryNode } from './node.js';
import type { Table } from './table.js';
import type { UdpPort, UdpSource } from './udp-port.js';
import { BondBook, SourceLimiter } from './v4-bonds.js';
import { decodePacket, encodeNeighbors, encodePacket, expirationFromNow, isExpired, type Endpoint, type V4Packet } from './v4-packet.js';

export { RESPONSE_TIMEOUT_MS } from './v4-replies.js';
/** After our PING is answered, time for the remote's ping-back before we query (geth sleeps the same). */
export const BOND_GRACE_MS = 500;
/** Nodes a FINDNODE answer carries at most (bucket size). */
export const FINDNODE_RESULTS = 16;
const MAX_FIND_FAILS = 5;

export type DropReason = V4PacketErrorKind | 'expired' | 'unsolicited' | 'unbonded' | 'rate-limited' | 'self';
const DROP_REASONS: readonly DropReason[] = ['too-small', 'too-large', 'bad-hash', 'bad-signature', 'unknown-type', 'malformed', 'expired', 'unsolicited', 'unbonded', 'rate-limited', 'self'];

export interface V4Counters {
  /** Datagrams accepted, by packet kind. */
  received: Record<V4Packet['kind'], number>;
  sent: number;
  dropped: Record<DropReason, number>;
}

export interface V4Limits {
  /** Datagrams per second from one source (an IP; an IP and port on LAN and loopback). Default 50. */
  packetsPerSecond?: number;
  /** Burst of the same. Default 200. */
  packetBurst?: number;
  /** Requests of ours awaiting a reply, at most. Default 1024. */
  maxPending?: number;
}

export interface V4UdpConfig {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
  port: UdpPort;
  table: Table;
  /** Our current record (ENRRESPONSE, and the seq in PING and PONG). */
  record: () => Enr;
  /** What we announce in PING's `from` (our record's endpoint). */
  self: () => Endpoint;
  limits?: V4Limits;
  /** Called with nodes that proved themselves (a PONG after they pinged us). */
  onInbound?: (node: DiscoveryNode) => void;
}

type Target = Pick<DiscoveryNode, 'id' | 'publicKey' | 'ip' | 'udp' | 'tcp'>;

export class V4Udp {
  readonly counters: V4Counters = {
    received: { ping: 0, pong: 0, findnode: 0, neighbors: 0, enrRequest: 0, enrResponse: 0 },
    sent: 0,
    dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
  };
  readonly bonds = new BondBook();
  readonly #c: V4UdpConfig;
  readonly #selfId: Uint8Array;
  readonly #replies: V4Replies;
  /** (id, IP) we are pinging back: a node that repeats its PING gets one ping-back, not one each. */
  readonly #pingingBack = new Set<string>();
  readonly #limiter: SourceLimiter;
  readonly #removeHandler: () => void;
  #closed = false;

  constructor(config: V4UdpConfig) {
    this.#c = config;
    this.#selfId = keccak256(config.publicKey);
    this.#limiter = new SourceLimiter(config.limits?.packetsPerSecond ?? 50, config.limits?.packetBurst ?? 200);
    this.#replies = new V4Replies(config.limits?.maxPending ?? 1024);
    this.#removeHandler = config.port.addHandler((data, from) => this.#onDatagram(data, from));
  }

  get pending(): number {
    return this.#replies.size;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#removeHandler();
    this.#replies.close();
  }

  // ---- server side -------------------------------------------------------------------------

  /** Claims every datagram whose frame hash checks (so a v5 handler gets the rest). */
  #onDatagram(data: Uint8Array, from: UdpSource): boolean {
    if (data.length < 98) {
      this.counters.dropped['too-small']++;
      return false;
    }
    if (!equalBytes(data.subarray(0, 32), keccak256(data.subarray(32)))) {
      this.counters.dropped['bad-hash']++;
      return false;
    }
    const ip = ipBytes(from.ip);
    const sourceKey = ip && isLan(ip) ? `${from.ip}:${from.port}` : from.ip;
    if (!this.#limiter.allow(sourceKey)) return this.#drop('rate-limited');
    let decoded;
    try {
      decoded = decodePacket(data);
    } catch (err) {
      if (err instanceof V4PacketError) return this.#drop(err.kind);
      throw err;
    }
    const { packet, hash, publicKey } = decoded;
    const id = keccak256(publicKey);
    if (equalBytes(id, this.#selfId)) return this.#drop('self');
    if ('expiration' in packet && isExpired(packet.expiration)) return this.#drop('expired');
    switch (packet.kind) {
      case 'ping':
        this.counters.received.ping++;
        this.#onPing(packet, hash, publicKey, id, from);
        return true;
      case 'findnode':
        if (!this.bonds.isBonded(id, from.ip)) return this.#drop('unbonded');
        this.counters.received.findnode++;
        this.#onFindnode(packet.target, from);
        return true;
      case 'enrRequest':
        if (!this.bonds.isBonded(id, from.ip)) return this.#drop('unbonded');
        this.counters.received.enrRequest++;
        this.#send({ kind: 'enrResponse', replyToken: hash, enr: this.#c.record() }, from);
        return true;
      default:
        if (!this.#replies.dispatch(packet, bytesToHex(id), from.ip)) return this.#drop('unsolicited');
        if (packet.kind === 'pong') this.bonds.pongReceived(id, from.ip);
        this.counters.received[packet.kind]++;
        return true;
    }
  }

  #drop(reason: DropReason): true {
    this.counters.dropped[reason]++;
    return true;
  }

  #onPing(ping: Extract<V4Packet, { kind: 'ping' }>, hash: Uint8Array, publicKey: Uint8Array, id: Uint8Array, from: UdpSource): void {
    // `to` is the address the ping came from, whatever it claims: that is what the sender needs to learn.
    this.#send({ kind: 'pong', to: { ip: from.ip, udp: from.port, tcp: ping.from.tcp }, replyToken: hash, expiration: expirationFromNow(), enrSeq: this.#c.record().seq }, from);
    const node = makeNode(publicKey, from.ip, from.port, ping.from.tcp);
    const bonded = this.bonds.isBonded(id, from.ip);
    this.bonds.pingReceived(id, from.ip);
    if (bonded) {
      this.#c.onInbound?.(node);
      return;
    }
    // Prove its endpoint before it enters our table (and before it may query us).
    const key = `${bytesToHex(id)}@${from.ip}`;
    if (this.#pingingBack.has(key)) return;
    this.#pingingBack.add(key);
    this.ping(node)
      .then(
        () => this.#c.onInbound?.(node),
        () => undefined,
      )
      .finally(() => this.#pingingBack.delete(key));
  }

  #onFindnode(target: Uint8Array, from: UdpSource): void {
    const requester = ipBytes(from.ip);
    const closest = this.#c.table.closest(keccak256(target), FINDNODE_RESULTS, {
      preferLive: true,
      // On a table shared with discv5: v5-only nodes would fail the asker's v4 PING.
      protocol: 'v4',
      filter: (n) => {
        const ip = ipBytes(n.ip);
        return requester !== undefined && ip !== undefined && relayError(requester, ip) === undefined;
      },
    });
    const records = closest.map((n) => ({ ip: n.ip, udp: n.udp, tcp: n.tcp, publicKey: n.publicKey }));
    for (const bytes of encodeNeighbors(records, expirationFromNow(), this.#c.privateKey)) this.#sendRaw(bytes, from);
  }

  #send(packet: V4Packet, to: UdpSource): Uint8Array {
    const { bytes, hash } = encodePacket(packet, this.#c.privateKey);
    this.#sendRaw(bytes, to);
    return hash;
  }

  #sendRaw(bytes: Uint8Array, to: UdpSource): void {
    this.counters.sent++;
    this.#c.port.send(bytes, to);
  }

  // ---- client side -------------------------------------------------------------------------

  /** Send `packet` to `node` and wait for its replies of `kind` (see V4Replies.request). */
  #request(node: Target, packet: V4Packet, kind: ReplyKind, onReply: ReplyMatcher, signal?: AbortSignal): Promise<void> {
    return this.#replies.request(node, kind, () => this.#send(packet, { ip: node.ip, port: node.udp }), onReply, signal);
  }

  /** PING and wait for the PONG quoting it. Resolves with the remote's record seq (0 if none). */
  async ping(node: Target, options: { signal?: AbortSignal } = {}): Promise<{ enrSeq: bigint; to: Endpoint }> {
    let out: { enrSeq: bigint; to: Endpoint } | undefined;
    const ping: V4Packet = { kind: 'ping', version: 4n, from: this.#c.self(), to: { ip: node.ip, udp: node.udp, tcp: node.tcp }, expiration: expirationFromNow(), enrSeq: this.#c.record().seq };
    await this.#request(
      node,
      ping,
      'pong',
      (p, hash) => {
        if (p.kind !== 'pong' || !equalBytes(p.replyToken, hash)) return undefined;
        out = { enrSeq: p.enrSeq ?? 0n, to: p.to };
        return true;
      },
      options.signal,
    );
    return out!;
  }

  /**
   * Make sure the node will answer our queries: unless it pinged us in the last 24 h (so it
   * holds a PONG of ours), PING it, then give it time to ping us back and get our PONG.
   */
  async ensureBond(node: Target, signal?: AbortSignal): Promise<void> {
    if (this.bonds.recentlyPingedUs(node.id, node.ip) && this.bonds.findFails(node.id, node.ip) <= MAX_FIND_FAILS) return;
    await this.ping(node, { signal });
    await abortable(new Promise((r) => setTimeout(r, BOND_GRACE_MS)), signal, () => undefined);
  }

  /**
   * FINDNODE for `target` (a 64-byte public key, or any 64 bytes): the nodes of its NEIGHBORS
   * (up to 16, or what came within the timeout) that pass the relay-address and port checks.
   */
  async findNode(node: Target, target: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<DiscoveryNode[]> {
    await this.ensureBond(node, options.signal);
    const sender = ipBytes(node.ip);
    const found: DiscoveryNode[] = [];
    let received = 0;
    try {
      await this.#request(
        node,
        { kind: 'findnode', target, expiration: expirationFromNow() },
        'neighbors',
        (p) => {
          if (p.kind !== 'neighbors') return undefined;
          for (const n of p.nodes) {
            received++;
            if (found.length >= FINDNODE_RESULTS || n.ip === undefined || n.udp <= 1024) continue;
            const ip = ipBytes(n.ip);
            if (!sender || !ip || relayError(sender, ip) !== undefined || !isValidPublicKey(n.publicKey)) continue;
            found.push(makeNode(n.publicKey, n.ip, n.udp, n.tcp));
          }
          return received >= FINDNODE_RESULTS;
        },
        options.signal,
      );
      this.bonds.setFindFails(node.id, node.ip, 0);
    } catch (err) {
      if (err instanceof DiscoveryError && err.kind === 'timeout') this.bonds.setFindFails(node.id, node.ip, this.bonds.findFails(node.id, node.ip) + 1);
      throw err;
    }
    return found;
  }

  /** ENRREQUEST (after the bond dance): the node's record, checked to be its own and relayable. */
  async requestEnr(node: Target, options: { signal?: AbortSignal } = {}): Promise<Enr> {
    await this.ensureBond(node, options.signal);
    let record: Enr | undefined;
    await this.#request(
      node,
      { kind: 'enrRequest', expiration: expirationFromNow() },
      'enrResponse',
      (p, hash) => {
        if (p.kind !== 'enrResponse' || !equalBytes(p.replyToken, hash)) return undefined;
        record = p.enr;
        return true;
      },
      options.signal,
    );
    const enr = record!;
    if (!equalBytes(enr.publicKey, node.publicKey)) throw new DiscoveryError('bad-reply', 'discv4: ENRRESPONSE carries another node\'s record');
    const sender = ipBytes(node.ip);
    const ip = enr.ip !== undefined ? ipBytes(enr.ip) : undefined;
    if (sender && ip && relayError(sender, ip) !== undefined) throw new DiscoveryError('bad-reply', `discv4: record address ${enr.ip} may not come from ${node.ip}`);
    return enr;
  }
}
