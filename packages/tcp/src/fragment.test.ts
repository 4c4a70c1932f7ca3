import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  allocSkb,
  defaultPagePool,
  defaultSkbPool,
  SkbQueue,
  skbStats,
  type SkBuff,
} from "@netlayers/skbuff";
import { tcpFragment } from "./output.js";
import { CB_END_SEQ, CB_FLAGS, CB_SEQ } from "./skb-cb.js";
import type { TcpSock } from "./sock.js";
import { TcpFlags } from "./wire/tcp.js";

const bytesOf = (skb: SkBuff): number[] => {
  const out: number[] = [];
  skb.forEachChunk(0, skb.len, (b, s, e) => {
    for (let i = s; i < e; i++) out.push(b[i]!);
  });
  return out;
};

describe("tcpFragment on paged skbs (skb_split)", () => {
  it("moves frags (one frag cut in two shares its page), never pulls or copies, keeps seq/flags and frees all", () => {
    const sk = {
      stack: { maxTcpHeader: 80, pool: defaultSkbPool },
    } as unknown as TcpSock;
    fc.assert(
      fc.property(
        fc.nat(300),
        fc.array(fc.integer({ min: 1, max: 700 }), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.nat(),
        (headlen, fragSizes, cut) => {
          const live0 = skbStats().live;
          const copied0 = skbStats().bytesCopied;
          const skb = allocSkb(80 + headlen);
          skb.reserve(80);
          let v = 1;
          const lin = skb.put(headlen);
          for (let i = 0; i < headlen; i++) lin[i] = v++ & 0xff;
          for (const size of fragSizes) {
            const page = defaultPagePool.alloc();
            for (let i = 0; i < size; i++) page.bytes[10 + i] = v++ & 0xff;
            skb.addFrag(page, 10, size);
          }
          const want = bytesOf(skb);
          const len = 1 + (cut % (skb.len - 1 || 1));
          if (len >= skb.len) {
            skb.free(); // a 1-byte skb cannot be split
            return;
          }
          skb.cb[CB_SEQ] = 1000;
          skb.cb[CB_END_SEQ] = 1000 + skb.len + 1;
          skb.cb[CB_FLAGS] = TcpFlags.ACK | TcpFlags.PSH | TcpFlags.FIN;
          const q = new SkbQueue();
          q.enqueueTail(skb);
          tcpFragment(sk, skb, len);
          const parts: SkBuff[] = [...q];
          expect(parts[0]).toBe(skb);
          expect(parts[0]!.len).toBe(len);
          expect(parts.flatMap(bytesOf)).toEqual(want);
          expect(q.bytes).toBe(want.length);
          const last = parts[parts.length - 1]!;
          expect(last.cb[CB_FLAGS]! & TcpFlags.FIN).toBe(TcpFlags.FIN);
          expect(skb.cb[CB_FLAGS]! & TcpFlags.FIN).toBe(0);
          let seq = 1000;
          for (const p of parts) {
            expect(p.cb[CB_SEQ]).toBe(seq);
            seq += p.len;
          }
          expect(last.cb[CB_END_SEQ]).toBe(1000 + want.length + 1);
          expect(skbStats().bytesCopied - copied0).toBe(0);
          for (const p of parts) {
            q.unlink(p);
            p.free();
          }
          expect(skbStats().live).toBe(live0);
        }
      ),
      { numRuns: 300 }
    );
  });
});
