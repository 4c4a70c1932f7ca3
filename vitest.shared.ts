// Shared vitest settings: workspace packages resolve to their TypeScript sources
// (the `@netlayers/source` export condition), so tests never run stale builds.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@netlayers/source'] },
  ssr: { resolve: { conditions: ['@netlayers/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
