import { describe, expect, it } from 'vitest';
import {
  ClosedError,
  DisconnectedError,
  discReasonForError,
  FrameError,
  HandshakeError,
  KeyError,
  NetworkError,
  ProtocolError,
  RefusedError,
  RlpxError,
  SnappyError,
  TimeoutError,
} from '../src/errors.js';
import { DisconnectReason } from '../src/reasons.js';

describe('errors', () => {
  it('every class takes its reason one way, with a default per class', () => {
    expect(new ProtocolError('x').reason).toBe(DisconnectReason.ProtocolError);
    expect(new FrameError('x').reason).toBe(DisconnectReason.ProtocolError);
    expect(new SnappyError('x').reason).toBe(DisconnectReason.ProtocolError);
    expect(new KeyError('x').reason).toBe(DisconnectReason.ProtocolError);
    expect(new HandshakeError('x').reason).toBe(DisconnectReason.ProtocolError);
    expect(new TimeoutError('x').reason).toBe(DisconnectReason.ReadTimeout);
    expect(new NetworkError('x').reason).toBe(DisconnectReason.NetworkError);
    expect(new RefusedError('x').reason).toBe(DisconnectReason.TooManyPeers);
    expect(new ProtocolError('x', { reason: DisconnectReason.UselessPeer }).reason).toBe(DisconnectReason.UselessPeer);
    expect(new TimeoutError('x', { reason: DisconnectReason.NetworkError }).reason).toBe(DisconnectReason.NetworkError);
    const cause = new Error('inner');
    expect(new HandshakeError('x', { cause }).cause).toBe(cause);
    expect(new HandshakeError('x').name).toBe('HandshakeError');
    expect(new RefusedError('x')).toBeInstanceOf(RlpxError);
  });

  it('DisconnectedError keeps what the remote sent, raw bytes included', () => {
    const e = new DisconnectedError('gone', -1, Uint8Array.of(0xc0));
    expect(e.remoteReason).toBe(-1);
    expect(e.raw).toEqual(Uint8Array.of(0xc0));
    expect(new DisconnectedError('gone', 4).reason).toBe(DisconnectReason.TooManyPeers);
  });
});

describe('discReasonForError', () => {
  it("the remote's Disconnect is the remote's doing and is not answered", () => {
    expect(discReasonForError(new DisconnectedError('x', 0x04))).toEqual({ reason: 0x04, initiator: 'remote', notify: false });
  });

  it('a failed or ended socket is 0x01, the remote side, and nothing can be sent', () => {
    expect(discReasonForError(new NetworkError('reset'))).toEqual({ reason: 0x01, initiator: 'remote', notify: false });
  });

  it('stalled writes are our verdict, 0x01, and nothing is sent', () => {
    const stall = new TimeoutError('stalled', { reason: DisconnectReason.NetworkError });
    expect(discReasonForError(stall)).toEqual({ reason: 0x01, initiator: 'local', notify: false });
  });

  it("a broken rule is sent with the error's reason", () => {
    expect(discReasonForError(new FrameError('bad mac'))).toEqual({ reason: 0x02, initiator: 'local', notify: true });
    expect(discReasonForError(new TimeoutError('no pong'))).toEqual({ reason: 0x0b, initiator: 'local', notify: true });
    expect(discReasonForError(new RefusedError('full'))).toEqual({ reason: 0x04, initiator: 'local', notify: true });
  });

  it('our own bugs are 0x10, never the remote breaching the protocol', () => {
    for (const bug of [new TypeError('x is undefined'), new RangeError('oops'), 'a string', undefined]) {
      expect(discReasonForError(bug)).toEqual({ reason: DisconnectReason.SubprotocolError, initiator: 'local', notify: true });
    }
  });

  it('ClosedError is an RlpxError for a local state, not a network failure', () => {
    expect(new ClosedError('closed')).not.toBeInstanceOf(NetworkError);
  });
});

describe('TimeoutError.deadline', () => {
  it('names the deadline, so a monitor can tell a pong deadline from a silent connection', () => {
    expect(new TimeoutError('no Pong', { deadline: 'pong' }).deadline).toBe('pong');
    expect(new TimeoutError('no frame', { deadline: 'read' }).deadline).toBe('read');
    expect(new TimeoutError('x').deadline).toBeUndefined();
  });
});
