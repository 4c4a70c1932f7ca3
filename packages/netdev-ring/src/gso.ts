/**
 * Generic segmentation offload (GSO) for TCP over IPv4, at the device boundary.
 *
 * A TCP sender may hand the device one large "super-segment" (up to 64 KiB)
 * instead of many MTU-sized ones: the per-packet cost of the whole stack is
 * paid once (seed 003, "TSO"). A device with `NETIF_F.TSO` takes it as is; for
 * a device without TSO, {@link skbGsoSegment} cuts it into MSS-sized segments
 * just before the driver (`validate_xmit_skb` → `skb_gso_segment`).
 *
 * Each segment is a new head with a copy of the link, IPv4 and TCP headers
 * (the payload is referenced as page frags, not copied, as `skb_segment`
 * does), fixed up as
 * Linux's `inet_gso_segment` / `tcp_gso_segment` do:
 * - IPv4 total length = header + TCP header + this segment's payload;
 *   identification = first id + segment index; header checksum recomputed;
 * - TCP sequence number = first seq + payload offset; FIN and PSH only on the
 *   last segment, CWR only on the first;
 * - TCP checksum: with checksum offload (`hwCsum`) the segment is left
 *   CHECKSUM_PARTIAL (`csumStart`/`csumOffset` set, pseudo-header sum in the
 *   field) for the device to finish; otherwise computed in full (CHECKSUM_NONE).
 *
 * Self-contained: only the few header fields it needs are parsed here (offsets
 * in the `IP`/`TCP` tables below); it does not depend on the ipv4 package.
 *
 * @module
 */
import {
  allocSkb,
  csumFold,
  csumPartial,
  csumTcpUdpMagic,
  csumTcpUdpNofold,
  IpSummed,
  skbChecksum,
  type SkBuff,
} from '@netlayers/skbuff';
import { ETH_P } from './ether.js';
import { RangeRefs, SegmentRefs, skbAppendRange } from './skb-range.js';

/** IPv4 header field offsets (RFC 791). */
export const IP = { VER_IHL: 0, TOS: 1, TOT_LEN: 2, ID: 4, FRAG_OFF: 6, TTL: 8, PROTOCOL: 9, CHECK: 10, SADDR: 12, DADDR: 16 } as const;
/** TCP header field offsets (RFC 9293). */
export const TCP = { SPORT: 0, DPORT: 2, SEQ: 4, ACK: 8, DOFF: 12, FLAGS: 13, WINDOW: 14, CHECK: 16, URG: 18 } as const;
/** TCP flag bits (byte 13). */
export const TCP_FLAG = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;
/** IP protocol number of TCP. */
export const IPPROTO_TCP = 6;
/** Minimum headroom reserved in each segment (`NET_SKB_PAD`); the original's if larger. */
export const NET_SKB_PAD = 32;

/** Offsets of the headers of an IPv4/TCP frame, relative to `skb.data`. */
export interface TcpFrameLayout {
  /** Start of the IPv4 header (= link header length). */
  nh: number;
  /** IPv4 header length. */
  ihl: number;
  /** Start of the TCP header. */
  th: number;
  /** TCP header length. */
  thl: number;
  /** Start of the payload. */
  payload: number;
  /** IPv4 total length field. */
  totLen: number;
}

/**
 * Parses the layout of an IPv4/TCP frame (`skb.data` at the link header of
 * `hardHeaderLen` bytes), pulling the headers into the linear area if needed.
 * @returns null if it is not an unfragmented IPv4/TCP packet with sane lengths
 */
export function tcpFrameLayout(skb: SkBuff, hardHeaderLen: number): TcpFrameLayout | null {
  const nh = hardHeaderLen;
  if (!skb.mayPull(nh + 20)) return null;
  const b = skb.buf;
  const d = skb.data;
  if (nh === 14 && (((b[d + 12] as number) << 8) | (b[d + 13] as number)) !== ETH_P.IP) return null;
  const vi = b[d + nh] as number;
  if (vi >> 4 !== 4) return null;
  const ihl = (vi & 0x0f) * 4;
  if (ihl < 20) return null;
  if (b[d + nh + IP.PROTOCOL] !== IPPROTO_TCP) return null;
  const frag = (((b[d + nh + IP.FRAG_OFF] as number) << 8) | (b[d + nh + IP.FRAG_OFF + 1] as number)) & 0x3fff;
  if (frag !== 0) return null; // MF set or non-zero offset: a fragment
  const th = nh + ihl;
  if (!skb.mayPull(th + 20)) return null;
  const b2 = skb.buf;
  const d2 = skb.data;
  const thl = ((b2[d2 + th + TCP.DOFF] as number) >> 4) * 4;
  if (thl < 20 || !skb.mayPull(th + thl)) return null;
  const b3 = skb.buf;
  const d3 = skb.data;
  const totLen = ((b3[d3 + nh + IP.TOT_LEN] as number) << 8) | (b3[d3 + nh + IP.TOT_LEN + 1] as number);
  if (totLen < ihl + thl || nh + totLen > skb.len) return null;
  return { nh, ihl, th, thl, payload: th + thl, totLen };
}

/**
 * True if `skb` is an IPv4/TCP frame that GSO can segment (checks the headers
 * without modifying the skb beyond making them linear).
 */
export function skbIsGsoTcp(skb: SkBuff, hardHeaderLen: number): boolean {
  return tcpFrameLayout(skb, hardHeaderLen) !== null;
}

/** Options of {@link skbGsoSegment}. */
export interface GsoOptions {
  /** Link header length in front of the IPv4 header (14 for Ethernet, 0 for raw IP). */
  hardHeaderLen: number;
  /** Payload bytes per segment (default and upper bound: `mtu − IP header − TCP header`). */
  mss?: number | undefined;
  /** Device MTU, used when `mss` is absent. */
  mtu: number;
  /** Leave TCP checksums CHECKSUM_PARTIAL for the device (true) or compute them (false). */
  hwCsum: boolean;
}

/**
 * Copies the per-packet metadata a new head built from `from` inherits
 * (`protocol`, `pktType`, `dev`, `priority`, `mark`, `hash`, `tstamp`), as
 * `skb_segment` / GRO's fresh heads do (`__copy_skb_header`, in part).
 */
export function skbCopyMeta(to: SkBuff, from: SkBuff): void {
  to.protocol = from.protocol;
  to.pktType = from.pktType;
  to.dev = from.dev;
  to.priority = from.priority;
  to.mark = from.mark;
  to.hash = from.hash;
  to.tstamp = from.tstamp;
}

function rd16(b: Uint8Array, o: number): number {
  return ((b[o] as number) << 8) | (b[o + 1] as number);
}
function wr16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
function rd32(b: Uint8Array, o: number): number {
  return (((b[o] as number) << 24) | ((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number)) >>> 0;
}
function wr32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/**
 * `skb_gso_segment` for TCP/IPv4: cuts `skb` into segments of at most `mss`
 * payload bytes. The input skb is not modified beyond linearising its headers
 * and is not freed (the caller frees it). Segments are new skbs from the same
 * pool, owned by the caller.
 *
 * Zero-copy, as Linux's `skb_segment`: each segment is a fresh head whose linear
 * area holds only the link, IPv4 and TCP headers (copied from `skb` with
 * `copyHeaders`: `payload offset` bytes per segment, metered as `headers`); its payload is
 * referenced as page frags (shared frags of `skb`, and borrowed pages over its
 * linear area: see {@link skbAppendRange}). The TCP checksum is computed in place
 * over those references, or left CHECKSUM_PARTIAL for the device.
 * @returns the segments in order, or null if `skb` is not segmentable TCP/IPv4
 */
export function skbGsoSegment(skb: SkBuff, opts: GsoOptions): SkBuff[] | null {
  const lay = tcpFrameLayout(skb, opts.hardHeaderLen);
  if (lay === null) return null;
  const { nh, ihl, th, thl, payload } = lay;
  // Never exceed the MTU, whatever gsoSize the sender asked for.
  const mss = Math.min(opts.mss ?? Infinity, opts.mtu - ihl - thl);
  if (!(mss > 0)) return null;
  const end = nh + lay.totLen; // ignore link padding beyond the IP datagram
  const payloadLen = end - payload;
  // The headers are linear (tcpFrameLayout pulled them): read the fields in place.
  const hb = skb.buf;
  const hd = skb.data;
  const id0 = rd16(hb, hd + nh + IP.ID);
  const seq0 = rd32(hb, hd + th + TCP.SEQ);
  const flags0 = hb[hd + th + TCP.FLAGS] as number;
  const saddr = rd32(hb, hd + nh + IP.SADDR);
  const daddr = rd32(hb, hd + nh + IP.DADDR);
  const nseg = Math.max(1, Math.ceil(payloadLen / mss));
  // skb_segment keeps the original's headroom: whoever pulls these headers can push its own.
  const headroom = Math.max(NET_SKB_PAD, skb.headroom());
  const segs: SkBuff[] = [];
  const run = new RangeRefs();
  try {
    for (let i = 0; i < nseg; i++) {
      const off = i * mss;
      const segLen = Math.min(mss, payloadLen - off);
      const seg = allocSkb(headroom + payload, { pool: skb.pool });
      segs.push(seg);
      seg.reserve(headroom);
      // Charge the head like a NET_SKB_PAD one: the extra headroom mirrors the
      // super-skb's, already charged to its sender (and keeps receive windows as before).
      seg.truesize -= headroom - NET_SKB_PAD;
      const base = seg.putOff(payload);
      skb.copyHeaders(seg.buf, payload, base); // the headers only (metered as headers)
      const refs = new SegmentRefs(seg, run);
      try {
        skbAppendRange(refs, skb, payload + off, segLen);
        refs.finish();
      } catch (e) {
        refs.abort();
        throw e;
      }
      const b = seg.buf;
      // IPv4 fix-ups.
      const ip = base + nh;
      wr16(b, ip + IP.TOT_LEN, ihl + thl + segLen);
      wr16(b, ip + IP.ID, (id0 + i) & 0xffff);
      wr16(b, ip + IP.CHECK, 0);
      wr16(b, ip + IP.CHECK, csumFold(csumPartial(b, ip, ihl, 0)));
      // TCP fix-ups.
      const t = base + th;
      wr32(b, t + TCP.SEQ, (seq0 + off) >>> 0);
      let flags = flags0;
      if (i !== nseg - 1) flags &= ~(TCP_FLAG.FIN | TCP_FLAG.PSH);
      if (i !== 0) flags &= ~TCP_FLAG.CWR;
      b[t + TCP.FLAGS] = flags;
      const tcpLen = thl + segLen;
      if (opts.hwCsum) {
        // CHECKSUM_PARTIAL: the field holds the (uncomplemented) pseudo-header sum.
        wr16(b, t + TCP.CHECK, ~csumTcpUdpMagic(saddr, daddr, tcpLen, IPPROTO_TCP, 0) & 0xffff);
        seg.ipSummed = IpSummed.PARTIAL;
        seg.csumStart = t;
        seg.csumOffset = TCP.CHECK;
      } else {
        // Header (even length) then payload, summed where the bytes are.
        wr16(b, t + TCP.CHECK, 0);
        const sum = skbChecksum(seg, th, tcpLen, 0);
        wr16(b, t + TCP.CHECK, csumFold(csumTcpUdpNofold(saddr, daddr, tcpLen, IPPROTO_TCP, sum)));
        seg.ipSummed = IpSummed.NONE;
      }
      seg.macHeader = base;
      seg.networkHeader = ip;
      seg.transportHeader = t;
      skbCopyMeta(seg, skb);
    }
  } catch (e) {
    for (const s of segs) s.free();
    throw e;
  } finally {
    run.release();
  }
  return segs;
}
