/** Each direction's MAC state has one owner: a second sealer or reader on the same Secrets throws. */
import { describe, expect, it } from 'vitest';
import { FrameReader, FrameSealer } from '../../src/wire/frame.js';
import { session } from '../helpers/session.js';

describe('Secrets have one owner per direction', () => {
  it('a second FrameSealer or FrameReader on the same Secrets throws instead of desynchronising', () => {
    const { initiator } = session();
    new FrameSealer(initiator);
    new FrameReader(initiator);
    expect(() => new FrameSealer(initiator)).toThrow(/already have a FrameSealer/);
    expect(() => new FrameReader(initiator)).toThrow(/already have a FrameReader/);
  });

  it('one sealer and one reader per side still talk', () => {
    const { initiator, recipient } = session();
    const sealer = new FrameSealer(initiator);
    const reader = new FrameReader(recipient);
    reader.push(sealer.seal(Uint8Array.of(1, 2, 3)));
    expect(reader.read()).toEqual(Uint8Array.of(1, 2, 3));
  });
});
