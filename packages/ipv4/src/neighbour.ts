/**
 * ARP neighbour cache (RFC 826, RFC 1122 §2.3.2; Linux `net/core/neighbour.c`,
 * `net/ipv4/arp.c`) with the Linux NUD state machine:
 *
 * ```
 *            output, no entry                 reply
 *   (none) ───────────────────▶ INCOMPLETE ─────────────▶ REACHABLE ◀──────────┐
 *                                 │ retrans×mcastProbes        │ reachableTime  │ reply /
 *                                 ▼                            ▼                │ confirm
 *                               FAILED ◀── ucastProbes ──── PROBE ◀── DELAY ◀── STALE
 *                                              (unicast)      delayFirstProbe   output
 * ```
 *
 * Packets waiting for resolution sit on a per-entry queue bounded by
 * `unresQlen` (oldest dropped first, counted in `UnresolvedDiscards`); when an
 * entry fails, its queued packets are handed to the failure callback (ICMP host
 * unreachable, like `ipv4_link_failure`). The table is bounded by `maxEntries`
 * (gc_thresh3); stale/failed entries are reclaimed first. All timers run on the
 * injected {@link TimerService}.
 *
 * Deviation: Linux randomises the reachable time in [½, 1½)·base; we use the
 * base value so virtual-time tests are exactly reproducible.
 *
 * @module
 */
import type { TimerHandle, TimerService } from '@netlayers/clock';
import type { SkBuff } from '@netlayers/skbuff';
import type { Ipv4Addr, MacAddr } from './wire/addr.js';
import { MAC_BROADCAST, MAC_ZERO, macEquals } from './wire/addr.js';
import { ArpOperation, type ArpRepr } from './wire/arp.js';
import type { ArpMib } from './snmp.js';

/** NUD states (Linux `NUD_*`). */
export type NudState = 'INCOMPLETE' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE' | 'FAILED' | 'PERMANENT' | 'NOARP';

/** Tunables (Linux `neigh_parms`, `/proc/sys/net/ipv4/neigh/*`). */
export interface NeighParams {
  /** base_reachable_time_ms (30 s). */
  reachableTimeMs: number;
  /** retrans_time_ms (1 s). */
  retransTimeMs: number;
  /** delay_first_probe_time (5 s). */
  delayFirstProbeMs: number;
  /** mcast_solicit: broadcast requests while INCOMPLETE (3). */
  mcastProbes: number;
  /** ucast_solicit: unicast probes in PROBE (3). */
  ucastProbes: number;
  /** Packets queued per unresolved entry (unres_qlen; Linux ≈101 by bytes). */
  unresQlen: number;
  /** Table size limit (gc_thresh3, 1024). */
  maxEntries: number;
  /** Unused STALE/FAILED entries older than this are collected (gc_stale_time 60 s). */
  gcStaleMs: number;
}

/** Linux defaults. */
export const DEFAULT_NEIGH_PARAMS: NeighParams = {
  reachableTimeMs: 30_000,
  retransTimeMs: 1_000,
  delayFirstProbeMs: 5_000,
  mcastProbes: 3,
  ucastProbes: 3,
  unresQlen: 101,
  maxEntries: 1024,
  gcStaleMs: 60_000,
};

/** One neighbour entry (Linux `struct neighbour`). */
export class Neighbour {
  state: NudState = 'INCOMPLETE';
  mac: MacAddr = MAC_ZERO;
  /** Probes sent in the current INCOMPLETE/PROBE phase. */
  probes = 0;
  /** Last time reachability was confirmed. */
  confirmed = -Infinity;
  /** Last time the entry was used for output. */
  used = 0;
  /** Last state change. */
  updated = 0;
  /** Packets waiting for resolution. */
  readonly queue: SkBuff[] = [];
  /** @internal */
  timer: TimerHandle | undefined;
  constructor(readonly ip: Ipv4Addr) {}
  /** NUD_VALID: a usable MAC is known. */
  get valid(): boolean {
    return this.state === 'REACHABLE' || this.state === 'STALE' || this.state === 'DELAY' || this.state === 'PROBE' || this.state === 'PERMANENT' || this.state === 'NOARP';
  }
}

/** What the table needs from its interface. */
export interface NeighOwner {
  /** Our protocol address on this link (ARP sender address). */
  localAddr(): Ipv4Addr;
  /** Sends an ARP request for `target`, to `dstMac` (broadcast, or unicast when probing). */
  sendArpRequest(target: Ipv4Addr, dstMac: MacAddr): void;
  /** Sends a resolved packet (skb.data at the IP header) to `mac`. Takes ownership. */
  xmitTo(skb: SkBuff, mac: MacAddr): void;
  /** Resolution failed for a queued packet (send ICMP host unreachable, free). Takes ownership. */
  resolutionFailed(skb: SkBuff): void;
}

/** Result of {@link NeighTable.output}. */
export type NeighOutput = 'sent' | 'queued' | 'dropped';

/** The ARP cache of one interface. */
export class NeighTable {
  private readonly entries = new Map<Ipv4Addr, Neighbour>();
  readonly params: NeighParams;

  constructor(
    private readonly owner: NeighOwner,
    private readonly clock: TimerService,
    private readonly mib: ArpMib,
    params: Partial<NeighParams> = {},
  ) {
    this.params = { ...DEFAULT_NEIGH_PARAMS, ...params };
  }

  /** Number of entries. */
  get size(): number {
    return this.entries.size;
  }

  /** The entry for `ip`, if any (`neigh_lookup`). */
  lookup(ip: Ipv4Addr): Neighbour | undefined {
    return this.entries.get(ip >>> 0);
  }

  /** All entries (like `ip neigh show`). */
  list(): Neighbour[] {
    return [...this.entries.values()];
  }

  /** Adds a static entry (`ip neigh add … nud permanent`). */
  addPermanent(ip: Ipv4Addr, mac: MacAddr): Neighbour {
    const n = this.entries.get(ip >>> 0) ?? this.create(ip >>> 0);
    if (!n) throw new RangeError('neighbour table full');
    this.setState(n, 'PERMANENT');
    n.mac = mac.slice();
    this.flushQueue(n);
    return n;
  }

  /** Removes an entry, failing its queued packets. */
  delete(ip: Ipv4Addr): boolean {
    const n = this.entries.get(ip >>> 0);
    if (!n) return false;
    n.timer?.cancel();
    this.failQueue(n);
    this.entries.delete(ip >>> 0);
    return true;
  }

  /** Removes every entry (interface down). */
  flush(): void {
    for (const ip of [...this.entries.keys()]) this.delete(ip);
  }

  /**
   * Confirms reachability from an upper layer (Linux `neigh_confirm` /
   * `dst_confirm_neigh`, e.g. TCP saw new data acknowledged).
   */
  confirm(ip: Ipv4Addr): void {
    const n = this.entries.get(ip >>> 0);
    if (n) n.confirmed = this.clock.now();
  }

  /**
   * Sends `skb` to next hop `nexthop`, resolving it first if needed
   * (Linux `neigh_resolve_output` / `__neigh_event_send`). Takes ownership.
   */
  output(skb: SkBuff, nexthop: Ipv4Addr): NeighOutput {
    const ip = nexthop >>> 0;
    let n = this.entries.get(ip);
    const now = this.clock.now();
    if (!n) {
      n = this.create(ip);
      if (!n) {
        this.mib.UnresolvedDiscards++;
        skb.free();
        return 'dropped';
      }
    }
    n.used = now;
    switch (n.state) {
      case 'REACHABLE':
      case 'PERMANENT':
      case 'NOARP':
      case 'DELAY':
      case 'PROBE':
        this.owner.xmitTo(skb, n.mac);
        return 'sent';
      case 'STALE':
        // RFC 4861 §7.3.3 / neigh_event_send: first use of a STALE entry → DELAY.
        this.setState(n, 'DELAY');
        this.arm(n, this.params.delayFirstProbeMs);
        this.owner.xmitTo(skb, n.mac);
        return 'sent';
      case 'FAILED':
        // Restart resolution (Linux does when probes are allowed).
        this.startResolution(n);
        return this.enqueue(n, skb);
      case 'INCOMPLETE':
        if (n.probes === 0) this.startResolution(n);
        return this.enqueue(n, skb);
    }
  }

  /**
   * Processes a received ARP packet for this interface (Linux `arp_process`).
   * @param isForUs - the target protocol address is ours
   * @returns true when the caller should answer a request (we only decide; the
   *   stack builds the reply)
   */
  arpInput(arp: ArpRepr, isForUs: boolean): boolean {
    const sip = arp.senderProtocolAddr >>> 0;
    const gratuitous = sip === (arp.targetProtocolAddr >>> 0);
    if (sip === 0) return isForUs && arp.operation === ArpOperation.REQUEST; // RFC 5227 probe: answer, learn nothing
    let n = this.entries.get(sip);
    if (arp.operation === ArpOperation.REQUEST) this.mib.InRequests++;
    else this.mib.InReplies++;
    if (!n) {
      // Create only when the packet is addressed to us (arp_accept = 0: gratuitous ARPs
      // update existing entries but create none).
      if (!isForUs || gratuitous) return false;
      n = this.create(sip);
      if (!n) return isForUs && arp.operation === ArpOperation.REQUEST;
    }
    if (n.state === 'PERMANENT' || n.state === 'NOARP') return isForUs && arp.operation === ArpOperation.REQUEST;
    const solicited = arp.operation === ArpOperation.REPLY && isForUs && !gratuitous;
    this.update(n, arp.senderHardwareAddr, solicited);
    return isForUs && arp.operation === ArpOperation.REQUEST && !gratuitous;
  }

  /** Linux `neigh_update`: new lladdr and state after an ARP packet. */
  private update(n: Neighbour, mac: MacAddr, solicited: boolean): void {
    const now = this.clock.now();
    const same = n.valid && macEquals(n.mac, mac);
    if (solicited) {
      n.mac = mac.slice();
      n.confirmed = now;
      this.setState(n, 'REACHABLE');
      this.arm(n, this.params.reachableTimeMs);
    } else if (!same) {
      // Unsolicited information (request to us, gratuitous ARP) only makes it STALE.
      n.mac = mac.slice();
      n.timer?.cancel();
      n.timer = undefined;
      this.setState(n, 'STALE');
    } else if (n.state === 'INCOMPLETE' || n.state === 'FAILED') {
      this.setState(n, 'STALE');
    }
    this.flushQueue(n);
  }

  private create(ip: Ipv4Addr): Neighbour | undefined {
    if (this.entries.size >= this.params.maxEntries && !this.gc(true)) return undefined;
    const n = new Neighbour(ip);
    n.updated = this.clock.now();
    this.entries.set(ip, n);
    return n;
  }

  /**
   * Collects unused FAILED entries and STALE ones older than gcStaleMs
   * (Linux `neigh_forced_gc` / periodic work). With `force`, reclaims at least
   * one reclaimable entry (oldest first).
   * @returns number removed
   */
  gc(force = false): number {
    const now = this.clock.now();
    let removed = 0;
    let oldest: Neighbour | undefined;
    for (const n of this.entries.values()) {
      if (n.queue.length || n.state === 'PERMANENT' || n.state === 'NOARP') continue;
      const reclaimable = n.state === 'FAILED' || n.state === 'STALE';
      if (!reclaimable) continue;
      if (n.state === 'FAILED' || now - n.used >= this.params.gcStaleMs) {
        this.delete(n.ip);
        removed++;
      } else if (!oldest || n.used < oldest.used) oldest = n;
    }
    if (force && removed === 0 && oldest) {
      this.delete(oldest.ip);
      removed++;
    }
    return removed;
  }

  private startResolution(n: Neighbour): void {
    this.setState(n, 'INCOMPLETE');
    n.probes = 1;
    this.mib.OutRequests++;
    this.owner.sendArpRequest(n.ip, MAC_BROADCAST);
    this.arm(n, this.params.retransTimeMs);
  }

  private enqueue(n: Neighbour, skb: SkBuff): NeighOutput {
    if (n.queue.length >= this.params.unresQlen) {
      // Linux drops the oldest queued packet to make room.
      n.queue.shift()!.free();
      this.mib.UnresolvedDiscards++;
    }
    n.queue.push(skb);
    return 'queued';
  }

  private flushQueue(n: Neighbour): void {
    if (!n.valid) return;
    const q = n.queue.splice(0);
    for (const skb of q) this.owner.xmitTo(skb, n.mac);
  }

  private failQueue(n: Neighbour): void {
    const q = n.queue.splice(0);
    for (const skb of q) this.owner.resolutionFailed(skb);
  }

  private setState(n: Neighbour, s: NudState): void {
    if (n.state !== s) {
      n.state = s;
      n.updated = this.clock.now();
    }
  }

  private arm(n: Neighbour, ms: number): void {
    n.timer?.cancel();
    n.timer = this.clock.setTimeout(() => this.timerHandler(n), ms);
  }

  /** Linux `neigh_timer_handler`. */
  private timerHandler(n: Neighbour): void {
    n.timer = undefined;
    if (this.entries.get(n.ip) !== n) return;
    const now = this.clock.now();
    const p = this.params;
    switch (n.state) {
      case 'REACHABLE':
        if (now - n.confirmed < p.reachableTimeMs) this.arm(n, n.confirmed + p.reachableTimeMs - now);
        else this.setState(n, 'STALE');
        return;
      case 'DELAY':
        if (now - n.confirmed < p.reachableTimeMs) {
          this.setState(n, 'REACHABLE');
          this.arm(n, n.confirmed + p.reachableTimeMs - now);
        } else {
          this.setState(n, 'PROBE');
          n.probes = 1;
          this.mib.OutRequests++;
          this.owner.sendArpRequest(n.ip, n.mac);
          this.arm(n, p.retransTimeMs);
        }
        return;
      case 'PROBE':
        if (n.probes >= p.ucastProbes) return this.fail(n);
        n.probes++;
        this.mib.OutRequests++;
        this.owner.sendArpRequest(n.ip, n.mac);
        this.arm(n, p.retransTimeMs);
        return;
      case 'INCOMPLETE':
        if (n.probes >= p.mcastProbes) return this.fail(n);
        n.probes++;
        this.mib.OutRequests++;
        this.owner.sendArpRequest(n.ip, MAC_BROADCAST);
        this.arm(n, p.retransTimeMs);
        return;
      default:
        return;
    }
  }

  private fail(n: Neighbour): void {
    this.setState(n, 'FAILED');
    this.mib.ResFailed++;
    n.probes = 0;
    this.failQueue(n);
  }
}
