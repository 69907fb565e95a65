import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RLP } from '@ethereumjs/rlp';
import { bytesToHex, hexToBytes } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { decompressPublicKey, generatePrivateKey, publicKeyOf, secp256k1Backend, sign, verify } from '../../src/crypto/secp256k1.js';
import { decodeEnr, encodeEnr, Enr } from '../../src/discovery/enr.js';
import { EnrError } from '../../src/discovery/errors.js';
import { parseEnode } from '../../src/peer/enode.js';

// EIP-778's test vector: the record, the key that signed it, and its decoded fields.
const EIP778_TEXT =
  'enr:-IS4QHCYrYZbAKWCBRlAy5zzaDZXJBGkcnh4MHcBFZntXNFrdvJjX04jRzjzCBOonrkTfj499SZuOh8R33Ls8RRcy5wBgmlkgnY0gmlwhH8AAAGJc2VjcDI1NmsxoQPKY0yuDUmstAHYpMa2_oxVtw0RW_QAdpzBQA8yWM0xOIN1ZHCCdl8';
const EIP778_KEY = hexToBytes('b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291');
const EIP778_NODE_ID = 'a448f24c6d18e575453db13171562b71999873db5b286df957af199ec94617f7';
const EIP778_SIG =
  '7098ad865b00a582051940cb9cf36836572411a47278783077011599ed5cd16b76f2635f4e234738f30813a89eb9137e3e3df5266e3a1f11df72ecf1145ccb9c';
const EIP778_COMPRESSED = '03ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd3138';

const utf8 = new TextEncoder();
/** Sign arbitrary [seq, k, v, ...] content the v4 way, for records our encoder would refuse to make. */
function signRaw(items: (Uint8Array | Uint8Array[])[], key = EIP778_KEY): Uint8Array {
  const sig = sign(keccak256(RLP.encode(items)), key).subarray(0, 64);
  return RLP.encode([sig, ...items]);
}
const kv = (k: string, v: Uint8Array | Uint8Array[]) => [utf8.encode(k), v];
const compressed = hexToBytes(EIP778_COMPRESSED);

function expectEnrError(input: string | Uint8Array, message: RegExp): void {
  let caught: unknown;
  try {
    decodeEnr(input);
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected EnrError ${message}`).toBeInstanceOf(EnrError);
  expect((caught as Error).message).toMatch(message);
}

describe(`ENR v4 (${secp256k1Backend})`, () => {
  it('decodes the EIP-778 example record', () => {
    const enr = decodeEnr(EIP778_TEXT);
    expect(enr).toBeInstanceOf(Enr);
    expect(enr.seq).toBe(1n);
    expect(enr.ip).toBe('127.0.0.1');
    expect(enr.udp).toBe(30303);
    expect(enr.tcp).toBeUndefined();
    expect(bytesToHex(enr.signature)).toBe(EIP778_SIG);
    expect(bytesToHex(enr.compressedKey)).toBe(EIP778_COMPRESSED);
    expect(bytesToHex(enr.nodeId)).toBe(EIP778_NODE_ID);
    expect(enr.publicKey).toEqual(publicKeyOf(EIP778_KEY));
    expect([...enr.pairs.keys()]).toEqual(['id', 'ip', 'secp256k1', 'udp']);
    expect(enr.toText()).toBe(EIP778_TEXT);
    // The same record from its RLP bytes.
    expect(decodeEnr(enr.raw).toText()).toBe(EIP778_TEXT);
  });

  it('has no TCP port, so it is not dialable', () => {
    const enr = decodeEnr(EIP778_TEXT);
    expect(enr.dialable).toBe(false);
    expect(enr.tcpEndpoint).toBeUndefined();
    expect(() => enr.toEnode()).toThrow(EnrError);
  });

  it('re-encodes the EIP-778 record byte for byte (deterministic signatures)', () => {
    expect(encodeEnr({ seq: 1, ip: '127.0.0.1', udp: 30303 }, EIP778_KEY).toText()).toBe(EIP778_TEXT);
  });

  it('encodes, signs and reads back every predefined key and the eth entry', () => {
    const key = generatePrivateKey();
    const forkHash = hexToBytes('fc64ec04');
    const enr = encodeEnr(
      { seq: 2n ** 64n - 1n, ip: '10.1.2.3', tcp: 30303, udp: 30301, ip6: '2001:db8::1', tcp6: 30304, udp6: 30305, eth: { forkHash, forkNext: 1150000n } },
      key,
    );
    const back = decodeEnr(enr.toText());
    expect(back.seq).toBe(2n ** 64n - 1n);
    expect(back).toMatchObject({ ip: '10.1.2.3', tcp: 30303, udp: 30301, ip6: '2001:db8::1', tcp6: 30304, udp6: 30305 });
    expect(back.eth).toEqual({ forkHash, forkNext: 1150000n });
    expect(back.nodeId).toEqual(keccak256(publicKeyOf(key)));
    const enode = parseEnode(back.toEnode());
    expect(enode).toEqual({ id: publicKeyOf(key), host: '10.1.2.3', port: 30303, discport: 30301 });
  });

  it('dials IPv6 when there is no IPv4 endpoint, with tcp standing in for tcp6', () => {
    const key = generatePrivateKey();
    const enr = encodeEnr({ ip6: '::ffff:127.0.0.1', tcp: 30303 }, key);
    expect(enr.ip6).toBe('::ffff:7f00:1');
    expect(enr.toEnode()).toBe(`enode://${bytesToHex(publicKeyOf(key))}@[::ffff:7f00:1]:30303`);
    expect(encodeEnr({ ip: '127.0.0.1' }, key).dialable).toBe(false); // an IP without a port
    expect(encodeEnr({ tcp: 1 }, key).dialable).toBe(false); // a port without an IP
  });

  it('keeps unknown keys and accepts extra fork-id entries after the first', () => {
    const items = [Uint8Array.of(5), ...kv('eth', [[hexToBytes('01020304'), Uint8Array.of()], Uint8Array.of(9)] as never), ...kv('id', utf8.encode('v4')), ...kv('secp256k1', compressed), ...kv('zzz', [Uint8Array.of(1)])];
    const enr = decodeEnr(signRaw(items as Uint8Array[]));
    expect(enr.eth).toEqual({ forkHash: hexToBytes('01020304'), forkNext: 0n });
    expect(enr.pairs.get('zzz')).toEqual([Uint8Array.of(1)]);
  });

  it('keeps keys of any bytes as they are (0x80-0xff included)', () => {
    const key = '\x80\x9f\xff';
    const enr = encodeEnr({ extra: { [key]: Uint8Array.of(7) } }, EIP778_KEY);
    expect(decodeEnr(enr.raw).pairs.get(key)).toEqual(Uint8Array.of(7));
    expect([...enr.pairs.keys()]).toEqual(['id', 'secp256k1', key]);
  });

  describe('rejects with an EnrError', () => {
    const base = () => [Uint8Array.of(1), ...kv('id', utf8.encode('v4')), ...kv('secp256k1', compressed)] as Uint8Array[];

    it('bad text', () => {
      expectEnrError('enode://abc', /must start with "enr:"/);
      expectEnrError('enr:' + EIP778_TEXT.slice(4) + '=', /base64/);
      expectEnrError('enr:+IS4', /base64/);
      expectEnrError('enr:' + 'A'.repeat(401), /over the 300-byte limit/);
      expectEnrError(42 as unknown as string, /expected a string/);
    });

    it('more than 300 bytes', () => {
      const raw = signRaw([...base(), ...kv('zz', new Uint8Array(250))]);
      expect(raw.length).toBeGreaterThan(300);
      expectEnrError(raw, /over the 300-byte limit/);
      expect(() => encodeEnr({ extra: { zz: new Uint8Array(250) } }, EIP778_KEY)).toThrow(RangeError);
    });

    it('bad RLP and bad shape', () => {
      expectEnrError(Uint8Array.of(0x81, 0x00), /not valid RLP/);
      expectEnrError(RLP.encode(Uint8Array.of(1, 2, 3)), /not an RLP list/);
      expectEnrError(RLP.encode([new Uint8Array(64)]), /expected \[signature, seq/);
      expectEnrError(RLP.encode([new Uint8Array(64), Uint8Array.of(1), utf8.encode('id')]), /expected \[signature, seq/);
      expectEnrError(RLP.encode([[], Uint8Array.of(1)]), /signature is not a byte string/);
    });

    it('keys out of order or repeated', () => {
      const [seq, ...pairs] = base();
      expectEnrError(signRaw([seq!, pairs[2]!, pairs[3]!, pairs[0]!, pairs[1]!]), /out of order or repeated/);
      expectEnrError(signRaw([seq!, ...pairs, ...kv('secp256k1', compressed)]), /out of order or repeated/);
      expectEnrError(signRaw([seq!, ...kv('id', utf8.encode('v4')), ...kv('id', utf8.encode('v4')), ...kv('secp256k1', compressed)]), /repeated/);
    });

    it('identity scheme and key problems', () => {
      expectEnrError(signRaw([Uint8Array.of(1), ...kv('secp256k1', compressed)]), /no "id"/);
      expectEnrError(signRaw([Uint8Array.of(1), ...kv('id', utf8.encode('v5')), ...kv('secp256k1', compressed)]), /"v5" is not "v4"/);
      expectEnrError(signRaw([Uint8Array.of(1), ...kv('id', utf8.encode('v4'))]), /33-byte compressed/);
      expectEnrError(signRaw([Uint8Array.of(1), ...kv('id', utf8.encode('v4')), ...kv('secp256k1', publicKeyOf(EIP778_KEY))]), /33-byte/);
      const offCurve = Uint8Array.of(0x02, ...new Uint8Array(32).fill(0xff)); // x >= p
      expectEnrError(signRaw([Uint8Array.of(1), ...kv('id', utf8.encode('v4')), ...kv('secp256k1', offCurve)]), /not a point/);
    });

    it('a signature that is not by the key, or not 64 bytes', () => {
      const raw = decodeEnr(EIP778_TEXT).raw.slice();
      raw[10]! ^= 1; // inside the signature
      expectEnrError(raw, /signature is not by the record's key/);
      const other = generatePrivateKey();
      const items = base();
      const wrongKey = RLP.encode([sign(keccak256(RLP.encode(items)), other).subarray(0, 64), ...items]);
      expectEnrError(wrongKey, /signature is not by the record's key/);
      const seqChanged = RLP.decode(decodeEnr(EIP778_TEXT).raw) as Uint8Array[];
      seqChanged[1] = Uint8Array.of(2);
      expectEnrError(RLP.encode(seqChanged), /signature is not by/);
      expectEnrError(RLP.encode([new Uint8Array(65), ...items]), /must be 64 bytes/);
    });

    it('predefined values of the wrong form', () => {
      const ok = base();
      const withPair = (k: string, v: Uint8Array | Uint8Array[]) => {
        const [seq, ...pairs] = ok;
        const all: [Uint8Array, Uint8Array | Uint8Array[]][] = [];
        for (let i = 0; i < pairs.length; i += 2) all.push([pairs[i]!, pairs[i + 1]!]);
        all.push([utf8.encode(k), v]);
        all.sort(([a], [b]) => Buffer.compare(a, b));
        return signRaw([seq!, ...all.flat()] as Uint8Array[]);
      };
      expectEnrError(withPair('ip', Uint8Array.of(127, 0, 0)), /"ip" is not 4 bytes/);
      expectEnrError(withPair('ip6', new Uint8Array(4)), /"ip6" is not 16 bytes/);
      expectEnrError(withPair('tcp', Uint8Array.of(1, 0, 0)), /tcp is longer than 2 bytes/);
      expectEnrError(withPair('udp', Uint8Array.of(0, 80)), /udp has a leading zero/);
      expectEnrError(withPair('udp6', [Uint8Array.of(1)]), /udp6 is not a byte string/);
      expectEnrError(withPair('eth', Uint8Array.of(1)), /"eth" is not \[\[forkHash/);
      expectEnrError(withPair('eth', [[Uint8Array.of(1, 2, 3), Uint8Array.of()]] as never), /fork hash is not 4 bytes/);
      expectEnrError(withPair('eth', [[hexToBytes('01020304'), new Uint8Array(9).fill(1)]] as never), /fork next is longer than 8/);
      const [, ...rest] = ok;
      expectEnrError(signRaw([Uint8Array.of(0, 1), ...rest]), /seq has a leading zero/);
    });
  });

  describe('malformed input never escapes as anything but EnrError', () => {
    const valid = decodeEnr(EIP778_TEXT).raw;
    const check = (input: string | Uint8Array) => {
      try {
        const enr = decodeEnr(input);
        // Anything accepted must be a record its own key signed: re-decoding agrees.
        expect(decodeEnr(enr.raw).nodeId).toEqual(enr.nodeId);
      } catch (err) {
        if (!(err instanceof EnrError)) throw err;
      }
    };
    it('random bytes and strings', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), check), { numRuns: 3000 });
      fc.assert(fc.property(fc.string({ maxLength: 420 }).map((s) => 'enr:' + s), check), { numRuns: 3000 });
    });
    it('mutations of the EIP-778 record: a flipped, dropped or inserted byte', () => {
      fc.assert(
        fc.property(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 }), fc.constantFrom('flip', 'drop', 'insert'), (at, x, how) => {
          const m =
            how === 'flip'
              ? valid.map((b, i) => (i === at ? b ^ x : b))
              : how === 'drop'
                ? Uint8Array.from([...valid.subarray(0, at), ...valid.subarray(at + 1)])
                : Uint8Array.from([...valid.subarray(0, at), x, ...valid.subarray(at)]);
          let ok = true;
          try {
            decodeEnr(m);
          } catch (err) {
            ok = false;
            if (!(err instanceof EnrError)) throw err;
          }
          // A changed record can only still verify if the change left it equal (it never does).
          expect(ok).toBe(false);
        }),
        { numRuns: 2000 },
      );
    });
  });
});

describe(`secp256k1 additions for ENR (${secp256k1Backend})`, () => {
  it('decompresses both parities and rejects bad prefixes and x off the curve', () => {
    for (let i = 0; i < 20; i++) {
      const pub = publicKeyOf(generatePrivateKey());
      const c = Uint8Array.of(0x02 | (pub[63]! & 1), ...pub.subarray(0, 32));
      expect(decompressPublicKey(c)).toEqual(pub);
    }
    expect(() => decompressPublicKey(Uint8Array.of(0x04, ...compressed.subarray(1)))).toThrow(/02 or 03/);
    expect(() => decompressPublicKey(compressed.subarray(0, 32))).toThrow(/33 bytes/);
    expect(() => decompressPublicKey(Uint8Array.of(0x02, ...new Uint8Array(32)))).toThrow(/not on secp256k1/);
  });

  it('verifies r‖s against a key, refusing other keys, other hashes and high s', () => {
    const key = generatePrivateKey();
    const hash = keccak256(utf8.encode('hello'));
    const sig = sign(hash, key).subarray(0, 64);
    expect(verify(hash, sig, publicKeyOf(key))).toBe(true);
    expect(verify(hash, sig, publicKeyOf(generatePrivateKey()))).toBe(false);
    expect(verify(keccak256(hash), sig, publicKeyOf(key))).toBe(false);
    // s' = n - s signs the same hash but is the high-s twin geth refuses too.
    const n = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
    const s = BigInt('0x' + bytesToHex(sig.subarray(32)));
    const high = Uint8Array.from([...sig.subarray(0, 32), ...hexToBytes((n - s).toString(16).padStart(64, '0'))]);
    expect(verify(hash, high, publicKeyOf(key))).toBe(false);
    expect(verify(hash, new Uint8Array(64), publicKeyOf(key))).toBe(false);
    expect(verify(hash, sig, new Uint8Array(64))).toBe(false);
  });
});
