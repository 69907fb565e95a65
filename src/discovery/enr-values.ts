/** The value encodings of ENR's predefined keys: big-endian integers, IP addresses, keys. */
import { isIP } from 'node:net';
import { EnrError } from './errors.js';

/** A canonical big-endian unsigned integer of at most maxBytes bytes (no leading zero byte). */
export function readUint(v: unknown, maxBytes: number, what: string): bigint {
  if (!(v instanceof Uint8Array)) throw new EnrError(`enr: ${what} is not a byte string`);
  if (v.length > maxBytes) throw new EnrError(`enr: ${what} is longer than ${maxBytes} bytes`);
  if (v.length > 0 && v[0] === 0) throw new EnrError(`enr: ${what} has a leading zero byte`);
  let n = 0n;
  for (const b of v) n = (n << 8n) | BigInt(b);
  return n;
}

/** The minimal big-endian bytes of n (empty for 0), as RLP wants integers. */
export function writeUint(n: bigint): Uint8Array {
  const out: number[] = [];
  for (let x = n; x > 0n; x >>= 8n) out.unshift(Number(x & 0xffn));
  return Uint8Array.from(out);
}

export function ipFromBytes(v: unknown, size: 4 | 16, key: string): string {
  if (!(v instanceof Uint8Array) || v.length !== size) throw new EnrError(`enr: "${key}" is not ${size} bytes`);
  if (size === 4) return v.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((v[i]! << 8) | v[i + 1]!).toString(16));
  // The WHATWG URL parser prints IPv6 in its canonical (RFC 5952) compressed form.
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

export function ipToBytes(ip: string, size: 4 | 16): Uint8Array {
  if (isIP(ip) !== (size === 4 ? 4 : 6)) throw new RangeError(`enr: "${ip}" is not an IPv${size === 4 ? 4 : 6} address`);
  if (size === 4) return Uint8Array.from(ip.split('.').map(Number));
  // Expanded by the URL parser too: it writes every group once "::" and dotted quads are resolved.
  const canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const [head, tail] = canonical.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  });
  return out;
}

/** 02/03 by the parity of y, then x: compression needs no curve arithmetic. */
export function compressPublicKey(pub: Uint8Array): Uint8Array {
  if (pub.length !== 64) throw new RangeError(`public key: expected 64 bytes, got ${pub.length}`);
  const out = new Uint8Array(33);
  out[0] = 0x02 | (pub[63]! & 1);
  out.set(pub.subarray(0, 32), 1);
  return out;
}
