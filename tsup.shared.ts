// The build every library package shares: ESM + CJS + .d.ts for the root entry
// and the `./testing` subpath; sibling packages and fast-check stay external.
import { defineConfig } from 'tsup';

export const libraryConfig = defineConfig({
  entry: ['src/index.ts', 'src/testing/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: true,
  external: [/^@netlayers\//, 'fast-check'],
});
