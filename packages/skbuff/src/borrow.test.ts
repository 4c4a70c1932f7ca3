import { describe, expect, it } from 'vitest';
import { allocSkb, IpSummed, skbBorrowLinear, skbChecksumHelp, skbPartialCsum, skbStats } from './index.js';

describe('skbBorrowLinear', () => {
  it('references the linear bytes as a frag without a copy and frees the keeper with the last reference', () => {
    const live0 = skbStats().live;
    const copied0 = skbStats().bytesCopied;
    const src = allocSkb(64 + 100);
    src.reserve(64);
    src.put(100).forEach((_, i, a) => (a[i] = i));
    const page = skbBorrowLinear(src, 40);
    const seg = allocSkb(64);
    seg.reserve(64);
    seg.addFrag(page, src.data + 40, 60, 0);
    src.free(); // the borrowed buffer outlives its owner
    expect([...seg.chunks()].flatMap((c) => [...c])).toEqual(Array.from({ length: 60 }, (_, i) => i + 40));
    expect(skbStats().live).toBeGreaterThan(live0);
    seg.free();
    expect(skbStats().live).toBe(live0);
    expect(skbStats().bytesCopied).toBe(copied0);
  });
});

describe('skbPartialCsum', () => {
  it('is the value skbChecksumHelp writes, without writing', () => {
    const skb = allocSkb(32 + 40);
    skb.reserve(32);
    const b = skb.put(40);
    for (let i = 0; i < 40; i++) b[i] = (i * 37) & 255;
    skb.ipSummed = IpSummed.PARTIAL;
    skb.csumStart = skb.data + 4;
    skb.csumOffset = 16;
    const v = skbPartialCsum(skb);
    expect(skb.ipSummed).toBe(IpSummed.PARTIAL);
    skbChecksumHelp(skb);
    const at = skb.data + 4 + 16;
    expect((skb.buf[at]! << 8) | skb.buf[at + 1]!).toBe(v);
    skb.ipSummed = IpSummed.PARTIAL;
    skb.csumOffset = 39;
    expect(() => skbPartialCsum(skb)).toThrow(/SKB_RANGE|outside/);
    skb.free();
  });
});
