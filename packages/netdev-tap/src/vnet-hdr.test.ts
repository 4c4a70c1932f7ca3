/**
 * virtio-net header codec: byte fixture, parse/emit roundtrip (fast-check),
 * skb mapping both ways, malformed headers rejected.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocSkb, IpSummed, skbStats } from '@netlayers/skbuff';
import { SKB_GSO, VNET_F, VNET_GSO, VNET_HDR_LEN, VnetHdr, VnetHdrRepr, vnetHdrFromSkb, vnetHdrToSkb } from './vnet-hdr.js';

describe('virtio_net_hdr', () => {
  it('parses a fixture (little-endian u16 fields)', () => {
    const b = Uint8Array.from([0x01, 0x01, 0x36, 0x00, 0xb4, 0x05, 0x22, 0x00, 0x10, 0x00]);
    expect(VnetHdrRepr.parse(VnetHdr.newChecked(b)!)).toEqual({ flags: 1, gsoType: 1, hdrLen: 54, gsoSize: 1460, csumStart: 34, csumOffset: 16 });
    expect(VnetHdr.newChecked(b.subarray(0, 9))).toBeNull();
  });

  it('emit then parse is the identity; emit writes every byte', () => {
    fc.assert(
      fc.property(
        fc.record({
          flags: fc.integer({ min: 0, max: 255 }),
          gsoType: fc.integer({ min: 0, max: 255 }),
          hdrLen: fc.integer({ min: 0, max: 0xffff }),
          gsoSize: fc.integer({ min: 0, max: 0xffff }),
          csumStart: fc.integer({ min: 0, max: 0xffff }),
          csumOffset: fc.integer({ min: 0, max: 0xffff }),
        }),
        fc.integer({ min: 0, max: 16 }),
        (r, off) => {
          const buf = new Uint8Array(off + VnetHdrRepr.bufferLen()).fill(0xa5);
          VnetHdrRepr.emit(r, buf, off);
          expect(VnetHdrRepr.parse(VnetHdr.newUnchecked(buf, off))).toEqual(r);
          const again = new Uint8Array(buf.length).fill(0x5a);
          VnetHdrRepr.emit(r, again, off);
          expect(again.subarray(off)).toEqual(buf.subarray(off));
        },
      ),
    );
  });

  it('maps a received GSO frame onto the skb and a transmitted one back', () => {
    const live0 = skbStats().live;
    const skb = allocSkb(32 + 3000);
    skb.reserve(32);
    skb.put(3000);
    const h = new Uint8Array(VNET_HDR_LEN);
    VnetHdrRepr.emit({ flags: VNET_F.NEEDS_CSUM, gsoType: VNET_GSO.TCPV4 | VNET_GSO.ECN, hdrLen: 54, gsoSize: 1448, csumStart: 34, csumOffset: 16 }, h);
    expect(vnetHdrToSkb(VnetHdr.newUnchecked(h), skb)).toBe(true);
    expect(skb.ipSummed).toBe(IpSummed.PARTIAL);
    expect(skb.csumStart - skb.data).toBe(34);
    expect(skb.gsoSize).toBe(1448);
    expect(skb.gsoType).toBe(SKB_GSO.TCPV4 | SKB_GSO.TCP_ECN);
    expect(skb.gsoSegs).toBe(Math.ceil((3000 - 54) / 1448));
    const out: VnetHdrRepr = { flags: 9, gsoType: 9, hdrLen: 9, gsoSize: 9, csumStart: 9, csumOffset: 9 };
    expect(vnetHdrFromSkb(skb, out, 54, true)).toBe(true);
    expect(out).toEqual({ flags: VNET_F.NEEDS_CSUM, gsoType: VNET_GSO.TCPV4 | VNET_GSO.ECN, hdrLen: 54, gsoSize: 1448, csumStart: 34, csumOffset: 16 });
    skb.ipSummed = IpSummed.NONE;
    expect(vnetHdrFromSkb(skb, out, 54, true)).toBe(false); // GSO needs NEEDS_CSUM
    expect(vnetHdrFromSkb(skb, out, 0, false)).toBe(true);
    expect(out.flags).toBe(0);
    skb.free();
    expect(skbStats().live).toBe(live0);
  });

  it('rejects inconsistent headers', () => {
    const skb = allocSkb(100);
    skb.put(60);
    const h = new Uint8Array(VNET_HDR_LEN);
    VnetHdrRepr.emit({ flags: VNET_F.NEEDS_CSUM, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 50, csumOffset: 16 }, h);
    expect(vnetHdrToSkb(VnetHdr.newUnchecked(h), skb)).toBe(false); // checksum field past the end
    VnetHdrRepr.emit({ flags: 0, gsoType: VNET_GSO.TCPV4, hdrLen: 54, gsoSize: 0, csumStart: 0, csumOffset: 0 }, h);
    expect(vnetHdrToSkb(VnetHdr.newUnchecked(h), skb)).toBe(false); // GSO without a size
    VnetHdrRepr.emit({ flags: 0, gsoType: 42, hdrLen: 54, gsoSize: 100, csumStart: 0, csumOffset: 0 }, h);
    expect(vnetHdrToSkb(VnetHdr.newUnchecked(h), skb)).toBe(false); // unknown GSO type
    VnetHdrRepr.emit({ flags: VNET_F.DATA_VALID, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0 }, h);
    expect(vnetHdrToSkb(VnetHdr.newUnchecked(h), skb)).toBe(true);
    expect(skb.ipSummed).toBe(IpSummed.UNNECESSARY);
    skb.free();
  });
});
