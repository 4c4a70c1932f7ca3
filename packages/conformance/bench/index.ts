/**
 * `npm run bench -w @netlayers/conformance` — how fast the packetdrill runner
 * runs the shared scripts (../shared/conformance/packetdrill, or
 * $PACKETDRILL_SCRIPTS): parse + run in virtual time, scripts per second, and
 * the virtual time they cover. Every round checks that each script gives the
 * same verdict as in the first round (a runner that is fast but unstable is
 * wrong). `--quick` / `NETLAYERS_BENCH_QUICK=1` shortens every round.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchReport, benchConfig, compare, loopCase, verify } from '../../../scripts/bench-harness/index.js';
import { runScriptText } from '../src/packetdrill/index.js';

const dir = process.env.PACKETDRILL_SCRIPTS ?? fileURLToPath(new URL('../../../../shared/conformance/packetdrill', import.meta.url));
const files: string[] = [];
const walk = (d: string): void => {
  for (const f of readdirSync(d).sort()) {
    const p = path.join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (f.endsWith('.pkt')) files.push(p);
  }
};
walk(dir);
verify(files.length > 0, `no .pkt scripts under ${dir}`);
const scripts = files.map((f) => ({ path: f, text: readFileSync(f, 'utf8') }));
const first = scripts.map((s) => runScriptText(s.text, s.path));
const virtualMs = first.reduce((a, r) => a + r.virtualMs, 0);

const cfg = benchConfig();
const report = new BenchReport('conformance', cfg);
const all = loopCase(
  `run all ${scripts.length} scripts`,
  (n) => {
    for (let i = 0; i < n; i++) {
      scripts.forEach((s, k) => {
        const r = runScriptText(s.text, s.path);
        verify(r.status === first[k]!.status, `${s.path}: ${r.status} now, ${first[k]!.status} in the first round`);
      });
    }
  },
  cfg,
  scripts.length,
);
report.group(await compare('packetdrill runner (parse + run, virtual time)', [all], cfg, { unit: 'scripts/s', scale: 1 }));
const pass = first.filter((r) => r.status === 'PASS').length;
report.check('every script gives the same verdict every round', true, `${pass} PASS, ${first.length - pass} FAIL/SKIP`);
report.value('virtual time covered per pass over the scripts', virtualMs, 'ms');
report.finish();
