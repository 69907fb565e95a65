import { defineConfig } from 'vitest/config';

const shared = { testTimeout: 20_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'default', include: ['test/**/*.test.ts'] } },
      // The crypto and codec tests run a second time on the @noble fallback backends.
      {
        test: {
          ...shared,
          name: 'noble',
          include: ['test/vectors.test.ts', 'test/crypto.test.ts', 'test/handshake.test.ts', 'test/frame.test.ts'],
          env: { RLPX_CRYPTO: 'noble' },
        },
      },
    ],
  },
});
