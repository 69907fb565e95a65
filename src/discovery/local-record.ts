/**
 * Our own signed node record (EIP-778), as discovery serves it: in v4 ENRRESPONSE and PING/PONG's
 * seq, in v5 FINDNODE at distance 0, the handshake and PING/PONG's seq. When discv4 and discv5
 * run together they hold one LocalRecord, so both serve the same bytes (same seq, same
 * signature), and a change re-signs it once, with one new seq, for both.
 */
import { isIP } from 'node:net';
import { encodeEnr, type Enr, type ForkIdEntry, type RlpItem } from './enr.js';
import type { Endpoint } from './v4-packet.js';

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

/** What may change in a running record (undefined removes `eth` or `enrExtra`). */
export type RecordChanges = { [K in Exclude<keyof SelfRecordOptions, 'privateKey'>]?: SelfRecordOptions[K] | undefined };

/** The IP a node announces for a bound host: a wildcard bind announces loopback, as geth's fallback does. */
export function announcedIp(host: string, announceIp?: string): string {
  return announceIp ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
}

/** A signed record for a socket bound at host:udp. The seq defaults to the time, so a restart never goes back. */
export function selfRecord(o: SelfRecordOptions, host: string, udp: number, seq = BigInt(Date.now())): Enr {
  const ip = announcedIp(host, o.announceIp);
  const tcp = o.tcpPort ?? udp;
  return encodeEnr(
    {
      seq,
      ...(isIP(ip) === 6 ? { ip6: ip, udp6: udp, tcp6: tcp } : { ip, udp, tcp }),
      ...(o.eth ? { eth: o.eth } : {}),
      ...(o.enrExtra ? { extra: o.enrExtra } : {}),
    },
    o.privateKey,
  );
}

/** The endpoint a record announces (IPv4 first): what a v4 PING says it is from. */
export function recordEndpoint(enr: Enr): Endpoint & { ip: string } {
  if (enr.ip !== undefined) return { ip: enr.ip, udp: enr.udp ?? 0, tcp: enr.tcp ?? 0 };
  return { ip: enr.ip6 ?? '', udp: enr.udp6 ?? enr.udp ?? 0, tcp: enr.tcp6 ?? enr.tcp ?? 0 };
}

export class LocalRecord {
  #options: SelfRecordOptions;
  readonly #host: string;
  readonly #udp: number;
  #enr: Enr;

  /** Signs the first record for a socket bound at host:udp. */
  constructor(options: SelfRecordOptions, host: string, udp: number) {
    this.#options = { ...options };
    this.#host = host;
    this.#udp = udp;
    this.#enr = selfRecord(this.#options, host, udp);
  }

  get enr(): Enr {
    return this.#enr;
  }

  /** Change entries and sign again with a higher seq (the time, or one more if the clock lags). */
  update(changes: RecordChanges): Enr {
    const next = { ...this.#options, ...changes };
    const now = BigInt(Date.now());
    const seq = now > this.#enr.seq ? now : this.#enr.seq + 1n;
    this.#enr = selfRecord(next, this.#host, this.#udp, seq);
    this.#options = next;
    return this.#enr;
  }
}
