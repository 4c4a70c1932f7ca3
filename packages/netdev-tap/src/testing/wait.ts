/**
 * Small real-time helpers for interop tests (bounded waits: every loop stops by itself).
 * @module
 */

/** Resolves once `pred()` holds; rejects with `what` after `timeoutMs`. */
export async function waitFor(pred: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!pred()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
