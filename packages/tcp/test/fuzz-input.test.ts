/**
 * Hostile input: arbitrary segments (random flags, sequence and ACK numbers near
 * and far from the live ones, random options and payloads, truncated and garbage
 * headers) thrown at a listener and an established connection never throw, never
 * leak an skb, and leave the connection able to finish its transfer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@netlayers/clock';
import { allocSkb, skbStats } from '@netlayers/skbuff';
import { DirectLink } from '../src/link.js';
import { TcpStack } from '../src/stack.js';
import { inetAccept, inetBind, inetConnect, inetListen, tcpClose, tcpRecvmsg, tcpSendmsg } from '../src/socket.js';
import { TcpPacket } from '../src/wire/tcp.js';
import { arbTcpSegment } from '../src/testing/arbitraries.js';
import { TcpError } from '../src/errors.js';

const A = 0x0a000001;
const B = 0x0a000002;

describe('input fuzzing', () => {
  it('random and malformed segments never throw or leak; the real transfer still completes', () => {
    let alive = 150;
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            arbTcpSegment(64).map((s) => ({ kind: 'seg' as const, ...s, near: true })),
            arbTcpSegment(64).map((s) => ({ kind: 'seg' as const, ...s, near: false })),
            fc.uint8Array({ maxLength: 80 }).map((bytes) => ({ kind: 'raw' as const, bytes })),
          ),
          { maxLength: 60 },
        ),
        (inputs) => {
          const live0 = skbStats().live;
          const clock = new VirtualClock(0);
          const link = new DirectLink({ clock, impairment: { delayMs: 1 } });
          let a!: TcpStack;
          let b!: TcpStack;
          a = new TcpStack({ clock, net: link.attach(A, (s, sa, da) => a.tcpV4Rcv(s, sa, da)), seed: 1 });
          b = new TcpStack({ clock, net: link.attach(B, (s, sa, da) => b.tcpV4Rcv(s, sa, da)), seed: 2 });
          const l = b.newSock();
          inetBind(l, 0, 80);
          inetListen(l, 8);
          const c = a.newSock();
          inetConnect(c, B, 80);
          clock.advance(10);
          const s = inetAccept(l);
          const payload = new Uint8Array(20_000).map((_, i) => i & 0xff);
          let sent = tcpSendmsg(c, payload);
          for (const inp of inputs) {
            let skb;
            if (inp.kind === 'raw') {
              skb = allocSkb(128 + inp.bytes.length);
              skb.reserve(128);
              skb.putData(inp.bytes);
            } else {
              const r = inp.repr;
              if (inp.near) {
                r.srcPort = c.lport;
                r.dstPort = 80;
                r.seq = (s.rcvNxt + (r.seq % 3000) - 1500) >>> 0;
                r.ack = (s.sndUna + (r.ack % 3000) - 1500) >>> 0;
              }
              const hl = r.headerLen();
              skb = allocSkb(128 + hl + inp.payload.length);
              skb.reserve(128);
              skb.putData(new Uint8Array(hl + inp.payload.length));
              skb.buf.set(inp.payload, skb.data + hl);
              r.emit(TcpPacket.unchecked(skb.buf, skb.data, skb.len), A, B);
            }
            b.tcpV4Rcv(skb, A, B);
            clock.advance(1);
          }
          // the connection may have been reset by a valid-looking RST; otherwise it completes
          const out = new Uint8Array(payload.length + 1000);
          let got = 0;
          for (let i = 0; i < 2000 && s.state !== 7 && got < payload.length; i++) {
            if (sent < payload.length) {
              try {
                sent += tcpSendmsg(c, payload.subarray(sent));
              } catch {
                /* EAGAIN or reset */
              }
            }
            clock.advance(50);
            try {
              got += tcpRecvmsg(s, out.subarray(got));
            } catch (e) {
              if (!(e instanceof TcpError)) throw e;
            }
          }
          if (s.state !== 7 && c.state !== 7) expect(got).toBe(payload.length);
          else alive--;
          tcpClose(c);
          tcpClose(s);
          tcpClose(l);
          clock.advance(200_000);
          link.purge();
          for (const t of [a, b]) for (const sk of [...t.sockets.values()]) tcpClose(sk);
          expect(a.socketCount + b.socketCount).toBe(0);
          expect(skbStats().live).toBe(live0);
        },
      ),
      { numRuns: 150, seed: 77 },
    );
    // most runs keep the connection (only an exact-sequence RST may legitimately kill it)
    expect(alive).toBeGreaterThan(100);
  });
});
