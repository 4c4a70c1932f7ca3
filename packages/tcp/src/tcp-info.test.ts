import { describe, expect, it } from 'vitest';
import { SocketApi } from './socket-api.js';
import { TcpState } from './state.js';
import { createTestbed } from './testing/testbed.js';
import { TCP_INFINITE_SSTHRESH, TCPI_OPT_WSCALE } from './tcp-info.js';

describe('getsockopt(TCP_INFO)', () => {
  it('reports Linux tcp_info fields in Linux units for a connection', async () => {
    const tb = createTestbed({ link: 'direct' });
    try {
      const [a, b] = tb.hosts;
      const sa = new SocketApi(a.tcp);
      const sb = new SocketApi(b.tcp);
      const l = sb.socket();
      sb.bind(l, b.addr, 7000);
      sb.listen(l, 4);
      const c = sa.socket();
      expect(sa.tcpInfo(c).tcpi_state).toBe(TcpState.CLOSE);
      try {
        sa.connect(c, b.addr, 7000);
      } catch {
        // EINPROGRESS
      }
      await tb.runUntil(() => sa.tcpSock(c).state === TcpState.ESTABLISHED);
      sa.send(c, new Uint8Array(3000));
      await tb.runUntil(() => sa.tcpSock(c).sndUna === sa.tcpSock(c).writeSeq);
      const i = sa.tcpInfo(c);
      const sk = sa.tcpSock(c);
      expect(i.tcpi_state).toBe(1); // TCP_ESTABLISHED
      expect(i.tcpi_ca_state).toBe(0); // TCP_CA_Open
      expect(i.tcpi_snd_mss).toBe(sk.mss);
      expect(i.tcpi_snd_cwnd).toBe(Math.floor(sk.sndCwnd / sk.mss));
      expect(i.tcpi_snd_ssthresh).toBe(TCP_INFINITE_SSTHRESH);
      expect(i.tcpi_rto).toBe(Math.round(sk.rto * 1000));
      expect(i.tcpi_rto).toBeGreaterThanOrEqual(200_000);
      expect(i.tcpi_rtt).toBe(Math.round(sk.srtt * 1000));
      expect(i.tcpi_bytes_acked).toBe(3000);
      expect(i.tcpi_notsent_bytes).toBe(0);
      expect(i.tcpi_options & TCPI_OPT_WSCALE).toBe(sk.wscaleOk ? TCPI_OPT_WSCALE : 0);
      expect(() => sa.tcpInfo(99)).toThrow(/bad descriptor/);
    } finally {
      tb.destroy();
    }
  });
});
