/**
 * The queue manager: schedules delivery of queued messages like Postfix's
 * qmgr.
 *
 * - A message's pending recipients are grouped by destination
 *   (`destinationOf`), at most `maxRecipientsPerDelivery` per group, and each
 *   group is one `deliver` call; at most `destinationConcurrency` calls run
 *   per destination ({@link DestinationWindows}).
 * - When every group of an attempt has ended, the outcomes are applied
 *   together: `sent` recipients are done for good; `failed` ones (5xx) get one
 *   DSN for the whole attempt; `deferred` ones (4xx, connection failures,
 *   exceptions) are retried after {@link retryDelay}(attempts) — the schedule
 *   is persisted (monotonic and wall-clock) before the timer is set.
 * - Once a message has waited `queueLifetimeMs` since arrival, its remaining
 *   recipients fail with 4.4.7 and the sender gets a DSN. The last retry is
 *   moved forward to the end of the lifetime, so expiry happens on time.
 * - DSNs go from `<>` to the reverse-path; never for the null sender, never
 *   for a DSN, never for recipients whose NOTIFY excludes FAILURE. A DSN is
 *   committed to the store before the original is updated, so a crash in
 *   between repeats the DSN rather than losing it. If the DSN cannot be
 *   stored, its recipients stay pending and are retried.
 * - The message leaves the store when no recipient is pending.
 *
 * Time comes from the `TimerService` (monotonic) and `wallClock` (arrival,
 * lifetime, DSN dates); nothing here calls `setTimeout` or `Date.now` itself.
 * @module
 */
import type { TimerHandle, TimerService } from '@netlayers/clock';
import { retryDelay } from './backoff.js';
import { createBounce, wantsFailureDsn } from './bounce.js';
import { DestinationWindows } from './dest-window.js';
import { logDelivery, logQueued, logRemoved, type QueueLogger, seconds, silentLogger } from './delivery-log.js';
import type { DsnRecipient } from './dsn.js';
import { oneLine, statusOf } from './reply.js';
import type { MessageStore, QueuedMessage, QueuedRecipient } from './types.js';

/** What one `deliver` call reports, one entry per recipient it was given. */
export interface DeliveryResult {
  recipients: Array<{ address: string; outcome: 'sent' | 'deferred' | 'failed'; reply: string; remoteMta?: string }>;
  /** Milliseconds spent connecting (greeting, EHLO, STARTTLS); enables the `delays=a/b/c/d` log field. */
  connectMs?: number;
}

/** Delivers `recipients` of `msg` to one destination; `body()` streams the content from the store. */
export type DeliverFn = (
  msg: QueuedMessage,
  recipients: QueuedRecipient[],
  body: () => AsyncIterable<Uint8Array>,
) => Promise<DeliveryResult>;

/** Defaults, next to Postfix's. */
export const QUEUE_DEFAULTS = {
  /** `default_destination_concurrency_limit` */
  destinationConcurrency: 20,
  /** `minimal_backoff_time` 300 s */
  minBackoffMs: 300_000,
  /** `maximal_backoff_time` 4000 s */
  maxBackoffMs: 4_000_000,
  /** `maximal_queue_lifetime` 5 d */
  queueLifetimeMs: 5 * 24 * 3600_000,
  /** `default_destination_recipient_limit` */
  maxRecipientsPerDelivery: 50,
  /** `bounce_size_limit` */
  bounceSizeLimit: 50_000,
} as const;

export interface QueueManagerOptions {
  store: MessageStore;
  timers: TimerService;
  /** Wall-clock ms since the epoch (default `Date.now`). */
  wallClock?: () => number;
  deliver: DeliverFn;
  /** Next-hop key of a recipient (per-destination concurrency). Throwing defers the recipient (4.3.5). */
  destinationOf: (recipient: string) => string;
  destinationConcurrency?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  queueLifetimeMs?: number;
  maxRecipientsPerDelivery?: number;
  bounceSizeLimit?: number;
  /** Reporting-MTA of DSNs. */
  hostname: string;
  logger?: QueueLogger;
  /** Called with each DSN after it is stored and queued (the manager delivers it itself). */
  onBounce?: (dsn: QueuedMessage) => void;
}

/** Counters of {@link QueueManager.stats}. */
export interface QueueStats {
  /** Messages in the queue manager (waiting or being delivered). */
  queued: number;
  /** Messages with a delivery attempt in progress. */
  active: number;
  /** Messages whose every recipient was delivered. */
  delivered: number;
  /** Attempts that left at least one recipient deferred. */
  deferred: number;
  /** DSNs generated. */
  bounced: number;
}

interface Entry {
  msg: QueuedMessage;
  timer: TimerHandle | undefined;
  running: boolean;
  /** Monotonic / wall time the manager got the message (log `delays`). */
  queuedAt: number;
  queuedWall: number;
}

interface Outcome {
  rcpt: QueuedRecipient;
  outcome: 'sent' | 'deferred' | 'failed';
  reply: string;
  relay: string;
  remoteMta?: string;
  delays?: string;
}

interface Round {
  entry: Entry;
  remaining: number;
  results: Outcome[];
}

interface Job {
  round: Round;
  dest: string;
  rcpts: QueuedRecipient[];
}

type Waiter = { until: 'idle' | 'settled'; resolve: () => void };

/** Schedules delivery, retries and bounces of the messages in a {@link MessageStore}. */
export class QueueManager {
  private readonly store: MessageStore;
  private readonly timers: TimerService;
  private readonly wall: () => number;
  private readonly log: QueueLogger;
  private readonly minBackoff: number;
  private readonly maxBackoff: number;
  private readonly lifetime: number;
  private readonly perDelivery: number;
  private readonly bounceSizeLimit: number;
  private readonly windows: DestinationWindows<Job>;
  private readonly entries = new Map<string, Entry>();
  private readonly waiters: Waiter[] = [];
  /** Asynchronous work in progress (scheduled dispatches, deliveries, store updates). */
  private busy = 0;
  private activeMessages = 0;
  private counters = { delivered: 0, deferred: 0, bounced: 0 };
  private started = false;
  private stopped = false;

  constructor(private readonly opts: QueueManagerOptions) {
    this.store = opts.store;
    this.timers = opts.timers;
    this.wall = opts.wallClock ?? Date.now;
    this.log = opts.logger ?? silentLogger;
    this.minBackoff = opts.minBackoffMs ?? QUEUE_DEFAULTS.minBackoffMs;
    this.maxBackoff = opts.maxBackoffMs ?? QUEUE_DEFAULTS.maxBackoffMs;
    this.lifetime = opts.queueLifetimeMs ?? QUEUE_DEFAULTS.queueLifetimeMs;
    this.perDelivery = opts.maxRecipientsPerDelivery ?? QUEUE_DEFAULTS.maxRecipientsPerDelivery;
    this.bounceSizeLimit = opts.bounceSizeLimit ?? QUEUE_DEFAULTS.bounceSizeLimit;
    this.windows = new DestinationWindows<Job>(
      opts.destinationConcurrency ?? QUEUE_DEFAULTS.destinationConcurrency,
      (_dest, job) => void this.runJob(job),
    );
  }

  /** A snapshot of the counters. */
  get stats(): QueueStats {
    return { queued: this.entries.size, active: this.activeMessages, ...this.counters };
  }

  /** Recovers the store and schedules every recovered message (at its persisted wall-clock time). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const recovered = await this.store.recover();
    const now = this.timers.now();
    const wall = this.wall();
    for (const msg of recovered) {
      msg.nextAttempt = now + Math.max(0, (msg.nextAttemptWall ?? wall) - wall);
      this.enqueue(msg);
    }
  }

  /** Hands a committed message to the manager; its first attempt starts as soon as a slot is free. */
  enqueue(msg: QueuedMessage): void {
    if (this.stopped) {
      this.log.warn({ queueId: msg.id }, `${msg.id}: queue manager stopped; left in the store`);
      return;
    }
    if (this.entries.has(msg.id)) return;
    const entry: Entry = { msg, timer: undefined, running: false, queuedAt: this.timers.now(), queuedWall: this.wall() };
    this.entries.set(msg.id, entry);
    logQueued(this.log, msg.id, msg.from, msg.size, msg.recipients.length);
    this.schedule(entry);
  }

  /** Stops: no new attempts, timers cancelled; resolves when in-flight attempts have ended and been persisted. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const e of this.entries.values()) {
      e.timer?.cancel();
      e.timer = undefined;
    }
    for (const job of this.windows.drain()) this.jobEnded(job.round, []);
    await this.waitFor('settled');
  }

  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void> {
    return this.waitFor('idle');
  }

  /** Resolves when nothing is in flight: every queued message waits for a retry timer (for virtual-time tests). */
  settled(): Promise<void> {
    return this.waitFor('settled');
  }

  private waitFor(until: Waiter['until']): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ until, resolve });
      this.check();
    });
  }

  private check(): void {
    if (this.busy > 0) return;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (w.until === 'settled' || this.entries.size === 0) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  private schedule(entry: Entry): void {
    const delay = entry.msg.nextAttempt - this.timers.now();
    if (delay > 0) {
      entry.timer = this.timers.setTimeout(() => {
        entry.timer = undefined;
        this.dispatch(entry);
        this.check();
      }, delay);
      return;
    }
    this.busy++;
    queueMicrotask(() => {
      this.busy--;
      this.dispatch(entry);
      this.check();
    });
  }

  /** Starts an attempt: one job per destination group of the pending recipients. */
  private dispatch(entry: Entry): void {
    if (this.stopped || entry.running || this.entries.get(entry.msg.id) !== entry) return;
    entry.running = true;
    this.activeMessages++;
    const round: Round = { entry, remaining: 0, results: [] };
    const groups = new Map<string, QueuedRecipient[]>();
    for (const r of entry.msg.recipients) {
      if (r.status !== 'pending') continue;
      let dest: string;
      try {
        dest = this.opts.destinationOf(r.address);
      } catch (err) {
        round.results.push({ rcpt: r, outcome: 'deferred', reply: `4.3.5 no route: ${errText(err)}`, relay: 'none' });
        continue;
      }
      let g = groups.get(dest);
      if (g === undefined) groups.set(dest, (g = []));
      g.push(r);
    }
    const jobs: Job[] = [];
    for (const [dest, rcpts] of groups) {
      for (let i = 0; i < rcpts.length; i += this.perDelivery) {
        jobs.push({ round, dest, rcpts: rcpts.slice(i, i + this.perDelivery) });
      }
    }
    round.remaining = jobs.length;
    if (jobs.length === 0) {
      this.track(this.finishRound(round));
      return;
    }
    for (const job of jobs) this.windows.push(job.dest, job);
  }

  private async runJob(job: Job): Promise<void> {
    this.busy++;
    const { msg } = job.round.entry;
    const started = this.timers.now();
    let outcomes: Outcome[];
    try {
      const res = await this.opts.deliver(msg, job.rcpts, () => this.store.readBody(msg));
      outcomes = this.match(job, res, started);
    } catch (err) {
      const reply = `4.4.1 connection failed: ${errText(err)}`;
      outcomes = job.rcpts.map((rcpt) => ({ rcpt, outcome: 'deferred', reply, relay: 'none' }));
    }
    this.windows.done(job.dest);
    this.jobEnded(job.round, outcomes);
    this.busy--;
    this.check();
  }

  /** Pairs each recipient of the job with its result (by address, in order); a missing one is deferred. */
  private match(job: Job, res: DeliveryResult, started: number): Outcome[] {
    const ended = this.timers.now();
    const { entry } = job.round;
    let delays: string | undefined;
    if (res.connectMs !== undefined) {
      const a = entry.queuedWall - entry.msg.arrival;
      const b = started - entry.queuedAt;
      const c = Math.min(res.connectMs, ended - started);
      delays = `${seconds(a)}/${seconds(b)}/${seconds(c)}/${seconds(ended - started - c)}`;
    }
    const used = new Set<number>();
    return job.rcpts.map((rcpt) => {
      const i = res.recipients.findIndex((r, k) => !used.has(k) && r.address === rcpt.address);
      if (i < 0) return { rcpt, outcome: 'deferred', reply: '4.3.0 no result from the delivery agent', relay: job.dest };
      used.add(i);
      const r = res.recipients[i]!;
      const o: Outcome = { rcpt, outcome: r.outcome, reply: oneLine(r.reply), relay: r.remoteMta ?? job.dest };
      if (r.remoteMta !== undefined) o.remoteMta = r.remoteMta;
      if (delays !== undefined) o.delays = delays;
      return o;
    });
  }

  private jobEnded(round: Round, outcomes: Outcome[]): void {
    round.results.push(...outcomes);
    if (--round.remaining === 0) this.track(this.finishRound(round));
  }

  private track(p: Promise<void>): void {
    this.busy++;
    p.catch((err: unknown) => this.log.error({ err: errText(err) }, 'queue manager: unexpected failure')).finally(() => {
      this.busy--;
      this.check();
    });
  }

  /** Applies an attempt's outcomes: log, DSN, persist or remove, reschedule. */
  private async finishRound(round: Round): Promise<void> {
    const { entry } = round;
    const msg = entry.msg;
    try {
      if (round.results.length === 0 && this.stopped) return; // stopped before any job ran: nothing changed
      const now = this.timers.now();
      const wall = this.wall();
      const failed: Array<{ rcpt: QueuedRecipient; dsn: DsnRecipient }> = [];
      let anyDeferred = false;
      for (const o of round.results) {
        o.rcpt.reply = o.reply;
        const base = { queueId: msg.id, to: o.rcpt.address, relay: o.relay, delay: seconds(wall - msg.arrival) };
        const withDelays = o.delays !== undefined ? { ...base, delays: o.delays } : base;
        if (o.outcome === 'sent') {
          o.rcpt.status = 'sent';
          logDelivery(this.log, { ...withDelays, dsn: statusOf(o.reply, '2.0.0'), status: 'sent', reply: o.reply });
        } else if (o.outcome === 'failed') {
          o.rcpt.status = 'failed';
          const dsn = statusOf(o.reply, '5.0.0');
          logDelivery(this.log, { ...withDelays, dsn, status: 'bounced', reply: o.reply });
          failed.push({ rcpt: o.rcpt, dsn: dsnRecipient(o.rcpt, dsn, o.reply, o.remoteMta) });
        } else {
          anyDeferred = true;
          logDelivery(this.log, { ...withDelays, dsn: statusOf(o.reply, '4.0.0'), status: 'deferred', reply: o.reply });
        }
      }
      if (round.results.length > 0) msg.attempts++;
      if (anyDeferred) this.counters.deferred++;
      const age = wall - msg.arrival;
      if (!this.stopped && age >= this.lifetime) {
        for (const r of msg.recipients) {
          if (r.status !== 'pending') continue;
          r.status = 'failed';
          const reply = `4.4.7 message expired after ${seconds(age)} s in the queue${r.reply !== undefined ? `; last reply: ${r.reply}` : ''}`;
          logDelivery(this.log, { queueId: msg.id, to: r.address, relay: 'none', delay: seconds(age), dsn: '4.4.7', status: 'bounced', reply });
          failed.push({ rcpt: r, dsn: dsnRecipient(r, '4.4.7', r.reply, undefined) });
        }
      }
      const dsnMsg = await this.bounce(msg, failed, wall);
      if (dsnMsg !== undefined) {
        this.enqueue(dsnMsg); // stored already: queue it even if updating the original fails below
        this.opts.onBounce?.(dsnMsg);
      }
      if (msg.recipients.every((r) => r.status !== 'pending')) {
        await this.store.remove(msg);
        this.entries.delete(msg.id);
        logRemoved(this.log, msg.id);
        if (msg.recipients.every((r) => r.status === 'sent')) this.counters.delivered++;
      } else {
        let delay = retryDelay(Math.max(1, msg.attempts), this.minBackoff, this.maxBackoff);
        const left = this.lifetime - age;
        if (left > 0) delay = Math.min(delay, left);
        msg.nextAttempt = now + delay;
        msg.nextAttemptWall = wall + delay;
        await this.store.update(msg);
        if (!this.stopped) this.schedule(entry);
      }
    } catch (err) {
      // The store failed (EIO/ENOSPC): keep the message queued in memory and retry later.
      this.log.error({ queueId: msg.id, err: errText(err) }, `${msg.id}: queue file update failed: ${errText(err)}`);
      if (!this.stopped && this.entries.get(msg.id) === entry) {
        msg.nextAttempt = this.timers.now() + this.minBackoff;
        this.schedule(entry);
      }
    } finally {
      entry.running = false;
      this.activeMessages--;
    }
  }

  /**
   * Stores one DSN for the failed recipients that asked for it. Returns it, or
   * undefined when none is due. If it cannot be stored, those recipients go
   * back to pending (retried, and bounced again on the next failure).
   */
  private async bounce(
    msg: QueuedMessage,
    failed: Array<{ rcpt: QueuedRecipient; dsn: DsnRecipient }>,
    wall: number,
  ): Promise<QueuedMessage | undefined> {
    if (failed.length === 0) return undefined;
    if (msg.from === '' || msg.isBounce === true) {
      this.log.info({ queueId: msg.id }, `${msg.id}: no DSN (${msg.isBounce === true ? 'a DSN is never bounced' : 'null sender'})`);
      return undefined;
    }
    const notify = failed.filter((f) => wantsFailureDsn(f.rcpt.notify));
    if (notify.length === 0) return undefined;
    try {
      const dsn = await createBounce({
        store: this.store,
        hostname: this.opts.hostname,
        original: msg,
        recipients: notify.map((f) => f.dsn),
        now: wall,
        bounceSizeLimit: this.bounceSizeLimit,
      });
      this.counters.bounced++;
      this.log.info({ queueId: msg.id, dsnQueueId: dsn.id }, `${msg.id}: sender non-delivery notification: ${dsn.id}`);
      return dsn;
    } catch (err) {
      this.log.error({ queueId: msg.id, err: errText(err) }, `${msg.id}: DSN not stored, recipients stay queued: ${errText(err)}`);
      for (const f of notify) f.rcpt.status = 'pending';
      return undefined;
    }
  }
}

function dsnRecipient(r: QueuedRecipient, status: string, diagnostic: string | undefined, remoteMta: string | undefined): DsnRecipient {
  const d: DsnRecipient = { address: r.address, action: 'failed', status };
  if (r.orcpt !== undefined) d.orcpt = r.orcpt;
  if (diagnostic !== undefined) d.diagnostic = diagnostic;
  if (remoteMta !== undefined) d.remoteMta = remoteMta;
  return d;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
