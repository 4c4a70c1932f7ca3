#!/usr/bin/env node
// `npm start`: the main job. Until the relay benchmark exists this runs the most
// complete thing there is: every package's benchmark, one after another.
import { spawnSync } from 'node:child_process';

console.log('netlayers: the relay benchmark (packages/bench) does not exist yet;');
console.log('running the per-package benchmarks instead (npm run bench).\n');
const r = spawnSync('npm', ['run', 'bench'], { stdio: 'inherit', env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' } });
process.exit(r.status ?? 1);
