/**
 * A real authoritative DNS server on 127.0.0.1 for tests: TXT records from a map, over UDP and
 * TCP (dns-packet for the wire format). Like a real server it sets the TC bit on a UDP answer
 * that does not fit the client's advertised size (512 bytes without EDNS), so c-ares retries
 * over TCP, and it answers NXDOMAIN for unknown names.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import * as packet from 'dns-packet';

/** A TXT record: one string (split into 255-byte character-strings) or its strings as given. */
export type TxtRecord = string | string[];

export interface DnsServer {
  /** "127.0.0.1:PORT", for Resolver.setServers. */
  readonly address: string;
  readonly port: number;
  /** Name (any case, no trailing dot) → its TXT records. Changes apply to the next query. */
  readonly zone: Map<string, TxtRecord[]>;
  /** Names that get no answer at all, so the client times out. */
  readonly silent: Set<string>;
  /** Queries answered so far, by transport. */
  readonly queries: { udp: number; tcp: number };
  close(): Promise<void>;
}

const UDP_DEFAULT_SIZE = 512;
const NXDOMAIN = 3;
const SERVFAIL = 2;

function chunks(record: TxtRecord): string[] {
  if (Array.isArray(record)) return record;
  const out: string[] = [];
  for (let i = 0; i < record.length; i += 255) out.push(record.slice(i, i + 255));
  return out.length ? out : [''];
}

function answer(query: packet.DecodedPacket, zone: Map<string, TxtRecord[]>): packet.Packet {
  const q = query.questions?.[0];
  const base = { id: query.id ?? 0, type: 'response' as const, questions: query.questions ?? [] };
  if (!q) return { ...base, flags: SERVFAIL };
  const records = zone.get(q.name.toLowerCase().replace(/\.$/, ''));
  if (!records) return { ...base, flags: packet.AUTHORITATIVE_ANSWER | NXDOMAIN };
  const answers: packet.Answer[] =
    q.type === 'TXT' ? records.map((r) => ({ type: 'TXT', name: q.name, ttl: 60, class: 'IN', data: chunks(r) })) : [];
  return { ...base, flags: packet.AUTHORITATIVE_ANSWER, answers };
}

/** The UDP payload size the client advertised in an EDNS OPT record, else 512. */
function udpLimit(query: packet.DecodedPacket): number {
  const opt = query.additionals?.find((a) => a.type === 'OPT') as packet.OptAnswer | undefined;
  return Math.max(UDP_DEFAULT_SIZE, opt?.udpPayloadSize ?? UDP_DEFAULT_SIZE);
}

function serveTcp(socket: Socket, server: DnsServer): void {
  let buffered = Buffer.alloc(0);
  socket.on('error', () => socket.destroy());
  socket.on('data', (data) => {
    buffered = Buffer.concat([buffered, data]);
    while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
      const size = buffered.readUInt16BE(0);
      const message = buffered.subarray(2, 2 + size);
      buffered = buffered.subarray(2 + size);
      let query: packet.DecodedPacket;
      try {
        query = packet.decode(message);
      } catch {
        socket.destroy();
        return;
      }
      if (server.silent.has(query.questions?.[0]?.name.toLowerCase() ?? '')) continue;
      server.queries.tcp++;
      socket.write(packet.streamEncode(answer(query, server.zone)));
    }
  });
}

/** A UDP socket and a TCP listener on one free port: c-ares retries a truncated answer over TCP there. */
async function bindPair(onTcp: (socket: Socket) => void): Promise<{ udp: UdpSocket; tcp: Server; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, '127.0.0.1', () => resolve());
    });
    const port = (udp.address() as AddressInfo).port;
    const tcp = createServer(onTcp);
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, '127.0.0.1', () => resolve());
      });
      return { udp, tcp, port };
    } catch (err) {
      // The UDP port was free, but some other process holds it for TCP: try another.
      udp.close();
      if ((err as { code?: string }).code !== 'EADDRINUSE' || attempt >= 20) throw err;
    }
  }
}

export async function startDnsServer(zone: Map<string, TxtRecord[]> = new Map()): Promise<DnsServer> {
  const tcpSockets = new Set<Socket>();
  const { udp, tcp, port } = await bindPair((socket) => {
    tcpSockets.add(socket);
    socket.on('close', () => tcpSockets.delete(socket));
    serveTcp(socket, server);
  });

  const server: DnsServer = {
    address: `127.0.0.1:${port}`,
    port,
    zone,
    silent: new Set(),
    queries: { udp: 0, tcp: 0 },
    close: async () => {
      for (const s of tcpSockets) s.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };

  udp.on('message', (message: Buffer, from: RemoteInfo) => {
    let query: packet.DecodedPacket;
    try {
      query = packet.decode(message);
    } catch {
      return; // not DNS: a real server drops it too
    }
    if (server.silent.has(query.questions?.[0]?.name.toLowerCase() ?? '')) return;
    server.queries.udp++;
    let reply = packet.encode(answer(query, server.zone));
    if (reply.length > udpLimit(query)) {
      const { answers: _dropped, ...header } = answer(query, server.zone);
      reply = packet.encode({ ...header, flags: (header.flags ?? 0) | packet.TRUNCATED_RESPONSE });
    }
    udp.send(reply, from.port, from.address);
  });
  return server;
}
