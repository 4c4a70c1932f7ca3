#!/usr/bin/env node
// Scaffolds packages/<name> with the monorepo's conventions:
//   node scripts/new-package.mjs <name> "<description>" [dep ...] [--private]
import { copyFileSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const isPrivate = args.includes('--private');
const [name, description, ...deps] = args.filter((a) => a !== '--private');
if (!name || !description) {
  console.error('usage: new-package.mjs <name> "<description>" [dep ...] [--private]');
  process.exit(2);
}
const dir = join('packages', name);
if (existsSync(join(dir, 'package.json'))) {
  console.error(`${dir} already exists`);
  process.exit(1);
}
for (const d of ['src/testing', 'bench']) mkdirSync(join(dir, d), { recursive: true });

const entry = (sub) => ({
  '@netlayers/source': `./src/${sub}.ts`,
  import: { types: `./dist/${sub}.d.ts`, default: `./dist/${sub}.js` },
  require: { types: `./dist/${sub}.d.cts`, default: `./dist/${sub}.cjs` },
});
const pkg = {
  name: `@netlayers/${name}`,
  version: '0.1.0',
  description,
  license: 'MIT',
  author: 'netlayers contributors',
  homepage: `https://github.com/netlayers/netlayers/tree/main/packages/${name}#readme`,
  repository: { type: 'git', url: 'git+https://github.com/netlayers/netlayers.git', directory: `packages/${name}` },
  bugs: { url: 'https://github.com/netlayers/netlayers/issues' },
  keywords: ['netlayers', 'networking', 'linux'],
  ...(isPrivate ? { private: true } : {}),
  type: 'module',
  sideEffects: false,
  engines: { node: '>=20.19' },
  main: './dist/index.cjs',
  module: './dist/index.js',
  types: './dist/index.d.cts',
  typesVersions: { '*': { testing: ['./dist/testing/index.d.cts'] } },
  exports: {
    '.': entry('index'),
    './testing': entry('testing/index'),
    './package.json': './package.json',
  },
  files: ['dist', 'CHANGELOG.md'],
  scripts: {
    build: 'tsup',
    typecheck: 'tsc --noEmit -p tsconfig.json',
    test: 'vitest run',
    bench: 'tsx bench/index.ts',
    prepack: 'node ../../scripts/release/publish-manifest.mjs strip',
    postpack: 'node ../../scripts/release/publish-manifest.mjs restore',
  },
  dependencies: Object.fromEntries(deps.map((d) => [`@netlayers/${d}`, '^0.1.0'])),
  peerDependencies: { 'fast-check': '^4.0.0' },
  peerDependenciesMeta: { 'fast-check': { optional: true } },
  publishConfig: { access: 'public' },
};
writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
copyFileSync('LICENSE', join(dir, 'LICENSE'));
writeFileSync(join(dir, 'CHANGELOG.md'), `# @netlayers/${name}\n`);
writeFileSync(
  join(dir, 'tsconfig.json'),
  JSON.stringify(
    { extends: '../../tsconfig.base.json', include: ['src', 'test', 'bench', '*.config.ts'] },
    null,
    2,
  ) + '\n',
);
writeFileSync(
  join(dir, 'tsup.config.ts'),
  `import { libraryConfig } from '../../tsup.shared.js';\n\nexport default libraryConfig;\n`,
);
writeFileSync(
  join(dir, 'vitest.config.ts'),
  `import shared from '../../vitest.shared.js';

export default shared;
`,
);
console.log(`created ${dir}`);
