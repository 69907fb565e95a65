/**
 * Every option of the library: its default and its check, in one place.
 *
 * Each public entry point (dial, listen, RlpxConnection.initiate/accept through
 * connectionConfig, the eth responder) resolves its options here exactly once and passes the
 * resolved, frozen config down; nothing below re-checks or re-defaults. `undefined` always
 * means the default. A wrong type is a TypeError, a wrong value a RangeError, as noble's
 * `a*` helpers do.
 */
import { publicKeyOf } from './crypto/secp256k1.js';
import { VERSION } from './version.js';
import { frameWireSize, MAX_FRAME_SIZE } from './wire/frame.js';
import { MAX_MESSAGE_SIZE, MIN_MESSAGE_SIZE } from './wire/message.js';
import type { ConnectionConfig } from './wire/connection.js';
import { validateProtocolSpec } from './peer/capabilities.js';
import { encodeHello } from './peer/hello.js';
import type { HealthMode } from './peer/health.js';
import { cidrList, type ThrottleConfig } from './peer/inbound-throttle.js';
import { localHello, type HelloConfig } from './peer/protocol-handshake.js';
import type { PeerConfig, Protocol } from './peer/peer.js';

/** Node fires a timer with a longer delay at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const DEFAULTS = Object.freeze({
  connection: Object.freeze({
    /** The whole RLPx handshake (geth: 5 s). */
    handshakeTimeout: 5_000,
    /** No frame for this long closes the session (geth: 30 s); 0 disables. */
    readTimeout: 30_000,
    /** Written data that cannot drain for this long closes the session (geth: 20 s). */
    writeTimeout: 20_000,
    /** Room for two maximum-size frames (a larger frame still goes out alone on an empty buffer). */
    maxWriteBuffer: 2 * frameWireSize(MAX_FRAME_SIZE),
    maxFrameSize: MAX_FRAME_SIZE,
  }),
  peer: Object.freeze({
    /** The usual Name/vX.Y.Z/os-arch/runtime shape, as geth's Geth/v1.17.5-stable/linux-amd64/go1.26.8. */
    clientId: `rlpx/v${VERSION}/${process.platform}-${process.arch}/node${process.versions.node}`,
    listenPort: 0,
    /** Deadline for the remote Hello (geth: 5 s). */
    helloTimeout: 5_000,
    /** Ping every this many ms (geth: 15 s); 0 disables the ping loop. */
    pingInterval: 15_000,
    healthMode: 'l7' as HealthMode,
    pongTimeout: 10_000,
    maxPingRate: 10,
    pingBurst: 50,
    maxMessageSize: MAX_MESSAGE_SIZE,
    answerPings: true,
  }),
  dial: Object.freeze({ connectTimeout: 10_000 }),
  server: Object.freeze({
    host: '127.0.0.1',
    port: 30303,
    maxPeers: 50,
    maxPendingHandshakes: 50,
    /** An address that connected within this many ms is refused (geth: 30 s); 0 turns it off. */
    inboundThrottle: 30_000,
    /** Loopback and LAN addresses are exempt from the throttle, as in geth. */
    throttleLoopback: false,
    throttleLan: false,
  }),
  eth: Object.freeze({ statusTimeout: 5_000, disconnectOnTimeout: true }),
});

export type ConnectionOptions = { [K in keyof typeof DEFAULTS.connection]?: number };

export interface PeerOptions {
  privateKey: Uint8Array;
  clientId?: string;
  listenPort?: number;
  /** Subprotocols to offer; matched ones run on the peer (see Protocol). */
  protocols?: readonly Protocol[];
  /** Close with 0x03 when no protocol is shared. Default: true when protocols are given. */
  requireSharedProtocol?: boolean;
  helloTimeout?: number;
  pingInterval?: number;
  /**
   * 'l7' (default): a Ping unanswered after pongTimeout closes the peer with 0x0b.
   * 'geth': geth's L4 behaviour, Pongs are measured but never awaited.
   */
  healthMode?: HealthMode;
  /** How long a Ping may wait for its Pong, ms. */
  pongTimeout?: number;
  /** Sustained inbound Pings per second tolerated, and the burst above it. */
  maxPingRate?: number;
  pingBurst?: number;
  /** Largest decoded message payload accepted after Hello, MIN_MESSAGE_SIZE (64) to 16 MiB. */
  maxMessageSize?: number;
  /**
   * Answer Pings (default true). False makes a deliberately unresponsive peer, for test
   * harnesses and demos of the pong deadline; it is a protocol violation in production.
   */
  answerPings?: boolean;
}

export interface DialOptions extends PeerOptions, ConnectionOptions {
  /** TCP connect deadline, ms. */
  connectTimeout?: number;
  /** Local address to connect from (a multi-homed host, or 127.0.0.x in tests). */
  localAddress?: string;
  signal?: AbortSignal;
}

export interface ListenOptions extends PeerOptions, ConnectionOptions {
  host?: string;
  port?: number;
  maxPeers?: number;
  /** Handshakes run at once; connections beyond it wait unread, as many more at most. */
  maxPendingHandshakes?: number;
  /** See DEFAULTS.server: the per-address throttle window, and whether it covers loopback and LAN. */
  inboundThrottle?: number;
  throttleLoopback?: boolean;
  throttleLan?: boolean;
  /** Accept inbound connections only from these CIDRs (geth: --netrestrict). */
  netRestrict?: readonly string[];
  signal?: AbortSignal;
}

export interface EthOptions {
  /** How long to wait for the remote Status, ms (geth waits 5 s for ours). */
  timeout?: number;
  /** Disconnect (0x0b) a peer whose Status does not come in time. */
  disconnectOnTimeout?: boolean;
}

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly maxPeers: number;
  readonly maxPendingHandshakes: number;
  readonly throttle: ThrottleConfig;
}

/** Everything a dial needs, checked. */
export interface DialConfig {
  readonly privateKey: Uint8Array;
  readonly protocols: readonly Protocol[];
  readonly connection: ConnectionConfig;
  readonly hello: HelloConfig;
  readonly peer: PeerConfig;
  readonly connectTimeout: number;
  readonly localAddress: string | undefined;
}

export interface ListenConfig extends Omit<DialConfig, 'connectTimeout' | 'localAddress'> {
  readonly server: ServerConfig;
}

const pick = <T>(value: T | undefined, fallback: T): T => (value === undefined ? fallback : value);

/** TypeError unless `value` is a number; RangeError unless it is an integer in [min, max]. */
export function checkInteger(name: string, value: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

function checkTimer(name: string, value: unknown, min = 0): number {
  return checkInteger(name, value, min, MAX_TIMER_MS);
}

function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${typeof value}`);
  return value;
}

function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${typeof value}`);
  return value;
}

function checkCidrs(value: unknown): readonly string[] {
  if (!Array.isArray(value)) throw new TypeError('netRestrict must be an array of CIDR strings');
  cidrList(value as string[]); // RangeError for the first bad one
  return Object.freeze([...(value as string[])]);
}

function checkObject(name: string, value: unknown): void {
  if (typeof value !== 'object' || value === null) throw new TypeError(`${name} must be an object`);
}

/**
 * Equal checked configs are one frozen object: a process that dials 10,000 peers with the same
 * options keeps one copy, not 10,000 (the peers hold theirs for their whole life). Values are
 * primitives, so equal JSON means equal configs; the table is small and bounded.
 */
const interned = new Map<string, object>();
function intern<T extends object>(config: T): T {
  const key = JSON.stringify(config);
  const hit = interned.get(key);
  if (hit) return hit as T;
  if (interned.size >= 64) interned.delete(interned.keys().next().value!);
  Object.freeze(config);
  interned.set(key, config);
  return config;
}

export function connectionConfig(o: ConnectionOptions = {}): ConnectionConfig {
  checkObject('options', o);
  const d = DEFAULTS.connection;
  return intern({
    handshakeTimeout: checkTimer('handshakeTimeout', pick(o.handshakeTimeout, d.handshakeTimeout)),
    readTimeout: checkTimer('readTimeout', pick(o.readTimeout, d.readTimeout)),
    writeTimeout: checkTimer('writeTimeout', pick(o.writeTimeout, d.writeTimeout)),
    maxWriteBuffer: checkInteger('maxWriteBuffer', pick(o.maxWriteBuffer, d.maxWriteBuffer)),
    maxFrameSize: checkInteger('maxFrameSize', pick(o.maxFrameSize, d.maxFrameSize), 0, MAX_FRAME_SIZE),
  } satisfies ConnectionConfig);
}

/** The Hello phase's half of the peer options; refuses a Hello the remote would refuse. */
function helloConfig(o: PeerOptions): HelloConfig & { protocols: readonly Protocol[] } {
  const d = DEFAULTS.peer;
  const protocols = o.protocols ?? [];
  if (!Array.isArray(protocols)) throw new TypeError('protocols must be an array');
  for (const p of protocols) {
    validateProtocolSpec(p);
    const run = (p as { run?: unknown }).run;
    if (run !== undefined && typeof run !== 'function') throw new TypeError(`protocol ${p.name}: run must be a function`);
  }
  const config = Object.freeze({
    localId: publicKeyOf(o.privateKey), // throws KeyError for a bad key
    clientId: checkString('clientId', pick(o.clientId, d.clientId)),
    listenPort: checkInteger('listenPort', pick(o.listenPort, d.listenPort), 0, 65535),
    helloTimeout: checkTimer('helloTimeout', pick(o.helloTimeout, d.helloTimeout)),
    protocols: Object.freeze([...protocols]),
    requireSharedProtocol: checkBoolean('requireSharedProtocol', pick(o.requireSharedProtocol, protocols.length > 0)),
  });
  // Our Hello must fit the limit every peer enforces: refuse a too-long clientId now.
  encodeHello(localHello(config));
  return config;
}

function peerConfig(o: PeerOptions): PeerConfig {
  const d = DEFAULTS.peer;
  const healthMode = pick(o.healthMode, d.healthMode);
  if (healthMode !== 'l7' && healthMode !== 'geth') throw new RangeError(`healthMode must be 'l7' or 'geth', got ${String(healthMode)}`);
  return intern({
    pingInterval: checkTimer('pingInterval', pick(o.pingInterval, d.pingInterval)),
    healthMode,
    pongTimeout: checkTimer('pongTimeout', pick(o.pongTimeout, d.pongTimeout)),
    maxPingRate: checkInteger('maxPingRate', pick(o.maxPingRate, d.maxPingRate)),
    pingBurst: checkInteger('pingBurst', pick(o.pingBurst, d.pingBurst)),
    maxMessageSize: checkInteger('maxMessageSize', pick(o.maxMessageSize, d.maxMessageSize), MIN_MESSAGE_SIZE, MAX_MESSAGE_SIZE),
    answerPings: checkBoolean('answerPings', pick(o.answerPings, d.answerPings)),
  } satisfies PeerConfig);
}

/** What dialing and listening share: the key, the protocols, and the three layers' configs. */
function sessionConfig(o: PeerOptions & ConnectionOptions): Omit<DialConfig, 'connectTimeout' | 'localAddress'> {
  checkObject('options', o);
  const hello = helloConfig(o);
  return { privateKey: o.privateKey, protocols: hello.protocols, connection: connectionConfig(o), hello, peer: peerConfig(o) };
}

export function dialConfig(o: DialOptions): DialConfig {
  const session = sessionConfig(o);
  return Object.freeze({
    ...session,
    connectTimeout: checkTimer('connectTimeout', pick(o.connectTimeout, DEFAULTS.dial.connectTimeout), 1),
    localAddress: o.localAddress === undefined ? undefined : checkString('localAddress', o.localAddress),
  });
}

export function listenConfig(o: ListenOptions): ListenConfig {
  const session = sessionConfig(o);
  const d = DEFAULTS.server;
  return Object.freeze({
    ...session,
    server: Object.freeze({
      host: checkString('host', pick(o.host, d.host)),
      port: checkInteger('port', pick(o.port, d.port), 0, 65535),
      maxPeers: checkInteger('maxPeers', pick(o.maxPeers, d.maxPeers)),
      maxPendingHandshakes: checkInteger('maxPendingHandshakes', pick(o.maxPendingHandshakes, d.maxPendingHandshakes), 1),
      throttle: Object.freeze({
        window: checkTimer('inboundThrottle', pick(o.inboundThrottle, d.inboundThrottle)),
        exemptLoopback: !checkBoolean('throttleLoopback', pick(o.throttleLoopback, d.throttleLoopback)),
        exemptLan: !checkBoolean('throttleLan', pick(o.throttleLan, d.throttleLan)),
        netRestrict: o.netRestrict === undefined ? undefined : checkCidrs(o.netRestrict),
      }),
    }),
  });
}

export interface EthConfig {
  readonly timeout: number;
  readonly disconnectOnTimeout: boolean;
}

export function ethConfig(o: EthOptions = {}): EthConfig {
  checkObject('options', o);
  const d = DEFAULTS.eth;
  return Object.freeze({
    timeout: checkTimer('timeout', pick(o.timeout, d.statusTimeout)),
    disconnectOnTimeout: checkBoolean('disconnectOnTimeout', pick(o.disconnectOnTimeout, d.disconnectOnTimeout)),
  });
}
