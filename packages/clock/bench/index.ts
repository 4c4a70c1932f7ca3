/**
 * `npm run bench -w @netlayers/clock` — the virtual timer service: arm + cancel
 * and arm + fire (random delays up to 10 s) timers per second. Every round
 * checks that each armed timer fired exactly once (or, cancelled, never).
 * `--quick` / `NETLAYERS_BENCH_QUICK=1` shortens every round.
 */
import { BenchReport, benchConfig, compare, loopCase, verify } from '../../../scripts/bench-harness/index.js';
import { VirtualClock } from '../src/index.js';

const cfg = benchConfig();
const report = new BenchReport('clock', cfg);
const c = new VirtualClock();
let fired = 0;
const onFire = (): void => {
  fired++;
};

const armCancel = loopCase(
  'VirtualClock arm + cancel',
  (n) => {
    const f0 = fired;
    for (let i = 0; i < n; i++) c.setTimeout(onFire, i % 1000).cancel();
    c.runAll();
    verify(fired === f0, `${fired - f0} cancelled timers fired`);
  },
  cfg,
);
let x = 1;
const armFire = loopCase(
  'VirtualClock arm + fire (random delays)',
  (n) => {
    const f0 = fired;
    for (let i = 0; i < n; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      c.setTimeout(onFire, x % 10_000);
    }
    c.runAll();
    verify(fired - f0 === n, `${fired - f0} of ${n} timers fired`);
  },
  cfg,
);

report.group(await compare('timer service', [armCancel, armFire], cfg, { unit: 'M timers/s', scale: 1e-6 }));
report.check('every armed timer fired once, no cancelled timer fired', true, `${fired} fired in all`);
report.finish();
