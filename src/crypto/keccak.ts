/**
 * keccak256, one-shot and as a running state that can be read without being finalized:
 * the RLPx frame MACs hash the whole session's traffic and read the digest after every frame.
 *
 * Fast path: one shared hash-wasm instance. Each state keeps only its serialized sponge
 * (a few hundred bytes) and is loaded into the shared instance per operation, so 10,000
 * sessions cost 10,000 small arrays rather than 10,000 WASM memories. The calls are
 * synchronous, so sharing one instance is safe. Fallback: @noble/hashes.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { createKeccak, type IHasher } from 'hash-wasm';
import { forceNoble } from './backend.js';

const wasm: IHasher | undefined = forceNoble ? undefined : await createKeccak(256).catch(() => undefined);

export const keccakBackend: 'wasm' | 'noble' = wasm ? 'wasm' : 'noble';

export function keccak256(...parts: Uint8Array[]): Uint8Array {
  if (wasm) {
    wasm.init();
    for (const p of parts) wasm.update(p);
    return wasm.digest('binary');
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

class WasmKeccakState implements KeccakState {
  #saved: Uint8Array;
  constructor(hasher: IHasher) {
    hasher.init();
    this.#saved = hasher.save();
  }
  update(data: Uint8Array): void {
    wasm!.load(this.#saved);
    wasm!.update(data);
    this.#saved = wasm!.save();
  }
  sum(): Uint8Array {
    wasm!.load(this.#saved);
    return wasm!.digest('binary');
  }
  updateAndSum(data: Uint8Array): Uint8Array {
    wasm!.load(this.#saved);
    wasm!.update(data);
    this.#saved = wasm!.save();
    return wasm!.digest('binary');
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
  return wasm ? new WasmKeccakState(wasm) : new NobleKeccakState();
}
