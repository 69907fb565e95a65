/**
 * Shared checks of a crawl's NodeResult: the fields every result has, from its target, so
 * that each test spells out only what depends on the node.
 */
import { expect } from 'vitest';
import { bytesToHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { CRAWL_SCHEMA_VERSION, type EnrReport, type NodeResult } from '../../src/crawl/result.js';
import { parseEnode } from '../../src/peer/enode.js';

/** Every key of the schema, in order: a key added or renamed shows up here. */
export const RESULT_KEYS = ['schema', 'id', 'publicKey', 'enode', 'host', 'port', 'sources', 'enr', 'startedAt', 'durationMs', 'outcome', 'hello', 'eth', 'rttMs', 'disconnect', 'error'];

/** The target's fields, the timing fields, and nothing else in the object. */
export function expectTargetFields(r: NodeResult, enode: string, opts: { sources?: string[]; enr?: EnrReport; maxMs: number; since: number }): void {
  const node = parseEnode(enode);
  expect(Object.keys(r)).toEqual(RESULT_KEYS);
  expect(r.schema).toBe(CRAWL_SCHEMA_VERSION);
  expect(r.publicKey).toBe(bytesToHex(node.id));
  expect(r.id).toBe(bytesToHex(keccak256(node.id)));
  expect(r.enode).toBe(enode);
  expect(r.host).toBe(node.host);
  expect(r.port).toBe(node.port);
  if (opts.sources) expect(r.sources).toEqual(opts.sources);
  expect(r.enr).toEqual(opts.enr ?? null);
  const started = Date.parse(r.startedAt);
  expect(r.startedAt).toBe(new Date(started).toISOString());
  expect(started).toBeGreaterThanOrEqual(opts.since - 5);
  expect(started).toBeLessThanOrEqual(Date.now());
  expect(r.durationMs).toBeGreaterThan(0);
  expect(r.durationMs).toBeLessThan(opts.maxMs);
  // The JSON line is the object: nothing is lost or renamed on the way out.
  expect(JSON.parse(JSON.stringify(r))).toEqual(r);
}

export function byEnode(results: NodeResult[]): Map<string, NodeResult> {
  return new Map(results.map((r) => [r.enode, r]));
}
