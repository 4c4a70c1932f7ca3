import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.shared.js';

// The shared library build plus the CLI entry (bin/netlayers-tap.mjs imports dist/cli.js).
export default defineConfig({
  ...(libraryConfig as object),
  entry: ['src/index.ts', 'src/testing/index.ts', 'src/cli.ts'],
});
