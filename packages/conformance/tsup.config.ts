import { defineConfig } from 'tsup';
import { libraryOptions } from '../../tsup.shared.js';

// The library (root and ./testing) plus the netlayers-packetdrill CLI (ESM, with a shebang).
export default defineConfig([
  libraryOptions(),
  {
    entry: ['src/cli.ts'],
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    external: [/^@netlayers\//],
  },
]);
