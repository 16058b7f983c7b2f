import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // examples/: the README's runnable snippets, run as shown
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
