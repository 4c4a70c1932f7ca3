// The packaging tests: packed tarballs in a fresh consumer project, and the
// release scripts. They use the built dist/ (run `npm run build` first).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['scripts/release/**/*.test.ts'],
    root: new URL('../..', import.meta.url).pathname,
    testTimeout: 120_000,
    hookTimeout: 240_000,
    pool: 'forks',
  },
});
