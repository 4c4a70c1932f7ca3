#!/usr/bin/env node
// CI check: a change to a published package's src/ comes with a changeset.
// Compares HEAD with its base: $CHANGESET_BASE, else the merge base with
// origin/$GITHUB_BASE_REF (pull requests), else the previous commit. Works on
// shallow clones: missing history is fetched (`git fetch --deepen`) before the
// comparison; if it still cannot be found the check fails, it never passes blind.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { missingChangesets } from './changeset-rule.mjs';

const git = (cwd, ...args) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const tryGit = (cwd, ...args) => {
  try {
    return git(cwd, ...args);
  } catch {
    return undefined;
  }
};
const shallow = (cwd) => tryGit(cwd, 'rev-parse', '--is-shallow-repository') === 'true';

/** The base commit, deepening a shallow clone as needed; throws if unknown. */
export function findBase(cwd, env = process.env) {
  const resolve = () => {
    if (env.CHANGESET_BASE) return tryGit(cwd, 'rev-parse', '--verify', `${env.CHANGESET_BASE}^{commit}`);
    if (env.GITHUB_BASE_REF) return tryGit(cwd, 'merge-base', `origin/${env.GITHUB_BASE_REF}`, 'HEAD');
    return tryGit(cwd, 'rev-parse', '--verify', 'HEAD~1^{commit}');
  };
  let base = resolve();
  if (env.GITHUB_BASE_REF && base === undefined) tryGit(cwd, 'fetch', '--quiet', 'origin', env.GITHUB_BASE_REF);
  for (let depth = 1; base === undefined && shallow(cwd) && depth <= 1024; depth *= 4) {
    if (tryGit(cwd, 'fetch', '--quiet', `--deepen=${depth}`) === undefined) break;
    base = resolve();
  }
  if (base === undefined && !shallow(cwd) && !env.CHANGESET_BASE && !env.GITHUB_BASE_REF) {
    // a repository with a single commit: everything in it is new
    base = git(cwd, 'hash-object', '-t', 'tree', '/dev/null');
  }
  if (base === undefined) throw new Error('cannot find the base commit to compare with (shallow clone and fetch failed); set CHANGESET_BASE');
  return base;
}

/** Run the check in the repository at `cwd`; returns { base, missing }. */
export function checkChangesets(cwd, env = process.env) {
  const base = findBase(cwd, env);
  const changed = git(cwd, 'diff', '--name-only', '--no-renames', base, 'HEAD').split('\n').filter(Boolean);
  const changesets = changed
    .filter((f) => /^\.changeset\/[^/]+\.md$/.test(f) && f !== '.changeset/README.md')
    .flatMap((f) => {
      const text = tryGit(cwd, 'show', `HEAD:${f}`);
      return text === undefined ? [] : [{ file: f, text }];
    });
  const packages = git(cwd, 'ls-tree', '-d', '--name-only', 'HEAD', 'packages/')
    .split('\n')
    .filter(Boolean)
    .flatMap((dir) => {
      const text = tryGit(cwd, 'show', `HEAD:${dir}/package.json`);
      if (text === undefined) return [];
      const pkg = JSON.parse(text);
      return [{ short: dir.slice('packages/'.length), name: pkg.name, private: pkg.private === true }];
    });
  return { base, missing: missingChangesets(changed, changesets, packages) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = join(new URL('.', import.meta.url).pathname, '..', '..');
  try {
    const { base, missing } = checkChangesets(root);
    if (missing.length === 0) {
      console.log(`changesets: ok (HEAD against ${base.slice(0, 12)})`);
    } else {
      for (const m of missing) console.error(`${m.name}: src/ changed without a changeset (${m.files.join(', ')})`);
      console.error('add one with `npx changeset` (a .changeset/<name>.md naming the package)');
      process.exit(1);
    }
  } catch (e) {
    console.error(String(e instanceof Error ? e.message : e));
    process.exit(1);
  }
}
