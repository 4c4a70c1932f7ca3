/**
 * MSG_EOR (Linux `TCPCB_EOR`, `tcp_skb_can_collapse_to`): a send with `eor` ends a
 * record in its last skb; later writes never append to it, so the record boundary
 * is a segment boundary on the wire — on first transmission and on retransmission.
 * Over a DirectLink (MSS 1460, no TSO) in virtual time, with every segment recorded.
 */
import { describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import { tcpClose, tcpSendmsg } from '../src/socket.js';
import type { TcpSock } from '../src/sock.js';
import { TCPCB_EOR, CB_FLAGS } from '../src/skb-cb.js';
import { TcpFlags } from '../src/wire/tcp.js';
import { createTestbed } from '../src/testing/index.js';
import { apiConnect } from './helpers/api-conn.js';
import { A, directEnv, type DirectEnv } from './helpers/direct-env.js';

/** Payload lengths of the data segments A sent from `from` on. */
function dataLens(env: DirectEnv, from = 0): number[] {
  return env.segs.slice(from).filter((s) => s.dir === 'A>B' && s.len > 0).map((s) => s.len);
}

function closeAll(env: DirectEnv, ...socks: TcpSock[]): void {
  for (const k of socks) tcpClose(k);
  env.clock.advance(200_000);
}

/**
 * Writes the records under MSG_MORE (so nothing leaves before the last write), the
 * last write without flags pushes them all; returns the data segment lengths sent.
 */
function sendRecords(eor: boolean): { lens: number[]; env: DirectEnv; eorBits: number } {
  const env = directEnv();
  const { c, s, l } = env.established();
  c.nodelay = true; // TCP_NODELAY: only the record boundaries cut segments, not Nagle
  const mark = env.segs.length;
  tcpSendmsg(c, new Uint8Array(300), true, eor);
  tcpSendmsg(c, new Uint8Array(300), true, eor);
  tcpSendmsg(c, new Uint8Array(3000), true, eor); // 1460 + 1460 + 80 (size goal = MSS)
  tcpSendmsg(c, new Uint8Array(100), true);
  let eorBits = 0;
  for (const q of [c.rtxQueue, c.writeQueue]) for (let skb = q.peek(); skb !== null; skb = skb.next) if ((skb.cb[CB_FLAGS]! & TCPCB_EOR) !== 0) eorBits++;
  tcpSendmsg(c, new Uint8Array(200));
  env.clock.advance(1);
  const lens = dataLens(env, mark);
  closeAll(env, c, s, l);
  return { lens, env, eorBits };
}

describe('MSG_EOR', () => {
  it('no later write coalesces into a record’s last skb; without it the small writes merge', () => {
    const live = skbStats().live;
    const withEor = sendRecords(true);
    expect(withEor.eorBits).toBe(3);
    expect(withEor.lens).toEqual([300, 300, 1460, 1460, 80, 300]);
    const without = sendRecords(false);
    expect(without.eorBits).toBe(0);
    expect(without.lens).toEqual([1460, 1460, 980]);
    expect(skbStats().live).toBe(live);
  });

  it('retransmissions keep record boundaries (no retransmit collapse across MSG_EOR)', () => {
    const live = skbStats().live;
    const env = directEnv();
    const { c, s, l } = env.established();
    const base = (c.iss + 1) >>> 0;
    let dropping = true;
    c.nodelay = true;
    env.setDrop((_p, sa, len) => dropping && sa === A && len > 0);
    for (let i = 0; i < 4; i++) tcpSendmsg(c, new Uint8Array(200), false, true);
    env.clock.advance(1);
    expect(dataLens(env)).toEqual([200, 200, 200, 200]);
    dropping = false;
    const mark = env.segs.length;
    env.clock.advance(2000); // RTO: go-back-N resends the four records
    const resent = env.segs.slice(mark).filter((x) => x.dir === 'A>B' && x.len > 0);
    expect(resent.length).toBeGreaterThanOrEqual(4);
    for (const r of resent) expect(r.len).toBe(200);
    expect(new Set(resent.map((r) => (r.seq - base) >>> 0))).toEqual(new Set([0, 200, 400, 600]));
    expect(resent.every((r) => (r.flags & TcpFlags.PSH) !== 0)).toBe(true);
    closeAll(env, c, s, l);
    expect(skbStats().live).toBe(live);
  });

  it('SocketApi.send takes { eor } (and { more }) and delivers the bytes unchanged', async () => {
    const live = skbStats().live;
    const tb = createTestbed({ link: 'pair' });
    const conn = await apiConnect(tb, 7000);
    const { sa, sb, c } = conn;
    const msg = new Uint8Array(5000).map((_, i) => i % 251);
    expect(sa.send(c, msg.subarray(0, 1000), { eor: true })).toBe(1000);
    expect(sa.send(c, msg.subarray(1000, 3000), { more: true, eor: true })).toBe(2000);
    expect(sa.send(c, msg.subarray(3000))).toBe(2000);
    const got = new Uint8Array(5000);
    let n = 0;
    await tb.runUntil(() => {
      try {
        n += sb.recv(conn.s, got.subarray(n));
      } catch {
        /* EAGAIN */
      }
      return n === 5000;
    });
    expect(got).toEqual(msg);
    conn.close();
    tb.destroy();
    expect(skbStats().live).toBe(live);
  });
});
