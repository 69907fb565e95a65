/**
 * One UDP socket that several discovery protocols can share, as geth runs discv4 and discv5 on
 * one port. Each datagram is offered to the handlers in the order they were added; the first
 * one that claims it (returns true) gets it. discv4 claims a datagram by its frame hash
 * (keccak256 of everything after the first 32 bytes), which a discv5 packet passes only by
 * chance (2^-256), so discv4 goes first and anything it refuses falls through to the next
 * handler (discv5's masked header). Datagrams nobody claims are counted and dropped.
 *
 * Reads are capped at 1280 bytes of interest: longer datagrams are offered whole, and each
 * protocol refuses what is over its own limit.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { abortable } from '../abort.js';
import { asBuffer } from '../crypto/bytes.js';

/** The sender of a datagram: IP (IPv4-mapped IPv6 folded to IPv4) and port. */
export interface UdpSource {
  ip: string;
  port: number;
}

/** Returns true when it took the datagram (whatever it then did with it). Must not throw. */
export type DatagramHandler = (data: Uint8Array, from: UdpSource) => boolean;

export interface UdpPortOptions {
  /** Bind address; '0.0.0.0' by default. Bind the address you announce (replies leave from it). */
  host?: string;
  /** 0 for any free port. */
  port?: number;
  signal?: AbortSignal;
}

export class UdpPort {
  readonly #socket: Socket;
  readonly #handlers: DatagramHandler[] = [];
  #closed = false;
  /** Datagrams no handler claimed, and handler exceptions (both dropped). */
  unclaimed = 0;
  handlerErrors = 0;
  /** Send failures (the socket reports them asynchronously; a datagram is best effort). */
  sendErrors = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => this.#dispatch(msg, rinfo));
    // ICMP errors and the like on a UDP socket must not crash the process.
    socket.on('error', () => this.sendErrors++);
  }

  static async bind(options: UdpPortOptions = {}): Promise<UdpPort> {
    const host = options.host ?? '0.0.0.0';
    const socket = createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4', reuseAddr: false });
    const bound = new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port ?? 0, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    await abortable(bound, options.signal, () => socket.close());
    return new UdpPort(socket);
  }

  get address(): { host: string; port: number } {
    const a = this.#socket.address();
    return { host: a.address, port: a.port };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Add a protocol. Returns a function that removes it. */
  addHandler(handler: DatagramHandler): () => void {
    this.#handlers.push(handler);
    return () => {
      const i = this.#handlers.indexOf(handler);
      if (i >= 0) this.#handlers.splice(i, 1);
    };
  }

  send(data: Uint8Array, to: UdpSource): void {
    if (this.#closed) return;
    this.#socket.send(asBuffer(data), to.port, to.ip, (err) => {
      if (err) this.sendErrors++;
    });
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  #dispatch(msg: Buffer, rinfo: RemoteInfo): void {
    const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.length);
    const from = { ip: rinfo.address.startsWith('::ffff:') && isIP(rinfo.address.slice(7)) === 4 ? rinfo.address.slice(7) : rinfo.address, port: rinfo.port };
    for (const h of this.#handlers) {
      try {
        if (h(data, from)) return;
      } catch {
        this.handlerErrors++;
        return;
      }
    }
    this.unclaimed++;
  }
}
