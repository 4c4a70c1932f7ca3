/**
 * Netfilter-style hook points (Linux `include/uapi/linux/netfilter.h`,
 * `nf_hook_slow`): five places in the IPv4 paths where ordered chains of
 * functions inspect a packet and return a verdict.
 *
 * ```
 *  rcv ─▶ PRE_ROUTING ─▶ route ─┬─▶ LOCAL_IN ─▶ protocol handler
 *                               └─▶ FORWARD ──┐
 *  ipQueueXmit ─▶ LOCAL_OUT ─▶ route ─────────┴─▶ POST_ROUTING ─▶ fragment ─▶ neighbour
 * ```
 *
 * Hooks run in ascending `priority` (ties in registration order). The first
 * non-ACCEPT verdict ends the chain: DROP makes the stack free the skb and count
 * the drop; STOLEN means the hook took ownership (it must free or re-inject the
 * skb itself). A hook may modify the packet in place (NAT-like) but must keep
 * the IPv4 header valid (fill the checksum again).
 *
 * @module
 */
import type { SkBuff } from '@netlayers/skbuff';

/** Hook points (Linux `NF_INET_*`). */
export const NfHook = {
  PRE_ROUTING: 0,
  LOCAL_IN: 1,
  FORWARD: 2,
  LOCAL_OUT: 3,
  POST_ROUTING: 4,
} as const;
/** A hook point. */
export type NfHook = (typeof NfHook)[keyof typeof NfHook];

/** Verdicts (Linux `NF_DROP`, `NF_ACCEPT`, `NF_STOLEN`). */
export const NfVerdict = { DROP: 0, ACCEPT: 1, STOLEN: 2 } as const;
/** A verdict. */
export type NfVerdict = (typeof NfVerdict)[keyof typeof NfVerdict];

/** What a hook is told besides the skb (Linux `struct nf_hook_state`). */
export interface NfHookState<I = unknown> {
  readonly hook: NfHook;
  /** Input interface (PRE_ROUTING, LOCAL_IN, FORWARD). */
  readonly in: I | undefined;
  /** Output interface (FORWARD, LOCAL_OUT after routing, POST_ROUTING). */
  readonly out: I | undefined;
}

/** A hook function. `skb.data` points at the IPv4 header. */
export type NfHookFn<I = unknown> = (skb: SkBuff, state: NfHookState<I>) => NfVerdict;

interface Entry<I> {
  fn: NfHookFn<I>;
  priority: number;
  seq: number;
}

/** Per-hook chains plus per-hook verdict counters. */
export class Netfilter<I = unknown> {
  private readonly chains: Array<Array<Entry<I>>> = [[], [], [], [], []];
  private seq = 0;
  /** Packets dropped per hook. */
  readonly drops: number[] = [0, 0, 0, 0, 0];
  /** Packets stolen per hook. */
  readonly stolen: number[] = [0, 0, 0, 0, 0];

  /**
   * Registers `fn` at `hook` (Linux `nf_register_net_hook`).
   * @param priority - lower runs first (Linux NF_IP_PRI_*; default 0)
   * @returns a function that unregisters it
   */
  register(hook: NfHook, fn: NfHookFn<I>, priority = 0): () => void {
    const chain = this.chains[hook];
    if (!chain) throw new RangeError(`bad hook ${hook}`);
    const e: Entry<I> = { fn, priority, seq: this.seq++ };
    chain.push(e);
    chain.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
    return () => {
      const i = chain.indexOf(e);
      if (i >= 0) chain.splice(i, 1);
    };
  }

  /** True when a hook is registered at `hook` (fast path skip, like static keys). */
  active(hook: NfHook): boolean {
    return this.chains[hook]!.length !== 0;
  }

  /**
   * Runs the chain (Linux `nf_hook_slow`). Does not free: the caller frees on DROP.
   */
  run(hook: NfHook, skb: SkBuff, inIf: I | undefined, outIf: I | undefined): NfVerdict {
    const chain = this.chains[hook]!;
    if (chain.length === 0) return NfVerdict.ACCEPT;
    const state: NfHookState<I> = { hook, in: inIf, out: outIf };
    for (let i = 0; i < chain.length; i++) {
      const v = chain[i]!.fn(skb, state);
      if (v === NfVerdict.ACCEPT) continue;
      if (v === NfVerdict.DROP) this.drops[hook]!++;
      else this.stolen[hook]!++;
      return v;
    }
    return NfVerdict.ACCEPT;
  }
}
