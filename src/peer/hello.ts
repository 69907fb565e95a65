/**
 * Hello (0x00): [version, clientId, [[cap, version], ...], listenPort, nodeId(64), ...].
 * Decoding ignores extra elements; it is sent and read uncompressed.
 */
import { RLP } from '@ethereumjs/rlp';
import { ProtocolError } from '../errors.js';
import { canonicalUint } from '../wire/rlp.js';
import { DisconnectReason } from '../reasons.js';
import { PUBLIC_KEY_SIZE } from '../crypto/secp256k1.js';
import { BASE_PROTOCOL_MAX_MESSAGE_SIZE } from './p2p.js';
import type { Capability } from './capabilities.js';

export interface Hello {
  version: number;
  clientId: string;
  capabilities: Capability[];
  listenPort: number;
  /** The sender's 64-byte public key. */
  nodeId: Uint8Array;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: false });

export function encodeHello(h: Hello): Uint8Array {
  if (h.nodeId.length !== PUBLIC_KEY_SIZE) throw new RangeError(`hello: nodeId must be 64 bytes, got ${h.nodeId.length}`);
  const out = RLP.encode([
    h.version,
    utf8.encode(h.clientId),
    h.capabilities.map((c) => [utf8.encode(c.name), c.version]),
    h.listenPort,
    h.nodeId,
  ]);
  if (out.length > MAX_HELLO_SIZE) throw new RangeError(`hello: ${out.length} bytes exceeds the ${MAX_HELLO_SIZE}-byte limit`);
  return out;
}

/** Hello integers are uint64 in geth. */
function uint(v: unknown, what: string): number {
  const n = canonicalUint(v, 8);
  if (n === undefined) throw new ProtocolError(`hello: ${what} is not a canonical integer of at most 8 bytes`);
  return n;
}

/** The largest Hello payload: the reader's first-frame limit counts the code byte too. */
export const MAX_HELLO_SIZE = BASE_PROTOCOL_MAX_MESSAGE_SIZE - 1;

export function decodeHello(payload: Uint8Array): Hello {
  if (payload.length > MAX_HELLO_SIZE) throw new ProtocolError(`hello: ${payload.length} bytes exceeds the ${MAX_HELLO_SIZE}-byte limit`);
  let list: unknown;
  try {
    list = RLP.decode(payload);
  } catch (err) {
    throw new ProtocolError('hello: not valid RLP', { cause: err });
  }
  if (!Array.isArray(list) || list.length < 5) throw new ProtocolError('hello: not a list of at least 5 elements');
  const [version, clientId, caps, port, id] = list as unknown[];
  if (!(clientId instanceof Uint8Array)) throw new ProtocolError('hello: clientId is not a string');
  if (!Array.isArray(caps)) throw new ProtocolError('hello: capabilities is not a list');
  const capabilities = caps.map((c: unknown) => {
    if (!Array.isArray(c) || c.length < 2 || !(c[0] instanceof Uint8Array)) {
      throw new ProtocolError('hello: capability is not [name, version]');
    }
    return { name: fromUtf8.decode(c[0]), version: uint(c[1], 'capability version') };
  });
  if (!(id instanceof Uint8Array) || id.length !== PUBLIC_KEY_SIZE) {
    throw new ProtocolError('hello: nodeId is not 64 bytes', { reason: DisconnectReason.InvalidIdentity });
  }
  return {
    version: uint(version, 'version'),
    clientId: fromUtf8.decode(clientId),
    capabilities,
    // Informational only (geth ignores it too): anything unreadable is 0, never a refusal.
    listenPort: canonicalUint(port, 8) ?? 0,
    nodeId: new Uint8Array(id),
  };
}
