/**
 * Probe modules, as blackbox_exporter has them: named settings chosen per scrape with
 * `&module=NAME`. A YAML (or JSON, which is YAML) file may define them; without one the
 * built-in `default` and `eth` modules are there. One defaults object, one verify function.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Chain } from '../eth/chain.js';
import { UsageError, loadChain, loadKey } from './common.js';
import type { HealthMode } from '../peer/health.js';

/** A module as written in the file, every field optional (snake_case, as blackbox's). */
export interface ModuleSpec {
  /** Upper bound of the whole probe, ms; the scrape's own timeout wins when smaller. */
  timeout_ms: number;
  pings: { count: number; interval_ms: number };
  /** 'l7': every Ping must get its Pong; 'geth': a session that stays up is enough (geth's view). */
  health: HealthMode;
  eth: {
    /** Require the eth Status (and so eth): without it the probe fails. */
    require: boolean;
    /** With require: ask for the header of the latest block the Status names; fail unless it comes (default true). */
    serves: boolean;
    /** Check the Status against a chain: a name (mainnet, sepolia, ...) or a genesis.json. */
    chain?: string;
    genesis?: string;
    network_id?: number;
  };
  /** A private key (hex) for the probe, so a node can list it as a trusted peer. */
  key_file?: string;
  /** A node that completes the handshake and says "too many peers" (0x04) counts as success. */
  full_ok: boolean;
}

export const MODULE_DEFAULTS: Readonly<ModuleSpec> = Object.freeze({
  timeout_ms: 5_000,
  // Short gaps: a scrape should be quick, and three Pings still show loss and jitter.
  pings: Object.freeze({ count: 3, interval_ms: 10 }),
  health: 'l7',
  eth: Object.freeze({ require: false, serves: true }),
  full_ok: false,
});

/** The built-in modules: what a file's absence means. */
export const BUILTIN_MODULES: Readonly<Record<string, unknown>> = Object.freeze({
  default: {},
  eth: { eth: { require: true } },
});

/** A module ready to probe with: its spec, its key and its chain. */
export interface ProbeModule {
  name: string;
  spec: ModuleSpec;
  /**
   * The key of the module's key_file, or the exporter's --key; undefined: a new key per probe.
   * Probes that share a key must not overlap on one node: geth refuses the second with 0x05.
   */
  privateKey: Uint8Array | undefined;
  chain: Chain | undefined;
}

export class ConfigError extends UsageError {
  override name = 'ConfigError';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function only(where: string, o: Record<string, unknown>, keys: readonly string[]): void {
  const bad = Object.keys(o).filter((k) => !keys.includes(k));
  if (bad.length > 0) throw new ConfigError(`${where}: unknown key${bad.length > 1 ? 's' : ''} ${bad.join(', ')}; known: ${keys.join(', ')}`);
}

function int(where: string, v: unknown, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ConfigError(`${where} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

function bool(where: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new ConfigError(`${where} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function str(where: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new ConfigError(`${where} must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

/** The one check of a module: unknown keys and bad values are refused, the rest defaulted. */
export function verifyModule(name: string, raw: unknown): ModuleSpec {
  const at = `module ${name}`;
  const m = raw ?? {};
  if (!isObject(m)) throw new ConfigError(`${at} must be a mapping`);
  only(at, m, ['timeout_ms', 'pings', 'health', 'eth', 'key_file', 'full_ok']);
  const d = MODULE_DEFAULTS;
  const pings = m['pings'] ?? {};
  if (!isObject(pings)) throw new ConfigError(`${at}.pings must be a mapping`);
  only(`${at}.pings`, pings, ['count', 'interval_ms']);
  const eth = m['eth'] ?? {};
  if (!isObject(eth)) throw new ConfigError(`${at}.eth must be a mapping`);
  only(`${at}.eth`, eth, ['require', 'serves', 'chain', 'genesis', 'network_id']);
  const health = m['health'] ?? d.health;
  if (health !== 'l7' && health !== 'geth') throw new ConfigError(`${at}.health must be l7 or geth, got ${JSON.stringify(health)}`);
  const spec: ModuleSpec = {
    timeout_ms: int(`${at}.timeout_ms`, m['timeout_ms'], d.timeout_ms, 1),
    pings: { count: int(`${at}.pings.count`, pings['count'], d.pings.count, 1), interval_ms: int(`${at}.pings.interval_ms`, pings['interval_ms'], d.pings.interval_ms, 0) },
    health,
    eth: { require: bool(`${at}.eth.require`, eth['require'], d.eth.require), serves: bool(`${at}.eth.serves`, eth['serves'], d.eth.serves) },
    full_ok: bool(`${at}.full_ok`, m['full_ok'], d.full_ok),
  };
  const chain = str(`${at}.eth.chain`, eth['chain']);
  const genesis = str(`${at}.eth.genesis`, eth['genesis']);
  if (chain !== undefined) spec.eth.chain = chain;
  if (genesis !== undefined) spec.eth.genesis = genesis;
  if (eth['network_id'] !== undefined) spec.eth.network_id = int(`${at}.eth.network_id`, eth['network_id'], 0, 0);
  const keyFile = str(`${at}.key_file`, m['key_file']);
  if (keyFile !== undefined) spec.key_file = keyFile;
  return spec;
}

/** A checked spec with its key and chain loaded; `sharedKey` serves modules without a key file. */
export function loadModule(name: string, spec: ModuleSpec, sharedKey: Uint8Array | undefined): ProbeModule {
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (err) {
      throw new ConfigError(`module ${name}: ${(err as Error).message}`);
    }
  };
  const privateKey = spec.key_file ? wrap(() => loadKey({ 'key-file': spec.key_file })) : sharedKey;
  const e = spec.eth;
  const chain = wrap(() => loadChain({ chain: e.chain, genesis: e.genesis, 'network-id': e.network_id === undefined ? undefined : String(e.network_id) }));
  return { name, spec, privateKey, chain };
}

/** Parse a config text (YAML or JSON): `modules: { NAME: {...} }`. */
export function parseModules(text: string, sharedKey: Uint8Array | undefined, where = 'config'): Map<string, ProbeModule> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${where}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isObject(doc)) throw new ConfigError(`${where}: expected a mapping with a "modules" key`);
  only(where, doc, ['modules']);
  const modules = doc['modules'];
  if (!isObject(modules) || Object.keys(modules).length === 0) throw new ConfigError(`${where}: "modules" must map at least one name to a module`);
  return new Map(Object.entries(modules).map(([name, raw]) => [name, loadModule(name, verifyModule(name, raw), sharedKey)]));
}

/** The modules of a file, or the built-in ones without a file. */
export function loadModules(file: string | undefined, sharedKey: Uint8Array | undefined): Map<string, ProbeModule> {
  if (file === undefined) return parseModules(JSON.stringify({ modules: BUILTIN_MODULES }), sharedKey, 'built-in modules');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`--config ${file}: ${(err as Error).message}`);
  }
  return parseModules(text, sharedKey, file);
}
