/**
 * Two TCP stacks over a DirectLink in virtual time, with every segment recorded
 * (direction, flags, seq/ack relative to nothing, payload length, time) and a drop
 * hook: the harness of the recovery, SYN-cookie and hostile-peer tests.
 */
import { VirtualClock } from '@netlayers/clock';
import { DirectLink } from '../../src/link.js';
import { TcpStack, type TcpConfig } from '../../src/stack.js';
import type { TcpSock } from '../../src/sock.js';
import { inetAccept, inetBind, inetConnect, inetListen } from '../../src/socket.js';
import { allocSkb } from '@netlayers/skbuff';
import { TcpPacket, TcpRepr } from '../../src/wire/tcp.js';

export const A = 0x0a000001;
export const B = 0x0a000002;

export interface Seg {
  dir: 'A>B' | 'B>A' | 'other';
  flags: number;
  seq: number;
  ack: number;
  len: number;
  win: number;
  t: number;
}

export type DropHook = (p: TcpPacket, saddr: number, len: number) => boolean;

/** `trace` receives each stack's state-transition lines, prefixed `A ` / `B `. */
export function directEnv(cfg: Partial<TcpConfig> = {}, delayMs = 5, trace?: (line: string) => void) {
  const clock = new VirtualClock(0);
  const link = new DirectLink({ clock, impairment: { delayMs } });
  let drop: DropHook | undefined;
  const segs: Seg[] = [];
  const tr = (who: string) => (trace === undefined ? {} : { trace: (l: string) => trace(`${who} ${l}`) });
  const a: TcpStack = new TcpStack({ clock, net: link.attach(A, (s, sa, da) => a.tcpV4Rcv(s, sa, da)), seed: 11, config: cfg, ...tr('A') });
  const b: TcpStack = new TcpStack({ clock, net: link.attach(B, (s, sa, da) => b.tcpV4Rcv(s, sa, da)), seed: 22, config: cfg, ...tr('B') });
  link.filter = (skb, sa) => {
    const p = TcpPacket.unchecked(skb.buf, skb.data, skb.headlen);
    const len = skb.len - p.headerLen;
    segs.push({ dir: sa === A ? 'A>B' : sa === B ? 'B>A' : 'other', flags: p.flags, seq: p.seq, ack: p.ack, len, win: p.window, t: clock.now() });
    return drop === undefined || !drop(p, sa, len);
  };
  return {
    clock,
    link,
    a,
    b,
    segs,
    setDrop(f: DropHook | undefined): void {
      drop = f;
    },
    listen(port = 80, backlog = 16): TcpSock {
      const l = b.newSock();
      inetBind(l, 0, port);
      inetListen(l, backlog);
      return l;
    },
    connect(port = 80): TcpSock {
      const c = a.newSock();
      inetConnect(c, B, port);
      return c;
    },
    /** Listener on B, client on A, run until both are established; returns the three sockets. */
    established(port = 80) {
      const l = this.listen(port);
      const c = this.connect(port);
      clock.advance(50);
      const s = inetAccept(l);
      return { l, c, s };
    },
  };
}

export type DirectEnv = ReturnType<typeof directEnv>;

/** Injects a hand-made segment into `stack` as if it came from `from` (spoofed sources need no endpoint). */
export function inject(stack: TcpStack, from: number, to: number, r: Partial<TcpRepr>, payload = new Uint8Array(0)): void {
  const repr = new TcpRepr({ ...r, payloadLen: payload.length });
  const hl = repr.headerLen();
  const skb = allocSkb(128 + hl + payload.length);
  skb.reserve(128);
  skb.putData(new Uint8Array(hl + payload.length));
  skb.buf.set(payload, skb.data + hl);
  repr.emit(TcpPacket.unchecked(skb.buf, skb.data, skb.len), from, to);
  stack.tcpV4Rcv(skb, from, to);
}
