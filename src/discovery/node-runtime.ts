/**
 * What a discv4 node and a discv5 node have in common around their protocol: the record they
 * sign for themselves, the timers that drive liveness checks and refreshes, and one abort
 * signal that every call they make is tied to, so close() cancels all of it.
 */
import { isIP } from 'node:net';
import { encodeEnr, type Enr, type ForkIdEntry, type RlpItem } from './enr.js';

export interface SelfRecordOptions {
  privateKey: Uint8Array;
  /** IP in our record. Default: the bound address, or 127.0.0.1 for a wildcard bind (as geth's fallback). */
  announceIp?: string;
  /** TCP port in our record (an RLPx listener's); default the UDP port. */
  tcpPort?: number;
  /** The `eth` entry (EIP-2124 fork ID) to publish; the caller computes it from its chain. */
  eth?: ForkIdEntry;
  /** More record entries, as RLP items, opaque to discovery. */
  enrExtra?: Record<string, RlpItem>;
}

/** The IP a node announces for a bound host: a wildcard bind announces loopback, as geth's fallback does. */
export function announcedIp(host: string, announceIp?: string): string {
  return announceIp ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
}

/** Our signed record for a socket bound at host:udp. The seq is the time, so a restart never goes back. */
export function selfRecord(o: SelfRecordOptions, host: string, udp: number): Enr {
  const ip = announcedIp(host, o.announceIp);
  const tcp = o.tcpPort ?? udp;
  return encodeEnr(
    {
      seq: BigInt(Date.now()),
      ...(isIP(ip) === 6 ? { ip6: ip, udp6: udp, tcp6: tcp } : { ip, udp, tcp }),
      ...(o.eth ? { eth: o.eth } : {}),
      ...(o.enrExtra ? { extra: o.enrExtra } : {}),
    },
    o.privateKey,
  );
}

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
