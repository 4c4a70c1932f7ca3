/**
 * IPv4 reassembly (RFC 791 §3.2, RFC 815; Linux `net/ipv4/ip_fragment.c`,
 * `net/ipv4/inet_fragment.c`).
 *
 * Fragments are queued per (src, dst, id, protocol). Each queue keeps its
 * fragments sorted by offset. On insertion (Linux `inet_frag_queue_insert`):
 *
 * - a fragment entirely inside one already queued is a duplicate: dropped alone;
 * - any other overlap discards the whole datagram (post-FragmentSmack Linux,
 *   RFC 5722 applied to IPv4) — counted in ReasmOverlaps and ReasmFails;
 * - an inconsistent last fragment (end differs from a known end, data past the
 *   end) or a datagram over 65535 bytes discards the datagram.
 *
 * When the last fragment has arrived and the data is contiguous, the head
 * fragment (offset 0) becomes the datagram: the other fragments, with their IP
 * headers pulled, are chained on its `fragList` (no payload copy, like
 * `ip_frag_reasm`), and the header is rewritten (total length, no MF/offset,
 * checksum).
 *
 * - a fragment without payload (empty, or a non-last fragment whose payload is
 *   shorter than 8 bytes, which rounds down to nothing) discards the datagram,
 *   as Linux's `ip_frag_queue` does (`end == offset` → `discard_qp`), so such
 *   fragments cannot leave queues behind.
 *
 * Limits: a queue dies after `timeoutMs` (30 s, `ipfrag_time`), sending ICMP
 * time exceeded (fragment reassembly) when the first fragment had arrived; a
 * queue holding more than `maxFragments` fragments is discarded. Memory is
 * accounted as Linux's `fqdir->mem`: every queue is charged its own overhead,
 * {@link IPQ_TRUESIZE} bytes (Linux charges `sizeof(struct ipq)`), plus the
 * truesize of each queued fragment skb. `mem` never exceeds `highThresh` (4 MiB,
 * `ipfrag_high_thresh`): when a new queue or fragment would pass it, the oldest
 * queues are evicted until usage is under `lowThresh` (3 MiB); a fragment that
 * still does not fit is dropped (with its datagram). So the number of live
 * queues is at most `highThresh / IPQ_TRUESIZE` (5461 by default), whatever the
 * input.
 *
 * @module
 */
import type { TimerHandle, TimerService } from '@netlayers/clock';
import type { SkBuff } from '@netlayers/skbuff';
import type { IpMib } from './snmp.js';
import { readIpv4, readU16, writeU16 } from './wire/addr.js';
import { checksum16, sum16 } from './wire/checksum.js';
import { IP_DF, IP_MF, IP_OFFSET, IPV4_FIELD } from './wire/ipv4.js';

/**
 * Bytes charged to the reassembly memory for each queue itself (Linux:
 * `sizeof(struct ipq)` added to `fqdir->mem` by `inet_frag_alloc`). It covers the
 * queue object, its fragment record, its hash-bucket and age-list entries and its
 * timer: measured at 704 B of heap per queue on Node 20 (50,000 queues, after GC,
 * the fragment skbs excluded); rounded up.
 */
export const IPQ_TRUESIZE = 768;

/** Reassembly limits (Linux sysctls `ipfrag_*`). */
export interface DefragOptions {
  /** ipfrag_time (30 s). */
  timeoutMs?: number;
  /** ipfrag_high_thresh (4 MiB). */
  highThresh?: number;
  /** ipfrag_low_thresh (3 MiB). */
  lowThresh?: number;
  /** Fragments per datagram (64). */
  maxFragments?: number;
}

interface Frag {
  offset: number;
  end: number;
  skb: SkBuff;
}

/** One reassembly queue (Linux `struct ipq`). */
class FragQueue {
  readonly frags: Frag[] = [];
  /** Total datagram payload length, known once the last fragment arrived. */
  len = 0;
  lastIn = false;
  firstIn = false;
  /** Bytes received (sum of fragment payloads). */
  meat = 0;
  mem = 0;
  timer: TimerHandle | undefined;
  constructor(
    readonly hash: number,
    readonly src: number,
    readonly dst: number,
    readonly id: number,
    readonly proto: number,
  ) {}
}

/** Why {@link IpDefrag.timeoutHandler} is called. */
export type DefragExpireFn = (firstFragment: SkBuff) => void;

/** Reassembly state of one stack (Linux `netns_frags` for IPv4). */
export class IpDefrag {
  /** Queues by hash of (src, dst, id, protocol); collisions chain in the array. */
  private readonly buckets = new Map<number, FragQueue[]>();
  /** All live queues, oldest first (Map keeps insertion order). */
  private readonly queues = new Map<FragQueue, true>();
  private readonly timeoutMs: number;
  private readonly highThresh: number;
  private readonly lowThresh: number;
  private readonly maxFragments: number;
  /** Memory held by the queues: {@link IPQ_TRUESIZE} per queue + truesize of queued fragments. */
  mem = 0;
  /** Highest `mem` ever observed (for tests and tuning). */
  memPeak = 0;

  constructor(
    private readonly clock: TimerService,
    private readonly mib: IpMib,
    opts: DefragOptions = {},
    /** Called with the first fragment when a queue times out; it must not free it. */
    private readonly onExpire?: DefragExpireFn,
  ) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.highThresh = opts.highThresh ?? 4 * 1024 * 1024;
    this.lowThresh = Math.min(opts.lowThresh ?? 3 * 1024 * 1024, this.highThresh);
    this.maxFragments = opts.maxFragments ?? 64;
  }

  /** Number of datagrams being reassembled. */
  get queueCount(): number {
    return this.queues.size;
  }

  /**
   * Queues a fragment (Linux `ip_defrag`). `skb.data` and `skb.networkHeader` are
   * at its IPv4 header (already validated by ipRcv, trimmed to the total length,
   * header linear). Takes ownership.
   *
   * @returns the reassembled datagram (data at its IPv4 header) or null
   */
  defrag(skb: SkBuff): SkBuff | null {
    this.mib.ReasmReqds++;
    const b = skb.buf;
    const nh = skb.data;
    const ihl = (b[nh]! & 0x0f) * 4;
    const fw = readU16(b, nh + IPV4_FIELD.FLG_OFF);
    const offset = (fw & IP_OFFSET) * 8;
    const more = (fw & IP_MF) !== 0;
    const dataLen = skb.len - ihl;
    let end = offset + dataLen;
    const src = readIpv4(b, nh + 12);
    const dst = readIpv4(b, nh + 16);
    const id = readU16(b, nh + 4);
    const proto = b[nh + 9]!;
    const hash = (Math.imul(src, 0x9e3779b1) ^ Math.imul(dst, 0x85ebca6b) ^ Math.imul((id << 8) | proto, 0xc2b2ae35)) >>> 0;
    let q: FragQueue | undefined;
    const bucket = this.buckets.get(hash);
    if (bucket !== undefined) {
      for (const c of bucket) {
        if (c.src === src && c.dst === dst && c.id === id && c.proto === proto) {
          q = c;
          break;
        }
      }
    }
    if (!q) {
      const need = IPQ_TRUESIZE + skb.truesize;
      if (this.mem + need > this.highThresh) this.evict(need);
      if (this.mem + need > this.highThresh) {
        this.mib.ReasmFails++;
        skb.free();
        return null;
      }
      q = new FragQueue(hash, src, dst, id, proto);
      q.mem = IPQ_TRUESIZE;
      this.mem += IPQ_TRUESIZE;
      if (this.mem > this.memPeak) this.memPeak = this.mem;
      this.queues.set(q, true);
      if (bucket !== undefined) bucket.push(q);
      else this.buckets.set(hash, [q]);
      const qq = q;
      q.timer = this.clock.setTimeout(() => this.expire(qq), this.timeoutMs);
    }

    // Linux ip_frag_queue checks.
    if (end > 0xffff - ihl) return this.discardQueue(q, skb);
    if (!more) {
      if (end < q.len || (q.lastIn && end !== q.len)) return this.discardQueue(q, skb);
      q.lastIn = true;
      q.len = end;
    } else {
      if (end & 7) end &= ~7; // non-last fragments carry multiples of 8
      if (end > q.len) {
        if (q.lastIn) return this.discardQueue(q, skb);
        q.len = end;
      }
    }
    // No payload (empty, or under 8 bytes and not last): Linux discards the queue.
    if (end === offset) return this.discardQueue(q, skb);

    // Find the insertion point (first fragment with offset >= ours).
    const frags = q.frags;
    let lo = 0;
    let hi = frags.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (frags[mid]!.offset < offset) lo = mid + 1;
      else hi = mid;
    }
    const prev = lo > 0 ? frags[lo - 1] : undefined;
    const next = frags[lo];
    // Duplicate: entirely within one queued fragment.
    if ((prev && offset >= prev.offset && end <= prev.end) || (next && offset === next.offset && end <= next.end)) {
      skb.free();
      return null;
    }
    if ((prev && prev.end > offset) || (next && next.offset < end)) {
      this.mib.ReasmOverlaps++;
      return this.discardQueue(q, skb);
    }
    if (frags.length >= this.maxFragments) return this.discardQueue(q, skb);
    if (this.mem + skb.truesize > this.highThresh) {
      this.evict(skb.truesize, q);
      if (this.mem + skb.truesize > this.highThresh) return this.discardQueue(q, skb);
    }

    // Keep only the payload bytes [offset, end) of this fragment.
    if (skb.len > ihl + (end - offset)) skb.trim(ihl + (end - offset));
    frags.splice(lo, 0, { offset, end, skb });
    q.meat += end - offset;
    q.mem += skb.truesize;
    this.mem += skb.truesize;
    if (this.mem > this.memPeak) this.memPeak = this.mem;
    if (offset === 0) q.firstIn = true;

    if (q.firstIn && q.lastIn && q.meat === q.len) return this.reasm(q);
    return null;
  }

  /** Linux `ip_frag_reasm`: builds the datagram on the head fragment. */
  private reasm(q: FragQueue): SkBuff | null {
    this.unlink(q);
    const frags = q.frags;
    let head = frags[0]!.skb;
    const nh0 = head.data;
    const ihl = (head.buf[nh0]! & 0x0f) * 4;
    if (ihl + q.len > 0xffff) {
      for (const f of frags) f.skb.free();
      this.mib.ReasmFails++;
      return null;
    }
    if (head.isCloned()) head = head.unshare();
    for (let i = 1; i < frags.length; i++) {
      const f = frags[i]!.skb;
      const fihl = (f.buf[f.data]! & 0x0f) * 4;
      f.pull(fihl);
      head.appendFragList(f);
    }
    const b = head.buf;
    const nh = head.data;
    head.networkHeader = nh;
    writeU16(b, nh + IPV4_FIELD.LENGTH, ihl + q.len);
    writeU16(b, nh + IPV4_FIELD.FLG_OFF, readU16(b, nh + IPV4_FIELD.FLG_OFF) & IP_DF);
    writeU16(b, nh + IPV4_FIELD.CHECKSUM, 0);
    writeU16(b, nh + IPV4_FIELD.CHECKSUM, checksum16(sum16(b, nh, ihl)));
    head.ipSummed = 0; // CHECKSUM_NONE: L4 must verify over the whole datagram
    this.mib.ReasmOKs++;
    return head;
  }

  private discardQueue(q: FragQueue, skb: SkBuff): null {
    skb.free();
    this.kill(q);
    this.mib.ReasmFails++;
    return null;
  }

  private unlink(q: FragQueue): void {
    q.timer?.cancel();
    q.timer = undefined;
    if (!this.queues.delete(q)) return;
    const bucket = this.buckets.get(q.hash);
    if (bucket !== undefined) {
      const i = bucket.indexOf(q);
      if (i >= 0) bucket.splice(i, 1);
      if (bucket.length === 0) this.buckets.delete(q.hash);
    }
    this.mem -= q.mem;
    q.mem = 0;
  }

  private kill(q: FragQueue): void {
    this.unlink(q);
    for (const f of q.frags) f.skb.free();
    q.frags.length = 0;
  }

  private expire(q: FragQueue): void {
    q.timer = undefined;
    if (!this.queues.has(q)) return;
    this.mib.ReasmFails++;
    this.mib.ReasmTimeout++;
    const first = q.frags[0];
    if (q.firstIn && first && first.offset === 0 && this.onExpire) this.onExpire(first.skb);
    this.kill(q);
  }

  /** Evicts oldest queues (not `keep`) until `mem + need ≤ lowThresh`. */
  private evict(need: number, keep?: FragQueue): void {
    for (const q of [...this.queues.keys()]) {
      if (this.mem + need <= this.lowThresh) break;
      if (q === keep) continue;
      this.kill(q);
      this.mib.ReasmFails++;
    }
  }

  /** Drops every queue (stack shutdown). */
  flush(): void {
    for (const q of [...this.queues.keys()]) this.kill(q);
  }
}
