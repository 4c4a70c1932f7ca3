import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@netlayers/clock';
import { skbStats } from '@netlayers/skbuff';
import { DirectLink } from './link.js';
import { TcpStack } from './stack.js';
import { inetAccept, inetBind, inetConnect, inetListen, tcpClose, tcpRecvmsg, tcpSendmsg } from './socket.js';
import { TcpState } from './state.js';

const A = 0x0a000001;
const B = 0x0a000002;

function pair(mtu = 1500) {
  const clock = new VirtualClock(0);
  const link = new DirectLink({ clock, mtu, delayMs: 1 } as never);
  link.impairment = { delayMs: 1 };
  let a!: TcpStack;
  let b!: TcpStack;
  a = new TcpStack({ clock, net: link.attach(A, (s, sa, da) => a.tcpV4Rcv(s, sa, da)), seed: 1 });
  b = new TcpStack({ clock, net: link.attach(B, (s, sa, da) => b.tcpV4Rcv(s, sa, da)), seed: 2 });
  return { clock, link, a, b };
}

describe('basic connection', () => {
  it('handshake, transfer, close', () => {
    const live0 = skbStats().live;
    const { clock, a, b } = pair();
    const l = b.newSock();
    inetBind(l, 0, 80);
    inetListen(l, 16);
    const c = a.newSock();
    inetConnect(c, B, 80);
    expect(c.state).toBe(TcpState.SYN_SENT);
    clock.advance(10);
    expect(c.state).toBe(TcpState.ESTABLISHED);
    const s = inetAccept(l);
    expect(s.state).toBe(TcpState.ESTABLISHED);
    const data = new Uint8Array(100_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    let sent = 0;
    const got = new Uint8Array(data.length);
    let recvd = 0;
    const buf = new Uint8Array(65536);
    for (let iter = 0; iter < 10_000 && recvd < data.length; iter++) {
      if (sent < data.length) {
        try {
          sent += tcpSendmsg(c, data.subarray(sent));
        } catch (e) {
          if ((e as { code: string }).code !== 'EAGAIN') throw e;
        }
      }
      clock.advance(1);
      try {
        const n = tcpRecvmsg(s, buf);
        got.set(buf.subarray(0, n), recvd);
        recvd += n;
      } catch (e) {
        if ((e as { code: string }).code !== 'EAGAIN') throw e;
      }
    }
    expect(recvd).toBe(data.length);
    expect(Buffer.from(got.buffer).equals(data)).toBe(true);
    tcpClose(c);
    clock.advance(60); // the peer's ACK of our FIN is delayed (40 ms), as on Linux
    expect(c.state).toBe(TcpState.FIN_WAIT2);
    expect(tcpRecvmsg(s, buf)).toBe(0);
    tcpClose(s);
    clock.advance(10);
    expect(s.dead).toBe(true);
    expect(c.state).toBe(TcpState.TIME_WAIT);
    clock.advance(60_000);
    expect(c.dead).toBe(true);
    tcpClose(l);
    expect(a.socketCount + b.socketCount).toBe(0);
    expect(skbStats().live).toBe(live0);
  });
});
