#!/usr/bin/env node
// The release gate: build, the full test suite (consumer test included), then
// `changeset status` — refuse to publish while changesets are not yet turned
// into versions (`npm run version-packages`, commit, then release) — and
// finally `changeset publish` (npm publish per package; prepack strips the
// repository-only export condition).
//   npm run release             build, test, check, publish
//   npm run release -- --dry-run  everything but the publish
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './packages.mjs';

const step = (what, cmd, args) => {
  console.log(`\n▶ ${what}: ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
};

step('build', 'npx', ['turbo', 'run', 'build']);
step('test', 'npm', ['test']);

const dir = mkdtempSync(join(tmpdir(), 'netlayers-release-'));
try {
  const out = join(dir, 'status.json');
  step('changeset status', 'npx', ['changeset', 'status', `--output=${out}`]);
  const { releases = [] } = JSON.parse(readFileSync(out, 'utf8'));
  if (releases.length > 0) {
    console.error(`\n✗ ${releases.length} package(s) have changesets not yet versioned: ${releases.map((r) => `${r.name} (${r.type})`).join(', ')}`);
    console.error('  run `npm run version-packages`, review and commit the versions and CHANGELOGs, then release again.');
    process.exit(1);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (process.argv.includes('--dry-run')) console.log('\n✓ release gate passed (dry run: nothing published)');
else step('publish', 'npx', ['changeset', 'publish']);
