// The rule the changeset check enforces: a change to a published package's
// src/ (tests excepted) comes with a changeset naming that package.

/** Package names in a changeset's front matter (`"@netlayers/x": minor`). */
export function changesetPackages(text) {
  const m = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text);
  if (m === null) return [];
  return [...m[1].matchAll(/^\s*["']?([^"':\s]+)["']?\s*:\s*(major|minor|patch)\s*$/gm)].map((x) => x[1]);
}

/** Is `file` (repository-relative) user-visible source of packages/<short>? */
export function sourcePackage(file) {
  const m = /^packages\/([^/]+)\/src\/(.+)$/.exec(file);
  if (m === null) return undefined;
  if (/\.test\.[cm]?[jt]s$/.test(m[2]) || /(^|\/)__tests__\//.test(m[2])) return undefined;
  return m[1];
}

/**
 * Published packages whose src/ changed without a changeset.
 * @param changed   repository-relative paths changed in the range
 * @param changesets [{ file, text }] changesets added or modified in the range
 * @param packages  [{ short, name, private }]
 * @returns [{ name, files }]
 */
export function missingChangesets(changed, changesets, packages) {
  const covered = new Set(changesets.flatMap((c) => changesetPackages(c.text)));
  const byShort = new Map(packages.map((p) => [p.short, p]));
  const need = new Map();
  for (const f of changed) {
    const p = byShort.get(sourcePackage(f) ?? '');
    if (p === undefined || p.private === true || covered.has(p.name)) continue;
    need.set(p.name, [...(need.get(p.name) ?? []), f]);
  }
  return [...need].map(([name, files]) => ({ name, files }));
}
