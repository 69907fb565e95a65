/**
 * What a discv4 node and a discv5 node have in common around their protocol: the timers that
 * drive liveness checks and refreshes, and one abort signal that every call they make is tied
 * to, so close() cancels all of it. (Their own record is in local-record.ts.)
 */

/** Periodic jobs and the close signal of one discovery node. */
export class NodeRuntime {
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #close = new AbortController();

  /** Run `fn` every `ms`, skipping a tick while the previous run is still going; errors are the job's own. */
  every(ms: number, fn: () => Promise<void>): void {
    let running = false;
    const t = setInterval(() => {
      if (running) return;
      running = true;
      fn().catch(() => undefined).finally(() => (running = false));
    }, ms);
    t.unref();
    this.#timers.push(t);
  }

  /** The caller's signal joined with ours, so close() ends the call too. */
  withClose(options: { signal?: AbortSignal }): { signal: AbortSignal } {
    return { signal: options.signal ? AbortSignal.any([options.signal, this.#close.signal]) : this.#close.signal };
  }

  /** Stop the jobs and abort every call in flight with `reason`. */
  stop(reason: Error): void {
    for (const t of this.#timers) clearInterval(t);
    this.#close.abort(reason);
  }
}

/** geth's refresh: a lookup of our own id, then three random ones; errors are the lookups' own business. */
export async function refreshLookups(lookup: (target?: Uint8Array) => Promise<unknown>, self: Uint8Array): Promise<void> {
  try {
    await lookup(self);
    for (let i = 0; i < 3; i++) await lookup(undefined);
  } catch {
    // closed or aborted
  }
}
