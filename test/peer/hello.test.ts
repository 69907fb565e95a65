/**
 * Hello: its encoding (decodeHello/encodeHello), and the exchange that opens every session
 * over real sockets on 127.0.0.1, with raw remotes that break its rules.
 */
import { describe, expect, it } from 'vitest';
import { RLP } from '@ethereumjs/rlp';
import { ProtocolError, TimeoutError } from '../../src/errors.js';
import { DisconnectReason } from '../../src/reasons.js';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { decodeHello, encodeHello, type Hello } from '../../src/peer/hello.js';
import { settle, within } from '../helpers/loopback.js';
import { rawServer } from '../helpers/raw-remote.js';
import { peerSuite } from '../helpers/peer-suite.js';

const { res, server, dialPeer, pair } = peerSuite();
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const nodeId = publicKeyOf(generatePrivateKey());
const idHex = bytesToHex(nodeId);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('Hello', () => {
  const hello: Hello = {
    version: 5,
    clientId: 'Geth/v1.14.0-stable/linux-amd64/go1.22 ✓',
    capabilities: [
      { name: 'eth', version: 68 },
      { name: 'snap', version: 1 },
    ],
    listenPort: 30303,
    nodeId,
  };

  it('round-trips through encode and decode', () => {
    const decoded = decodeHello(encodeHello(hello));
    expect(decoded).toEqual(hello);
    expect(decoded.nodeId).toBeInstanceOf(Uint8Array);
    expect(bytesToHex(decoded.nodeId)).toBe(idHex);
  });

  it('encodes the wire layout [version, clientId, [[cap, version]...], port, id]', () => {
    const list = RLP.decode(encodeHello(hello)) as unknown[];
    expect(list).toHaveLength(5);
    expect(list[0]).toEqual(Uint8Array.of(5));
    expect(list[2]).toEqual([
      [utf8('eth'), Uint8Array.of(68)],
      [utf8('snap'), Uint8Array.of(1)],
    ]);
    expect(list[3]).toEqual(Uint8Array.of(0x76, 0x5f));
  });

  it('round-trips zero values (port 0, no capabilities)', () => {
    const h: Hello = { version: 5, clientId: '', capabilities: [], listenPort: 0, nodeId };
    expect(decodeHello(encodeHello(h))).toEqual(h);
  });

  it('ignores extra list elements, at the top level and inside a capability', () => {
    const payload = RLP.encode([5, utf8('future'), [[utf8('eth'), 68, utf8('extra')]], 30303, nodeId, utf8('x'), [1, 2, [3]]]);
    const h = decodeHello(payload);
    expect(h.clientId).toBe('future');
    expect(h.capabilities).toEqual([{ name: 'eth', version: 68 }]);
    expect(h.listenPort).toBe(30303);
    expect(bytesToHex(h.nodeId)).toBe(idHex);
  });

  it('rejects a payload that is not RLP', () => {
    expect(() => decodeHello(Uint8Array.of(0xc5, 0x01))).toThrow(ProtocolError);
    expect(() => decodeHello(Uint8Array.of(0xb8))).toThrow(ProtocolError);
  });

  it('rejects a payload that is not a list, or a list too short', () => {
    expect(() => decodeHello(RLP.encode(utf8('hello')))).toThrow(ProtocolError);
    expect(() => decodeHello(RLP.encode([5, utf8('x'), [], 30303]))).toThrow(ProtocolError);
  });

  it('rejects a nodeId that is not 64 bytes', () => {
    for (const id of [nodeId.subarray(0, 63), new Uint8Array(65), new Uint8Array(0)]) {
      const payload = RLP.encode([5, utf8('x'), [], 30303, id]);
      expect(() => decodeHello(payload)).toThrow(ProtocolError);
    }
  });

  it('rejects a payload over 2 KiB, and encodeHello refuses to build one', () => {
    const payload = RLP.encode([5, utf8('x'.repeat(2100)), [], 30303, nodeId]);
    expect(payload.length).toBeGreaterThan(2048);
    expect(() => decodeHello(payload)).toThrow(ProtocolError);
    expect(() => encodeHello({ ...hello, clientId: 'x'.repeat(2100) })).toThrow(RangeError);
  });

  it('reports the errors as ProtocolError with reason 0x02', () => {
    try {
      decodeHello(RLP.encode(utf8('nope')));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).reason).toBe(DisconnectReason.ProtocolError);
    }
  });
});

describe('Hello exchange', () => {
  it('both sides see the other clientId, node id and listen port', async () => {
    const s = await server({ clientId: 'the-server/v9' });
    const key = generatePrivateKey();
    const { client, remote } = await pair(s, { privateKey: key, clientId: 'the-dialer/v1', listenPort: 30999 });

    expect(client.remoteHello?.clientId).toBe('the-server/v9');
    expect(client.id).toBe(bytesToHex(s.publicKey));
    expect(bytesToHex(client.remoteHello!.nodeId)).toBe(bytesToHex(s.publicKey));
    expect(client.remoteHello?.listenPort).toBe(s.address.port);
    expect(client.remoteHello?.version).toBe(5);

    expect(remote.remoteHello?.clientId).toBe('the-dialer/v1');
    expect(remote.id).toBe(bytesToHex(publicKeyOf(key)));
    expect(bytesToHex(remote.remoteHello!.nodeId)).toBe(bytesToHex(publicKeyOf(key)));
    expect(remote.remoteHello?.listenPort).toBe(30999);

    expect(client.remoteHello.version).toBe(5); // peers come past Hello: there is no `ready` to await
    expect(client.isClosing).toBe(false);
    expect(remote.isClosing).toBe(false);
    expect(s.peers.get(remote.id)).toBe(remote);
  });
});

describe('Hello violations', () => {
  it('a Hello whose nodeId differs from the handshake key gets 0x09 UnexpectedIdentity', async () => {
    const raw = await rawServer(res, { hello: { nodeId: publicKeyOf(generatePrivateKey()) } });
    const remoteP = raw.next();
    const r = await settle(dialPeer(raw.enode));
    const remote = await remoteP;

    expect(r.ok).toBe(false);
    const err = (r as { error: unknown }).error as ProtocolError;
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err.reason).toBe(DisconnectReason.UnexpectedIdentity);
    const d = await within(remote.disconnect, 2_000, 'Disconnect at the raw remote');
    expect(d.reason).toBe(DisconnectReason.UnexpectedIdentity);
    await within(remote.ended, 2_000, 'socket closed');
  });

  it('a first message other than Hello gets 0x02 ProtocolError', async () => {
    const raw = await rawServer(res, { hello: false, first: { code: 0x02, payload: bytes(0xc0) } });
    const remoteP = raw.next();
    const r = await settle(dialPeer(raw.enode));
    const remote = await remoteP;

    expect(r.ok).toBe(false);
    const err = (r as { error: unknown }).error as ProtocolError;
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err.reason).toBe(DisconnectReason.ProtocolError);
    const d = await within(remote.disconnect, 2_000, 'Disconnect at the raw remote');
    expect(d.reason).toBe(DisconnectReason.ProtocolError);
  });

  it('a second Hello after the exchange gets 0x02', async () => {
    const raw = await rawServer(res);
    const remoteP = raw.next();
    const client = await dialPeer(raw.enode);
    const remote = await remoteP;
    await remote.hello;
    await remote.send(0x00, encodeHello({ version: 5, clientId: 'again', capabilities: [], listenPort: 0, nodeId: remote.publicKey }), false);
    const info = await within(client.closed, 2_000, 'close');
    expect(info).toMatchObject({ initiator: 'local', reason: DisconnectReason.ProtocolError });
  });

  it('a Hello that never comes closes after helloTimeout with 0x0b', async () => {
    const raw = await rawServer(res, { hello: false });
    const r = await settle(within(dialPeer(raw.enode, { helloTimeout: 300 }), 2_000, 'dial'));
    expect(r.ok).toBe(false);
    expect((r as { error: unknown }).error).toBeInstanceOf(TimeoutError);
    expect(((r as { error: unknown }).error as TimeoutError).reason).toBe(DisconnectReason.ReadTimeout);
  });
});
