// A fresh consumer project in a temp directory: installs packed tarballs
// (plus fast-check, the optional peer of the ./testing subpaths) and writes
// the files the consumer test compiles and runs. Nothing here knows a
// package's API except the one-instance check (skbuff, the buffer everyone
// shares); everything else comes from the installed manifests and READMEs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './packages.mjs';

/** Outer npm settings a child install keeps (cache and registry); the rest (workspace, prefix, …) would leak in. */
const KEEP = /^npm_config_(cache|registry|userconfig|offline|prefer_offline)$/i;

/** The environment for child npm/node processes, without the outer npm run's settings. */
export function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || KEEP.test(k)));
}

/** Create the project and `npm install` the tarballs into it (with fast-check unless `withFastCheck` is false). */
export function installProject(dir, tarballs, withFastCheck = true) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'netlayers-consumer', version: '0.0.0', private: true }, null, 2));
  const fastCheck = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'fast-check', 'package.json'), 'utf8')).version;
  execFileSync(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, ...(withFastCheck ? [`fast-check@${fastCheck}`] : [])],
    { cwd: dir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
  );
}

/** Every entry point ('@netlayers/x', '@netlayers/x/testing', …) of an installed package. */
export function entryPoints(dir, name) {
  const pkg = JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8'));
  return Object.keys(pkg.exports ?? { '.': null })
    .filter((k) => k !== './package.json')
    .map((k) => (k === '.' ? name : `${name}/${k.slice(2)}`));
}

/**
 * The README's example: the first ```ts block after a `## Example…` or
 * `## Quick start…` heading (else the first ```ts block), or undefined.
 */
export function readmeExample(readme) {
  const heading = /^## (Example|Quick start)/m.exec(readme);
  const from = heading === null ? readme : readme.slice(heading.index);
  const block = /^```ts\n([\s\S]*?)^```$/m.exec(from);
  return block?.[1];
}

const TYPE_ROOTS = JSON.stringify([join(ROOT, 'node_modules', '@types')]);
const tsconfig = (options, include) =>
  JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023'],
        strict: true,
        skipLibCheck: false,
        types: ['node'],
        typeRoots: JSON.parse(TYPE_ROOTS),
        ...options,
      },
      include,
    },
    null,
    2,
  );

/**
 * Write the sources: `types.mts`/`types.cts` (the same code, ESM and CJS),
 * `bundler.ts`, `examples/<short>.mts`, runtime checks `all.mjs`, `all.cjs`,
 * `one-instance.mjs`, and tsconfigs for node16 (emits to out/), nodenext and bundler.
 */
export function writeSources(dir, entries, examples) {
  const imports = entries.map((e, i) => `import * as m${i} from '${e}';`).join('\n');
  const typed = `${imports}
import { allocSkb, SkBuff } from '@netlayers/skbuff';
import { arbPayload } from '@netlayers/skbuff/testing';
import * as fc from 'fast-check';

export const namespaces = [${entries.map((_, i) => `m${i}`).join(', ')}];
const skb: SkBuff = allocSkb(16);
skb.free();
// our arbitraries typed against the same fast-check declarations the consumer uses
fc.assert(fc.property(arbPayload({ maxLength: 64 }), (p: Uint8Array) => p.length <= 64), { numRuns: 5 });
`;
  writeFileSync(join(dir, 'types.mts'), typed);
  writeFileSync(join(dir, 'types.cts'), typed);
  writeFileSync(join(dir, 'bundler.ts'), typed);
  mkdirSync(join(dir, 'examples'), { recursive: true });
  for (const [short, code] of Object.entries(examples)) writeFileSync(join(dir, 'examples', `${short}.mts`), `${code}\nexport {};\n`);

  const list = JSON.stringify(entries);
  writeFileSync(
    join(dir, 'all.mjs'),
    `for (const e of ${list}) await import(e);\nconsole.log('esm ok');\n`,
  );
  writeFileSync(
    join(dir, 'all.cjs'),
    `for (const e of ${list}) require(e);\nconsole.log('cjs ok');\n`,
  );
  writeFileSync(
    join(dir, 'one-instance.mjs'),
    `import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
const require = createRequire(import.meta.url);
for (const e of ${list}) assert.equal(require(e), await import(e), e + ': require and import give different module objects');
const esm = await import('@netlayers/skbuff');
const cjs = require('@netlayers/skbuff');
assert.equal(cjs.SkBuff, esm.SkBuff);
assert.equal(cjs.skbStats, esm.skbStats);
const before = esm.skbStats().live;
const skb = cjs.allocSkb(64);
assert.ok(skb instanceof esm.SkBuff, 'a buffer from require() is an instance of the imported SkBuff');
assert.ok(esm.skbStats().live > before, 'one pool: the import side sees the require side allocation');
assert.deepEqual(esm.skbStats(), cjs.skbStats());
skb.free();
assert.equal(esm.skbStats().live, before);
console.log('one instance ok');
`,
  );
  const files = ['types.mts', 'types.cts', 'examples/*.mts'];
  writeFileSync(join(dir, 'tsconfig.node16.json'), tsconfig({ module: 'node16', moduleResolution: 'node16', outDir: 'out' }, files));
  writeFileSync(join(dir, 'tsconfig.nodenext.json'), tsconfig({ module: 'nodenext', moduleResolution: 'nodenext', noEmit: true }, files));
  writeFileSync(
    join(dir, 'tsconfig.bundler.json'),
    tsconfig({ module: 'esnext', moduleResolution: 'bundler', noEmit: true }, ['bundler.ts', 'examples/*.mts']),
  );
}

/** Run a command in the project; returns { code, out } (stdout+stderr). */
export function run(dir, cmd, args, timeout = 90_000) {
  try {
    const out = execFileSync(cmd, args, { cwd: dir, env: cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout });
    return { code: 0, out };
  } catch (e) {
    return { code: e.status ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}${e.status === null ? `\n(killed: ${e.signal})` : ''}` };
  }
}

export const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
export const ATTW = join(ROOT, 'node_modules', '.bin', 'attw');
export const PUBLINT = join(ROOT, 'node_modules', '.bin', 'publint');
export { existsSync };
