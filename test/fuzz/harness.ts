/**
 * The fuzz harness: what a target is, the fast-check property that runs it, and the checks a
 * target's `check(input)` uses. A broken property throws a FuzzViolation whose message carries
 * the input, so it is a reproducer by itself.
 *
 * Properties, for every target (test/fuzz/targets/):
 *  - round trip where an encoder exists (decode(encode(x)) == x);
 *  - on arbitrary, structured-random or mutated input the decoder returns a well-formed value
 *    or throws one of our typed errors (the documented RlpxError subclass for that decoder,
 *    EnodeError for parseEnode; decodeDisconnect must not throw at all), never a plain
 *    Error/TypeError/RangeError from a dependency;
 *  - bounded time: every single call returns within CALL_BUDGET_MS;
 *  - bounded memory: decoded sizes never exceed the cap in force (snappy output <= maxSize,
 *    FrameReader.buffered <= bytes pushed and < one maximal frame after a drain).
 *
 * Every input is built from the fast-check value alone (no Math.random, no clock), so a
 * failure replays from its seed and path, and shrinks to a small reproducer. The same targets
 * run in the seeded test (test/fuzz/seeded.test.ts, few runs) and in the long run
 * (test/fuzz/run.ts, `npm run fuzz`, 10^6 runs per decoder by default).
 */
import fc from 'fast-check';
import { RlpxError } from '../../src/errors.js';
import { bytesToHex } from '../../src/crypto/bytes.js';

/**
 * Time one decoder call may take. 50 ms in the long run (`npm run fuzz`, a machine to itself);
 * the seeded share inside `npm test` runs beside other test files on two cores, where a GC pause
 * or a descheduled process costs a few hundred ms, so vitest.config.ts gives it 250 ms through
 * RLPX_FUZZ_BUDGET_MS. Either is far below what the blowups it guards against cost (seconds).
 */
export const CALL_BUDGET_MS = Number(process.env['RLPX_FUZZ_BUDGET_MS'] ?? 50);

/** A broken property. The message carries the input bytes, so it is a reproducer by itself. */
export class FuzzViolation extends Error {
  override name = 'FuzzViolation';
}

/** A call over CALL_BUDGET_MS. propertyOf replays the input once before believing it (GC, scheduler). */
export class OverBudget extends FuzzViolation {
  override name = 'OverBudget';
}

/** What a target file defines: its inputs and the property over them. */
export interface TargetBody<T extends { kind: string }> {
  readonly arbitrary: fc.Arbitrary<T>;
  /** Deterministic: throws FuzzViolation when a property breaks. */
  check(input: T): void;
  /** The input kinds its arbitrary produces (the seeded test checks each one is reached). */
  readonly kinds: readonly string[];
}

/** What the runner and the seeded test know of a target (targets/index.ts lists them). */
export interface TargetMeta {
  /** Decoder name, as the runner prints it and `--only` selects it. */
  readonly name: string;
  /** What is called, for the report. */
  readonly calls: string;
  /** Runs in the seeded test (kept small where a run costs an ECDH). */
  readonly seededRuns: number;
  /** Rough µs per input on an idle 2-core machine: for scheduling and the runner's estimate. */
  readonly costHint: number;
}

export interface FuzzTarget<T extends { kind: string }> extends TargetMeta, TargetBody<T> {}

export type AnyTarget = FuzzTarget<{ kind: string }>;

/** Per-target counters the property wrapper keeps (inputs per kind, budget replays). */
export interface TargetStats {
  kinds: Map<string, number>;
  replays: number;
}

export function newStats(): TargetStats {
  return { kinds: new Map(), replays: 0 };
}

/**
 * The fast-check property of a target. An input that goes over the time budget is replayed
 * once on the spot, and only a second overrun fails: one GC pause must not fail a run, a
 * decoder that is really slow on an input is slow twice.
 */
export function propertyOf(t: AnyTarget, stats: TargetStats = newStats()): fc.IPropertyWithHooks<[{ kind: string }]> {
  return fc.property(t.arbitrary, (input) => {
    stats.kinds.set(input.kind, (stats.kinds.get(input.kind) ?? 0) + 1);
    try {
      t.check(input);
    } catch (err) {
      if (!(err instanceof OverBudget)) throw err;
      stats.replays++;
      t.check(input);
    }
  });
}


export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Call `fn`, timing it; an overrun is a violation whatever the outcome. */
export function timed<T>(what: string, input: () => string, fn: () => T): Outcome<T> {
  const t0 = performance.now();
  let out: Outcome<T>;
  try {
    out = { ok: true, value: fn() };
  } catch (error) {
    out = { ok: false, error };
  }
  const ms = performance.now() - t0;
  if (ms > CALL_BUDGET_MS) {
    throw new OverBudget(`${what} took ${ms.toFixed(1)} ms, budget ${CALL_BUDGET_MS} ms; input ${input()}`);
  }
  return out;
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.constructor.name}(${JSON.stringify(err.message)})`;
  return `non-Error ${typeof err} ${String(err)}`;
}

/** JSON.stringify replacer for decoded values (bigints, byte strings). */
export const bigintSafe = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? bytesToHex(v) : v);

export function fail(message: string, cause?: unknown): never {
  throw new FuzzViolation(message, cause === undefined ? undefined : { cause });
}

/**
 * The error must be `expected` (a subclass of RlpxError, or EnodeError). Anything else is a
 * violation: an untyped error from a dependency, or a typed one of the wrong kind.
 */
export function expectTyped(what: string, err: unknown, expected: abstract new (...args: never[]) => Error, input: () => string): void {
  if (err instanceof FuzzViolation) throw err;
  if (err instanceof expected) return;
  const kind = err instanceof RlpxError ? `a typed ${err.name}, not ${expected.name}` : 'an untyped error';
  fail(`${what} threw ${kind}: ${describeError(err)}; input ${input()}`, err);
}

export function check(cond: boolean, message: () => string): void {
  if (!cond) fail(message());
}


export const hexOf = (b: Uint8Array, max = 512): string =>
  b.length <= max ? `0x${bytesToHex(b)} (${b.length} bytes)` : `0x${bytesToHex(b.subarray(0, max))}… (${b.length} bytes)`;

export function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}
