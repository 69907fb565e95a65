/**
 * Real RLPx sessions for the codec tests: both sides' secrets from an initiator/recipient
 * handshake run in memory, and the sealer and reader of one direction.
 */
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { HandshakeState, type Secrets } from '../../src/wire/handshake.js';
import { FrameReader, FrameSealer } from '../../src/wire/frame.js';

/** Both sides' secrets from a real initiator/recipient handshake. */
export function session(): { initiator: Secrets; recipient: Secrets } {
  const a = generatePrivateKey();
  const b = generatePrivateKey();
  const initiator = HandshakeState.initiator(publicKeyOf(b), { privateKey: a });
  const recipient = HandshakeState.recipient({ privateKey: b });
  recipient.readAuth(initiator.makeAuth());
  initiator.readAck(recipient.makeAck());
  return { initiator: initiator.secrets(), recipient: recipient.secrets() };
}

/** A sealer and the matching reader: initiator → recipient, or the reverse. */
export function channel(reverse = false, options?: { maxFrameSize?: number }): { sealer: FrameSealer; reader: FrameReader } {
  const s = session();
  const [from, to] = reverse ? [s.recipient, s.initiator] : [s.initiator, s.recipient];
  return { sealer: new FrameSealer(from), reader: new FrameReader(to, options) };
}
