/**
 * The EIP-8 RLPx handshake: auth and ack packets, and the session secrets they yield.
 *
 *   auth = size(2) ‖ ecies(remote, [sig, initiatorPubkey, nonce, version, ...] ‖ padding, size)
 *   ack  = size(2) ‖ ecies(initiator, [ephemeralPubkey, nonce, version, ...] ‖ padding, size)
 *
 * This layer knows bytes and keys only: sockets and deadlines belong to the connection.
 */
import { randomInt } from 'node:crypto';
import { randomBytes } from '../crypto/random.js';
import { RLP } from '@ethereumjs/rlp';
import { HandshakeError, RlpxError } from '../errors.js';
import { canonicalUint } from './rlp.js';
import { concatBytes, xorBytes } from '../crypto/bytes.js';
import { eciesDecrypt, eciesEncrypt, ECIES_OVERHEAD } from '../crypto/ecies.js';
import { keccak256, type KeccakState } from '../crypto/keccak.js';
import { createMacKeccak } from '../crypto/keccak-wasm.js';
import {
  ecdh,
  generatePrivateKey,
  isValidPublicKey,
  publicKeyOf,
  recover,
  sign,
  PUBLIC_KEY_SIZE,
  SIGNATURE_SIZE,
} from '../crypto/secp256k1.js';

/** Version we send in auth and ack. Higher versions from the remote are accepted. */
export const HANDSHAKE_VERSION = 4;
/** Largest auth/ack ECIES body we decrypt; anything larger is refused unread. */
export const MAX_HANDSHAKE_PACKET = 2048;
const NONCE_SIZE = 32;
const SIZE_PREFIX = 2;

/** Decoded auth body. `rest` holds any extra list elements, raw, for forward compatibility. */
export interface AuthMessage {
  signature: Uint8Array;
  initiatorPublicKey: Uint8Array;
  nonce: Uint8Array;
  version: number;
  rest: unknown[];
}

/** Decoded ack body. */
export interface AckMessage {
  ephemeralPublicKey: Uint8Array;
  nonce: Uint8Array;
  version: number;
  rest: unknown[];
}

/** What both sides derive from a completed handshake: geth's rlpx.Secrets. */
export interface Secrets {
  aes: Uint8Array;
  mac: Uint8Array;
  egressMac: KeccakState;
  ingressMac: KeccakState;
  /** The remote's static public key, proven by the handshake (64 bytes). */
  remotePublicKey: Uint8Array;
}

/**
 * Size of the whole packet (prefix included) announced by its 2-byte prefix,
 * checked against the cap before anything else is read.
 */
export function handshakePacketSize(prefix: Uint8Array): number {
  if (prefix.length < SIZE_PREFIX) throw new HandshakeError(`handshake: packet of ${prefix.length} bytes has no size prefix`);
  const size = (prefix[0]! << 8) | prefix[1]!;
  if (size > MAX_HANDSHAKE_PACKET) {
    throw new HandshakeError(`handshake: packet of ${size} bytes exceeds the ${MAX_HANDSHAKE_PACKET}-byte limit`);
  }
  if (size < ECIES_OVERHEAD) throw new HandshakeError(`handshake: packet of ${size} bytes is too small`);
  return SIZE_PREFIX + size;
}

function sealPacket(remotePublicKey: Uint8Array, body: Uint8Array): Uint8Array {
  // geth pads with 100-199 bytes, which makes EIP-8 packets distinguishable from pre-EIP-8 ones.
  const padded = concatBytes(body, new Uint8Array(randomInt(100, 200)));
  const size = padded.length + ECIES_OVERHEAD;
  const prefix = Uint8Array.of(size >> 8, size & 0xff);
  return concatBytes(prefix, eciesEncrypt(remotePublicKey, padded, prefix));
}

function openPacket(privateKey: Uint8Array, packet: Uint8Array, what: string): unknown[] {
  const total = handshakePacketSize(packet);
  if (packet.length !== total) {
    throw new HandshakeError(`${what}: packet is ${packet.length} bytes but its prefix says ${total}`);
  }
  let plain: Uint8Array;
  try {
    plain = eciesDecrypt(privateKey, packet.subarray(SIZE_PREFIX), packet.subarray(0, SIZE_PREFIX));
  } catch (err) {
    if (err instanceof RlpxError) throw new HandshakeError(`${what}: ${err.message}`, { cause: err });
    throw err;
  }
  let decoded: unknown;
  try {
    // Stream mode: the RLP list is followed by padding we ignore.
    decoded = RLP.decode(plain, true).data;
  } catch (err) {
    throw new HandshakeError(`${what}: body is not valid RLP`, { cause: err });
  }
  if (!Array.isArray(decoded)) throw new HandshakeError(`${what}: body is not an RLP list`);
  return decoded;
}

function field(list: unknown[], index: number, size: number, what: string): Uint8Array {
  const v = list[index];
  if (!(v instanceof Uint8Array)) throw new HandshakeError(`${what}: element ${index} missing or not a byte string`);
  if (v.length !== size) throw new HandshakeError(`${what}: element ${index} is ${v.length} bytes, want ${size}`);
  return v;
}

function uintField(list: unknown[], index: number, what: string): number {
  // geth reads a uint64, and the spec says to ignore a version we do not know.
  const n = canonicalUint(list[index], 8);
  if (n === undefined) throw new HandshakeError(`${what}: version is missing or not a canonical integer of at most 8 bytes`);
  return n;
}

export function decodeAuth(list: unknown[]): AuthMessage {
  if (list.length < 4) throw new HandshakeError(`auth: list has ${list.length} elements, want at least 4`);
  return {
    signature: field(list, 0, SIGNATURE_SIZE, 'auth'),
    initiatorPublicKey: field(list, 1, PUBLIC_KEY_SIZE, 'auth'),
    nonce: field(list, 2, NONCE_SIZE, 'auth'),
    version: uintField(list, 3, 'auth'),
    rest: list.slice(4),
  };
}

export function decodeAck(list: unknown[]): AckMessage {
  if (list.length < 3) throw new HandshakeError(`ack: list has ${list.length} elements, want at least 3`);
  return {
    ephemeralPublicKey: field(list, 0, PUBLIC_KEY_SIZE, 'ack'),
    nonce: field(list, 1, NONCE_SIZE, 'ack'),
    version: uintField(list, 2, 'ack'),
    rest: list.slice(3),
  };
}

/** Decrypt and decode an auth packet (size prefix included) with the recipient's static key. */
export function openAuth(privateKey: Uint8Array, packet: Uint8Array): AuthMessage {
  return decodeAuth(openPacket(privateKey, packet, 'auth'));
}

/** Decrypt and decode an ack packet (size prefix included) with the initiator's static key. */
export function openAck(privateKey: Uint8Array, packet: Uint8Array): AckMessage {
  return decodeAck(openPacket(privateKey, packet, 'ack'));
}

export interface HandshakeOptions {
  /** Our static private key. */
  privateKey: Uint8Array;
  /** Fixed ephemeral key and nonce, for test vectors only. */
  ephemeralKey?: Uint8Array;
  nonce?: Uint8Array;
}

/**
 * One side of a handshake, geth's handshakeState. The initiator calls makeAuth then readAck;
 * the recipient calls readAuth then makeAck. Then both call secrets().
 */
export class HandshakeState {
  readonly initiator: boolean;
  readonly #privateKey: Uint8Array;
  readonly #ephemeralKey: Uint8Array;
  readonly #nonce: Uint8Array;
  #remotePublicKey: Uint8Array | undefined;
  #remoteEphemeral: Uint8Array | undefined;
  #remoteNonce: Uint8Array | undefined;
  #authPacket: Uint8Array | undefined;
  #ackPacket: Uint8Array | undefined;

  private constructor(initiator: boolean, options: HandshakeOptions, remotePublicKey?: Uint8Array) {
    this.initiator = initiator;
    this.#privateKey = options.privateKey;
    this.#ephemeralKey = options.ephemeralKey ?? generatePrivateKey();
    this.#nonce = options.nonce ?? randomBytes(NONCE_SIZE);
    this.#remotePublicKey = remotePublicKey;
  }

  /** The dialing side; it must know the remote's public key (64 bytes). */
  static initiator(remotePublicKey: Uint8Array, options: HandshakeOptions): HandshakeState {
    if (!isValidPublicKey(remotePublicKey)) throw new HandshakeError('remote public key is not a point on secp256k1');
    return new HandshakeState(true, options, remotePublicKey);
  }

  /** The listening side; it learns the remote's key from the auth packet. */
  static recipient(options: HandshakeOptions): HandshakeState {
    return new HandshakeState(false, options);
  }

  /** The remote's static public key, once known. */
  get remotePublicKey(): Uint8Array | undefined {
    return this.#remotePublicKey;
  }

  /** The remote's ephemeral public key: recovered from auth, or read from ack. */
  get remoteEphemeralKey(): Uint8Array | undefined {
    return this.#remoteEphemeral;
  }

  makeAuth(): Uint8Array {
    if (!this.initiator || this.#authPacket) throw new Error('makeAuth: only once, by the initiator');
    const remote = this.#remotePublicKey!;
    const token = ecdh(this.#privateKey, remote);
    const signature = sign(xorBytes(token, this.#nonce), this.#ephemeralKey);
    const body = RLP.encode([signature, publicKeyOf(this.#privateKey), this.#nonce, HANDSHAKE_VERSION]);
    this.#authPacket = sealPacket(remote, body);
    return this.#authPacket;
  }

  readAuth(packet: Uint8Array): AuthMessage {
    if (this.initiator || this.#authPacket) throw new Error('readAuth: only once, by the recipient');
    const auth = openAuth(this.#privateKey, packet);
    let token: Uint8Array;
    try {
      token = ecdh(this.#privateKey, auth.initiatorPublicKey);
    } catch (err) {
      throw new HandshakeError('auth: initiator key is not on the curve', { cause: err });
    }
    let ephemeral: Uint8Array;
    try {
      ephemeral = recover(xorBytes(token, auth.nonce), auth.signature);
    } catch (err) {
      throw new HandshakeError('auth: bad signature', { cause: err });
    }
    this.#remotePublicKey = auth.initiatorPublicKey;
    this.#remoteEphemeral = ephemeral;
    this.#remoteNonce = auth.nonce;
    this.#authPacket = new Uint8Array(packet);
    return auth;
  }

  makeAck(): Uint8Array {
    if (this.initiator || !this.#authPacket || this.#ackPacket) throw new Error('makeAck: once, after readAuth');
    const body = RLP.encode([publicKeyOf(this.#ephemeralKey), this.#nonce, HANDSHAKE_VERSION]);
    this.#ackPacket = sealPacket(this.#remotePublicKey!, body);
    return this.#ackPacket;
  }

  readAck(packet: Uint8Array): AckMessage {
    if (!this.initiator || !this.#authPacket || this.#ackPacket) throw new Error('readAck: once, after makeAuth');
    const ack = openAck(this.#privateKey, packet);
    if (!isValidPublicKey(ack.ephemeralPublicKey)) throw new HandshakeError('ack: ephemeral key is not on the curve');
    this.#remoteEphemeral = ack.ephemeralPublicKey;
    this.#remoteNonce = ack.nonce;
    this.#ackPacket = new Uint8Array(packet);
    return ack;
  }

  /** Derive the session secrets; valid once both packets are known. */
  secrets(): Secrets {
    if (!this.#authPacket || !this.#ackPacket || !this.#remoteEphemeral || !this.#remoteNonce) {
      throw new Error('secrets: handshake is not complete');
    }
    return deriveSecrets({
      initiator: this.initiator,
      ephemeralKey: this.#ephemeralKey,
      remoteEphemeral: this.#remoteEphemeral,
      nonce: this.#nonce,
      remoteNonce: this.#remoteNonce,
      authPacket: this.#authPacket,
      ackPacket: this.#ackPacket,
      remotePublicKey: this.#remotePublicKey!,
    });
  }
}

/** Inputs of the secrets derivation, named as in the devp2p spec. */
export interface SecretInputs {
  initiator: boolean;
  ephemeralKey: Uint8Array;
  remoteEphemeral: Uint8Array;
  nonce: Uint8Array;
  remoteNonce: Uint8Array;
  authPacket: Uint8Array;
  ackPacket: Uint8Array;
  remotePublicKey: Uint8Array;
}

/**
 * Derive the session secrets. HandshakeState.secrets() is the usual entry point; this one
 * exists for checking golden vectors whose packets we did not produce ourselves.
 */
export function deriveSecrets(s: SecretInputs): Secrets {
  const ephemeralShared = ecdh(s.ephemeralKey, s.remoteEphemeral);
  const [initNonce, respNonce] = s.initiator ? [s.nonce, s.remoteNonce] : [s.remoteNonce, s.nonce];
  const sharedSecret = keccak256(ephemeralShared, keccak256(respNonce, initNonce));
  const aes = keccak256(ephemeralShared, sharedSecret);
  const mac = keccak256(ephemeralShared, aes);

  // The initiator's egress MAC starts from the recipient's nonce and the auth it sent;
  // the recipient's egress MAC from the initiator's nonce and the ack it sent.
  const macFor = (nonce: Uint8Array, packet: Uint8Array): KeccakState => {
    const state = createMacKeccak();
    state.update(xorBytes(mac, nonce));
    state.update(packet);
    return state;
  };
  const egressMac = s.initiator ? macFor(respNonce, s.authPacket) : macFor(initNonce, s.ackPacket);
  const ingressMac = s.initiator ? macFor(initNonce, s.ackPacket) : macFor(respNonce, s.authPacket);
  return { aes, mac, egressMac, ingressMac, remotePublicKey: s.remotePublicKey };
}
