/**
 * Retry schedule, like Postfix's `minimal_backoff_time` / `maximal_backoff_time`:
 * the first retry waits the minimum, each later one twice as long as the one
 * before, never more than the maximum.
 * @module
 */

/**
 * Delay before the next delivery attempt.
 * @param attempts attempts made so far (0 → 0: the first attempt is immediate)
 * @param minMs delay after the first failed attempt (Postfix default 300 s)
 * @param maxMs upper bound (Postfix default 4000 s)
 * @returns `min(maxMs, minMs · 2^(attempts − 1))` for `attempts ≥ 1`
 */
export function retryDelay(attempts: number, minMs: number, maxMs: number): number {
  if (!(attempts >= 1)) return 0;
  const exp = Math.min(Math.floor(attempts) - 1, 52); // 2^52 · min already exceeds any sane max
  return Math.min(maxMs, minMs * 2 ** exp);
}
