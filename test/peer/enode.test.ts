/** enode URLs: parseEnode and formatEnode. */
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/secp256k1.js';
import { EnodeError, formatEnode, parseEnode } from '../../src/peer/enode.js';

const nodeId = publicKeyOf(generatePrivateKey());
const idHex = bytesToHex(nodeId);

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

  it('says what is wrong with a node id: a non-hex character where it is, or the length', () => {
    const zz = `${idHex.slice(0, 56)}zz${idHex.slice(58)}`;
    expect(zz).toHaveLength(128);
    expect(() => parseEnode(`enode://${zz}@127.0.0.1:30303`)).toThrow(new EnodeError('enode: node id has a non-hex character "z" at position 57'));
    expect(() => parseEnode(`enode://0x${idHex.slice(2)}@127.0.0.1:30303`)).toThrow(/non-hex character "x" at position 2/);
    expect(() => parseEnode(`enode://${idHex.slice(1)}@127.0.0.1:30303`)).toThrow(new EnodeError('enode: node id must be 128 hex characters, got 127'));
  });
});
