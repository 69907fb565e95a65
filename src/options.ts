/** Checks shared by every options object: integers in range, timers Node can honour. */

/** Node fires a timer with a longer delay at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Throw a RangeError naming `name` unless `value` is an integer in [min, max]. */
export function checkInteger(name: string, value: number, min = 0, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}
