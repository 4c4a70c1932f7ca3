// The workspace packages and which of them are published.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Every packages/* workspace: { dir, name, pkg }. */
export function workspaces() {
  const base = join(ROOT, 'packages');
  return readdirSync(base)
    .filter((d) => existsSync(join(base, d, 'package.json')))
    .map((d) => {
      const pkg = JSON.parse(readFileSync(join(base, d, 'package.json'), 'utf8'));
      return { dir: join(base, d), short: d, name: pkg.name, pkg };
    });
}

/** The packages that are published to npm (not `private`). */
export function publishedPackages() {
  return workspaces().filter((w) => w.pkg.private !== true);
}
