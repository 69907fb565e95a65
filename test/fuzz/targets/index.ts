/**
 * Every fuzz target, in the order the runner reports them, with what the runner needs to know
 * of it: the name `--only` selects, what it calls, its runs in the seeded test and its rough
 * cost (µs per input on an idle 2-core machine, for scheduling and the runner's estimate).
 */
import type { AnyTarget, TargetBody, TargetMeta } from '../harness.js';
import { codeTarget } from './code.js';
import { ethTargets } from './eth.js';
import { ethMessageTargets } from './eth-messages.js';
import { disconnectTarget } from './disconnect.js';
import { discv4Target } from './discv4.js';
import { discv5MessageTarget, discv5PacketTarget } from './discv5.js';
import { enodeTarget } from './enode.js';
import { frameTarget } from './frame.js';
import { bodyTarget } from './handshake-body.js';
import { handshakeTarget } from './handshake.js';
import { helloTarget } from './hello.js';
import { messageTarget } from './message.js';
import { pingTarget } from './ping.js';
import { snappyTarget } from './snappy.js';
import { snappyLiteralTarget } from './snappy-literal.js';
import { keccakMacTarget } from './keccak-mac.js';
import { statusTarget } from './status.js';

const target = <T extends { kind: string }>(meta: TargetMeta, body: TargetBody<T>): AnyTarget => ({ ...meta, ...body }) as AnyTarget;

export const targets: readonly AnyTarget[] = [
  // A handshake input costs an ECDH in the decoder, and a sealed one an ECDH and a point
  // multiplication more in src/crypto/ecies.ts: fewer seeded runs.
  target({ name: 'auth', calls: 'openAuth(fixed key, packet)', seededRuns: 1000, costHint: 100 }, handshakeTarget('auth')),
  target({ name: 'ack', calls: 'openAck(fixed key, packet)', seededRuns: 1000, costHint: 95 }, handshakeTarget('ack')),
  target({ name: 'auth-body', calls: 'decodeAuth(decoded RLP list)', seededRuns: 3000, costHint: 34 }, bodyTarget('auth')),
  target({ name: 'ack-body', calls: 'decodeAck(decoded RLP list)', seededRuns: 3000, costHint: 27 }, bodyTarget('ack')),
  target({ name: 'frame', calls: 'FrameReader.push/read (FrameSealer for round trips)', seededRuns: 1500, costHint: 90 }, frameTarget()),
  target({ name: 'hello', calls: 'decodeHello(payload)', seededRuns: 3000, costHint: 50 }, helloTarget),
  target({ name: 'disconnect', calls: 'decodeDisconnect(payload)', seededRuns: 3000, costHint: 16 }, disconnectTarget),
  target({ name: 'message', calls: 'decodeMessage(body, decompress, maxSize)', seededRuns: 3000, costHint: 20 }, messageTarget()),
  target({ name: 'ping', calls: 'decodeMessage(Ping/Pong body, decompress, maxSize)', seededRuns: 3000, costHint: 21 }, pingTarget()),
  target({ name: 'snappy', calls: 'snappyDecompress(data, maxSize)', seededRuns: 3000, costHint: 32 }, snappyTarget()),
  target(
    { name: 'snappy-literal', calls: 'snappyCompress / snappyDecompress one-literal paths against the snappy package', seededRuns: 3000, costHint: 10 },
    snappyLiteralTarget(),
  ),
  target({ name: 'keccak-mac', calls: 'the MAC states\' WebAssembly keccak256 against @noble/hashes and the keccak addon', seededRuns: 500, costHint: 250 }, keccakMacTarget()),
  target({ name: 'enode', calls: 'parseEnode(url) (formatEnode for round trips)', seededRuns: 3000, costHint: 22 }, enodeTarget()),
  target({ name: 'status', calls: 'decodeStatus(payload)', seededRuns: 3000, costHint: 42 }, statusTarget),
  target({ name: 'code', calls: 'decodeCode(body)', seededRuns: 3000, costHint: 9 }, codeTarget()),
  // Every input is signed (shaped, mutated, round trip) and recovered: an ECDSA sign and recover each.
  target({ name: 'discv4', calls: 'decodePacket(datagram) (encodePacket for round trips)', seededRuns: 800, costHint: 120 }, discv4Target()),
  ...ethTargets(),
  target({ name: 'discv5-packet', calls: 'decodePacket(node id, datagram) and its auth-data', seededRuns: 3000, costHint: 40 }, discv5PacketTarget()),
  target({ name: 'discv5-message', calls: 'decodeMessage(plaintext)', seededRuns: 3000, costHint: 70 }, discv5MessageTarget()),
  ...ethMessageTargets(),
];
