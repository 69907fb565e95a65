/**
 * "Nothing escaped to the process": the unhandled rejections and uncaught exceptions seen while
 * a watch is on. The library promises that bad input and buggy user listeners end in a typed
 * error or a closed peer, never at the process level; these are the checks of that promise.
 */
import { afterEach, beforeEach, expect } from 'vitest';

export class EscapeWatch {
  readonly unhandled: unknown[] = [];
  readonly uncaught: unknown[] = [];
  readonly #onUnhandled = (reason: unknown): void => void this.unhandled.push(reason);
  readonly #onUncaught = (error: unknown): void => void this.uncaught.push(error);

  /** Starts watching at once. */
  constructor() {
    process.on('unhandledRejection', this.#onUnhandled);
    process.on('uncaughtException', this.#onUncaught);
  }

  stop(): void {
    process.off('unhandledRejection', this.#onUnhandled);
    process.off('uncaughtException', this.#onUncaught);
  }

  expectNothing(): void {
    expect(this.unhandled, 'unhandledRejection during the test').toEqual([]);
    expect(this.uncaught, 'uncaughtException during the test').toEqual([]);
  }
}

/**
 * For every test of the calling file: watch from beforeEach; in afterEach run `teardown` still
 * watched (closing peers is where stray rejections show up), give late rejections a moment to
 * reach the process, stop, and expect that nothing escaped.
 */
export function guardEachTest(teardown: () => Promise<unknown> = async () => undefined): void {
  let watch: EscapeWatch | undefined;
  beforeEach(() => {
    watch = new EscapeWatch();
  });
  afterEach(async () => {
    try {
      await teardown();
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      watch?.stop();
    }
    watch?.expectNothing();
  });
}
