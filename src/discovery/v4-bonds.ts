/**
 * The endpoint proof of discv4 (geth's node DB, kept in memory): when we last received a PING
 * and a PONG from each (node id, IP), and how many FINDNODEs to it failed in a row. A PONG
 * within 24 h from that id and IP is the bond that FINDNODE and ENRREQUEST need.
 * Bounded: past `capacity` pairs the least recently touched one is forgotten.
 */
import { bytesToHex } from '../crypto/bytes.js';

export const BOND_EXPIRATION_MS = 24 * 60 * 60 * 1000;

interface BondEntry {
  lastPing: number;
  lastPong: number;
  findFails: number;
}

export class BondBook {
  readonly #entries = new Map<string, BondEntry>();
  readonly #capacity: number;
  readonly #now: () => number;

  constructor(capacity = 20_000, now: () => number = Date.now) {
    this.#capacity = capacity;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  #key(id: Uint8Array, ip: string): string {
    return `${bytesToHex(id)}@${ip}`;
  }

  #touch(id: Uint8Array, ip: string): BondEntry {
    const key = this.#key(id, ip);
    let e = this.#entries.get(key);
    if (e) this.#entries.delete(key);
    else e = { lastPing: 0, lastPong: 0, findFails: 0 };
    this.#entries.set(key, e);
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value!);
    return e;
  }

  pingReceived(id: Uint8Array, ip: string): void {
    this.#touch(id, ip).lastPing = this.#now();
  }

  pongReceived(id: Uint8Array, ip: string): void {
    this.#touch(id, ip).lastPong = this.#now();
  }

  /** They proved their endpoint to us: a PONG from (id, ip) within 24 h. */
  isBonded(id: Uint8Array, ip: string): boolean {
    const e = this.#entries.get(this.#key(id, ip));
    return e !== undefined && this.#now() - e.lastPong < BOND_EXPIRATION_MS;
  }

  /** They pinged us within 24 h, so they hold a PONG of ours: we may query them at once. */
  recentlyPingedUs(id: Uint8Array, ip: string): boolean {
    const e = this.#entries.get(this.#key(id, ip));
    return e !== undefined && this.#now() - e.lastPing < BOND_EXPIRATION_MS;
  }

  findFails(id: Uint8Array, ip: string): number {
    return this.#entries.get(this.#key(id, ip))?.findFails ?? 0;
  }

  setFindFails(id: Uint8Array, ip: string, n: number): void {
    this.#touch(id, ip).findFails = n;
  }
}

/**
 * Requests per second allowed from one source IP (a token bucket each), for the requests that
 * cost us work or bandwidth (PING, FINDNODE, ENRREQUEST). geth has none. Bounded: past
 * `capacity` sources the least recently seen one is forgotten (it starts over with a full bucket).
 */
export class SourceLimiter {
  readonly #buckets = new Map<string, { tokens: number; last: number }>();
  readonly rate: number;
  readonly burst: number;
  readonly #capacity: number;
  readonly #now: () => number;

  constructor(rate: number, burst: number, capacity = 10_000, now: () => number = Date.now) {
    this.rate = rate;
    this.burst = burst;
    this.#capacity = capacity;
    this.#now = now;
  }

  /** Take one token for `ip`; false when its bucket is empty. */
  allow(ip: string): boolean {
    if (!(this.rate > 0) || this.rate === Infinity) return true;
    const now = this.#now();
    let b = this.#buckets.get(ip);
    if (b) {
      this.#buckets.delete(ip);
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.last) * this.rate) / 1000);
      b.last = now;
    } else {
      b = { tokens: this.burst, last: now };
    }
    this.#buckets.set(ip, b);
    if (this.#buckets.size > this.#capacity) this.#buckets.delete(this.#buckets.keys().next().value!);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
