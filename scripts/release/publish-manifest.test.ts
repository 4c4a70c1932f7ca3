// prepack/postpack: the published manifest has no source condition, and the
// working copy comes back byte for byte, even after a strip that was not undone.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { publishManifest } from './publish-manifest.mjs';

const script = new URL('./publish-manifest.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'netlayers-manifest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pkg = {
  name: '@netlayers/x',
  scripts: { bench: 'tsx --conditions=@netlayers/source bench/index.ts' },
  exports: {
    '.': { '@netlayers/source': './src/index.ts', import: { types: './dist/index.d.ts', default: './dist/index.js' } },
    './package.json': './package.json',
  },
};

it('removes the condition at every depth and nothing else', () => {
  const out = publishManifest(pkg);
  expect(out.exports).toEqual({ '.': { import: pkg.exports['.'].import }, './package.json': './package.json' });
  expect(out.scripts).toEqual(pkg.scripts);
});

it('strip (twice) then restore gives back the original file', () => {
  const original = JSON.stringify(pkg, null, 4) + '\n';
  writeFileSync(join(dir, 'package.json'), original);
  const cli = (mode: string): void => void execFileSync(process.execPath, [script, mode], { cwd: dir });
  cli('strip');
  cli('strip');
  expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).exports['.']).not.toHaveProperty('@netlayers/source');
  cli('restore');
  expect(readFileSync(join(dir, 'package.json'), 'utf8')).toBe(original);
  expect(existsSync(join(dir, 'package.json.orig'))).toBe(false);
});
