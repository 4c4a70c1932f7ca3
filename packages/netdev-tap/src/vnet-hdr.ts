/**
 * The virtio-net header (`struct virtio_net_hdr`, Linux
 * `include/uapi/linux/virtio_net.h`, virtio spec 1.2 §5.1.6) that precedes
 * every frame on a TAP fd opened with `IFF_VNET_HDR`:
 *
 * ```
 *  0        1          2          4          6            8             10
 *  +--------+----------+----------+----------+------------+-------------+
 *  | flags  | gso_type | hdr_len  | gso_size | csum_start | csum_offset |
 *  +--------+----------+----------+----------+------------+-------------+
 *                        (u16 fields little-endian: TUNSETVNETLE default on x86/arm64)
 * ```
 *
 * It maps onto skb metadata as in `virtio_net_hdr_to_skb` /
 * `virtio_net_hdr_from_skb`:
 * - `NEEDS_CSUM` ⇔ `ipSummed = PARTIAL` with `csumStart`/`csumOffset`
 *   (`csum_start` counts from the start of the frame, i.e. the MAC header);
 * - `DATA_VALID` ⇒ `ipSummed = UNNECESSARY`;
 * - `gso_type` TCPV4/TCPV6/UDP_L4 ⇔ `gsoType`, `gso_size` ⇔ `gsoSize` (the MSS).
 *
 * Two levels, as for the other wire formats: {@link VnetHdr} is a zero-copy
 * view (no accessor throws once {@link VnetHdr.checkLen} passed) and
 * {@link VnetHdrRepr} a plain object with `parse` / `emit` / `bufferLen`.
 *
 * @module
 */
import { IpSummed, type SkBuff } from '@netlayers/skbuff';

/** Bytes of `struct virtio_net_hdr` (without `num_buffers`). */
export const VNET_HDR_LEN = 10;

/** Field offsets. */
export const field = {
  FLAGS: 0,
  GSO_TYPE: 1,
  HDR_LEN: 2,
  GSO_SIZE: 4,
  CSUM_START: 6,
  CSUM_OFFSET: 8,
} as const;

/** `VIRTIO_NET_HDR_F_*`. */
export const VNET_F = {
  /** The checksum at csum_start + csum_offset must be completed (CHECKSUM_PARTIAL). */
  NEEDS_CSUM: 1,
  /** The checksum was verified (CHECKSUM_UNNECESSARY). */
  DATA_VALID: 2,
} as const;

/** `VIRTIO_NET_HDR_GSO_*`. */
export const VNET_GSO = {
  NONE: 0,
  TCPV4: 1,
  UDP: 3,
  TCPV6: 4,
  UDP_L4: 5,
  /** Flag: the TCP segments carry ECN CWR. */
  ECN: 0x80,
} as const;

/** `SKB_GSO_*` values stored in `skb.gsoType` by this package (Linux `enum skb_gso_type`, abridged). */
export const SKB_GSO = {
  TCPV4: 1 << 0,
  TCP_ECN: 1 << 2,
  TCPV6: 1 << 4,
  UDP_L4: 1 << 17,
} as const;

/** `TUNSETOFFLOAD` flags (`TUN_F_*`). */
export const TUN_F = { CSUM: 0x01, TSO4: 0x02, TSO6: 0x04, TSO_ECN: 0x08, UFO: 0x10 } as const;

/** A zero-copy view of a virtio-net header at `offset` of `buf`. */
export class VnetHdr {
  private constructor(
    readonly buf: Uint8Array,
    readonly offset: number,
  ) {}
  /** Wraps without checking (the caller guarantees {@link VNET_HDR_LEN} bytes). */
  static newUnchecked(buf: Uint8Array, offset = 0): VnetHdr {
    return new VnetHdr(buf, offset);
  }
  /** Wraps after {@link checkLen}; `null` if the buffer is too short. */
  static newChecked(buf: Uint8Array, offset = 0): VnetHdr | null {
    const h = new VnetHdr(buf, offset);
    return h.checkLen() ? h : null;
  }
  /** True when the buffer holds a whole header. */
  checkLen(): boolean {
    return this.offset >= 0 && this.buf.length - this.offset >= VNET_HDR_LEN;
  }
  private u16(o: number): number {
    const b = this.buf;
    return (b[this.offset + o] as number) | ((b[this.offset + o + 1] as number) << 8);
  }
  get flags(): number {
    return this.buf[this.offset + field.FLAGS] as number;
  }
  get gsoType(): number {
    return this.buf[this.offset + field.GSO_TYPE] as number;
  }
  get hdrLen(): number {
    return this.u16(field.HDR_LEN);
  }
  get gsoSize(): number {
    return this.u16(field.GSO_SIZE);
  }
  get csumStart(): number {
    return this.u16(field.CSUM_START);
  }
  get csumOffset(): number {
    return this.u16(field.CSUM_OFFSET);
  }
}

/** A parsed virtio-net header. */
export interface VnetHdrRepr {
  flags: number;
  gsoType: number;
  hdrLen: number;
  gsoSize: number;
  csumStart: number;
  csumOffset: number;
}

export const VnetHdrRepr = {
  /** Reads a checked view into a plain object. */
  parse(h: VnetHdr): VnetHdrRepr {
    return { flags: h.flags, gsoType: h.gsoType, hdrLen: h.hdrLen, gsoSize: h.gsoSize, csumStart: h.csumStart, csumOffset: h.csumOffset };
  },
  /** Bytes {@link emit} writes. */
  bufferLen(): number {
    return VNET_HDR_LEN;
  },
  /**
   * Writes `r` at `buf[offset]` (needs {@link VNET_HDR_LEN} bytes; never throws then).
   */
  emit(r: VnetHdrRepr, buf: Uint8Array, offset = 0): void {
    buf[offset + field.FLAGS] = r.flags;
    buf[offset + field.GSO_TYPE] = r.gsoType;
    put16(buf, offset + field.HDR_LEN, r.hdrLen);
    put16(buf, offset + field.GSO_SIZE, r.gsoSize);
    put16(buf, offset + field.CSUM_START, r.csumStart);
    put16(buf, offset + field.CSUM_OFFSET, r.csumOffset);
  },
};

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}

/**
 * `virtio_net_hdr_from_skb`: the header for transmitting `skb` (`skb.data` at
 * the MAC header). GSO frames get TCPV4/TCPV6 with `gso_size` = `skb.gsoSize`
 * and `hdr_len` = link + network + transport header bytes; CHECKSUM_PARTIAL
 * frames get NEEDS_CSUM.
 * @param hdrLen bytes of headers before the payload (GSO frames only; 0 otherwise)
 * @returns false if the skb cannot be described (GSO without CHECKSUM_PARTIAL)
 */
export function vnetHdrFromSkb(skb: SkBuff, out: VnetHdrRepr, hdrLen: number, isGso: boolean): boolean {
  out.flags = 0;
  out.gsoType = VNET_GSO.NONE;
  out.hdrLen = 0;
  out.gsoSize = 0;
  out.csumStart = 0;
  out.csumOffset = 0;
  if (skb.ipSummed === IpSummed.PARTIAL) {
    out.flags = VNET_F.NEEDS_CSUM;
    out.csumStart = skb.csumStart - skb.data;
    out.csumOffset = skb.csumOffset;
  } else if (isGso) {
    return false; // the kernel requires NEEDS_CSUM on GSO frames
  }
  if (isGso) {
    const t = skb.gsoType;
    out.gsoType = (t & SKB_GSO.TCPV6) !== 0 ? VNET_GSO.TCPV6 : VNET_GSO.TCPV4;
    if ((t & SKB_GSO.TCP_ECN) !== 0) out.gsoType |= VNET_GSO.ECN;
    out.gsoSize = skb.gsoSize;
    out.hdrLen = hdrLen;
  }
  return true;
}

/**
 * `virtio_net_hdr_to_skb`: applies a received header to `skb` (`skb.data` at
 * the MAC header). NEEDS_CSUM becomes CHECKSUM_PARTIAL (csumStart relative to
 * `skb.buf`), DATA_VALID becomes CHECKSUM_UNNECESSARY, GSO fields are copied.
 * @returns false if the header is inconsistent with the frame (checksum field
 *   outside it, unknown GSO type, GSO without a size): drop the frame
 */
export function vnetHdrToSkb(h: VnetHdr, skb: SkBuff): boolean {
  const flags = h.flags;
  if ((flags & VNET_F.NEEDS_CSUM) !== 0) {
    const start = h.csumStart;
    const off = h.csumOffset;
    if (start + off + 2 > skb.len) return false;
    skb.ipSummed = IpSummed.PARTIAL;
    skb.csumStart = skb.data + start;
    skb.csumOffset = off;
  } else if ((flags & VNET_F.DATA_VALID) !== 0) {
    skb.ipSummed = IpSummed.UNNECESSARY;
  }
  const g = h.gsoType;
  if (g !== VNET_GSO.NONE) {
    const base = g & ~VNET_GSO.ECN;
    let t: number;
    if (base === VNET_GSO.TCPV4) t = SKB_GSO.TCPV4;
    else if (base === VNET_GSO.TCPV6) t = SKB_GSO.TCPV6;
    else if (base === VNET_GSO.UDP_L4) t = SKB_GSO.UDP_L4;
    else return false;
    if (h.gsoSize === 0) return false;
    if ((g & VNET_GSO.ECN) !== 0) t |= SKB_GSO.TCP_ECN;
    skb.gsoType = t;
    skb.gsoSize = h.gsoSize;
    skb.gsoSegs = h.hdrLen > 0 && skb.len > h.hdrLen ? Math.ceil((skb.len - h.hdrLen) / h.gsoSize) : 1;
  }
  return true;
}
