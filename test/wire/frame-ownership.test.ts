/** Each direction's MAC state has one owner: a second sealer or reader on the same Secrets throws. */
import { describe, expect, it } from 'vitest';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { HandshakeState } from '../../src/wire/handshake.js';
import { FrameReader, FrameSealer } from '../../src/wire/frame.js';

function sessionPair(): ReturnType<HandshakeState['secrets']>[] {
  const a = generatePrivateKey();
  const b = generatePrivateKey();
  const init = HandshakeState.initiator(publicKeyOf(b), { privateKey: a });
  const resp = HandshakeState.recipient({ privateKey: b });
  resp.readAuth(init.makeAuth());
  init.readAck(resp.makeAck());
  return [init.secrets(), resp.secrets()];
}

describe('Secrets have one owner per direction', () => {
  it('a second FrameSealer or FrameReader on the same Secrets throws instead of desynchronising', () => {
    const [s] = sessionPair();
    new FrameSealer(s!);
    new FrameReader(s!);
    expect(() => new FrameSealer(s!)).toThrow(/already have a FrameSealer/);
    expect(() => new FrameReader(s!)).toThrow(/already have a FrameReader/);
  });

  it('one sealer and one reader per side still talk', () => {
    const [a, b] = sessionPair();
    const sealer = new FrameSealer(a!);
    const reader = new FrameReader(b!);
    reader.push(sealer.seal(Uint8Array.of(1, 2, 3)));
    expect(reader.read()).toEqual(Uint8Array.of(1, 2, 3));
  });
});
