/**
 * Which implementation the hot paths use. The fast backends (native keccak, libsecp256k1) load
 * when they can; the audited @noble fallbacks are used when they cannot, or when
 * RLPX_CRYPTO=noble forces them (the test suite runs the golden vectors on both).
 */
export const forceNoble = process.env['RLPX_CRYPTO'] === 'noble';

let pending: string[] = [];

/**
 * Say on stderr that a native backend could not load and @noble stands in: the fallback is
 * 10-40x slower, which nobody should discover from a benchmark. Not called when
 * RLPX_CRYPTO=noble chose @noble on purpose. The line is written on the next tick, after the
 * module graph (which loads both backends in one synchronous pass) has evaluated, so a
 * platform without either prebuilt addon, such as linux-arm64, gets one line naming both.
 */
export function announceFallback(backend: string, error: unknown): void {
  const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
  pending.push(`${backend} (${reason})`);
  if (pending.length > 1) return;
  process.nextTick(() => {
    const names = pending;
    pending = [];
    process.stderr.write(`rlpx: native crypto did not load, using the slower @noble fallback for ${names.join('; ')}\n`);
  });
}
