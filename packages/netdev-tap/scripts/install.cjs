#!/usr/bin/env node
// `npm install` hook: builds the TAP addon with node-gyp. Never fails the
// install: on failure the reason is written to build/BUILD_FAILED.txt and the
// package explains it at runtime (TapUnavailableError).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const buildDir = path.join(root, 'build');
const failFile = path.join(buildDir, 'BUILD_FAILED.txt');

function nodeGyp() {
  // npm exports its bundled node-gyp to lifecycle scripts.
  const env = process.env.npm_config_node_gyp;
  if (env && fs.existsSync(env)) return [process.execPath, env];
  const npmBundled = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (fs.existsSync(npmBundled)) return [process.execPath, npmBundled];
  return ['node-gyp'];
}

function run(extra) {
  const [cmd, ...pre] = nodeGyp();
  const r = spawnSync(cmd, [...pre, 'rebuild', ...extra], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

if (process.platform !== 'linux') {
  fs.mkdirSync(buildDir, { recursive: true });
  fs.writeFileSync(failFile, `TAP devices need Linux; this is ${process.platform}.\n`);
  process.exit(0);
}
// Prefer installed headers (offline machines): <prefix>/include/node/node_api.h.
const prefix = path.join(path.dirname(process.execPath), '..');
const attempts = fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? [[`--nodedir=${prefix}`], []] : [[]];
let log = '';
for (const extra of attempts) {
  const r = run(extra);
  if (r.ok) {
    try {
      fs.rmSync(failFile, { force: true });
    } catch {}
    process.exit(0);
  }
  log += `$ node-gyp rebuild ${extra.join(' ')}\n${r.out}\n`;
}
fs.mkdirSync(buildDir, { recursive: true });
fs.writeFileSync(failFile, log.slice(-8000));
console.warn('@netlayers/netdev-tap: the TAP addon did not build (needs a C compiler, make, python3 and Node headers); see build/BUILD_FAILED.txt. The package still loads and explains this at runtime.');
process.exit(0);
