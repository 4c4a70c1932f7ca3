/**
 * Helpers of the loss scenarios (test/rack-tlp.test.ts, test/undo.test.ts,
 * test/recovery.test.ts, test/sack-recovery.test.ts) over {@link directEnv}: drop or delay chosen A>B data
 * segments by their offset from the first data byte, drive a transfer in
 * virtual time with every byte checked, and close everything.
 */
import type { TcpConfig } from '../../src/stack.js';
import { tcpClose, tcpRecvmsg, tcpSendmsg } from '../../src/socket.js';
import type { TcpSock } from '../../src/sock.js';
import { A, B, directEnv, type DirectEnv } from './direct-env.js';

/** What to do with the n-th transmission of a segment: 'drop', a delay in ms, or nothing. */
export type Fate = 'drop' | number | undefined;

/**
 * A>B data segments are looked up by offset (from the first data byte) and by how
 * many times that offset was sent before (0 = first transmission); `fate` says
 * what happens. A delayed segment is a copy delivered `ms` later than the link
 * would; the link's own copy is dropped.
 */
export function impair(env: DirectEnv, c: TcpSock, fate: (offset: number, nth: number, now: number) => Fate): void {
  const base = (c.iss + 1) >>> 0;
  const seen = new Map<number, number>();
  const delayMs = 5;
  env.link.filter = ((prev) => (skb, sa, da) => {
    if (!prev(skb, sa, da)) return false;
    if (sa !== A) return true;
    const seq = ((skb.buf[skb.data + 4]! << 24) | (skb.buf[skb.data + 5]! << 16) | (skb.buf[skb.data + 6]! << 8) | skb.buf[skb.data + 7]!) >>> 0;
    const hl = (skb.buf[skb.data + 12]! >> 4) * 4;
    if (skb.len <= hl) return true;
    const off = (seq - base) >>> 0;
    const nth = seen.get(off) ?? 0;
    seen.set(off, nth + 1);
    const f = fate(off, nth, env.clock.now());
    if (f === undefined) return true;
    if (f === 'drop') return false;
    const copy = skb.copy();
    env.clock.setTimeout(() => env.b.tcpV4Rcv(copy, A, B), delayMs + f);
    return false;
  })(env.link.filter!);
}

/** Drops the first transmission of each A>B data segment starting at one of `offsets` (from the first data byte). */
export function dropFirstTransmissionOf(env: DirectEnv, c: TcpSock, offsets: number[]): void {
  const base = (c.iss + 1) >>> 0;
  const pending = new Set(offsets.map((o) => (base + o) >>> 0));
  env.setDrop((p, sa, len) => {
    if (sa !== A || len === 0 || !pending.has(p.seq)) return false;
    pending.delete(p.seq);
    return true;
  });
}

/** A connection A→B with `cfg` (SACK on unless said otherwise), 5 ms each way. */
export function lossEnv(cfg: Partial<TcpConfig> = {}) {
  const env = directEnv({ sack: true, ...cfg });
  const { l, c, s } = env.established();
  return { env, l, c, s };
}

/** The byte pattern of the transfers. */
export const patternByte = (i: number): number => (i * 7 + (i >>> 8)) & 0xff;

/**
 * Writes `n` bytes (from `from` in the pattern) at c and reads them at s, 1 ms at
 * a time, for at most `maxMs`; throws on a corrupted byte. @returns bytes read
 */
export function transfer(env: DirectEnv, c: TcpSock, s: TcpSock, n: number, maxMs = 3000, from = 0): number {
  const data = new Uint8Array(n).map((_, i) => patternByte(from + i));
  let sent = 0;
  let got = 0;
  const buf = new Uint8Array(65536);
  for (let t = 0; t < maxMs && got < n; t++) {
    if (sent < n) {
      try {
        sent += tcpSendmsg(c, data.subarray(sent));
      } catch {
        /* EAGAIN */
      }
    }
    env.clock.advance(1);
    for (;;) {
      let k = 0;
      try {
        k = tcpRecvmsg(s, buf);
      } catch {
        break;
      }
      if (k === 0) break;
      for (let i = 0; i < k; i++) if (buf[i] !== data[got + i]) throw new Error(`byte ${from + got + i} corrupted`);
      got += k;
    }
  }
  return got;
}

/** Lets the connection settle (all ACKs in), `ms` of virtual time. */
export function settle(env: DirectEnv, ms = 100): void {
  env.clock.advance(ms);
}

/** Closes the sockets and runs TIME-WAIT out. */
export function closeAll(env: DirectEnv, ...socks: TcpSock[]): void {
  for (const k of socks) tcpClose(k);
  env.clock.advance(200_000);
}
