/**
 * The WebAssembly keccak256 sponge of the MAC states (src/crypto/keccak-wasm.ts) against
 * @noble/hashes and the `keccak` addon: random inputs in random chunkings (empty chunks, single
 * bytes, chunks across the 136-byte rate and across the module's input area), digests read
 * in between without finalizing, and forks that go on independently. Every digest must equal
 * both libraries' digest of the same bytes.
 */
import fc from 'fast-check';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { createKeccak256, type KeccakState } from '../../../src/crypto/keccak.js';
import { createMacKeccak, WasmKeccakState } from '../../../src/crypto/keccak-wasm.js';
import { check, hexOf, same, type TargetBody } from '../harness.js';

type Op = { op: 'update'; data: Uint8Array } | { op: 'sum' } | { op: 'updateAndSum'; data: Uint8Array } | { op: 'fork' };
type MacInput = { kind: 'chunks'; ops: Op[] };

const chunk = fc.oneof(
  { weight: 160, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 48, arbitrary: fc.uint8Array({ minLength: 130, maxLength: 142 }) },
  // Rare (most of the cost): up to past the module's 63,104-byte input area, fed in pieces.
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 70_000 }).map((n) => new Uint8Array(n).map((_, i) => (i * 131 + n) & 0xff)) },
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('update' as const), data: chunk }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('sum' as const) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('updateAndSum' as const), data: chunk }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('fork' as const) }) },
);

/** One sponge under test beside its two references, fed the same bytes. */
interface Trio {
  wasm: KeccakState;
  noble: ReturnType<typeof keccak_256.create>;
  addon: KeccakState;
}

export function keccakMacTarget(): TargetBody<MacInput> {
  return {
    kinds: ['chunks'],
    arbitrary: fc.record({ kind: fc.constant('chunks' as const), ops: fc.array(opArb, { minLength: 1, maxLength: 12 }) }),
    check(input: MacInput): void {
      // Two live sponges (a session's egress and ingress), ops alternating between them.
      const trios: Trio[] = [0, 1].map(() => ({ wasm: createMacKeccak(), noble: keccak_256.create(), addon: createKeccak256() }));
      input.ops.forEach((op, i) => {
        const t = trios[i % trios.length]!;
        const at = (): string => `op ${i} (${op.op}) of ${JSON.stringify(input.ops.map((o) => ('data' in o ? `${o.op}:${o.data.length}` : o.op)))}`;
        const agree = (got: Uint8Array): void => {
          const want = t.noble.clone().digest();
          check(same(got, want), () => `keccak-mac: wasm ${hexOf(got)}, @noble ${hexOf(want)} at ${at()}`);
          const addon = t.addon.sum();
          check(same(addon, want), () => `keccak-mac: the addon ${hexOf(addon)}, @noble ${hexOf(want)} at ${at()}`);
        };
        switch (op.op) {
          case 'update':
            t.wasm.update(op.data);
            t.noble.update(op.data);
            t.addon.update(op.data);
            return;
          case 'sum':
            return agree(t.wasm.sum());
          case 'updateAndSum':
            t.noble.update(op.data);
            t.addon.update(op.data);
            return agree(t.wasm.updateAndSum(op.data));
          case 'fork': {
            if (!(t.wasm instanceof WasmKeccakState)) return; // the library fallback has no fork
            // The fork replaces the original; the original must not be disturbed by it.
            const before = t.wasm.sum();
            const twin = t.wasm.fork();
            twin.update(Uint8Array.of(i));
            check(same(t.wasm.sum(), before), () => `keccak-mac: a fork's update changed the original at ${at()}`);
            t.wasm = twin;
            t.noble.update(Uint8Array.of(i));
            t.addon.update(Uint8Array.of(i));
            return agree(t.wasm.sum());
          }
        }
      });
      for (const t of trios) {
        const got = t.wasm.sum();
        const want = t.noble.digest();
        check(same(got, want), () => `keccak-mac: final wasm ${hexOf(got)}, @noble ${hexOf(want)}`);
      }
    },
  };
}
