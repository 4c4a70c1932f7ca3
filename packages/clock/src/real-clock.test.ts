import { expect, it } from 'vitest';
import { RealClock, realClock } from './index.js';

it('RealClock fires a timer after its delay and can cancel one', async () => {
  const c = new RealClock({ unref: false });
  const start = c.now();
  let cancelledFired = false;
  const t = c.setTimeout(() => (cancelledFired = true), 5);
  t.cancel();
  expect(t.active).toBe(false);
  const at = await new Promise<number>((resolve) => c.setTimeout(() => resolve(c.now()), 10));
  expect(at - start).toBeGreaterThanOrEqual(5);
  expect(cancelledFired).toBe(false);
  expect(realClock.now()).toBeGreaterThan(0);
});
