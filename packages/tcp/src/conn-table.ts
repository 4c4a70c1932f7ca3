/**
 * The connection table (Linux `inet_hashinfo`): established sockets demultiplexed in
 * O(1) by the 4-tuple through a keyed hash (`inet_ehashfn` with a secret, so a peer
 * cannot craft tuples that collide into one chain), listeners by local port
 * (`listening_hash`), and ephemeral port allocation (`inet_hash_connect` over
 * `ip_local_port_range`).
 *
 * Chains are intrusive (`hashNext` on the entry), so an idle connection costs no
 * extra allocation here; the bucket array doubles when the load factor exceeds 1.
 *
 * @module
 */

import { type HashKey, hsiphash, makeHashKey } from './hash.js';

/** What the table needs from an entry (the socket). */
export interface ConnEntry {
  laddr: number;
  lport: number;
  raddr: number;
  rport: number;
  /** @internal chain link */
  hashNext: ConnEntry | null;
}

/** A listening entry. */
export interface ListenEntry {
  laddr: number;
  lport: number;
}

/** Options of a {@link ConnTable}. */
export interface ConnTableOptions {
  /** Seed for the hash key (reproducible tests); random by default. */
  seed?: number;
  /** Ephemeral port range, inclusive (default Linux's 32768–60999). */
  portRange?: readonly [number, number];
}

/** Demux table for one stack. */
export class ConnTable<E extends ConnEntry, L extends ListenEntry> {
  private buckets: (E | null)[];
  private mask: number;
  private readonly key: HashKey;
  private count = 0;
  private readonly listeners = new Map<number, L[]>();
  /** Local ports in use by bound (not yet connected) or listening sockets, with counts. */
  private readonly bound = new Map<number, number>();
  private readonly portLo: number;
  private readonly portHi: number;
  private portHint: number;

  constructor(opts: ConnTableOptions = {}) {
    this.key = makeHashKey(opts.seed === undefined ? undefined : opts.seed ^ 0x7ab1e);
    this.buckets = new Array<E | null>(1024).fill(null);
    this.mask = 1023;
    [this.portLo, this.portHi] = opts.portRange ?? [32768, 60999];
    this.portHint = this.key[1] % (this.portHi - this.portLo + 1);
  }

  /** Established (and SYN-RECV child, TIME-WAIT) entries. */
  get size(): number {
    return this.count;
  }

  private hash(laddr: number, lport: number, raddr: number, rport: number): number {
    return hsiphash(this.key, laddr, raddr, ((lport << 16) | rport) >>> 0);
  }

  /** Finds the entry for a 4-tuple (Linux `__inet_lookup_established`). */
  lookup(laddr: number, lport: number, raddr: number, rport: number): E | undefined {
    let e = this.buckets[this.hash(laddr, lport, raddr, rport) & this.mask] ?? null;
    while (e !== null) {
      if (e.lport === lport && e.rport === rport && e.raddr === raddr && e.laddr === laddr) return e;
      e = e.hashNext as E | null;
    }
    return undefined;
  }

  /** Inserts an entry (Linux `inet_ehash_insert`). Returns false if the tuple is taken. */
  insert(e: E): boolean {
    if (this.lookup(e.laddr, e.lport, e.raddr, e.rport) !== undefined) return false;
    if (this.count >= this.buckets.length) this.grow();
    const i = this.hash(e.laddr, e.lport, e.raddr, e.rport) & this.mask;
    e.hashNext = this.buckets[i] ?? null;
    this.buckets[i] = e;
    this.count++;
    return true;
  }

  /** Removes an entry; returns whether it was present. */
  remove(e: E): boolean {
    const i = this.hash(e.laddr, e.lport, e.raddr, e.rport) & this.mask;
    let p: E | null = null;
    let c = this.buckets[i] ?? null;
    while (c !== null) {
      if (c === e) {
        if (p === null) this.buckets[i] = c.hashNext as E | null;
        else p.hashNext = c.hashNext;
        c.hashNext = null;
        this.count--;
        return true;
      }
      p = c;
      c = c.hashNext as E | null;
    }
    return false;
  }

  private grow(): void {
    const old = this.buckets;
    this.buckets = new Array<E | null>(old.length * 2).fill(null);
    this.mask = this.buckets.length - 1;
    for (let e of old) {
      while (e !== null && e !== undefined) {
        const nx = e.hashNext as E | null;
        const i = this.hash(e.laddr, e.lport, e.raddr, e.rport) & this.mask;
        e.hashNext = this.buckets[i] ?? null;
        this.buckets[i] = e;
        e = nx;
      }
    }
  }

  /** Longest bucket chain (for tests of hash quality). */
  maxChain(): number {
    let m = 0;
    for (let e of this.buckets) {
      let n = 0;
      while (e !== null && e !== undefined) {
        n++;
        e = e.hashNext as E | null;
      }
      if (n > m) m = n;
    }
    return m;
  }

  /** Registers a listener (Linux `inet_csk_listen_start` → `__inet_hash`). */
  addListener(l: L): void {
    const arr = this.listeners.get(l.lport);
    if (arr === undefined) this.listeners.set(l.lport, [l]);
    else arr.push(l);
  }
  /** Unregisters a listener. */
  removeListener(l: L): void {
    const arr = this.listeners.get(l.lport);
    if (arr === undefined) return;
    const i = arr.indexOf(l);
    if (i >= 0) arr.splice(i, 1);
    if (arr.length === 0) this.listeners.delete(l.lport);
  }
  /** Best listener for a destination: exact address first, then wildcard 0.0.0.0 (`__inet_lookup_listener`). */
  lookupListener(daddr: number, dport: number): L | undefined {
    const arr = this.listeners.get(dport);
    if (arr === undefined) return undefined;
    let wild: L | undefined;
    for (const l of arr) {
      if (l.laddr === daddr) return l;
      if (l.laddr === 0) wild = l;
    }
    return wild;
  }

  /** Whether a local port is bound by any socket (bind conflict check). */
  portInUse(port: number): boolean {
    return (this.bound.get(port) ?? 0) > 0;
  }
  /** Counts a bind of `port`. */
  bindPort(port: number): void {
    this.bound.set(port, (this.bound.get(port) ?? 0) + 1);
  }
  /** Releases one bind of `port`. */
  unbindPort(port: number): void {
    const n = (this.bound.get(port) ?? 0) - 1;
    if (n <= 0) this.bound.delete(port);
    else this.bound.set(port, n);
  }

  /**
   * Picks an ephemeral port for a connection to `raddr:rport` from `laddr`
   * (`__inet_hash_connect`): walks the range from a rotating offset and takes the
   * first port not bound by a listener/bound socket whose 4-tuple is free.
   * @returns the port, or undefined when the range is exhausted (EADDRNOTAVAIL)
   */
  allocEphemeral(laddr: number, raddr: number, rport: number): number | undefined {
    const n = this.portHi - this.portLo + 1;
    for (let i = 0; i < n; i++) {
      const port = this.portLo + ((this.portHint + i) % n);
      if (this.bound.has(port) || this.listeners.has(port)) continue;
      if (this.lookup(laddr, port, raddr, rport) !== undefined) continue;
      this.portHint = (this.portHint + i + 1) % n;
      return port;
    }
    return undefined;
  }
}
