#!/usr/bin/env node
// Pack every published package the way `npm publish` would (prepack strips
// the source condition), without touching the working tree: each package is
// copied to a staging directory that mirrors the repository layout, and
// `npm pack` runs there. Needs a build (`npm run build`) first.
//   node scripts/release/pack.mjs <out-dir>   → prints the tarball paths
import { cpSync, mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { basename, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { ROOT, publishedPackages } from './packages.mjs';

const SKIP = new Set(['node_modules', '.turbo', 'bench-results', 'coverage']);

/** Pack every published package into `outDir`; returns [{ name, short, tarball }]. */
export function packAll(outDir) {
  mkdirSync(outDir, { recursive: true });
  const stage = mkdtempSync(join(tmpdir(), 'netlayers-stage-'));
  try {
    cpSync(join(ROOT, 'scripts', 'release'), join(stage, 'scripts', 'release'), { recursive: true });
    return publishedPackages().map(({ dir, name, short }) => {
      if (!existsSync(join(dir, 'dist'))) throw new Error(`${name}: no dist/ (run npm run build first)`);
      const to = join(stage, 'packages', short);
      cpSync(dir, to, { recursive: true, filter: (src) => !SKIP.has(basename(src)) });
      const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', resolve(outDir)], {
        cwd: to,
        encoding: 'utf8',
        env: { ...process.env, npm_config_workspaces: 'false' },
      });
      const file = out.trim().split('\n').pop();
      return { name, short, tarball: join(resolve(outDir), file) };
    });
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const p of packAll(process.argv[2] ?? 'packed')) console.log(p.tarball);
}
