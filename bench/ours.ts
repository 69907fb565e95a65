/** Glue for this project's RLPx code, wired as the benchmarks need it. */
import { FrameReader, FrameSealer, HandshakeState } from '../src/codec.js';
import type { SessionPair, Subject } from './types.js';

/** One direction of a session: our sealer on one side, our incremental reader on the other. */
function direction(sealer: FrameSealer, reader: FrameReader): (body: Uint8Array) => Uint8Array {
  return (body) => {
    reader.push(sealer.seal(body));
    const opened = reader.read();
    if (opened === undefined) throw new Error('ours: reader wants more data after a whole frame');
    return opened;
  };
}

export function oursSubject(keys: { keyA: Uint8Array; keyB: Uint8Array; idB: Uint8Array }): Subject {
  const { keyA, keyB, idB: pubB } = keys;
  return {
    name: 'ours',
    handshake(): SessionPair {
      const initiator = HandshakeState.initiator(pubB, { privateKey: keyA });
      const recipient = HandshakeState.recipient({ privateKey: keyB });
      recipient.readAuth(initiator.makeAuth());
      initiator.readAck(recipient.makeAck());
      const si = initiator.secrets();
      const sr = recipient.secrets();
      // Frame state is part of the handshake's cost, as it is in the reference (its
      // _setupFrame creates the AES streams and MACs while parsing/creating the ack).
      return {
        forward: direction(new FrameSealer(si), new FrameReader(sr)),
        backward: direction(new FrameSealer(sr), new FrameReader(si)),
      };
    },
  };
}
