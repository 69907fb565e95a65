import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // The crypto vectors run a second time on the @noble fallback backends.
    projects: [
      { extends: true, test: { name: 'default' } },
      {
        extends: true,
        test: { name: 'noble', include: ['test/vectors.test.ts', 'test/crypto.test.ts'], env: { RLPX_CRYPTO: 'noble' } },
      },
    ],
  },
});
