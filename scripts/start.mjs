#!/usr/bin/env node
// `npm start`: the relay benchmark (packages/bench) with its default settings —
// the thesis's relay experiment, every configuration side by side, tables,
// ratios, a plot and JSON results in bench-results/. It runs the TypeScript
// sources directly (tsx with the @netlayers/source condition), so nothing needs
// building first. Extra arguments are passed on: `npm start -- --quick`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = fileURLToPath(new URL('../packages/bench/src/cli.ts', import.meta.url));
const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@netlayers/source', cli, '--out', 'bench-results', ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(r.status ?? 1);
