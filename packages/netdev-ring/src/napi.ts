/**
 * NAPI and the NET_RX softirq: budgeted polling with interrupt mitigation.
 *
 * Seed 001 ("NAPI"): when a frame lands in a device's RX ring the "hardware"
 * raises an interrupt; the driver's handler masks further RX interrupts and
 * calls {@link Napi.schedule} (`napi_schedule`), which puts the device's
 * {@link Napi} on the {@link Softnet} poll list and raises the softirq. The
 * stack's event loop later runs {@link Softnet.netRxAction} (`net_rx_action`),
 * which polls each scheduled device for at most its `weight` (64) frames, with
 * a global budget per round (`netdev_budget`, 300) and a time limit
 * (`netdev_budget_usecs`, measured on the injected clock). A device that used
 * its whole weight stays scheduled (its interrupts stay off) and is polled
 * again next round; a device that finished under its weight completes
 * (`napi_complete_done`) and re-enables its interrupt. When the round runs out
 * of budget or time with work left, `timeSqueeze` is counted (the
 * `time_squeeze` column of `/proc/net/softnet_stat`).
 *
 * This is what avoids *receive livelock* (seed 004): under overload interrupts
 * stay off, the stack spends a bounded budget per round on receive
 * processing, and excess frames are dropped cheaply at the ring — the stack
 * keeps delivering at its budgeted rate instead of collapsing into interrupt
 * handling.
 *
 * Non-NAPI drivers (and the loopback device, as in Linux) hand frames to
 * {@link Softnet.netifRx} (`netif_rx`), which queues them on the per-softnet
 * backlog (`input_pkt_queue`, bounded by `netdev_max_backlog` = 1000) served
 * by a built-in backlog NAPI instance (`process_backlog`).
 *
 * Also here: the NET_TX softirq ({@link Softnet.netTxAction}), which restarts
 * the qdiscs of devices whose driver queue was woken (`__netif_schedule`).
 *
 * Everything is single-threaded and explicit: nothing runs until the stack's
 * event loop calls {@link Softnet.doSoftirq} (or `runUntilIdle`). Use
 * {@link SoftnetOptions.onRaise} to learn that work is pending.
 *
 * @module
 */
import type { Clock } from '@netlayers/clock';

/** The driver's poll callback: process up to `budget` frames, return how many were processed. */
export type NapiPollFn = (budget: number) => number;

/** Counters of one {@link Napi} instance. */
export interface NapiStats {
  /** `schedule()` calls that actually scheduled (i.e. "interrupts" taken). */
  scheduled: number;
  /** Poll callbacks run. */
  polls: number;
  /** Frames processed by polls. */
  packets: number;
  /** Polls that used the full weight (device stayed scheduled). */
  fullPolls: number;
  /** Completions (`napi_complete_done`), each re-enabling the interrupt. */
  completions: number;
}

/** Options for a {@link Napi} instance. */
export interface NapiOptions {
  /** Frames per poll (default 64, `NAPI_POLL_WEIGHT`). */
  weight?: number;
  /** Called when polling completes under budget: the driver re-enables its interrupt here. */
  onComplete?: () => void;
}

/** `NAPI_POLL_WEIGHT`. */
export const NAPI_POLL_WEIGHT = 64;

/** A NAPI context (`struct napi_struct`). */
export class Napi {
  /** Maximum frames per poll. */
  readonly weight: number;
  /** True while on the poll list (interrupts are off). */
  scheduled = false;
  /** @internal the driver's poll function */
  readonly pollFn: NapiPollFn;
  private readonly onComplete: (() => void) | undefined;
  private readonly s: NapiStats = { scheduled: 0, polls: 0, packets: 0, fullPolls: 0, completions: 0 };

  /**
   * `netif_napi_add`.
   * @param softnet the softnet whose poll list this instance joins
   * @param poll the driver's poll function
   */
  constructor(
    readonly softnet: Softnet,
    poll: NapiPollFn,
    opts: NapiOptions = {},
  ) {
    this.pollFn = poll;
    this.weight = opts.weight ?? NAPI_POLL_WEIGHT;
    this.onComplete = opts.onComplete;
  }

  /**
   * `napi_schedule`: puts this context on the poll list and raises NET_RX, unless
   * it is already scheduled.
   * @returns true if it was newly scheduled
   */
  schedule(): boolean {
    if (this.scheduled) return false;
    this.scheduled = true;
    this.s.scheduled++;
    this.softnet._add(this);
    return true;
  }

  /**
   * `napi_complete_done`: leave polling mode and call the driver's
   * `onComplete` (which re-enables its interrupt and re-checks its ring).
   * Called by {@link Softnet} when a poll returns less than the weight.
   */
  complete(): void {
    if (!this.scheduled) return;
    this.scheduled = false;
    this.s.completions++;
    this.onComplete?.();
  }

  /** @internal one poll with `budget`; returns work done. */
  _poll(budget: number): number {
    this.s.polls++;
    let work = this.pollFn(budget);
    if (!(work >= 0)) work = 0;
    if (work > budget) work = budget;
    this.s.packets += work;
    if (work === budget) this.s.fullPolls++;
    return work;
  }

  /** Snapshot of the counters. */
  stats(): NapiStats {
    return { ...this.s };
  }
}

/** Options for a {@link Softnet}. */
export interface SoftnetOptions {
  /** Clock used for the round's time limit (omit to disable the time limit). */
  clock?: Clock;
  /** Frames per NET_RX round over all devices (`netdev_budget`, default 300). */
  budget?: number;
  /** Time limit of a round in µs (`netdev_budget_usecs`, default 2000). */
  budgetUsecs?: number;
  /** Backlog queue limit for {@link Softnet.netifRx} (`netdev_max_backlog`, default 1000). */
  maxBacklog?: number;
  /**
   * Rounds one {@link Softnet.doSoftirq} call may run while work keeps being
   * raised (`MAX_SOFTIRQ_RESTART`, default 10); the rest waits for the next
   * call (Linux hands it to ksoftirqd).
   */
  maxRestarts?: number;
  /** Time limit of one {@link Softnet.doSoftirq} call in ms (`MAX_SOFTIRQ_TIME`, default 2). */
  softirqTimeMs?: number;
  /** Called whenever a softirq is raised (work became pending): schedule {@link Softnet.doSoftirq}. */
  onRaise?: () => void;
  /** Receives exceptions thrown by poll functions or qdisc runs (contained, counted). */
  onError?: (err: unknown) => void;
}

/** `/proc/net/softnet_stat`-like counters. */
export interface SoftnetStats {
  /** Frames processed by NET_RX rounds. */
  processed: number;
  /** Frames dropped because the backlog was full. */
  dropped: number;
  /** Rounds that ended with work left because budget or time ran out. */
  timeSqueeze: number;
  /** NET_RX rounds run. */
  rxRounds: number;
  /** NET_TX rounds run. */
  txRounds: number;
  /** Poll functions that threw (contained). */
  pollErrors: number;
}

/** Outcome of one {@link Softnet.netRxAction} round. */
export interface NetRxRound {
  /** Frames processed in this round. */
  processed: number;
  /** True if the round stopped early (budget or time) with devices still scheduled. */
  squeezed: boolean;
}

/** Something with a queue that NET_TX can restart (a device). */
export interface TxSchedulable {
  /** @internal run the device's qdisc (qdisc_run). */
  _qdiscRun(): void;
}

/** A frame source for the backlog: anything with a receive entry point. */
export interface BacklogTarget<S> {
  /** Delivers one frame to the protocol handlers (netif_receive_skb). */
  netifReceiveSkb(skb: S): unknown;
}

/**
 * Per-"CPU" networking softirq state (`struct softnet_data`): the NAPI poll
 * list, the backlog queue, and the NET_RX / NET_TX actions. One instance per
 * stack (event loop) — several devices share it.
 */
export class Softnet {
  /** `netdev_budget`. */
  readonly budget: number;
  /** `netdev_budget_usecs`. */
  readonly budgetUsecs: number;
  /** `netdev_max_backlog`. */
  readonly maxBacklog: number;
  /** `MAX_SOFTIRQ_RESTART`. */
  readonly maxRestarts: number;
  /** `MAX_SOFTIRQ_TIME` in ms. */
  readonly softirqTimeMs: number;
  private readonly clock: Clock | undefined;
  private readonly onRaise: (() => void) | undefined;
  private readonly onError: ((err: unknown) => void) | undefined;
  private pollList: Napi[] = [];
  private txList: TxSchedulable[] = [];
  private readonly txSet = new Set<TxSchedulable>();
  private readonly backlog: { skb: unknown; target: BacklogTarget<unknown> }[] = [];
  private backlogHead = 0;
  private readonly backlogNapi: Napi;
  private raised = false;
  private readonly s: SoftnetStats = { processed: 0, dropped: 0, timeSqueeze: 0, rxRounds: 0, txRounds: 0, pollErrors: 0 };

  constructor(opts: SoftnetOptions = {}) {
    this.clock = opts.clock;
    this.budget = opts.budget ?? 300;
    this.budgetUsecs = opts.budgetUsecs ?? 2000;
    this.maxBacklog = opts.maxBacklog ?? 1000;
    this.maxRestarts = opts.maxRestarts ?? 10;
    this.softirqTimeMs = opts.softirqTimeMs ?? 2;
    this.onRaise = opts.onRaise;
    this.onError = opts.onError;
    this.backlogNapi = new Napi(this, (b) => this.processBacklog(b));
  }

  /** True when a NET_RX or NET_TX round has work. */
  get pending(): boolean {
    return this.pollList.length > 0 || this.txList.length > 0;
  }

  /** Frames waiting in the backlog queue. */
  get backlogLength(): number {
    return this.backlog.length - this.backlogHead;
  }

  private raise(): void {
    if (this.raised) return;
    this.raised = true;
    this.onRaise?.();
  }

  /** @internal add a NAPI context to the poll list. */
  _add(n: Napi): void {
    this.pollList.push(n);
    this.raise();
  }

  /**
   * `netif_rx`: queue a frame on the backlog for the next NET_RX round.
   * @returns false if the backlog is full — the caller still owns the frame and must
   *   drop it (and count it); `stats().dropped` is incremented here.
   */
  netifRx<S>(skb: S, target: BacklogTarget<S>): boolean {
    if (this.backlogLength >= this.maxBacklog) {
      this.s.dropped++;
      return false;
    }
    this.backlog.push({ skb, target: target as BacklogTarget<unknown> });
    this.backlogNapi.schedule();
    return true;
  }

  private processBacklog(budget: number): number {
    let n = 0;
    while (n < budget && this.backlogHead < this.backlog.length) {
      const e = this.backlog[this.backlogHead] as { skb: unknown; target: BacklogTarget<unknown> };
      this.backlog[this.backlogHead] = undefined as never;
      this.backlogHead++;
      n++;
      e.target.netifReceiveSkb(e.skb);
    }
    if (this.backlogHead === this.backlog.length) {
      this.backlog.length = 0;
      this.backlogHead = 0;
    } else if (this.backlogHead > 4096 && this.backlogHead * 2 > this.backlog.length) {
      this.backlog.splice(0, this.backlogHead);
      this.backlogHead = 0;
    }
    return n;
  }

  /**
   * `__netif_schedule`: ask NET_TX to run `dev`'s qdisc (used when a driver wakes its queue).
   */
  netifSchedule(dev: TxSchedulable): void {
    if (this.txSet.has(dev)) return;
    this.txSet.add(dev);
    this.txList.push(dev);
    this.raise();
  }

  /** `net_tx_action`: run the qdiscs of scheduled devices once. */
  netTxAction(): number {
    if (this.txList.length === 0) return 0;
    this.s.txRounds++;
    const list = this.txList;
    this.txList = [];
    this.txSet.clear();
    for (const d of list) {
      try {
        d._qdiscRun();
      } catch (e) {
        this.s.pollErrors++;
        this.onError?.(e);
      }
    }
    return list.length;
  }

  /**
   * `net_rx_action`: one NET_RX round. Polls scheduled NAPI contexts in order,
   * each for at most its weight, until the list is empty, the round's budget is
   * spent, or the time limit passes. Contexts that used their whole weight are
   * polled again in a later round (appended after the others: round-robin fairness).
   */
  netRxAction(): NetRxRound {
    this.s.rxRounds++;
    const list = this.pollList;
    this.pollList = [];
    const repoll: Napi[] = [];
    let budget = this.budget;
    let processed = 0;
    let squeezed = false;
    const timeLimit = this.clock ? this.clock.now() + this.budgetUsecs / 1000 : Infinity;
    let i = 0;
    for (; i < list.length; i++) {
      const n = list[i] as Napi;
      const weight = n.weight;
      let work = 0;
      try {
        work = n._poll(weight);
      } catch (e) {
        // A poll function must not throw; if one does, contain it here so the
        // caller's event loop survives, and take the context off the list.
        this.s.pollErrors++;
        this.onError?.(e);
      }
      processed += work;
      budget -= work;
      if (work < weight) n.complete();
      else repoll.push(n);
      if (budget <= 0 || (this.clock !== undefined && this.clock.now() >= timeLimit)) {
        if (i + 1 < list.length || repoll.length > 0) {
          squeezed = true;
          this.s.timeSqueeze++;
        }
        i++;
        break;
      }
    }
    // Unpolled contexts first, then the ones that want more (list_splice_tail of repoll).
    const rest = list.slice(i).concat(repoll);
    // Contexts scheduled during this round were pushed onto this.pollList.
    this.pollList = rest.concat(this.pollList);
    this.s.processed += processed;
    this.raised = false;
    if (this.pollList.length > 0 || this.txList.length > 0) this.raise();
    return { processed, squeezed };
  }

  /**
   * `__do_softirq`: runs NET_TX then NET_RX rounds while work is pending, at most
   * `maxRestarts` rounds and `softirqTimeMs` of clock time; work left after that
   * stays pending for the next call (the event loop's next turn — Linux's
   * ksoftirqd), so the application always gets the CPU back.
   * @returns frames processed by NET_RX
   */
  doSoftirq(): number {
    const deadline = this.clock ? this.clock.now() + this.softirqTimeMs : Infinity;
    let processed = 0;
    for (let r = 0; r < this.maxRestarts; r++) {
      this.raised = false;
      this.netTxAction();
      if (this.pollList.length > 0) processed += this.netRxAction().processed;
      if (!this.pending) break;
      if (this.clock !== undefined && this.clock.now() >= deadline) break;
    }
    this.raised = false;
    if (this.pending) this.raise();
    return processed;
  }

  /**
   * Runs softirq rounds until nothing is pending or `maxRounds` rounds ran.
   * @returns number of rounds run
   */
  runUntilIdle(maxRounds = 10_000): number {
    let r = 0;
    while (this.pending && r < maxRounds) {
      this.doSoftirq();
      r++;
    }
    return r;
  }

  /** Snapshot of the counters. */
  stats(): SoftnetStats {
    return { ...this.s };
  }
}
