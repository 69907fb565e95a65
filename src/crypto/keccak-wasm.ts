/**
 * The keccak256 sponge of the RLPx MAC states, in WebAssembly (keccak.wat, embedded as
 * keccak-wasm-bytes.ts). A frame reads its direction's MAC digest three times without
 * finalizing the sponge; through the `keccak` addon each read copies the sponge into a scratch
 * one, pads, permutes and allocates the squeezed Buffer, about 2-3 µs a call, most of it call
 * overhead. Here a state is 200 bytes plus a position, a digest permutes a padded copy inside
 * the module, and a state is forked by copying its bytes.
 *
 * Only the MAC states use it (see createMacKeccak); one-shot hashing stays on the libraries.
 * If the module cannot load, the MAC states use createKeccak256() as before, and one line on
 * stderr says so.
 */
import { KECCAK_WASM_BASE64 } from './keccak-wasm-bytes.js';
import { createKeccak256, type KeccakState } from './keccak.js';

const STATE = 200;
const DIGEST_AT = 200;
const INPUT_AT = 1024;
/** The module's input area: 464 blocks of the 136-byte rate. */
const INPUT_SIZE = 136 * 464;

/** The little of the WebAssembly global this file uses (the project's lib has no DOM types). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

interface Exports {
  memory: { buffer: ArrayBuffer };
  absorb(pos: number, len: number): number;
  digest(pos: number): void;
}

interface Sponge {
  mem: Uint8Array;
  absorb: Exports['absorb'];
  digest: Exports['digest'];
  /** The state whose lanes are in the module's memory now (its own copy may be stale). */
  resident: WasmKeccakState | undefined;
}

/** Instantiate the module; undefined (and one line on stderr) if it will not load or is wrong. */
export function loadKeccakWasm(bytes: Uint8Array, announce: (line: string) => void = (l) => process.stderr.write(l)): Sponge | undefined {
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const e = instance.exports as unknown as Exports;
    const sponge: Sponge = { mem: new Uint8Array(e.memory.buffer), absorb: e.absorb, digest: e.digest, resident: undefined };
    // keccak256("abc") guards against a module that loads but does not compute keccak256.
    const probe = new WasmKeccakState(sponge);
    const hex = Buffer.from(probe.updateAndSum(Uint8Array.of(0x61, 0x62, 0x63))).toString('hex');
    if (hex !== '4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45') throw new Error('the module computes a wrong keccak256');
    sponge.resident = undefined;
    return sponge;
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
    announce(`rlpx: WebAssembly keccak did not load, the MAC states use the keccak library (${reason})\n`);
    return undefined;
  }
}

/**
 * One MAC sponge: its 200 state bytes and the position in the rate. The module's memory holds
 * one state at a time: a state that is not resident is swapped in (the resident one's lanes
 * copied out first), so a frame's three MAC steps on one direction copy nothing.
 */
export class WasmKeccakState implements KeccakState {
  readonly #sponge: Sponge;
  readonly #lanes = new Uint8Array(STATE);
  #pos = 0;

  constructor(sponge: Sponge) {
    this.#sponge = sponge;
  }

  update(data: Uint8Array): void {
    const s = this.#load();
    const n = data.length;
    if (n <= INPUT_SIZE) {
      s.mem.set(data, INPUT_AT);
      this.#pos = s.absorb(this.#pos, n);
      return;
    }
    for (let at = 0; at < n; at += INPUT_SIZE) {
      const chunk = data.subarray(at, at + INPUT_SIZE);
      s.mem.set(chunk, INPUT_AT);
      this.#pos = s.absorb(this.#pos, chunk.length);
    }
  }

  sum(): Uint8Array {
    const s = this.#load();
    s.digest(this.#pos);
    return s.mem.slice(DIGEST_AT, DIGEST_AT + 32);
  }

  updateAndSum(data: Uint8Array): Uint8Array {
    this.update(data);
    return this.sum();
  }

  /** A copy that goes on independently: the MAC's digest-without-finalizing, as an object. */
  fork(): WasmKeccakState {
    const s = this.#sponge;
    const twin = new WasmKeccakState(s);
    twin.#lanes.set(s.resident === this ? s.mem.subarray(0, STATE) : this.#lanes);
    twin.#pos = this.#pos;
    return twin;
  }

  #load(): Sponge {
    const s = this.#sponge;
    const resident = s.resident;
    if (resident === this) return s;
    if (resident) resident.#lanes.set(s.mem.subarray(0, STATE));
    s.mem.set(this.#lanes, 0);
    s.resident = this;
    return s;
  }
}

const sponge = loadKeccakWasm(Buffer.from(KECCAK_WASM_BASE64, 'base64'));

export const macKeccakBackend: 'wasm' | 'library' = sponge ? 'wasm' : 'library';

/** A keccak256 state for an RLPx MAC: the WebAssembly sponge, or createKeccak256() without it. */
export function createMacKeccak(): KeccakState {
  return sponge ? new WasmKeccakState(sponge) : createKeccak256();
}
