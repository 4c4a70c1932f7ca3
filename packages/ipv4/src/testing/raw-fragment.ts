/**
 * Hand-built IPv4 fragments for hostile-peer tests: any offset, payload length and
 * MF flag, with a valid header checksum, as an attacker would put them on the wire.
 *
 * @module
 */
import { allocSkb, type SkBuff } from '@netlayers/skbuff';
import { checksum16, sum16 } from '../wire/checksum.js';

/** Fields of {@link rawIpv4Fragment}. */
export interface RawFragmentSpec {
  /** Source address (host order). */
  src: number;
  /** Destination address (host order). */
  dst: number;
  /** Identification (low 16 bits used). */
  id: number;
  /** Fragment offset in bytes (a multiple of 8). */
  offset: number;
  /** Payload bytes after the 20-byte header (filled with 0xa5). */
  payload: number;
  /** More-fragments flag. */
  more: boolean;
  /** Protocol (default 17, UDP). */
  protocol?: number;
}

/**
 * An skb holding one IPv4 fragment (20-byte header, TTL 64, checksum valid),
 * `data` and `networkHeader` at the header, 64 bytes of headroom. Free it or hand
 * it to a stack (`stack.receiveIp(iface, skb)`), which takes ownership.
 */
export function rawIpv4Fragment(f: RawFragmentSpec): SkBuff {
  const total = 20 + f.payload;
  const skb = allocSkb(64 + total);
  skb.reserve(64);
  const o = skb.putOff(total);
  const b = skb.buf;
  const fo = (f.more ? 0x2000 : 0) | (f.offset >> 3);
  const id = f.id & 0xffff;
  b.set([0x45, 0, total >> 8, total & 0xff, id >> 8, id & 0xff, fo >> 8, fo & 0xff, 64, f.protocol ?? 17, 0, 0], o);
  const dv = new DataView(b.buffer, b.byteOffset + o);
  dv.setUint32(12, f.src >>> 0);
  dv.setUint32(16, f.dst >>> 0);
  b.fill(0xa5, o + 20, o + total);
  const c = checksum16(sum16(b, o, 20));
  b[o + 10] = c >> 8;
  b[o + 11] = c & 0xff;
  skb.resetNetworkHeader();
  return skb;
}
