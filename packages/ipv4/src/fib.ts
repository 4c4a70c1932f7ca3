/**
 * Forwarding information base: longest-prefix match (Linux `fib_table_lookup`,
 * `net/ipv4/fib_trie.c`).
 *
 * Representation: the routes live in one `Map<network, Route[]>` per prefix
 * length (0–32) — the authoritative table, used for updates. Lookups use an
 * index over it: a multibit trie with 8-bit strides (four levels, like the
 * upper levels of DIR-24-8 / Linux's LC-trie idea of wide nodes). Each node
 * slot holds the best route among the prefixes that end at that level and
 * cover the slot (controlled prefix expansion), so a lookup is at most four
 * array reads, keeping the last hit — allocation-free and independent of the
 * number of routes. Updates recompute only the slots the changed prefix
 * covers (at most 256, each from ≤ 8 hash probes). Memory: one 256-slot array
 * per node (≈ 2 KiB), nodes created on demand.
 *
 * Routes to the same prefix are ordered by metric (lowest wins, Linux
 * `fib_priority`). Every change bumps {@link Fib.genid} so cached dsts can
 * revalidate cheaply (Linux `rt_genid`).
 *
 * @module
 */
import { prefixMask } from './wire/addr.js';
import type { Ipv4Addr } from './wire/addr.js';

/** Route types (Linux `RTN_*`). */
export type RouteType = 'unicast' | 'local' | 'broadcast' | 'blackhole' | 'unreachable' | 'prohibit';

/** A route. `T` is the interface type the stack uses (kept generic so the FIB stands alone). */
export interface Route<T = unknown> {
  /** Network address (host bits zero). */
  readonly prefix: Ipv4Addr;
  /** Prefix length 0–32. */
  readonly prefixLen: number;
  /** Route type. */
  readonly type: RouteType;
  /** Output interface (undefined only for blackhole/unreachable/prohibit). */
  readonly iface: T | undefined;
  /** Next hop; undefined for directly connected (scope link) routes. */
  readonly gateway: Ipv4Addr | undefined;
  /** Preference: lower wins among equal prefixes. */
  readonly metric: number;
  /** Path MTU metric (RTAX_MTU); undefined = the device MTU. */
  readonly mtu: number | undefined;
  /** Preferred source address for locally generated traffic (RTA_PREFSRC). */
  readonly prefSrc: Ipv4Addr | undefined;
}

/** Arguments of {@link Fib.add}. */
export interface RouteSpec<T = unknown> {
  prefix: Ipv4Addr;
  prefixLen: number;
  type?: RouteType;
  iface?: T;
  gateway?: Ipv4Addr;
  metric?: number;
  mtu?: number;
  prefSrc?: Ipv4Addr;
}

/** Errors from FIB updates. */
export class FibError extends Error {
  constructor(readonly code: 'EEXIST' | 'ESRCH' | 'EINVAL', message: string) {
    super(message);
    this.name = 'FibError';
  }
}

/** One trie node: best route per slot and (lazily) children. */
class TrieNode<T> {
  readonly best: Array<Route<T> | undefined> = new Array<Route<T> | undefined>(256).fill(undefined);
  child: Array<TrieNode<T> | undefined> | undefined;
}

/** A routing table with longest-prefix-match lookups. */
export class Fib<T = unknown> {
  private readonly tables: Array<Map<number, Route<T>[]>> = [];
  private readonly root = new TrieNode<T>();
  private defaultRoute: Route<T> | undefined;
  /** Non-empty prefix lengths, longest first. */
  private lengths: number[] = [];
  private count = 0;
  /** Generation number; bumped on every change (dst cache revalidation). */
  genid = 0;

  constructor() {
    for (let i = 0; i <= 32; i++) this.tables.push(new Map());
  }

  /** Number of routes. */
  get size(): number {
    return this.count;
  }

  /**
   * Adds a route (Linux `fib_table_insert`, `ip route add`).
   * @throws FibError `EINVAL` for a bad prefix length or host bits set, `EEXIST`
   *   for an identical (prefix, length, metric) route
   */
  add(spec: RouteSpec<T>): Route<T> {
    const { prefixLen } = spec;
    if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > 32) throw new FibError('EINVAL', `prefix length ${prefixLen}`);
    const mask = prefixMask(prefixLen);
    const prefix = spec.prefix >>> 0;
    if ((prefix & mask) >>> 0 !== prefix) throw new FibError('EINVAL', `host bits set in prefix for /${prefixLen}`);
    const type = spec.type ?? 'unicast';
    if ((type === 'unicast' || type === 'local' || type === 'broadcast') && spec.iface === undefined) throw new FibError('EINVAL', `${type} route needs an interface`);
    const r: Route<T> = {
      prefix,
      prefixLen,
      type,
      iface: spec.iface,
      gateway: spec.gateway === undefined ? undefined : spec.gateway >>> 0,
      metric: spec.metric ?? 0,
      mtu: spec.mtu,
      prefSrc: spec.prefSrc,
    };
    const t = this.tables[prefixLen]!;
    let list = t.get(prefix);
    if (!list) {
      list = [];
      t.set(prefix, list);
      if (t.size === 1) this.lengths = this.computeLengths();
    }
    if (list.some((x) => x.metric === r.metric && x.iface === r.iface && x.type === r.type)) throw new FibError('EEXIST', 'route exists');
    let i = 0;
    while (i < list.length && list[i]!.metric <= r.metric) i++;
    list.splice(i, 0, r);
    this.count++;
    this.genid++;
    this.reindex(prefix, prefixLen);
    return r;
  }

  /**
   * Removes routes matching prefix/length and, when given, metric/interface/type.
   * @returns the number removed
   */
  delete(prefix: Ipv4Addr, prefixLen: number, match: { metric?: number; iface?: T; type?: RouteType } = {}): number {
    const t = this.tables[prefixLen];
    if (!t) return 0;
    const list = t.get(prefix >>> 0);
    if (!list) return 0;
    const keep = list.filter((r) => !((match.metric === undefined || r.metric === match.metric) && (match.iface === undefined || r.iface === match.iface) && (match.type === undefined || r.type === match.type)));
    const removed = list.length - keep.length;
    if (removed === 0) return 0;
    if (keep.length) t.set(prefix >>> 0, keep);
    else {
      t.delete(prefix >>> 0);
      if (t.size === 0) this.lengths = this.computeLengths();
    }
    this.count -= removed;
    this.genid++;
    this.reindex(prefix >>> 0, prefixLen);
    return removed;
  }

  /** Removes every route through `iface` (device down / address removed). */
  flushIface(iface: T): number {
    let n = 0;
    for (const r of [...this.routes()]) if (r.iface === iface) n += this.delete(r.prefix, r.prefixLen, { iface, metric: r.metric, type: r.type });
    return n;
  }

  /**
   * Longest-prefix match (Linux `fib_lookup`). Returns the best route or undefined.
   * Allocation-free.
   */
  lookup(dst: Ipv4Addr): Route<T> | undefined {
    let node: TrieNode<T> | undefined = this.root;
    let best = this.defaultRoute;
    let shift = 24;
    while (node !== undefined) {
      const idx = (dst >>> shift) & 0xff;
      const r = node.best[idx];
      if (r !== undefined) best = r;
      if (node.child === undefined) break;
      node = node.child[idx];
      shift -= 8;
    }
    return best;
  }

  /** Longest-prefix match by probing the per-length tables (the reference the trie is tested against). */
  lookupSlow(dst: Ipv4Addr): Route<T> | undefined {
    const lengths = this.lengths;
    for (let i = 0; i < lengths.length; i++) {
      const len = lengths[i]!;
      const key = len === 0 ? 0 : (dst & (0xffffffff << (32 - len))) >>> 0;
      const list = this.tables[len]!.get(key);
      if (list !== undefined) return list[0];
    }
    return undefined;
  }

  /** Recomputes the trie slots covered by (prefix, len) after a change. */
  private reindex(prefix: number, len: number): void {
    if (len === 0) {
      this.defaultRoute = this.tables[0]!.get(0)?.[0];
      return;
    }
    const k = (len - 1) >> 3;
    let node = this.root;
    for (let l = 0; l < k; l++) {
      const idx = (prefix >>> (24 - 8 * l)) & 0xff;
      node.child ??= new Array<TrieNode<T> | undefined>(256).fill(undefined);
      node = node.child[idx] ??= new TrieNode<T>();
    }
    const shift = 24 - 8 * k;
    const start = (prefix >>> shift) & 0xff;
    const span = 1 << (8 * (k + 1) - len);
    const high = k === 0 ? 0 : prefix & prefixMask(8 * k);
    for (let sl = start; sl < start + span; sl++) {
      const addr = (high | (sl << shift)) >>> 0;
      let best: Route<T> | undefined;
      for (let l = 8 * (k + 1); l > 8 * k; l--) {
        const list = this.tables[l]!.get((addr & prefixMask(l)) >>> 0);
        if (list !== undefined) {
          best = list[0];
          break;
        }
      }
      node.best[sl] = best;
    }
  }

  /** Iterates all routes (longest prefixes first). */
  *routes(): IterableIterator<Route<T>> {
    for (const len of this.lengths) for (const list of this.tables[len]!.values()) yield* list;
  }

  private computeLengths(): number[] {
    const out: number[] = [];
    for (let l = 32; l >= 0; l--) if (this.tables[l]!.size > 0) out.push(l);
    return out;
  }
}
