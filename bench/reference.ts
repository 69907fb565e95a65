/**
 * Glue for the reference implementation, @ethereumjs/devp2p (its rlpx ECIES class).
 * Everything reference-specific lives here.
 *
 * The sequence mirrors the reference's own Peer (dist/esm/rlpx/peer.js):
 *   initiator: createAuthEIP8()                        (_sendAuth)
 *   recipient: _gotEIP8Auth = true; parseAuthEIP8(auth) (_handleAuth: the first look at a
 *              packet not starting with 0x04 sets the flag, the second parses it)
 *   recipient: createAckEIP8()  → sets up its frame state (_setupFrame)   (_sendAck)
 *   initiator: _gotEIP8Ack = true; parseAckEIP8(ack) → sets up its frame state (_handleAck)
 *   frames:    createBlockHeader(size), createBody(msg)  — two socket writes (_sendMessage)
 *              parseHeader(32 bytes), parseBody(padded + 16) (_handleHeader, _handleBody)
 *
 * We hand the header and the body straight to the parser, without the Peer's socket buffer
 * (concatBytes of every chunk into _socketData): that copy is left out in the reference's favour.
 */
import { readFileSync } from 'node:fs';
import { ECIES } from '@ethereumjs/devp2p';
import type { SessionPair, Subject } from './types.js';

/** The part of the reference's ECIES class we drive, with the flags its Peer sets by hand. */
interface RefEcies {
  _gotEIP8Auth: boolean;
  _gotEIP8Ack: boolean;
  createAuthEIP8(): Uint8Array | undefined;
  parseAuthEIP8(data: Uint8Array): void;
  createAckEIP8(): Uint8Array | undefined;
  parseAckEIP8(data: Uint8Array): void;
  createBlockHeader(size: number): Uint8Array | undefined;
  parseHeader(data: Uint8Array): number | undefined;
  createBody(data: Uint8Array): Uint8Array | undefined;
  parseBody(data: Uint8Array): Uint8Array | undefined;
}

/** Its constructor, with the `remoteId: null` its Peer passes for an incoming connection. */
type RefEciesConstructor = new (privateKey: Uint8Array, id: Uint8Array, remoteId: Uint8Array | null) => RefEcies;
const RefECIES = ECIES as unknown as RefEciesConstructor;

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`reference: ${what} returned undefined`);
  return value;
}

/** One reference endpoint. Keys are 32-byte private keys and 64-byte node ids (x ‖ y). */
export class RefPeer {
  readonly #ecies: RefEcies;

  private constructor(ecies: RefEcies) {
    this.#ecies = ecies;
  }

  static initiator(privateKey: Uint8Array, id: Uint8Array, remoteId: Uint8Array): RefPeer {
    return new RefPeer(new RefECIES(privateKey, id, remoteId));
  }

  static recipient(privateKey: Uint8Array, id: Uint8Array): RefPeer {
    return new RefPeer(new RefECIES(privateKey, id, null));
  }

  makeAuth(): Uint8Array {
    return must(this.#ecies.createAuthEIP8(), 'createAuthEIP8');
  }

  readAuth(packet: Uint8Array): void {
    this.#ecies._gotEIP8Auth = true;
    this.#ecies.parseAuthEIP8(packet);
  }

  makeAck(): Uint8Array {
    return must(this.#ecies.createAckEIP8(), 'createAckEIP8');
  }

  readAck(packet: Uint8Array): void {
    this.#ecies._gotEIP8Ack = true;
    this.#ecies.parseAckEIP8(packet);
  }

  /** A frame as the Peer writes it: header block (32 bytes) and body block, separately. */
  seal(body: Uint8Array): [header: Uint8Array, body: Uint8Array] {
    const header = must(this.#ecies.createBlockHeader(body.length), 'createBlockHeader');
    return [header, must(this.#ecies.createBody(body), 'createBody')];
  }

  /** Parse a header block then its body block; both MACs are checked (assertEq throws). */
  open(header: Uint8Array, body: Uint8Array): Uint8Array {
    const size = must(this.#ecies.parseHeader(header), 'parseHeader');
    const expected = size + ((16 - (size % 16)) % 16) + 16;
    if (body.length !== expected) throw new Error(`reference: body block is ${body.length} bytes, header says ${expected}`);
    return must(this.#ecies.parseBody(body), 'parseBody');
  }
}

function direction(from: RefPeer, to: RefPeer): (body: Uint8Array) => Uint8Array {
  return (body) => {
    const [header, bodyBlock] = from.seal(body);
    return to.open(header, bodyBlock);
  };
}

export function referenceSubject(keys: { keyA: Uint8Array; idA: Uint8Array; keyB: Uint8Array; idB: Uint8Array }): Subject {
  const { keyA, idA, keyB, idB } = keys;
  return {
    name: 'reference',
    handshake(): SessionPair {
      const initiator = RefPeer.initiator(keyA, idA, idB);
      const recipient = RefPeer.recipient(keyB, idB);
      recipient.readAuth(initiator.makeAuth());
      initiator.readAck(recipient.makeAck());
      return { forward: direction(initiator, recipient), backward: direction(recipient, initiator) };
    },
  };
}

/** "@ethereumjs/devp2p@x.y.z", read from the installed package. */
export function referenceVersion(): string {
  try {
    const url = new URL('../node_modules/@ethereumjs/devp2p/package.json', import.meta.url);
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version?: string };
    return `${pkg.name ?? '@ethereumjs/devp2p'}@${pkg.version ?? '?'}`;
  } catch {
    return '@ethereumjs/devp2p@?';
  }
}
