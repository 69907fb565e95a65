/**
 * Capability negotiation: match on name and version, keep the highest shared version of
 * each name, and give the survivors consecutive code ranges from 0x10 in alphabetical order.
 */
import { BASE_PROTOCOL_LENGTH } from './p2p.js';

export interface Capability {
  name: string;
  version: number;
}

/** A protocol we run: a capability plus how many message codes it uses. */
export interface ProtocolSpec extends Capability {
  length: number;
}

export interface MatchedProtocol extends ProtocolSpec {
  /** First wire code of this protocol's range. */
  offset: number;
}

export function validateProtocolSpec(p: ProtocolSpec): void {
  if (typeof p.name !== 'string' || p.name.length === 0 || p.name.length > 8) {
    throw new RangeError(`protocol name must be 1-8 characters, got ${JSON.stringify(p.name)}`);
  }
  if (!Number.isInteger(p.version) || p.version < 0) throw new RangeError(`protocol ${p.name}: bad version ${p.version}`);
  if (!Number.isInteger(p.length) || p.length < 1) throw new RangeError(`protocol ${p.name}: length must be >= 1`);
}

/** Which of our protocols run with a remote that advertised `remote`, and at which offsets. */
export function matchProtocols(local: readonly ProtocolSpec[], remote: readonly Capability[]): MatchedProtocol[] {
  const best = new Map<string, ProtocolSpec>();
  for (const p of local) {
    if (!remote.some((c) => c.name === p.name && c.version === p.version)) continue;
    const current = best.get(p.name);
    if (!current || p.version > current.version) best.set(p.name, p);
  }
  const names = [...best.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let offset = BASE_PROTOCOL_LENGTH;
  return names.map((name) => {
    const p = best.get(name)!;
    const m = { name: p.name, version: p.version, length: p.length, offset };
    offset += p.length;
    return m;
  });
}
