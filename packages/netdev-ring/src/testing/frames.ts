/**
 * Frame builders for tests: Ethernet/IPv4/TCP frames with correct checksums,
 * and skbs made from bytes.
 *
 * @module
 */
import { allocSkb, csumFold, csumPartial, csumTcpUdpNofold, type SkbPool, type SkBuff } from '@netlayers/skbuff';
import { ETH_HLEN, ETH_P } from '../ether.js';

/** Fields of {@link buildTcpFrame}. */
export interface TcpFrameSpec {
  /** Destination MAC (default 02:00:00:00:00:02). */
  dst?: Uint8Array;
  /** Source MAC (default 02:00:00:00:00:01). */
  src?: Uint8Array;
  /** IPv4 source as u32 (default 198.18.0.1). */
  saddr?: number;
  /** IPv4 destination as u32 (default 198.18.0.2). */
  daddr?: number;
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  /** TCP flags byte (default ACK). */
  flags?: number;
  window?: number;
  /** IPv4 identification. */
  id?: number;
  ttl?: number;
  /** TCP options (length a multiple of 4). */
  options?: Uint8Array;
  payload?: Uint8Array;
  /** Omit the Ethernet header (raw IP frame). */
  raw?: boolean;
}

/** 198.18.0.1 */
export const TEST_ADDR_A = 0xc6120001;
/** 198.18.0.2 */
export const TEST_ADDR_B = 0xc6120002;

/** Builds an Ethernet + IPv4 + TCP frame with valid IP and TCP checksums. */
export function buildTcpFrame(spec: TcpFrameSpec = {}): Uint8Array {
  const payload = spec.payload ?? new Uint8Array(0);
  const opts = spec.options ?? new Uint8Array(0);
  const l2 = spec.raw ? 0 : ETH_HLEN;
  const thl = 20 + opts.length;
  const tot = 20 + thl + payload.length;
  const f = new Uint8Array(l2 + tot);
  const v = new DataView(f.buffer);
  if (!spec.raw) {
    f.set(spec.dst ?? [2, 0, 0, 0, 0, 2], 0);
    f.set(spec.src ?? [2, 0, 0, 0, 0, 1], 6);
    v.setUint16(12, ETH_P.IP);
  }
  const ip = l2;
  const saddr = spec.saddr ?? TEST_ADDR_A;
  const daddr = spec.daddr ?? TEST_ADDR_B;
  f[ip] = 0x45;
  v.setUint16(ip + 2, tot);
  v.setUint16(ip + 4, spec.id ?? 1);
  v.setUint16(ip + 6, 0x4000); // DF
  f[ip + 8] = spec.ttl ?? 64;
  f[ip + 9] = 6;
  v.setUint32(ip + 12, saddr);
  v.setUint32(ip + 16, daddr);
  v.setUint16(ip + 10, csumFold(csumPartial(f, ip, 20, 0)));
  const t = ip + 20;
  v.setUint16(t, spec.sport ?? 40000);
  v.setUint16(t + 2, spec.dport ?? 25);
  v.setUint32(t + 4, (spec.seq ?? 1000) >>> 0);
  v.setUint32(t + 8, (spec.ack ?? 1) >>> 0);
  f[t + 12] = (thl / 4) << 4;
  f[t + 13] = spec.flags ?? 0x10;
  v.setUint16(t + 14, spec.window ?? 65535);
  f.set(opts, t + 20);
  f.set(payload, t + thl);
  const sum = csumPartial(f, t, thl + payload.length, 0);
  v.setUint16(t + 16, csumFold(csumTcpUdpNofold(saddr, daddr, thl + payload.length, 6, sum)));
  return f;
}

/** True if the IPv4 header checksum and the TCP checksum of `frame` are valid. */
export function tcpFrameChecksumsOk(frame: Uint8Array, l2 = ETH_HLEN): boolean {
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const ip = l2;
  const ihl = ((frame[ip] as number) & 0xf) * 4;
  if (csumFold(csumPartial(frame, ip, ihl, 0)) !== 0) return false;
  const tot = v.getUint16(ip + 2);
  const t = ip + ihl;
  const sum = csumPartial(frame, t, tot - ihl, 0);
  return csumFold(csumTcpUdpNofold(v.getUint32(ip + 12), v.getUint32(ip + 16), tot - ihl, 6, sum)) === 0;
}

/**
 * Copies `bytes` into a new skb with `headroom` bytes reserved (default 64),
 * `skb.data` at the first byte.
 */
export function skbFromBytes(bytes: Uint8Array, opts: { headroom?: number; pool?: SkbPool } = {}): SkBuff {
  const headroom = opts.headroom ?? 64;
  const skb = allocSkb(headroom + bytes.length, opts.pool ? { pool: opts.pool } : undefined);
  skb.reserve(headroom);
  skb.putData(bytes);
  return skb;
}

/** All bytes of an skb (linear + paged), copied. */
export function skbToBytes(skb: SkBuff): Uint8Array {
  const out = new Uint8Array(skb.len);
  skb.copyBits(0, out, skb.len);
  return out;
}
