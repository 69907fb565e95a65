/**
 * Disconnect: its encoding (decodeDisconnect never throws), how a Peer ends on each form of a
 * remote's Disconnect, and the reasons a local disconnect() accepts.
 */
import { describe, expect, it } from 'vitest';
import { discReasonForError, DisconnectedError } from '../../src/errors.js';
import { DisconnectReason } from '../../src/reasons.js';
import { bytesToHex, hexToBytes } from '../../src/crypto/bytes.js';
import { decodeDisconnect, encodeDisconnect } from '../../src/peer/disconnect.js';
import { closeEvents, settle, sleep, within } from '../helpers/loopback.js';
import { rawServer } from '../helpers/raw-remote.js';
import { deepList, elapsed, wideList } from '../helpers/rlp-bombs.js';
import { peerSuite } from '../helpers/peer-suite.js';

const { res, server, dialPeer, pair } = peerSuite();
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

describe('Disconnect', () => {
  it('encodeDisconnect(4) is c1 04', () => {
    expect(bytesToHex(encodeDisconnect(DisconnectReason.TooManyPeers))).toBe('c104');
    expect(bytesToHex(encodeDisconnect(DisconnectReason.Requested))).toBe('c180');
    expect(bytesToHex(encodeDisconnect(DisconnectReason.SubprotocolError))).toBe('c110');
  });

  it.each([
    ['c1 04 (list)', 'c104', 4],
    ['04 (bare byte)', '04', 4],
    ['c1 80 (reason 0 in a list)', 'c180', 0],
    ['empty payload', '', undefined],
    ['c0 (empty list)', 'c0', undefined],
    ['c1 20 (unknown reason, kept as a number)', 'c120', 0x20],
    ['c1 0b', 'c10b', 0x0b],
  ])('decodeDisconnect: %s', (_name, hex, want) => {
    expect(decodeDisconnect(hexToBytes(hex))).toBe(want);
  });

  it('decodeDisconnect never throws on garbage', () => {
    for (const hex of ['c5', 'ff', 'c3010203', '820102', 'b8']) {
      expect(() => decodeDisconnect(hexToBytes(hex))).not.toThrow();
    }
    // A multi-byte reason is not a reason.
    expect(decodeDisconnect(hexToBytes('c3820102'))).toBeUndefined();
  });

  it('round-trips every known reason', () => {
    for (const code of Object.values(DisconnectReason)) {
      expect(decodeDisconnect(encodeDisconnect(code))).toBe(code);
    }
  });

  // Found by fuzzing.
  it('decodeDisconnect reads nothing from a payload above 2 KiB, at once', () => {
    // Was: ~1.3-3 s and ~1 GiB for 4 MiB of one-byte items (16 MiB is a legal message size).
    const wide = wideList(4 << 20);
    expect(elapsed(() => decodeDisconnect(wide))).toBeLessThan(50);
    expect(decodeDisconnect(wide)).toBeUndefined();
    expect(decodeDisconnect(deepList(20_000))).toBeUndefined();
    expect(decodeDisconnect(encodeDisconnect(DisconnectReason.TooManyPeers))).toBe(DisconnectReason.TooManyPeers);
  });
});

describe('Disconnect from the remote', () => {
  const variants: Array<[string, number, (send: (payload: Uint8Array, compress: boolean) => Promise<void>) => Promise<void>]> = [
    ['[reason], snappy-compressed', 0x04, (send) => send(encodeDisconnect(0x04), true)],
    ['[reason], uncompressed', 0x05, (send) => send(encodeDisconnect(0x05), false)],
    ['bare reason byte, uncompressed', 0x08, (send) => send(bytes(0x08), false)],
    ['bare reason byte, snappy-compressed', 0x10, (send) => send(bytes(0x10), true)],
    // A reason outside the table is reported as Unknown (0xff); its number stays on the error.
    ['[unknown reason 0x20], snappy-compressed', DisconnectReason.Unknown, (send) => send(encodeDisconnect(0x20 as DisconnectReason), true)],
  ];

  it.each(variants)("%s ends the peer with initiator 'remote' and that reason", async (_name, reason, sendIt) => {
    const raw = await rawServer(res);
    const remoteP = raw.next();
    const client = await dialPeer(raw.enode);
    const remote = await remoteP;
    await remote.hello;
    expect(remote.snappy).toBe(true);
    const events = closeEvents(client);

    await sendIt((payload, compress) => remote.send(0x01, payload, compress));
    const info = await within(client.closed, 2_000, 'close on Disconnect');
    expect(info.initiator).toBe('remote');
    expect(info.reason).toBe(reason);
    expect(info.error === undefined || info.error instanceof DisconnectedError).toBe(true);
    await sleep(20);
    expect(events).toHaveLength(1);
  });

  it.each([
    ['uncompressed', false],
    ['snappy-compressed', true],
  ])("an empty payload (%s) ends the peer as 'remote', reason Unknown with a DisconnectedError", async (_name, compress) => {
    const raw = await rawServer(res);
    const remoteP = raw.next();
    const client = await dialPeer(raw.enode);
    const remote = await remoteP;
    await remote.hello;

    await remote.send(0x01, bytes(), compress);
    const info = await within(client.closed, 2_000, 'close on Disconnect');
    expect(info.initiator).toBe('remote');
    // A Disconnect with no readable reason is Unknown (0xff), never 0x00 "requested", with the
    // error saying so (DisconnectedError, remoteReason -1) and the raw payload kept.
    expect(info.reason).toBe(DisconnectReason.Unknown);
    expect(info.raw).toEqual(bytes());
    expect(info.error).toBeInstanceOf(DisconnectedError);
    expect((info.error as DisconnectedError).remoteReason).toBe(-1);
  });

  it('a Disconnect instead of Hello makes dial reject with the remote reason', async () => {
    const raw = await rawServer(res, { hello: false, first: { code: 0x01, payload: encodeDisconnect(0x04) } });
    const r = await settle(dialPeer(raw.enode));
    expect(r.ok).toBe(false);
    const err = (r as { error: unknown }).error as DisconnectedError;
    expect(err).toBeInstanceOf(DisconnectedError);
    expect(err.remoteReason).toBe(DisconnectReason.TooManyPeers);
  });
});

describe('a refusal that comes with the Hello', () => {
  it('rejects dial() with the remote DisconnectedError, as a listener reports it', async () => {
    const raw = await rawServer(res, { afterHello: { code: 0x01, payload: encodeDisconnect(DisconnectReason.UselessPeer) } });
    const r = await settle(dialPeer(raw.enode));
    expect(r.ok).toBe(false);
    const err = (r as { error: unknown }).error as DisconnectedError;
    expect(err).toBeInstanceOf(DisconnectedError);
    expect(err.remoteReason).toBe(DisconnectReason.UselessPeer);
    expect(discReasonForError(err)).toEqual({ reason: DisconnectReason.UselessPeer, initiator: 'remote', notify: false });
  });
});

describe('disconnect reasons', () => {
  it('disconnect() with a reason outside the table throws and leaves the peer running', async () => {
    const { client: ours } = await pair(await server());
    expect(() => ours.disconnect(0x42 as DisconnectReason)).toThrow(new RangeError('disconnect: reason 0x42 is not a DisconnectReason (0x00-0x0b, 0x10)'));
    for (const bad of [-1, 256, 0x0c, 0xff, 1.5, NaN]) expect(() => ours.disconnect(bad as DisconnectReason), String(bad)).toThrow(RangeError);
    expect(() => ours.disconnect('8' as unknown as DisconnectReason)).toThrow(TypeError);
    expect(() => ours.disconnect(0x08, { signal: 'soon' as unknown as AbortSignal })).toThrow(new TypeError('signal must be an AbortSignal, got string'));
    expect(ours.isClosing).toBe(false);
    expect(await ours.ping()).toBeGreaterThan(0);
  });
});
