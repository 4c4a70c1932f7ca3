// The changeset check: the rule itself, and the script on real repositories,
// including a depth-1 clone (as CI checks out) that must deepen to compare.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { changesetPackages, missingChangesets, sourcePackage } from './changeset-rule.mjs';
import { checkChangesets } from './check-changeset.mjs';

const PKGS = [
  { short: 'skbuff', name: '@netlayers/skbuff', private: false },
  { short: 'bench', name: '@netlayers/bench', private: true },
];

describe('the changeset rule', () => {
  it('reads package names from front matter', () => {
    expect(changesetPackages('---\n"@netlayers/skbuff": minor\n\'@netlayers/tcp\': patch\n---\n\nText.\n')).toEqual([
      '@netlayers/skbuff',
      '@netlayers/tcp',
    ]);
    expect(changesetPackages('no front matter')).toEqual([]);
  });

  it('counts src/ but not tests, READMEs, benches or private packages', () => {
    expect(sourcePackage('packages/skbuff/src/pool.ts')).toBe('skbuff');
    expect(sourcePackage('packages/skbuff/src/pool.test.ts')).toBeUndefined();
    expect(sourcePackage('packages/skbuff/README.md')).toBeUndefined();
    expect(sourcePackage('packages/skbuff/bench/index.ts')).toBeUndefined();
    expect(missingChangesets(['packages/bench/src/cli.ts'], [], PKGS)).toEqual([]);
  });

  it('requires a changeset naming the package', () => {
    const changed = ['packages/skbuff/src/pool.ts'];
    expect(missingChangesets(changed, [], PKGS)).toEqual([{ name: '@netlayers/skbuff', files: changed }]);
    const other = [{ file: '.changeset/x.md', text: '---\n"@netlayers/tcp": patch\n---\nx\n' }];
    expect(missingChangesets(changed, other, PKGS)).toHaveLength(1);
    const ok = [{ file: '.changeset/x.md', text: '---\n"@netlayers/skbuff": patch\n---\nx\n' }];
    expect(missingChangesets(changed, ok, PKGS)).toEqual([]);
  });
});

describe('check-changeset on git repositories', () => {
  const work = mkdtempSync(join(tmpdir(), 'netlayers-changeset-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
  const noBase = { ...env, CHANGESET_BASE: '', GITHUB_BASE_REF: '' };
  const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const write = (repo: string, file: string, text: string): void => {
    mkdirSync(dirname(join(repo, file)), { recursive: true });
    writeFileSync(join(repo, file), text);
  };
  const commit = (repo: string, msg: string): void => {
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', msg);
  };

  const origin = join(work, 'origin');
  mkdirSync(origin);
  git(origin, 'init', '-q', '-b', 'main');
  write(origin, 'packages/skbuff/package.json', '{"name":"@netlayers/skbuff"}');
  write(origin, 'packages/skbuff/src/pool.ts', 'export const a = 1;\n');
  commit(origin, 'first');
  write(origin, 'packages/skbuff/src/pool.ts', 'export const a = 2;\n');
  commit(origin, 'src change, no changeset');

  it('finds the missing changeset in a full clone', () => {
    const r = checkChangesets(origin, noBase);
    expect(r.missing.map((m) => m.name)).toEqual(['@netlayers/skbuff']);
  });

  it('deepens a depth-1 clone and still finds it; a changeset fixes it', () => {
    const clone = join(work, 'clone');
    git(work, 'clone', '-q', '--depth', '1', `file://${origin}`, clone);
    expect(git(clone, 'rev-parse', '--is-shallow-repository').trim()).toBe('true');
    expect(checkChangesets(clone, noBase).missing.map((m) => m.name)).toEqual(['@netlayers/skbuff']);

    write(origin, 'packages/skbuff/src/pool.ts', 'export const a = 3;\n');
    write(origin, '.changeset/pool.md', '---\n"@netlayers/skbuff": patch\n---\n\nPool change.\n');
    commit(origin, 'src change with changeset');
    const clone2 = join(work, 'clone2');
    git(work, 'clone', '-q', '--depth', '1', `file://${origin}`, clone2);
    expect(checkChangesets(clone2, noBase).missing).toEqual([]);
  });

  it('compares a branch against its merge base with origin/<base>', () => {
    const clone = join(work, 'pr');
    git(work, 'clone', '-q', `file://${origin}`, clone);
    git(clone, 'checkout', '-q', '-b', 'feature');
    write(clone, 'README.md', 'docs only\n');
    commit(clone, 'docs');
    write(clone, 'packages/skbuff/src/pool.ts', 'export const a = 4;\n');
    commit(clone, 'src again');
    write(clone, 'packages/skbuff/src/pool.test.ts', 'test only\n');
    commit(clone, 'test only');
    expect(checkChangesets(clone, { ...noBase, GITHUB_BASE_REF: 'main' }).missing.map((m) => m.name)).toEqual(['@netlayers/skbuff']);
    expect(checkChangesets(clone, noBase).missing).toEqual([]);
  });
});
