/**
 * Generic receive offload (GRO) for TCP over IPv4.
 *
 * In the NAPI poll, consecutive in-order segments of one TCP flow are merged
 * into one large skb before they enter the stack, so IP and TCP run once per
 * burst instead of once per segment (seed 001: "LRO/GRO merging can happen in
 * the driver"; seed 003 "LRO"). Merging is zero-copy: the payload of each
 * later segment stays in its own skb, chained on the first one's `fragList`
 * with its headers pulled off (Linux's `skb_gro_receive` frag_list path).
 *
 * A segment is merged into the held packet of its flow when (as in
 * `inet_gro_receive` / `tcp_gro_receive`): same addresses and ports, IPv4
 * header without options, same TOS and TTL, not a fragment; its TCP sequence
 * number is exactly the next expected one; ACK number, window, header length
 * and option bytes are identical; flags equal except CWR/FIN/PSH; its payload
 * is no larger than the first segment's (the MSS); its checksum is verified
 * (CHECKSUM_UNNECESSARY, a matching CHECKSUM_COMPLETE, or computed here); and
 * the merged packet stays within 65535 bytes. A segment carrying SYN, RST,
 * URG, CWR or ECE, a segment shorter than the MSS, or one with PSH/FIN ends
 * the merge (it is merged last, or passed alone). Everything else passes
 * through untouched, in order: the held packet of a flow is flushed before an
 * unmergeable packet of the same flow is delivered, and a packet GRO cannot
 * parse (not TCP/IPv4) flushes all held packets first. Cloned (shared) skbs
 * are merged too, without copying payload: a cloned first segment gets a fresh
 * head with a copy of its IPv4+TCP headers (the only bytes rewritten) and is
 * chained behind it, headers pulled; later segments are chained read-only.
 *
 * The merged skb: IPv4 total length and header checksum updated; TCP flags
 * are those of the first segment OR'ed with PSH/FIN of the last; `gsoSize` =
 * MSS, `gsoSegs` = number of segments; `ipSummed` = CHECKSUM_UNNECESSARY
 * (every part was verified). Its TCP checksum field is NOT recomputed for the
 * merged packet: a layer that forwards it out of another device must
 * resegment it (GSO does, computing fresh checksums) — as Linux requires.
 *
 * Held packets are flushed at the end of every NAPI poll, so GRO never delays
 * a frame past the poll that received it.
 *
 * @module
 */
import { allocSkb, csumFold, csumPartial, csumSub, csumTcpUdpNofold, IpSummed, skbChecksum, type SkBuff } from '@netlayers/skbuff';
import { ETH_P } from './ether.js';
import { IP, IPPROTO_TCP, skbCopyMeta, TCP, TCP_FLAG } from './gso.js';

/** Maximum flows held at once (`MAX_GRO_SKBS`). */
export const MAX_GRO_SKBS = 8;

interface Held {
  skb: SkBuff;
  /** IPv4 + TCP header bytes of the first segment. */
  hdrLen: number;
  key: string;
  nextSeq: number;
  mss: number;
  count: number;
  /** The skb whose flags/ack/window define the flow (first segment). */
  ack: number;
  /** Bytes of TCP header from offset 12 on (doff/flags/window), and options, to compare. */
  hdrSig: string;
  lastFlags: number;
}

/** GRO counters. */
export interface GroStats {
  /** Segments offered. */
  received: number;
  /** Segments merged into a held packet. */
  merged: number;
  /** Packets delivered (merged or not). */
  delivered: number;
  /** Segments passed through without merging (not TCP/IPv4, checksum bad, …). */
  passed: number;
}

/** A per-device GRO list (`napi->gro_hash`). */
export class GroList {
  private held: Held[] = [];
  private readonly s: GroStats = { received: 0, merged: 0, delivered: 0, passed: 0 };

  /** @param deliver where packets go after GRO (`netif_receive_skb`) */
  constructor(private readonly deliver: (skb: SkBuff) => unknown) {}

  /** Number of packets currently held. */
  get size(): number {
    return this.held.length;
  }

  /**
   * `napi_gro_receive`: offers one classified frame (`skb.data` at the network header).
   * Takes ownership.
   */
  receive(skb: SkBuff): void {
    this.s.received++;
    const info = parse(skb);
    if (info === null) {
      // Not mergeable (or a shared/cloned skb we must not touch): its flow is unknown
      // here, so flush everything held first — GRO never reorders.
      this.flush();
      this.s.passed++;
      this.out(skb);
      return;
    }
    const idx = this.held.findIndex((h) => h.key === info.key);
    const h = idx >= 0 ? (this.held[idx] as Held) : undefined;
    const ctl = info.flags & (TCP_FLAG.SYN | TCP_FLAG.RST | TCP_FLAG.URG | TCP_FLAG.CWR | TCP_FLAG.ECE);
    const plen = info.payloadLen;
    if (h !== undefined) {
      const canMerge =
        ctl === 0 &&
        plen > 0 &&
        info.seq === h.nextSeq &&
        info.ack === h.ack &&
        info.hdrSig === h.hdrSig &&
        plen <= h.mss &&
        h.skb.len + plen <= 65535 &&
        info.csumOk;
      if (canMerge) {
        if (h.count === 1) h.skb = mergeHead(h.skb, h.hdrLen);
        skb.pull(info.hdrLen);
        h.skb.appendFragList(skb);
        h.nextSeq = (h.nextSeq + plen) >>> 0;
        h.count++;
        h.lastFlags = info.flags;
        this.s.merged++;
        if (plen < h.mss || (info.flags & (TCP_FLAG.PSH | TCP_FLAG.FIN)) !== 0) this.flushAt(idx);
        return;
      }
      this.flushAt(idx);
    }
    // Start a new held packet if this one could be extended; else pass it on.
    if (ctl === 0 && plen > 0 && info.csumOk && (info.flags & (TCP_FLAG.PSH | TCP_FLAG.FIN)) === 0) {
      if (this.held.length >= MAX_GRO_SKBS) this.flushAt(0);
      this.held.push({
        skb,
        hdrLen: info.hdrLen,
        key: info.key,
        nextSeq: (info.seq + plen) >>> 0,
        mss: plen,
        count: 1,
        ack: info.ack,
        hdrSig: info.hdrSig,
        lastFlags: info.flags,
      });
      return;
    }
    this.s.passed++;
    this.out(skb);
  }

  /** `napi_gro_flush`: delivers every held packet. */
  flush(): void {
    while (this.held.length > 0) this.flushAt(0);
  }

  private flushAt(i: number): void {
    const h = this.held[i] as Held;
    this.held.splice(i, 1);
    const skb = h.skb;
    if (h.count > 1) {
      const b = skb.buf;
      const ip = skb.data;
      const ihl = ((b[ip] as number) & 0x0f) * 4;
      wr16(b, ip + IP.TOT_LEN, skb.len);
      wr16(b, ip + IP.CHECK, 0);
      wr16(b, ip + IP.CHECK, csumFold(csumPartial(b, ip, ihl, 0)));
      b[ip + ihl + TCP.FLAGS] = (b[ip + ihl + TCP.FLAGS] as number) | (h.lastFlags & (TCP_FLAG.PSH | TCP_FLAG.FIN));
      skb.gsoSize = h.mss;
      skb.gsoSegs = h.count;
      skb.ipSummed = IpSummed.UNNECESSARY;
    }
    this.out(skb);
  }

  private out(skb: SkBuff): void {
    this.s.delivered++;
    this.deliver(skb);
  }

  /** Snapshot of the counters. */
  stats(): GroStats {
    return { ...this.s };
  }
}

/** Headroom of a fresh merge head (`NET_SKB_PAD`). */
const GRO_HEAD_PAD = 32;

/**
 * The skb a merge starts from. The head of a merge gets its headers rewritten and
 * a frag list, so it must own its data. A clone (e.g. the very skb a same-thread
 * sender keeps for retransmission) is not copied: a fresh head gets a copy of its
 * `hdrLen` header bytes (metered `headers`) and the clone, headers pulled off, is
 * chained as the first member of its `fragList` — Linux's `skb_gro_receive`
 * frag_list path when the held packet cannot take a frag list itself. Called when
 * the second segment merges (a packet held alone is delivered unchanged). The new
 * head has no link header: `macHeader` is unset.
 */
function mergeHead(skb: SkBuff, hdrLen: number): SkBuff {
  if (!skb.isCloned()) return skb;
  const h = allocSkb(GRO_HEAD_PAD + hdrLen, { pool: skb.pool });
  try {
    h.reserve(GRO_HEAD_PAD);
    const d = h.putOff(hdrLen);
    skb.copyHeaders(h.buf, hdrLen, d);
    h.networkHeader = d;
    h.transportHeader = d + 20;
    skbCopyMeta(h, skb);
    h.ipSummed = skb.ipSummed;
  } catch (e) {
    h.free();
    throw e;
  }
  skb.pull(hdrLen);
  h.appendFragList(skb);
  return h;
}

function wr16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

interface SegInfo {
  key: string;
  seq: number;
  ack: number;
  flags: number;
  hdrSig: string;
  hdrLen: number;
  payloadLen: number;
  csumOk: boolean;
}

/** Parses an IPv4/TCP segment at `skb.data`; trims link padding. null if GRO must not touch it. */
function parse(skb: SkBuff): SegInfo | null {
  if (skb.protocol !== ETH_P.IP || skb.len < 40 || !skb.mayPull(40)) return null;
  let b = skb.buf;
  let d = skb.data;
  if (b[d] !== 0x45) return null; // IPv4 without options only
  if (b[d + IP.PROTOCOL] !== IPPROTO_TCP) return null;
  if ((((b[d + IP.FRAG_OFF] as number) << 8) | (b[d + IP.FRAG_OFF + 1] as number)) & 0x3fff) return null;
  const totLen = ((b[d + IP.TOT_LEN] as number) << 8) | (b[d + IP.TOT_LEN + 1] as number);
  if (totLen > skb.len || totLen < 40) return null;
  if (csumFold(csumPartial(b, d, 20, 0)) !== 0) return null; // bad IP header checksum: let ip_rcv count it
  const doff = ((b[d + 20 + TCP.DOFF] as number) >> 4) * 4;
  if (doff < 20 || 20 + doff > totLen || !skb.mayPull(20 + doff)) return null;
  if (totLen < skb.len) {
    if (skb.ipSummed === IpSummed.COMPLETE) skb.ipSummed = IpSummed.NONE;
    skb.trim(totLen);
  }
  b = skb.buf;
  d = skb.data;
  const t = d + 20;
  const hdrLen = 20 + doff;
  const saddr = rd32(b, d + IP.SADDR);
  const daddr = rd32(b, d + IP.DADDR);
  let csumOk: boolean;
  if (skb.ipSummed === IpSummed.UNNECESSARY) csumOk = true;
  else {
    // skb.csum (COMPLETE) covers the packet from data: remove the IP header part;
    // else sum the segment where its bytes are (skbuff's one implementation, metered)
    const sum = skb.ipSummed === IpSummed.COMPLETE ? csumSub(skb.csum, csumPartial(b, d, 20, 0)) : skbChecksum(skb, 20, totLen - 20, 0);
    csumOk = csumFold(csumTcpUdpNofold(saddr, daddr, totLen - 20, IPPROTO_TCP, sum)) === 0;
    if (csumOk) skb.ipSummed = IpSummed.UNNECESSARY;
  }
  const key = `${saddr}:${daddr}:${rd32(b, t)}:${b[d + IP.TOS]}:${b[d + IP.TTL]}`;
  let sig = '';
  for (let i = 12; i < doff; i++) if (i !== 13 && i !== TCP.CHECK && i !== TCP.CHECK + 1) sig += String.fromCharCode(b[t + i] as number);
  const flags = b[t + TCP.FLAGS] as number;
  sig += String.fromCharCode(flags & ~(TCP_FLAG.CWR | TCP_FLAG.FIN | TCP_FLAG.PSH));
  return {
    key,
    seq: rd32(b, t + TCP.SEQ),
    ack: rd32(b, t + TCP.ACK),
    flags,
    hdrSig: sig,
    hdrLen,
    payloadLen: totLen - hdrLen,
    csumOk,
  };
}

function rd32(b: Uint8Array, o: number): number {
  return (((b[o] as number) << 24) | ((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number)) >>> 0;
}

