/**
 * The keccak256 sponge of the RLPx MAC states, in WebAssembly (keccak.wat, embedded as
 * keccak-wasm-bytes.ts). A frame reads its direction's MAC digest three times without
 * finalizing the sponge; through the `keccak` addon each read copies the sponge into a scratch
 * one, pads, permutes and allocates the squeezed Buffer, about 2-3 µs a call, most of it call
 * overhead. Here a state is 200 bytes of the module's memory plus a position, a digest
 * permutes a padded copy inside the module, and a state is forked by copying its bytes.
 *
 * Only the MAC states use it (see createMacKeccak); one-shot hashing stays on the libraries.
 * If the module cannot load, the MAC states use createKeccak256() as before, and one line on
 * stderr says so.
 */
import { KECCAK_WASM_BASE64 } from './keccak-wasm-bytes.js';
import { createKeccak256, type KeccakState } from './keccak.js';

const STATE = 200;
/** A slot: the state, then the digest its last sum left (see sumView). */
const SLOT = STATE + 32;
const DIGEST_AT = 200;
const INPUT_AT = 1024;
/** The module's input area: 464 blocks of the 136-byte rate. */
const INPUT_SIZE = 136 * 464;
/** The states live from the module's second page on, 200 bytes each. */
const SLOTS_AT = 65536;
const PAGE = 65536;

/** The little of the WebAssembly global this file uses (the project's lib has no DOM types). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

interface Exports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  absorb(st: number, pos: number, len: number): number;
  digest(st: number, pos: number): void;
}

interface Sponge {
  exports: Exports;
  /** A view of the module's memory, made again whenever the memory grows. */
  mem: Uint8Array;
  /** Slots of states that were collected, to be used again (zeroed first). */
  free: number[];
  /** The first slot never used. */
  next: number;
  /** A collected state's slot goes back to this module: one registry per module, so a state registers its slot number alone. */
  collected: FinalizationRegistry<number>;
}

function allocate(s: Sponge): number {
  const reused = s.free.pop();
  if (reused !== undefined) {
    s.mem.fill(0, reused, reused + SLOT);
    return reused;
  }
  const slot = s.next;
  if (slot + SLOT > s.mem.length) {
    s.exports.memory.grow(Math.ceil((slot + SLOT - s.mem.length) / PAGE)); // new pages are zero
    s.mem = new Uint8Array(s.exports.memory.buffer);
  }
  s.next = slot + SLOT;
  return slot;
}

/** Instantiate the module; undefined (and one line on stderr) if it will not load or is wrong. */
export function loadKeccakWasm(bytes: Uint8Array, announce: (line: string) => void = (l) => process.stderr.write(l)): Sponge | undefined {
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const exports = instance.exports as Exports;
    const free: number[] = [];
    const collected = new FinalizationRegistry<number>((slot) => free.push(slot));
    const sponge: Sponge = { exports, mem: new Uint8Array(exports.memory.buffer), free, next: SLOTS_AT, collected };
    // keccak256("abc") guards against a module that loads but does not compute keccak256.
    const probe = new WasmKeccakState(sponge);
    const hex = Buffer.from(probe.updateAndSum(Uint8Array.of(0x61, 0x62, 0x63))).toString('hex');
    if (hex !== '4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45') throw new Error('the module computes a wrong keccak256');
    return sponge;
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
    announce(`rlpx: WebAssembly keccak did not load, the MAC states use the keccak library (${reason})\n`);
    return undefined;
  }
}

/**
 * One MAC sponge: a 200-byte slot in the module's memory and the position in the rate. Its
 * bytes are not on the JS heap (an idle peer's two MAC states cost two small objects), and the
 * slot is handed back when the state is collected.
 */
export class WasmKeccakState implements KeccakState {
  readonly #sponge: Sponge;
  readonly #slot: number;
  #pos = 0;

  constructor(sponge: Sponge) {
    this.#sponge = sponge;
    this.#slot = allocate(sponge);
    sponge.collected.register(this, this.#slot);
  }

  update(data: Uint8Array): void {
    const s = this.#sponge;
    const n = data.length;
    if (n <= INPUT_SIZE) {
      s.mem.set(data, INPUT_AT);
      this.#pos = s.exports.absorb(this.#slot, this.#pos, n);
      return;
    }
    for (let at = 0; at < n; at += INPUT_SIZE) {
      const chunk = data.subarray(at, at + INPUT_SIZE);
      s.mem.set(chunk, INPUT_AT);
      this.#pos = s.exports.absorb(this.#slot, this.#pos, chunk.length);
    }
  }

  sum(): Uint8Array {
    return this.sumView().slice();
  }

  updateAndSum(data: Uint8Array): Uint8Array {
    this.update(data);
    return this.sum();
  }

  /**
   * The digest, kept in the state's slot: a view into the module's memory, valid until the
   * next call on any state (memory may grow), and read again by lastSumView() without a
   * permutation. The MAC keeps its digest here instead of in a typed array of its own.
   */
  sumView(): Uint8Array {
    const s = this.#sponge;
    s.exports.digest(this.#slot, this.#pos);
    const at = this.#slot + STATE;
    s.mem.copyWithin(at, DIGEST_AT, DIGEST_AT + 32);
    return s.mem.subarray(at, at + 32);
  }

  /** update(data) then sumView(). */
  updateAndSumView(data: Uint8Array): Uint8Array {
    this.update(data);
    return this.sumView();
  }

  /** What the last sumView() (or sum()) returned, as a view with the same lifetime. */
  lastSumView(): Uint8Array {
    const at = this.#slot + STATE;
    return this.#sponge.mem.subarray(at, at + 32);
  }

  /** A copy that goes on independently: the MAC's digest-without-finalizing, as an object. */
  fork(): WasmKeccakState {
    const twin = new WasmKeccakState(this.#sponge);
    const mem = this.#sponge.mem; // after the twin's allocation, which may have grown it
    mem.copyWithin(twin.#slot, this.#slot, this.#slot + SLOT);
    twin.#pos = this.#pos;
    return twin;
  }
}

const sponge = loadKeccakWasm(Buffer.from(KECCAK_WASM_BASE64, 'base64'));

export const macKeccakBackend: 'wasm' | 'library' = sponge ? 'wasm' : 'library';

/** A keccak256 state for an RLPx MAC: the WebAssembly sponge, or createKeccak256() without it. */
export function createMacKeccak(): KeccakState {
  return sponge ? new WasmKeccakState(sponge) : createKeccak256();
}
