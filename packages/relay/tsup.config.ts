import { defineConfig } from 'tsup';
import { libraryOptions } from '../../tsup.shared.js';

// The library entry (the shared ESM build with its require() wrapper and
// .d.ts/.d.cts) and the CLI (ESM, with a shebang).
const external = ['commander', 'pino'];
export default defineConfig([
  libraryOptions(['src/index.ts'], external),
  {
    entry: ['src/cli.ts'],
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    external: [/^@netlayers\//, ...external],
  },
]);
