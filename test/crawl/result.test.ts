/**
 * The pieces of a crawl's output that need no network: CSV quoting of what a remote sends,
 * reading an earlier output for --resume, the token bucket's arithmetic, error classes and
 * the summary's counts.
 */
import { describe, expect, it } from 'vitest';
import { CRAWL_SCHEMA_VERSION, classify, CSV_COLUMNS, csvHeader, csvRow, idsInOutput, type NodeResult } from '../../src/crawl/result.js';
import { CrawlSummary } from '../../src/crawl/summary.js';
import { TokenBucket } from '../../src/crawl/token-bucket.js';
import { DisconnectedError, HandshakeError, NetworkError, ProtocolError, TimeoutError } from '../../src/errors.js';
import { StatusError } from '../../src/eth/status.js';

function node(over: Partial<NodeResult> = {}): NodeResult {
  return {
    schema: CRAWL_SCHEMA_VERSION, id: 'ab'.repeat(32), publicKey: 'cd'.repeat(64), enode: `enode://${'cd'.repeat(64)}@10.0.0.1:30303`, host: '10.0.0.1', port: 30303,
    sources: ['a.txt:1'], enr: null, startedAt: '2026-01-01T00:00:00.000Z', durationMs: 12.5, outcome: 'reachable',
    hello: { clientId: 'Geth/v1.17.5-stable/linux-amd64/go1.26.8', client: { name: 'Geth', version: '1.17.5', versionSuffix: '-stable', os: 'linux', arch: 'amd64', lang: 'go1.26.8' }, p2pVersion: 5, caps: ['eth/69', 'snap/1'], listenPort: 0 },
    eth: null, rttMs: 1.5, disconnect: { reason: 8, name: 'client quitting', by: 'local' }, error: null, ...over,
  };
}

/** A minimal RFC 4180 reader, to check that what we write reads back. */
function readCsvRow(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        if (line[i] === '"' && line[i + 1] === '"') (v += '"'), (i += 2);
        else if (line[i] === '"') break;
        else v += line[i++];
      }
      out.push(v);
      i += 2;
    } else {
      const end = line.indexOf(',', i);
      out.push(line.slice(i, end < 0 ? line.length : end));
      i = end < 0 ? line.length + 1 : end + 1;
    }
  }
  return out;
}

describe('CSV', () => {
  it('quotes a client id with commas, quotes and line breaks, and it reads back', () => {
    const hostile = 'Evil,"client"\r\nname/v1';
    const row = csvRow(node({ hello: { ...node().hello!, clientId: hostile, client: null } }));
    const cells = readCsvRow(row);
    expect(cells).toHaveLength(CSV_COLUMNS.length);
    expect(cells[CSV_COLUMNS.indexOf('client_id')]).toBe(hostile);
    expect(cells[CSV_COLUMNS.indexOf('client_name')]).toBe('');
    expect(cells[CSV_COLUMNS.indexOf('caps')]).toBe('eth/69 snap/1');
    expect(cells[0]).toBe('ab'.repeat(32));
    expect(csvHeader().split(',')).toEqual([...CSV_COLUMNS]);
  });
});

describe('--resume input', () => {
  it('takes ids from JSON lines and CSV rows, and skips cut-off lines, headers and junk', () => {
    const a = node({ id: '11'.repeat(32) });
    const b = node({ id: '22'.repeat(32) });
    const text = [JSON.stringify(a), csvHeader(), csvRow(b), JSON.stringify(node({ id: '33'.repeat(32) })).slice(0, 40), '{"id":"nothex"}', 'garbage', ''].join('\n');
    expect([...idsInOutput(text)].sort()).toEqual(['11'.repeat(32), '22'.repeat(32)]);
  });
});

describe('TokenBucket', () => {
  it('gives its burst at once, then one token per 1/rate s', () => {
    const t0 = 1_000;
    const b = new TokenBucket(10, 2, t0);
    expect(b.take(t0)).toBe(0);
    expect(b.take(t0)).toBe(0);
    expect(b.take(t0)).toBe(100);
    expect(b.take(t0 + 50)).toBe(50);
    expect(b.take(t0 + 100)).toBe(0);
    expect(b.take(t0 + 100)).toBe(100);
    // Idle for long: no more than the burst is saved.
    expect([1, 2, 3].map(() => b.take(t0 + 10_000))).toEqual([0, 0, 100]);
    expect(new TokenBucket(0).take()).toBe(0);
    expect(() => new TokenBucket(5, 0)).toThrow(RangeError);
  });
});

describe('error classes', () => {
  it('name the stage and the kind of failure', () => {
    const refused = new NetworkError('connect failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) });
    expect(classify(refused, 'tcp')).toBe('refused');
    expect(classify(new NetworkError('connect failed', { cause: Object.assign(new Error('x'), { code: 'EHOSTUNREACH' }) }), 'tcp')).toBe('unreachable');
    expect(classify(new TimeoutError('t'), 'rlpx')).toBe('timeout');
    expect(classify(new DOMException('t', 'TimeoutError'), 'tcp')).toBe('timeout');
    expect(classify(new DOMException('a', 'AbortError'), 'ping')).toBe('aborted');
    expect(classify(new HandshakeError('h'), 'rlpx')).toBe('handshake');
    expect(classify(new NetworkError('closed'), 'rlpx')).toBe('handshake');
    expect(classify(new DisconnectedError('d', 3), 'hello')).toBe('disconnected');
    expect(classify(new ProtocolError('bad hello'), 'hello')).toBe('protocol');
    expect(classify(new StatusError('rlp', 'bad'), 'eth')).toBe('status');
    expect(classify(new NetworkError('reset'), 'ping')).toBe('network');
  });
});

describe('CrawlSummary', () => {
  it('counts outcomes, errors, clients, versions, caps, networks, verdicts and the latest-block spread', () => {
    const s = new CrawlSummary();
    const eth = (latestBlock: number, networkId = 1, fork: 'compatible' | 'incompatible' = 'compatible') =>
      ({ version: 69, networkId, genesis: '0x00', forkId: { hash: '0x00000000', next: 0 }, fork, forkDetail: null, earliestBlock: 0, latestBlock, latestBlockHash: '0x00', serves: null, servesReason: null });
    s.add(node({ eth: eth(100) }));
    s.add(node({ eth: eth(300) }));
    s.add(node({ eth: eth(200) }));
    s.add(node({ eth: eth(5, 11155111, 'incompatible'), hello: { ...node().hello!, clientId: 'odd', client: null } }));
    s.add(node({ outcome: 'full', hello: null, rttMs: null }));
    s.add(node({ outcome: 'failed', hello: null, rttMs: null, error: { stage: 'tcp', class: 'refused', name: 'NetworkError', message: 'x' } }));
    s.add(node({ rttMs: null, error: { stage: 'ping', class: 'timeout', name: 'TimeoutError', message: 'x' } }));
    s.seedError('loop');
    s.undialable(2);
    const d = s.toJSON();
    expect(d).toMatchObject({ nodes: 7, reachable: 5, full: 1, failed: 1, errors: { refused: 1, 'ping/timeout': 1 }, undialable: 2, seedErrors: { loop: 1 } });
    expect(d.clients).toEqual({ Geth: 4, '(unparsed)': 1 });
    expect(d.versions).toEqual({ 'Geth/v1.17.5': 4 });
    expect(d.caps).toEqual({ 'eth/69': 5, 'snap/1': 5 });
    expect(d.networks).toEqual({ '1': 3, '11155111': 1 });
    expect(d.forks).toEqual({ compatible: 3, incompatible: 1 });
    expect(d.latestBlocks).toEqual({ '1': { nodes: 3, min: 100, median: 200, max: 300 }, '11155111': { nodes: 1, min: 5, median: 5, max: 5 } });
    expect(d.rttMs).toEqual({ min: 1.5, median: 1.5, max: 1.5 });
    const table = s.format().join('\n');
    expect(table).toMatch(/^latest +net 1: 100\.\.300 \(median 200\) +3$/m);
    expect(table).toMatch(/^errors +ping\/timeout +1$/m);
  });
});
