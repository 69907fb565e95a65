/**
 * enode URLs: enode://<128 hex chars of public key>@<host>:<tcp port>[?discport=<udp port>].
 */
import { isIP } from 'node:net';
import { bytesToHex, hexToBytes } from '../crypto/bytes.js';
import { isValidPublicKey } from '../crypto/secp256k1.js';

export interface Enode {
  /** 64-byte public key. */
  id: Uint8Array;
  host: string;
  port: number;
  discport?: number;
}

export class EnodeError extends TypeError {
  override name = 'EnodeError';
}

function port(value: string, what: string): number {
  if (!/^\d{1,5}$/.test(value)) throw new EnodeError(`enode: ${what} "${value}" is not a port number`);
  const n = Number(value);
  if (n > 65535) throw new EnodeError(`enode: ${what} ${n} is above 65535`);
  return n;
}

export function parseEnode(url: string): Enode {
  if (typeof url !== 'string') throw new EnodeError('enode: expected a string');
  const m = /^enode:\/\/([^@]*)@(.+)$/.exec(url.trim());
  if (!m) throw new EnodeError('enode: expected enode://<node id>@<host>:<port>');
  const [, idHex, rest] = m as unknown as [string, string, string];
  const bad = /[^0-9a-fA-F]/.exec(idHex);
  if (bad) throw new EnodeError(`enode: node id has a non-hex character ${JSON.stringify(bad[0])} at position ${bad.index + 1}`);
  if (idHex.length !== 128) throw new EnodeError(`enode: node id must be 128 hex characters, got ${idHex.length}`);
  const id = hexToBytes(idHex);
  if (!isValidPublicKey(id)) throw new EnodeError('enode: node id is not a point on secp256k1');

  let hostPort = rest;
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    hostPort = rest.slice(0, q);
    query = rest.slice(q + 1);
  }
  let host: string;
  let portText: string;
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(hostPort);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
    if (isIP(host) !== 6) throw new EnodeError(`enode: "${host}" is not an IPv6 address`);
  } else {
    const c = hostPort.lastIndexOf(':');
    if (c < 0) throw new EnodeError('enode: missing :port');
    host = hostPort.slice(0, c);
    portText = hostPort.slice(c + 1);
    if (host.length === 0) throw new EnodeError('enode: missing host');
    if (host.includes(':')) throw new EnodeError('enode: IPv6 hosts must be in brackets');
    if (!isIP(host) && !/^[A-Za-z0-9.-]+$/.test(host)) throw new EnodeError(`enode: "${host}" is not a host name or IP`);
  }
  const out: Enode = { id, host, port: port(portText, 'port') };
  if (query) {
    const params = new URLSearchParams(query);
    const disc = params.get('discport');
    if (disc !== null) out.discport = port(disc, 'discport');
  }
  return out;
}

export function formatEnode(e: Enode): string {
  const host = isIP(e.host) === 6 ? `[${e.host}]` : e.host;
  const disc = e.discport !== undefined && e.discport !== e.port ? `?discport=${e.discport}` : '';
  return `enode://${bytesToHex(e.id)}@${host}:${e.port}${disc}`;
}
