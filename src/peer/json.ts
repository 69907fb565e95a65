/**
 * A Hello and a CloseInfo as JSON, exactly as the CLI prints them (`rlpx ping --json`'s
 * `remote` and `disconnect`): byte fields as hex, reasons with their names.
 */
import { bytesToHex } from '../crypto/bytes.js';
import type { Initiator } from '../errors.js';
import { reasonName } from '../reasons.js';
import type { Hello } from './hello.js';
import type { CloseInfo } from './peer.js';

export interface HelloJson {
  /** The node's 64-byte public key, 128 hex characters without 0x, as in enode URLs. */
  id: string;
  clientId: string;
  /** The base protocol version (5). */
  version: number;
  /** Capabilities as `name/version`, as sent. */
  caps: string[];
}

export interface CloseJson {
  reason: number;
  /** The reason's name, as geth prints it ("client quitting"). */
  name: string;
  by: Initiator;
}

/** `JSON.stringify(helloJson(peer.remoteHello))` prints what `rlpx ping --json` prints as `remote`. */
export function helloJson(hello: Hello): HelloJson {
  return {
    id: bytesToHex(hello.nodeId),
    clientId: hello.clientId,
    version: hello.version,
    caps: hello.capabilities.map((c) => `${c.name}/${c.version}`),
  };
}

/** `JSON.stringify(closeJson(await peer.closed))` prints what `rlpx ping --json` prints as `disconnect`. */
export function closeJson(info: Pick<CloseInfo, 'reason' | 'initiator'>): CloseJson {
  return { reason: info.reason, name: reasonName(info.reason), by: info.initiator };
}
