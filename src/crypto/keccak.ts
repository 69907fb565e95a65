/**
 * keccak256, one-shot and as a running state that can be read without being finalized:
 * the RLPx frame MACs hash the whole session's traffic and read the digest after every frame.
 *
 * Fast path: the `keccak` package's prebuilt N-API sponge (XKCP), used directly rather than
 * through its stream wrapper, whose per-object cost would dominate 16-byte MAC updates.
 * A digest is read by copying the sponge into one shared scratch sponge and finalizing that.
 * Fallback: @noble/hashes.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { asBuffer } from './bytes.js';
import { announceFallback, forceNoble } from './backend.js';

/** keccak256 parameters: rate 1088 bits, capacity 512, Keccak (not SHA-3) padding. */
const RATE = 1088;
const CAPACITY = 512;
const KECCAK_SUFFIX = 0x01;

interface NativeSponge {
  initialize(rate: number, capacity: number): void;
  absorb(data: Buffer): void;
  absorbLastFewBits(bits: number): void;
  squeeze(length: number): Buffer;
  copy(dest: NativeSponge): void;
}
type NativeSpongeClass = new () => NativeSponge;

function loadNative(): NativeSpongeClass | undefined {
  if (forceNoble) return undefined;
  try {
    // The addon itself, loaded the way the package loads it (its prebuilds/ via node-gyp-build).
    const pkg = createRequire(import.meta.url).resolve('keccak/package.json');
    const gypBuild = createRequire(pkg)('node-gyp-build') as (dir: string) => unknown;
    const Sponge = gypBuild(dirname(pkg));
    if (typeof Sponge !== 'function') throw new Error('the addon exports no sponge class');
    const probe = new (Sponge as NativeSpongeClass)();
    probe.initialize(RATE, CAPACITY);
    probe.absorbLastFewBits(KECCAK_SUFFIX);
    // keccak256("") guards against an addon that loads but is not the one we expect.
    if (probe.squeeze(32).toString('hex') !== 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470') {
      throw new Error('the addon computes a wrong keccak256');
    }
    return Sponge as NativeSpongeClass;
  } catch (err) {
    announceFallback('keccak', err);
    return undefined;
  }
}

const Native = loadNative();
const scratch = Native ? new Native() : undefined;

export const keccakBackend: 'native' | 'noble' = Native ? 'native' : 'noble';

export function keccak256(...parts: Uint8Array[]): Uint8Array {
  if (Native) {
    const s = scratch!;
    s.initialize(RATE, CAPACITY);
    for (const p of parts) s.absorb(asBuffer(p));
    s.absorbLastFewBits(KECCAK_SUFFIX);
    return s.squeeze(32);
  }
  const h = keccak_256.create();
  for (const p of parts) h.update(p);
  return h.digest();
}

/** A keccak256 sponge that can be read at any point and keep absorbing afterwards. */
export interface KeccakState {
  update(data: Uint8Array): void;
  /** The digest of everything absorbed so far; the state is left as it was. */
  sum(): Uint8Array;
  /** update(data) then sum(), in one step (the MAC's common case). */
  updateAndSum(data: Uint8Array): Uint8Array;
}

class NativeKeccakState implements KeccakState {
  readonly #sponge: NativeSponge;
  constructor() {
    this.#sponge = new Native!();
    this.#sponge.initialize(RATE, CAPACITY);
  }
  update(data: Uint8Array): void {
    this.#sponge.absorb(asBuffer(data));
  }
  sum(): Uint8Array {
    // Synchronous, so one shared scratch sponge serves every state.
    this.#sponge.copy(scratch!);
    scratch!.absorbLastFewBits(KECCAK_SUFFIX);
    return scratch!.squeeze(32);
  }
  updateAndSum(data: Uint8Array): Uint8Array {
    this.#sponge.absorb(asBuffer(data));
    return this.sum();
  }
}

class NobleKeccakState implements KeccakState {
  readonly #h = keccak_256.create();
  update(data: Uint8Array): void {
    this.#h.update(data);
  }
  sum(): Uint8Array {
    return this.#h.clone().digest();
  }
  updateAndSum(data: Uint8Array): Uint8Array {
    this.#h.update(data);
    return this.#h.clone().digest();
  }
}

export function createKeccak256(): KeccakState {
  return Native ? new NativeKeccakState() : new NobleKeccakState();
}
