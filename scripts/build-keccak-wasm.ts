/**
 * Assemble src/crypto/keccak.wat (wabt, a devDependency) and write the bytes, base64, into
 * src/crypto/keccak-wasm-bytes.ts: the module the MAC states load (src/crypto/keccak-wasm.ts).
 * test/crypto/keccak-wasm.test.ts assembles the source again and compares the bytes, so the
 * committed module is always the one its source gives.
 *
 *   npx tsx scripts/build-keccak-wasm.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const WAT = fileURLToPath(new URL('../src/crypto/keccak.wat', import.meta.url));
export const BYTES_FILE = fileURLToPath(new URL('../src/crypto/keccak-wasm-bytes.ts', import.meta.url));

/** The .wasm the source assembles to: no debug names, MVP features only. */
export async function assembleKeccakWasm(): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat('keccak.wat', readFileSync(WAT, 'utf8'));
  try {
    mod.resolveNames();
    mod.validate();
    return mod.toBinary({ log: false, write_debug_names: false }).buffer.slice();
  } finally {
    mod.destroy();
  }
}

/** The text of keccak-wasm-bytes.ts for `wasm`. */
export function bytesModule(wasm: Uint8Array): string {
  const b64 = Buffer.from(wasm).toString('base64');
  const lines = b64.match(/.{1,96}/g) ?? [];
  return [
    '/**',
    ' * keccak.wat assembled: written by scripts/build-keccak-wasm.ts, do not edit. The test',
    ' * test/crypto/keccak-wasm.test.ts assembles the source again and compares.',
    ' */',
    'export const KECCAK_WASM_BASE64 =',
    ...lines.map((l, i) => `  '${l}'${i === lines.length - 1 ? ';' : ' +'}`),
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const wasm = await assembleKeccakWasm();
  writeFileSync(BYTES_FILE, bytesModule(wasm));
  console.log(`${BYTES_FILE}: ${wasm.length} bytes of wasm`);
}
