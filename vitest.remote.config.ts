import { defineConfig } from 'vitest/config';

// `npm run test:remote` (RELAY_URL=wss://…): the suite in test/remote against a deployed peer; not part of `npm test`.
export default defineConfig({
  test: {
    include: ['test/remote/**/*.remote.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    fileParallelism: false,
  },
});
