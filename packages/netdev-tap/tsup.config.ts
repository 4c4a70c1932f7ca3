import { defineConfig } from 'tsup';
import { libraryOptions } from '../../tsup.shared.js';

// The shared library build plus the CLI entry (bin/netlayers-tap.mjs imports dist/cli.js).
export default defineConfig(libraryOptions(['src/index.ts', 'src/testing/index.ts', 'src/cli.ts']));
