#!/usr/bin/env node
// The published package.json: the repository-only `@netlayers/source` export
// condition (it points at src/, which is not shipped) is removed.
//   node publish-manifest.mjs strip     (npm prepack: keeps package.json.orig)
//   node publish-manifest.mjs restore   (npm postpack)
// Run in the package directory. `strip` twice keeps the first backup.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export const SOURCE_CONDITION = '@netlayers/source';

/** A copy of `exports` without the source condition, at any depth. */
export function stripSourceCondition(value) {
  if (Array.isArray(value)) return value.map(stripSourceCondition);
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) if (k !== SOURCE_CONDITION) out[k] = stripSourceCondition(v);
  return out;
}

/** The manifest as published. */
export function publishManifest(pkg) {
  return { ...pkg, ...(pkg.exports !== undefined ? { exports: stripSourceCondition(pkg.exports) } : {}) };
}

function main(mode) {
  const file = 'package.json';
  const backup = 'package.json.orig';
  if (mode === 'strip') {
    const text = readFileSync(existsSync(backup) ? backup : file, 'utf8');
    if (!existsSync(backup)) writeFileSync(backup, text);
    writeFileSync(file, JSON.stringify(publishManifest(JSON.parse(text)), null, 2) + '\n');
  } else if (mode === 'restore') {
    if (existsSync(backup)) renameSync(backup, file);
  } else {
    console.error('usage: publish-manifest.mjs strip|restore');
    process.exit(2);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main(process.argv[2]);
