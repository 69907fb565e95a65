/** AbortSignal plumbing shared by every async API that takes `{ signal }`. */

/**
 * TypeError unless `signal` is undefined or an AbortSignal: every API that takes `{ signal }`
 * checks it on entry, so a wrong value is named as the option it is, not a failure inside us.
 */
export function checkSignal(signal: unknown): asserts signal is AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    const got = signal === null ? 'null' : typeof signal === 'object' ? (signal.constructor?.name ?? 'object') : typeof signal;
    throw new TypeError(`signal must be an AbortSignal, got ${got}`);
  }
}

/** `promise`, unless `signal` aborts first: then `onAbort()` runs and the result rejects with its reason. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, onAbort: () => void): Promise<T> {
  checkSignal(signal);
  if (!signal) return promise;
  if (signal.aborted) {
    onAbort();
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => {
      onAbort();
      reject(signal.reason);
    };
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(e);
      },
    );
  });
}
