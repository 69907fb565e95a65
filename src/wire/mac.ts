/**
 * The RLPx header and frame MACs (geth's hashMAC): a keccak256 sponge over the whole
 * direction's traffic, mixed with AES-256-ECB of its own digest under the mac secret.
 *
 *   header: seed = aes(mac, digest)[:16] ^ headerCiphertext; absorb seed; mac = digest[:16]
 *   frame:  absorb ciphertext; d = digest; seed = aes(mac, d)[:16] ^ d[:16]; absorb seed; mac = digest[:16]
 */
import { createCipheriv, type Cipher } from 'node:crypto';
import type { KeccakState } from '../crypto/keccak.js';
import { WasmKeccakState } from '../crypto/keccak-wasm.js';

export const MAC_SIZE = 16;

/**
 * AES-256-ECB under a session's mac secret. ECB has no state between blocks, so the egress and
 * ingress MACs of one session share one cipher context: one OpenSSL context per session, not two.
 */
const ecbCiphers = new WeakMap<Uint8Array, Cipher>();
function ecbFor(macSecret: Uint8Array): Cipher {
  let c = ecbCiphers.get(macSecret);
  if (!c) {
    c = createCipheriv('aes-256-ecb', macSecret, null).setAutoPadding(false);
    ecbCiphers.set(macSecret, c);
  }
  return c;
}

/**
 * A MAC's sponge and its current digest. Only absorbing changes the digest, so the digest that
 * ends one frame is the one the next header starts from: keeping it saves a keccak permutation
 * per frame. Digests returned are read before the next call on any sponge.
 */
interface DigestKeeper {
  updateAndSumView(data: Uint8Array): Uint8Array;
  lastSumView(): Uint8Array;
}

/** The library fallback's sponge: the digest is kept here (the WebAssembly one keeps its own). */
class KeptDigest implements DigestKeeper {
  readonly #state: KeccakState;
  #digest: Uint8Array;
  constructor(state: KeccakState) {
    this.#state = state;
    this.#digest = state.sum();
  }
  updateAndSumView(data: Uint8Array): Uint8Array {
    return (this.#digest = this.#state.updateAndSum(data));
  }
  lastSumView(): Uint8Array {
    return this.#digest;
  }
}

export class HashMac {
  readonly #state: DigestKeeper;
  readonly #ecb: Cipher;

  constructor(macSecret: Uint8Array, state: KeccakState) {
    if (state instanceof WasmKeccakState) {
      state.sumView(); // the digest the first header starts from, kept in the sponge's slot
      this.#state = state;
    } else {
      this.#state = new KeptDigest(state);
    }
    this.#ecb = ecbFor(macSecret);
  }

  /** MAC of a 16-byte header ciphertext (a view, valid until the next MAC is computed). */
  header(headerCiphertext: Uint8Array): Uint8Array {
    return this.#mix(this.#state.lastSumView(), headerCiphertext);
  }

  /** MAC of a frame body ciphertext, padding included (a view, as header's). */
  frame(bodyCiphertext: Uint8Array): Uint8Array {
    const d = this.#state.updateAndSumView(bodyCiphertext);
    return this.#mix(d, d);
  }

  #mix(digest: Uint8Array, seed: Uint8Array): Uint8Array {
    const block = this.#ecb.update(digest.subarray(0, MAC_SIZE));
    for (let i = 0; i < MAC_SIZE; i++) block[i]! ^= seed[i]!;
    return this.#state.updateAndSumView(block).subarray(0, MAC_SIZE);
  }
}
