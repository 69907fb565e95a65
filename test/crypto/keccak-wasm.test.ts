/**
 * The MAC states' keccak256 sponge in WebAssembly (src/crypto/keccak-wasm.ts, keccak.wat):
 * the committed module is what its source assembles to; the Keccak team's known answers in
 * any chunking; digests without finalizing and forks; the fallback when the module will not
 * load; and the source's constant-time shape. The differential run against @noble/hashes and
 * the addon is the keccak-mac fuzz target (seeded in npm test, 10^6 inputs in npm run fuzz).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '../../src/crypto/bytes.js';
import { KECCAK_WASM_BASE64 } from '../../src/crypto/keccak-wasm-bytes.js';
import { createMacKeccak, loadKeccakWasm, macKeccakBackend, WasmKeccakState } from '../../src/crypto/keccak-wasm.js';
import { assembleKeccakWasm, BYTES_FILE, bytesModule } from '../../scripts/build-keccak-wasm.js';
import { KECCAK256_KAT } from './keccak-kat.js';

const committed = Buffer.from(KECCAK_WASM_BASE64, 'base64');

/** Feed `msg` in pieces cut at `cuts` (sorted offsets), reading the digest between pieces. */
function digestInPieces(msg: Uint8Array, cuts: number[]): string {
  const s = createMacKeccak();
  let at = 0;
  for (const c of [...cuts, msg.length]) {
    s.update(msg.subarray(at, c));
    s.sum(); // a read in between must not finalize anything
    at = c;
  }
  return bytesToHex(s.sum());
}

describe('WebAssembly keccak256 for the MAC states', () => {
  it('loads here', () => {
    expect(macKeccakBackend).toBe('wasm');
    expect(createMacKeccak()).toBeInstanceOf(WasmKeccakState);
  });

  it('the committed module is what keccak.wat assembles to', async () => {
    const rebuilt = await assembleKeccakWasm();
    expect(Buffer.compare(Buffer.from(rebuilt), committed)).toBe(0);
    expect(readFileSync(BYTES_FILE, 'utf8')).toBe(bytesModule(rebuilt));
  });

  it('gives the Keccak team\'s known answers, whole and in pieces', () => {
    for (const { len, msg, md } of KECCAK256_KAT) {
      const m = hexToBytes(msg);
      expect(m.length * 8).toBe(len);
      const want = md.toLowerCase();
      expect(bytesToHex(createMacKeccak().updateAndSum(m))).toBe(want);
      expect(digestInPieces(m, Array.from({ length: m.length }, (_, i) => i))).toBe(want); // one byte at a time
      expect(digestInPieces(m, [1, 7, 8, 135, 136, 137, 200].filter((c) => c < m.length))).toBe(want);
    }
  });

  it('a digest leaves the state as it was; a fork goes on alone', () => {
    const s = createMacKeccak() as WasmKeccakState;
    const a = new Uint8Array(150).fill(1);
    s.update(a);
    const first = s.sum();
    expect(bytesToHex(s.sum())).toBe(bytesToHex(first));
    const twin = s.fork();
    twin.update(Uint8Array.of(2));
    s.update(Uint8Array.of(3));
    expect(bytesToHex(twin.sum())).toBe(bytesToHex(keccak_256(Uint8Array.of(...a, 2))));
    expect(bytesToHex(s.sum())).toBe(bytesToHex(keccak_256(Uint8Array.of(...a, 3))));
    expect(bytesToHex(first)).toBe(bytesToHex(keccak_256(a))); // a digest is the caller's copy
  });

  it('a thousand states (past one page of the module\'s memory, which grows) keep apart', () => {
    const states = Array.from({ length: 1000 }, (_, i) => {
      const s = createMacKeccak();
      s.update(Uint8Array.of(i & 0xff, i >> 8));
      return s;
    });
    states.forEach((s, i) => expect(bytesToHex(s.sum())).toBe(bytesToHex(keccak_256(Uint8Array.of(i & 0xff, i >> 8)))));
  });

  it('many states interleaved keep apart', () => {
    const states = Array.from({ length: 5 }, () => createMacKeccak());
    const fed: number[][] = states.map(() => []);
    for (let round = 0; round < 40; round++) {
      const i = (round * 3) % states.length;
      const chunk = Array.from({ length: (round * 37) % 150 }, (_, k) => (k + round) & 0xff);
      fed[i]!.push(...chunk);
      expect(bytesToHex(states[i]!.updateAndSum(Uint8Array.from(chunk)))).toBe(bytesToHex(keccak_256(Uint8Array.from(fed[i]!))));
    }
  });

  it('a module that will not load or computes wrongly is refused with one line, and the caller falls back', () => {
    const lines: string[] = [];
    expect(loadKeccakWasm(committed.subarray(0, 100), (l) => lines.push(l))).toBeUndefined();
    // The same module with one round constant changed: it loads, and the probe refuses it.
    const wrong = Buffer.from(committed);
    const rc1 = wrong.indexOf(Buffer.from('8280000000000000', 'hex'));
    expect(rc1).toBeGreaterThan(0);
    wrong[rc1] ^= 1;
    expect(loadKeccakWasm(wrong, (l) => lines.push(l))).toBeUndefined();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^rlpx: WebAssembly keccak did not load, the MAC states use the keccak library \(.+\)\n$/);
    expect(lines[1]).toMatch(/computes a wrong keccak256/);
    expect(loadKeccakWasm(committed, (l) => lines.push(l))).toBeDefined();
    expect(lines).toHaveLength(2);
  });

  it('the source has no data-dependent branch or address: permute branches on its round counter only', () => {
    const wat = readFileSync(new URL('../../src/crypto/keccak.wat', import.meta.url), 'utf8').replace(/;;.*$/gm, '');
    expect(wat).not.toMatch(/\b(br_table|select|call_indirect|table)\b/);
    const permute = wat.slice(wat.indexOf('(func $permute'), wat.indexOf('(func (export "absorb")'));
    expect(permute.match(/\b(br_if|if|br)\b/g)).toEqual(['br_if']);
    expect(permute).toMatch(/\(br_if \$rounds \(i32\.lt_u \(local\.get \$round\) \(i32\.const 24\)\)\)/);
    // Its memory addresses: the state base plus constant offsets, and the round constant by round.
    const addresses = [...permute.matchAll(/i64\.(?:load|store) offset=\d+ \((local\.get \$\w+|i32\.shl \(local\.get \$\w+\))/g)].map((m) => m[1]);
    expect(new Set(addresses)).toEqual(new Set(['local.get $s', 'i32.shl (local.get $round)']));
    // absorb and digest: conditions on lengths and positions only.
    const rest = wat.slice(wat.indexOf('(func (export "absorb")'));
    for (const cond of rest.matchAll(/\((?:br_if \$\w+|if) \(([^\n]*)/g)) expect(cond[1]).toMatch(/\$(len|pos)\b/);
  });
});
