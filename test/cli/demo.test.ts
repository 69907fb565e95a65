/** `rlpx demo` (what `npm start` runs) as a user runs it: two hubs, three nodes, one goes mute. */
import { describe, expect, it } from 'vitest';
import { cliSuite, expectExit } from '../helpers/cli-suite.js';

const { cli } = cliSuite();

describe('rlpx demo', () => {
  it('the L7 hub closes mallory with 0x0b; the geth-mode hub keeps it', async () => {
    const r = await cli.run(['demo', '--duration', '4000', '--mute-at', '500'], { timeout: 15_000 });
    expectExit(r, 0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('"mallory" stops answering Pings at t=0.5s');
    const summary = r.stdout.slice(r.stdout.indexOf('\nsummary:'));
    expect(summary).toMatch(/^\s+hub-l7\s+mallory\s+closed read timeout 0x0b/m);
    expect(summary).toMatch(/^\s+hub-geth\s+mallory\s+connected/m);
    expect(summary).toMatch(/^\s+hub-l7\s+alice\s+connected, healthy/m);
    expect(r.stdout).toMatch(/hub-l7 closed mallory: read timeout \(0x0b\)/);
    expect(r.stdout).toContain('L7: the pong deadline caught mallory (closed read timeout 0x0b).');
    expect(r.stdout).toContain('L4: the geth-mode hub keeps mallory');
  });
});
