/**
 * Per-destination concurrency, like Postfix's
 * `default_destination_concurrency_limit`: at most `limit` jobs per key run at
 * once; the rest wait in FIFO order per key. Bound: waiting jobs are not
 * limited here — the queue manager holds at most one job per message and
 * destination group, so the wait lists are bounded by the queue itself.
 * @module
 */

/** Runs jobs with at most `limit` in flight per key. */
export class DestinationWindows<J> {
  private readonly windows = new Map<string, { active: number; waiting: J[] }>();

  /**
   * @param limit jobs in flight per key (≥ 1)
   * @param run starts a job; the owner calls {@link done} with its key when it ends
   */
  constructor(
    readonly limit: number,
    private readonly run: (key: string, job: J) => void,
  ) {
    if (!(limit >= 1)) throw new RangeError(`destination concurrency must be ≥ 1, got ${limit}`);
  }

  /** Queues `job` for `key` and starts it if a slot is free. */
  push(key: string, job: J): void {
    let w = this.windows.get(key);
    if (w === undefined) this.windows.set(key, (w = { active: 0, waiting: [] }));
    w.waiting.push(job);
    this.pump(key);
  }

  /** A job of `key` ended: frees its slot and starts the next waiting one. */
  done(key: string): void {
    const w = this.windows.get(key);
    if (w === undefined || w.active === 0) throw new RangeError(`done(${key}) without a running job`);
    w.active--;
    this.pump(key);
  }

  /** Jobs running now for `key` (all keys if omitted). */
  active(key?: string): number {
    if (key !== undefined) return this.windows.get(key)?.active ?? 0;
    let n = 0;
    for (const w of this.windows.values()) n += w.active;
    return n;
  }

  /** Removes and returns every waiting (not started) job. */
  drain(): J[] {
    const out: J[] = [];
    for (const [key, w] of this.windows) {
      out.push(...w.waiting);
      w.waiting = [];
      if (w.active === 0) this.windows.delete(key);
    }
    return out;
  }

  private pump(key: string): void {
    const w = this.windows.get(key)!;
    while (w.active < this.limit && w.waiting.length > 0) {
      w.active++;
      this.run(key, w.waiting.shift()!);
    }
    if (w.active === 0 && w.waiting.length === 0) this.windows.delete(key);
  }
}
