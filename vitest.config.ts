import { defineConfig } from 'vitest/config';

const shared = { testTimeout: 20_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    // CI also writes a JSON report, from which .ci/run prints one plain summary line; each run
    // under another Node (scripts/test-node-versions.sh) names its own file.
    reporters: process.env['CI'] || process.env['RLPX_TEST_RESULTS'] ? ['default', ['json', { outputFile: process.env['RLPX_TEST_RESULTS'] || '.test-results.json' }]] : ['default'],
    projects: [
      { test: { ...shared, name: 'default', include: ['test/**/*.test.ts'], env: { RLPX_FUZZ_BUDGET_MS: '250' } } },
      // The crypto and codec tests run a second time on the @noble fallback backends.
      {
        test: {
          ...shared,
          name: 'noble',
          include: ['test/crypto/**/*.test.ts', 'test/wire/{handshake,handshake-vectors,frame,frame-ownership,message,snappy}.test.ts', 'test/discovery/{enr,dns-entry}.test.ts'],
          env: { RLPX_CRYPTO: 'noble', RLPX_FUZZ_BUDGET_MS: '250' },
        },
      },
    ],
  },
});
