import { defineConfig } from 'vitest/config';

const shared = { testTimeout: 20_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    // CI also writes a JSON report, from which .ci/run prints one plain summary line.
    reporters: process.env['CI'] ? ['default', ['json', { outputFile: '.test-results.json' }]] : ['default'],
    projects: [
      { test: { ...shared, name: 'default', include: ['test/**/*.test.ts'] } },
      // The crypto and codec tests run a second time on the @noble fallback backends.
      {
        test: {
          ...shared,
          name: 'noble',
          include: ['test/crypto/**/*.test.ts', 'test/wire/{handshake,handshake-vectors,frame,frame-ownership,message,snappy}.test.ts', 'test/discovery/{enr,dns-entry}.test.ts'],
          env: { RLPX_CRYPTO: 'noble' },
        },
      },
    ],
  },
});
