/**
 * Each command's options, declared once: parseArgs reads them, --help prints them with their
 * defaults, and the README lists the same (test/cli/help.test.ts compares the two).
 */
import type { ParseArgsConfig } from 'node:util';

export interface OptionDoc {
  type: 'string' | 'boolean';
  /** The argument's placeholder in help (MS, FILE, ...); string options only. */
  arg?: string;
  /** The default as help prints it; none for flags that are off unless given. */
  default?: string;
  /** May be given more than once. */
  multiple?: boolean;
  help: string;
}

export type OptionDocs = Record<string, OptionDoc>;

export const HELP_OPTION: OptionDocs = { help: { type: 'boolean', help: 'print this help and exit' } };

export const KEY_DOCS: OptionDocs = {
  key: { type: 'string', arg: 'HEX', default: 'a new key each run', help: 'our private key, 32 bytes hex' },
  'key-file': { type: 'string', arg: 'FILE', help: 'read the private key (hex) from FILE, e.g. a key a node lists as trusted' },
};

export const CHAIN_DOCS: OptionDocs = {
  chain: { type: 'string', arg: 'NAME', help: 'check the eth Status against a known chain (mainnet, sepolia, holesky, hoodi)' },
  genesis: { type: 'string', arg: 'FILE', help: 'check the eth Status against the chain of a genesis.json' },
  'network-id': { type: 'string', arg: 'N', help: 'with --chain or --genesis: the network id, if not the chain id' },
};

/** The parseArgs options of a command's docs (no parseArgs defaults: commands apply their own). */
export function argsOf(docs: OptionDocs): NonNullable<ParseArgsConfig['options']> {
  const out: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, d] of Object.entries(docs)) {
    out[name] = name === 'help' ? { type: 'boolean', short: 'h' } : d.multiple ? { type: d.type, multiple: true } : { type: d.type };
  }
  return out;
}

/** `usage` line, a summary, then one line per option with its default. */
export function helpText(usage: string, summary: string, docs: OptionDocs): string {
  const left = (name: string, d: OptionDoc): string => `--${name}${d.type === 'string' ? ` ${d.arg ?? 'VALUE'}` : ''}`;
  const width = Math.max(...Object.entries(docs).map(([n, d]) => left(n, d).length)) + 2;
  const lines = Object.entries(docs).map(([n, d]) => `  ${left(n, d).padEnd(width)}${d.help}${d.default !== undefined ? ` (default: ${d.default})` : ''}`);
  return `${usage}\n\n${summary}\n\noptions:\n${lines.join('\n')}`;
}
