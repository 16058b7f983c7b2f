import { defineConfig } from 'vitest/config';

// `npm run test:browser`: the dashboard in headless Chromium against the bundle (kept out of `npm test`, which
// must not need a browser).
export default defineConfig({
  test: {
    include: ['test/browser/**/*.browser.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
