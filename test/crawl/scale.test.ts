/**
 * Scale: a crawl of 1,000 listeners in four other processes completes with every node
 * reachable, each dialed once. (bench/crawl.ts measures 1,000 and 5,000 with their RSS.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crawl } from '../../src/crawl/crawl.js';
import { CrawlSummary } from '../../src/crawl/summary.js';
import { startListenerFarm, type ListenerFarm } from '../helpers/listener-farm.js';

const NODES = 1_000;
let farm: ListenerFarm;
beforeAll(async () => {
  farm = await startListenerFarm(NODES, 4);
}, 60_000);
afterAll(() => farm?.close());

describe('crawl at scale', () => {
  it(`crawls ${NODES} listeners in 4 processes with no failures`, async () => {
    expect(farm.enodes).toHaveLength(NODES);
    const summary = new CrawlSummary();
    const ids = new Set<string>();
    const t0 = performance.now();
    for await (const r of crawl(farm.enodes, { rate: 0, timeout: 15_000 })) {
      summary.add(r);
      ids.add(r.id);
      if (r.outcome !== 'reachable' || r.error) throw new Error(`node failed: ${JSON.stringify(r)}`);
    }
    const secs = (performance.now() - t0) / 1000;
    const s = summary.toJSON();
    expect(s).toMatchObject({ nodes: NODES, reachable: NODES, full: 0, failed: 0, errors: {} });
    expect(ids.size).toBe(NODES);
    expect(Object.values(s.versions).reduce((a, b) => a + b, 0)).toBe(NODES);
    expect(s.clients).toEqual({ Farm: NODES });
    const stats = await farm.stats();
    // Each node saw exactly one peer: us, once.
    expect(stats.reduce((a, x) => a + x.accepted, 0)).toBe(NODES);
    expect(stats.reduce((a, x) => a + x.rejected, 0)).toBe(0);
    console.log(`crawl scale: ${NODES} nodes in ${secs.toFixed(2)} s (${(NODES / secs).toFixed(0)} nodes/s)`);
  }, 60_000);
});
