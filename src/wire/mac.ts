/**
 * The RLPx header and frame MACs (geth's hashMAC): a keccak256 sponge over the whole
 * direction's traffic, mixed with AES-256-ECB of its own digest under the mac secret.
 *
 *   header: seed = aes(mac, digest)[:16] ^ headerCiphertext; absorb seed; mac = digest[:16]
 *   frame:  absorb ciphertext; d = digest; seed = aes(mac, d)[:16] ^ d[:16]; absorb seed; mac = digest[:16]
 */
import { createCipheriv, type Cipher } from 'node:crypto';
import type { KeccakState } from '../crypto/keccak.js';

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

export class HashMac {
  readonly #state: KeccakState;
  readonly #ecb: Cipher;
  /**
   * The state's current digest. Only absorbing changes it, so the digest that ends one frame
   * is the one the next header starts from: caching it saves a keccak permutation per frame.
   */
  #digest: Uint8Array;

  constructor(macSecret: Uint8Array, state: KeccakState) {
    this.#state = state;
    this.#ecb = ecbFor(macSecret);
    this.#digest = state.sum();
  }

  /** MAC of a 16-byte header ciphertext. */
  header(headerCiphertext: Uint8Array): Uint8Array {
    return this.#mix(this.#digest, headerCiphertext);
  }

  /** MAC of a frame body ciphertext (padding included). */
  frame(bodyCiphertext: Uint8Array): Uint8Array {
    const d = this.#state.updateAndSum(bodyCiphertext);
    return this.#mix(d, d);
  }

  #mix(digest: Uint8Array, seed: Uint8Array): Uint8Array {
    const block = this.#ecb.update(digest.subarray(0, MAC_SIZE));
    for (let i = 0; i < MAC_SIZE; i++) block[i]! ^= seed[i]!;
    this.#digest = this.#state.updateAndSum(block);
    return this.#digest.subarray(0, MAC_SIZE);
  }
}
