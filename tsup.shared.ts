// The build every library package shares. One instance for ESM and CJS users:
// the JavaScript is the ESM build only; each entry's `.cjs` is a one-line
// `require()` of that ESM file (Node >= 20.19 loads ES modules with require),
// and `.d.cts` declarations sit beside it for CommonJS TypeScript users.
// Sibling packages and fast-check stay external. Source maps carry relative
// paths only (checked after every build).
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, isAbsolute, join, relative } from 'node:path';
import { defineConfig, type Options } from 'tsup';

const OUT_DIR = 'dist';

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** dist/…/x.cjs for src/…/x.ts */
function cjsOutput(entry: string): string {
  return join(OUT_DIR, relative('src', entry)).replace(/\.ts$/, '.cjs');
}

/**
 * Replace esbuild's CommonJS output by `require()` wrappers of the ESM build
 * (so both resolve to the same module instance), drop CJS chunks and their
 * maps, and make every source map path relative.
 */
export function finishDualBuild(entries: readonly string[]): void {
  const wrappers = new Set(entries.map(cjsOutput));
  for (const file of walk(OUT_DIR)) {
    if (wrappers.has(file)) {
      const esm = `./${basename(file).replace(/\.cjs$/, '.js')}`;
      writeFileSync(file, `'use strict';\n// The ESM build, loaded with require(esm): one instance for import and require.\nmodule.exports = require('${esm}');\n`);
    } else if (/\.cjs(\.map)?$/.test(file)) {
      rmSync(file);
    } else if (file.endsWith('.js.map')) {
      const map = JSON.parse(readFileSync(file, 'utf8')) as { sources: string[]; sourceRoot?: string };
      if (map.sources.some((s) => isAbsolute(s)) || map.sourceRoot !== undefined) {
        const dir = join(file, '..');
        map.sources = map.sources.map((s) => (isAbsolute(s) ? relative(dir, s) : s));
        delete map.sourceRoot;
        writeFileSync(file, JSON.stringify(map));
      }
    }
  }
  for (const file of walk(OUT_DIR)) {
    if (file.endsWith('.map') && readFileSync(file, 'utf8').includes(process.cwd())) {
      throw new Error(`${file} embeds the absolute build path ${process.cwd()}`);
    }
  }
}

/** Build options for a library: `entry` (default: root and `./testing`), plus extra externals. */
export function libraryOptions(
  entry: readonly string[] = ['src/index.ts', 'src/testing/index.ts'],
  external: readonly (string | RegExp)[] = [],
): Options {
  return {
    entry: [...entry],
    outDir: OUT_DIR,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    splitting: true,
    external: [/^@netlayers\//, 'fast-check', ...external],
    onSuccess: async () => finishDualBuild(entry),
  };
}

export const libraryConfig = defineConfig(libraryOptions());
