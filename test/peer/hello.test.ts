/** Pure codecs of the Peer layer: Hello, Disconnect, reason names, capability matching, enode URLs. */
import { describe, expect, it } from 'vitest';
import { RLP } from '@ethereumjs/rlp';
import { ProtocolError } from '../../src/errors.js';
import { DisconnectReason, reasonName } from '../../src/reasons.js';
import { bytesToHex, hexToBytes } from '../../src/crypto/bytes.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { decodeHello, encodeHello, type Hello } from '../../src/peer/hello.js';
import { decodeDisconnect, encodeDisconnect } from '../../src/peer/disconnect.js';
import { matchProtocols, type Capability, type MatchedProtocol, type ProtocolSpec } from '../../src/peer/capabilities.js';
import { EnodeError, formatEnode, parseEnode } from '../../src/peer/enode.js';

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
});

describe('reasonName', () => {
  it('names known codes as geth does', () => {
    expect(reasonName(0x00)).toBe('disconnect requested');
    expect(reasonName(0x03)).toBe('useless peer');
    expect(reasonName(0x04)).toBe('too many peers');
    expect(reasonName(0x0b)).toBe('read timeout');
    expect(reasonName(0x10)).toBe('subprotocol error');
  });

  it('reports unknown codes with their hex value', () => {
    expect(reasonName(0x20)).toBe('unknown disconnect reason 0x20');
    expect(reasonName(0x0c)).toBe('unknown disconnect reason 0x0c');
    expect(reasonName(255)).toBe('unknown disconnect reason 0xff');
  });
});

describe('matchProtocols', () => {
  const spec = (name: string, version: number, length: number): ProtocolSpec => ({ name, version, length });
  const cap = (name: string, version: number): Capability => ({ name, version });

  const cases: Array<[string, ProtocolSpec[], Capability[], MatchedProtocol[]]> = [
    ['no overlap', [spec('eth', 68, 17)], [cap('snap', 1), cap('les', 4)], []],
    ['same name, different versions only', [spec('eth', 68, 17)], [cap('eth', 67)], []],
    ['nothing local', [], [cap('eth', 68)], []],
    ['nothing remote', [spec('eth', 68, 17)], [], []],
    [
      'same name, several versions: the highest shared wins',
      [spec('eth', 66, 17), spec('eth', 67, 17), spec('eth', 68, 17)],
      [cap('eth', 66), cap('eth', 67), cap('eth', 69)],
      [{ name: 'eth', version: 67, length: 17, offset: 0x10 }],
    ],
    [
      'offsets are alphabetical from 0x10 with lengths accumulated',
      [spec('snap', 1, 8), spec('eth', 68, 17), spec('bzz', 1, 3)],
      [cap('snap', 1), cap('eth', 68), cap('bzz', 1)],
      [
        { name: 'bzz', version: 1, length: 3, offset: 0x10 },
        { name: 'eth', version: 68, length: 17, offset: 0x13 },
        { name: 'snap', version: 1, length: 8, offset: 0x24 },
      ],
    ],
    [
      'remote has extra capabilities',
      [spec('eth', 68, 17)],
      [cap('les', 4), cap('eth', 68), cap('wit', 0), cap('snap', 1)],
      [{ name: 'eth', version: 68, length: 17, offset: 0x10 }],
    ],
    [
      'local has two versions, remote only the lower',
      [spec('eth', 67, 17), spec('eth', 68, 18)],
      [cap('eth', 67)],
      [{ name: 'eth', version: 67, length: 17, offset: 0x10 }],
    ],
    [
      'the winning version brings its own length',
      [spec('eth', 68, 17), spec('eth', 69, 18), spec('snap', 1, 8)],
      [cap('eth', 68), cap('eth', 69), cap('snap', 1)],
      [
        { name: 'eth', version: 69, length: 18, offset: 0x10 },
        { name: 'snap', version: 1, length: 8, offset: 0x22 },
      ],
    ],
  ];

  it.each(cases)('%s', (_name, local, remote, want) => {
    expect(matchProtocols(local, remote)).toEqual(want);
  });

  it('does not depend on the order either side lists its capabilities', () => {
    const local = [spec('snap', 1, 8), spec('eth', 68, 17)];
    const remote = [cap('eth', 68), cap('snap', 1)];
    expect(matchProtocols(local, remote)).toEqual(matchProtocols([...local].reverse(), [...remote].reverse()));
  });
});

describe('enode URLs', () => {
  it('round-trips an IPv4 enode', () => {
    const url = `enode://${idHex}@127.0.0.1:30303`;
    const e = parseEnode(url);
    expect(bytesToHex(e.id)).toBe(idHex);
    expect(e.host).toBe('127.0.0.1');
    expect(e.port).toBe(30303);
    expect(e.discport).toBeUndefined();
    expect(formatEnode(e)).toBe(url);
  });

  it('round-trips an IPv6 host in brackets', () => {
    const url = `enode://${idHex}@[2001:db8::1]:30303`;
    const e = parseEnode(url);
    expect(e.host).toBe('2001:db8::1');
    expect(e.port).toBe(30303);
    expect(formatEnode(e)).toBe(url);
    expect(parseEnode(`enode://${idHex}@[::1]:1`).host).toBe('::1');
  });

  it('reads and writes discport', () => {
    const url = `enode://${idHex}@10.0.0.1:30303?discport=30301`;
    const e = parseEnode(url);
    expect(e.discport).toBe(30301);
    expect(formatEnode(e)).toBe(url);
    // A discport equal to the TCP port is left out when formatting.
    expect(formatEnode({ ...e, discport: 30303 })).toBe(`enode://${idHex}@10.0.0.1:30303`);
  });

  it('accepts upper-case hex ids and host names', () => {
    const e = parseEnode(`enode://${idHex.toUpperCase()}@node-1.example.org:30303`);
    expect(bytesToHex(e.id)).toBe(idHex);
    expect(e.host).toBe('node-1.example.org');
  });

  // An x with no y on the curve: flip the last bit of a real key until it is off the curve.
  const offCurve = (() => {
    const b = new Uint8Array(nodeId);
    b[63]! ^= 1;
    return bytesToHex(b);
  })();

  it.each([
    ['missing scheme', `${idHex}@127.0.0.1:30303`],
    ['wrong scheme', `enr://${idHex}@127.0.0.1:30303`],
    ['short id', `enode://${idHex.slice(2)}@127.0.0.1:30303`],
    ['non-hex id', `enode://${'zz' + idHex.slice(2)}@127.0.0.1:30303`],
    ['id not on the curve', `enode://${offCurve}@127.0.0.1:30303`],
    ['all-zero id', `enode://${'0'.repeat(128)}@127.0.0.1:30303`],
    ['missing port', `enode://${idHex}@127.0.0.1`],
    ['empty port', `enode://${idHex}@127.0.0.1:`],
    ['port above 65535', `enode://${idHex}@127.0.0.1:65536`],
    ['discport above 65535', `enode://${idHex}@127.0.0.1:30303?discport=70000`],
    ['unbracketed IPv6', `enode://${idHex}@::1:30303`],
    ['bracketed non-IPv6', `enode://${idHex}@[127.0.0.1]:30303`],
    ['missing host', `enode://${idHex}@:30303`],
  ])('parseEnode rejects: %s', (_name, url) => {
    expect(() => parseEnode(url)).toThrow(EnodeError);
  });
});
