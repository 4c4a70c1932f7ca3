import { defineConfig } from 'tsup';

// The library entry (ESM + CJS + .d.ts) and the CLI (ESM, with a shebang).
export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    splitting: true,
    external: [/^@netlayers\//, 'commander', 'pino'],
  },
  {
    entry: ['src/cli.ts'],
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    external: [/^@netlayers\//, 'commander', 'pino'],
  },
]);
