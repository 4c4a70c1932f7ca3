// What a user gets from npm: every published package is packed as
// `npm publish` would pack it, linted (publint, arethetypeswrong), installed
// into a fresh project next to fast-check, and used there in one run: ESM
// import, CJS require, tsc under node16 (ESM and CJS files), nodenext and
// bundler, each README's example, and one module instance for both loaders.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packAll } from './pack.mjs';
import { ROOT, publishedPackages } from './packages.mjs';
import { SOURCE_CONDITION } from './publish-manifest.mjs';
import { ATTW, PUBLINT, TSC, entryPoints, existsSync, installProject, readmeExample, run, writeSources } from './consumer-project.mjs';

/** New packages still being scaffolded: their README (and example) may not exist yet. */
const SCAFFOLDS = new Set(['conformance', 'netdev-tap']);

const work = mkdtempSync(join(tmpdir(), 'netlayers-consumer-'));
const project = join(work, 'project');
let packed: { name: string; short: string; tarball: string }[] = [];
let entries: string[] = [];
const examples: Record<string, string> = {};

beforeAll(() => {
  packed = packAll(join(work, 'tarballs'));
  installProject(project, packed.map((p) => p.tarball));
  entries = packed.flatMap((p) => entryPoints(project, p.name));
  for (const p of packed) {
    const readme = join(project, 'node_modules', p.name, 'README.md');
    const code = existsSync(readme) ? readmeExample(readFileSync(readme, 'utf8')) : undefined;
    if (code !== undefined) examples[p.short] = code;
  }
  writeSources(project, entries, examples);
}, 240_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const pkgDir = (name: string): string => join(project, 'node_modules', name);
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));

describe('the packed tarballs', () => {
  it('cover every published package', () => {
    expect(packed.map((p) => p.name).sort()).toEqual(publishedPackages().map((p) => p.name).sort());
  });

  it.each(publishedPackages().map((p) => p.name))('%s: publint (strict) and attw (node10, node16 CJS/ESM, bundler) are clean', (name) => {
    const { tarball } = packed.find((p) => p.name === name)!;
    const lint = run(work, PUBLINT, ['run', '--strict', tarball]);
    expect(lint.code, lint.out).toBe(0);
    const types = run(work, ATTW, ['--profile', 'strict', '--format', 'ascii', '--no-color', tarball]);
    expect(types.code, types.out).toBe(0);
    expect(types.out).toMatch(/No problems found/);
  });

  it.each(publishedPackages().map((p) => p.name))('%s: manifest without the source condition, LICENSE, CHANGELOG, metadata, relative source maps', (name) => {
    const dir = pkgDir(name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(JSON.stringify(pkg.exports)).not.toContain(SOURCE_CONDITION);
    expect(pkg.license).toBe('MIT');
    expect(pkg.engines.node).toBe('>=20.19');
    expect(pkg.repository.directory).toMatch(/^packages\//);
    expect(pkg.publishConfig.access).toBe('public');
    for (const k of ['homepage', 'bugs', 'keywords', 'author']) expect(pkg[k], k).toBeDefined();
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(ROOT, 'LICENSE'), 'utf8'));
    expect(existsSync(join(dir, 'CHANGELOG.md'))).toBe(true);
    for (const map of files(join(dir, 'dist')).filter((f) => f.endsWith('.map'))) {
      const { sources } = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] };
      for (const s of sources) expect(s.startsWith('/') || /^[A-Za-z]:/.test(s), `${map}: ${s}`).toBe(false);
      expect(readFileSync(map, 'utf8')).not.toContain(ROOT);
    }
  });

  it.each(publishedPackages().map((p) => p))('$name: README has install line, Node versions, ESM/CJS note, license and an example', (p) => {
    const file = join(pkgDir(p.name), 'README.md');
    if (!existsSync(file) && SCAFFOLDS.has(p.short)) return;
    const readme = readFileSync(file, 'utf8');
    expect(readme).toMatch(new RegExp(`npm install [^\\n]*${p.name}`));
    expect(readme).toMatch(/Node(\.js)? ≥ ?20\.19|Node(\.js)? >= ?20\.19/);
    expect(readme).toMatch(/ESM/);
    expect(readme).toMatch(/CommonJS|CJS/);
    expect(readme).toMatch(/MIT/);
    const known = new Set([...publishedPackages().map((q) => q.name), SOURCE_CONDITION]);
    const unknown = [...readme.matchAll(/@netlayers\/[a-z0-9-]+/g)].map((m) => m[0]).filter((n) => !known.has(n));
    expect(unknown, 'packages that are not published').toEqual([]);
    if (!SCAFFOLDS.has(p.short)) expect(examples[p.short], 'a ```ts example under "## Example"').toBeDefined();
  });
});

describe('a fresh consumer project', () => {
  it('imports every entry point as ESM', () => {
    const r = run(project, process.execPath, ['all.mjs']);
    expect(r.code, r.out).toBe(0);
  });

  it('requires every entry point as CommonJS', () => {
    const r = run(project, process.execPath, ['all.cjs']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).not.toMatch(/ExperimentalWarning/);
  });

  it('gets one instance from import and require (same module objects, instanceof SkBuff, one skbStats)', () => {
    const r = run(project, process.execPath, ['one-instance.mjs']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('one instance ok');
  });

  it.each(['node16', 'nodenext', 'bundler'])('type-checks under %s (skipLibCheck off)', (mode) => {
    const r = run(project, process.execPath, [TSC, '-p', `tsconfig.${mode}.json`]);
    expect(r.code, r.out).toBe(0);
  });

  it('runs the compiled TypeScript consumer as ESM and as CommonJS', () => {
    for (const f of ['types.mjs', 'types.cjs']) {
      const out = join(project, 'out', f);
      if (!existsSync(out)) expect(run(project, process.execPath, [TSC, '-p', 'tsconfig.node16.json']).code).toBe(0);
      const r = run(project, process.execPath, [out]);
      expect(r.code, `${f}: ${r.out}`).toBe(0);
    }
  });

  // Scaffolds' examples are type-checked above; running them may need a real TAP device.
  const runnable = (): string[] => Object.keys(examples).filter((s) => !SCAFFOLDS.has(s));
  it.each(publishedPackages().map((p) => p.short).filter((s) => !SCAFFOLDS.has(s)))('runs the README example of %s', (short) => {
    expect(runnable()).toContain(short);
    const compiled = join(project, 'out', 'examples', `${short}.mjs`);
    if (!existsSync(compiled)) expect(run(project, process.execPath, [TSC, '-p', 'tsconfig.node16.json']).code).toBe(0);
    const r = run(project, process.execPath, [compiled], 60_000);
    expect(r.code, r.out).toBe(0);
  });
});

describe('a consumer project without fast-check (the optional peer of ./testing)', () => {
  const bare = join(work, 'bare');
  beforeAll(() => installProject(bare, packed.map((p) => p.tarball), false), 240_000);

  it('loads every root entry with import and require; ./testing needs only fast-check', () => {
    expect(existsSync(join(bare, 'node_modules', 'fast-check'))).toBe(false);
    const script = `
for (const e of ${JSON.stringify(entries)}) {
  try { require(e); } catch (err) {
    if (!e.endsWith('/testing')) throw err;
    if (!/fast-check/.test(String(err && err.message))) throw new Error(e + ': ' + err.message);
  }
}
import('${packed[0]!.name}').then(() => console.log('bare ok'));
`;
    const r = run(bare, process.execPath, ['-e', script]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('bare ok');
  });
});

