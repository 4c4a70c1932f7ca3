/**
 * The congestion-control registry and its socket-facing side: registration
 * rules (typed errors), available/allowed lists, the `congestionControl`
 * tunable (default cubic), `setsockopt`/`getsockopt(TCP_CONGESTION)` including
 * ENOENT, a switch on a live connection (release/init), listener children
 * inheriting the module, IW10 at establishment and TCP_INFO's cwnd/ssthresh/
 * ca_state after a loss.
 */
import { describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import {
  cubicCongestionOps,
  renoCongestionOps,
  tcpCaFind,
  tcpGetAllowedCongestionControl,
  tcpGetAvailableCongestionControl,
  tcpRegisterCongestionControl,
  tcpSetCongestionControl,
  tcpUnregisterCongestionControl,
  TCP_CONG_NON_RESTRICTED,
  type CongestionOps,
  type CongState,
} from '../src/index.js';
import { TcpError } from '../src/errors.js';
import { SocketApi } from '../src/socket-api.js';
import { TcpStack, defaultTcpConfig } from '../src/stack.js';
import { inetAccept } from '../src/socket.js';
import { createTestbed } from '../src/testing/index.js';
import { directEnv } from './helpers/direct-env.js';

/** The errno of the TcpError `f` throws (undefined if it returns). */
const code = (f: () => unknown): string | undefined => {
  let got: string | undefined;
  try {
    f();
  } catch (e) {
    if (!(e instanceof TcpError)) throw e;
    got = e.code;
  }
  return got;
};

describe('congestion-control registry', () => {
  it('has reno, cubic and vegas built in; cubic is the default, like Linux', () => {
    expect(tcpGetAvailableCongestionControl()).toEqual(expect.arrayContaining(['reno', 'cubic', 'vegas']));
    expect(tcpGetAllowedCongestionControl()).toEqual(expect.arrayContaining(['reno', 'cubic', 'vegas']));
    expect(tcpCaFind('cubic')).toBe(cubicCongestionOps);
    expect(tcpCaFind('bbr')).toBeUndefined();
    expect(defaultTcpConfig.congestionControl).toBe('cubic');
  });

  it('registers a module with typed errors for bad, duplicate and unknown names', () => {
    const calls: string[] = [];
    const halve: CongestionOps = {
      name: 'halve-test',
      ssthresh: (s: CongState) => Math.max(s.sndCwnd >> 1, 2 * s.mss),
      congAvoid: (s: CongState, acked: number) => {
        calls.push(`ack ${acked}`);
        s.sndCwnd += s.mss;
      },
      init: () => calls.push('init'),
      release: () => calls.push('release'),
    };
    expect(tcpRegisterCongestionControl(halve)).toBe(0);
    const dup = tcpRegisterCongestionControl(halve);
    expect(dup).toBeInstanceOf(TcpError);
    expect((dup as TcpError).code).toBe('EEXIST');
    expect((tcpRegisterCongestionControl({ ...halve, name: 'a name with spaces' }) as TcpError).code).toBe('EINVAL');
    expect((tcpRegisterCongestionControl({ ...halve, name: 'x'.repeat(16) }) as TcpError).code).toBe('EINVAL');
    expect((tcpRegisterCongestionControl({ name: 'broken' } as unknown as CongestionOps) as TcpError).code).toBe('EINVAL');
    // a restricted module (no TCP_CONG_NON_RESTRICTED) is available but not allowed
    expect(tcpGetAvailableCongestionControl()).toContain('halve-test');
    expect(tcpGetAllowedCongestionControl()).not.toContain('halve-test');
    expect(TCP_CONG_NON_RESTRICTED).toBe(1);

    const env = directEnv({}, 5);
    const l = env.listen();
    const c = env.connect();
    env.clock.advance(50);
    const s = inetAccept(l);
    expect((tcpSetCongestionControl(c, 'halve-test', false) as TcpError).code).toBe('EPERM');
    expect(tcpSetCongestionControl(c, 'halve-test')).toBe(0);
    expect(calls).toEqual(['init']); // live connection: init at once
    expect(c.ca.name).toBe('halve-test');
    expect((tcpSetCongestionControl(c, 'no-such') as TcpError).code).toBe('ENOENT');
    expect(tcpSetCongestionControl(c, 'reno')).toBe(0);
    expect(calls).toEqual(['init', 'release']);
    expect(c.caPriv).toBeNull();
    expect(tcpUnregisterCongestionControl('halve-test')).toBe(0);
    expect((tcpUnregisterCongestionControl('halve-test') as TcpError).code).toBe('ENOENT');
    expect((tcpUnregisterCongestionControl('reno') as TcpError).code).toBe('EINVAL');
    expect(s.ca).toBe(cubicCongestionOps);
  });

  it('a stack takes its default from congestionControl; an unknown name is ENOENT', () => {
    const env = directEnv({ congestionControl: 'vegas' });
    expect(env.a.newSock().ca.name).toBe('vegas');
    expect(code(() => new TcpStack({ clock: env.clock, net: env.a.net, config: { congestionControl: 'nope' } }))).toBe('ENOENT');
    const custom = new TcpStack({ clock: env.clock, net: env.a.net, congestion: renoCongestionOps });
    expect(custom.config.congestionControl).toBe('reno');
  });
});

describe('TCP_CONGESTION through the socket API', () => {
  it('setsockopt/getsockopt by name, ENOENT for an unknown one; children inherit the listener’s; IW10; TCP_INFO', async () => {
    const live = skbStats().live;
    const tb = createTestbed({ link: 'pair', tcp: { sack: true, timestamps: true } });
    const [a, b] = tb.hosts;
    const sa = new SocketApi(a.tcp);
    const sb = new SocketApi(b.tcp);
    const l = sb.socket();
    expect(sb.getsockopt(l, 'TCP_CONGESTION')).toBe('cubic');
    sb.setsockopt(l, 'TCP_CONGESTION', 'vegas');
    expect(sb.getsockopt(l, 'TCP_CONGESTION')).toBe('vegas');
    expect(code(() => sb.setsockopt(l, 'TCP_CONGESTION', 'no-such-cc'))).toBe('ENOENT');
    expect(code(() => sb.setsockopt(l, 'TCP_CONGESTION', 1))).toBe('EINVAL');
    expect(sb.getsockopt(l, 'TCP_CONGESTION')).toBe('vegas');
    sb.bind(l, 0, 5001);
    sb.listen(l, 4);
    const c = sa.socket();
    sa.setsockopt(c, 'TCP_CONGESTION', 'reno');
    let acc: { fd: number } | undefined;
    void sb.acceptAsync(l).then((r) => (acc = r));
    void sa.connectAsync(c, b.addr, 5001);
    await tb.runUntil(() => acc !== undefined);
    expect(sb.getsockopt(acc!.fd, 'TCP_CONGESTION')).toBe('vegas');
    expect(sa.getsockopt(c, 'TCP_CONGESTION')).toBe('reno');
    const info = sa.tcpInfo(c);
    expect(info.tcpi_snd_cwnd).toBe(10); // RFC 6928 IW10
    expect(sa.tcpSock(c).sndCwnd).toBe(10 * sa.tcpSock(c).mss);
    expect(info.tcpi_snd_ssthresh).toBe(0x7fffffff);
    expect(info.tcpi_ca_state).toBe(0);
    // switch a live connection to cubic and move data
    sa.setsockopt(c, 'TCP_CONGESTION', 'cubic');
    expect(sa.getsockopt(c, 'TCP_CONGESTION')).toBe('cubic');
    sa.send(c, new Uint8Array(100_000));
    let got = 0;
    const buf = new Uint8Array(1 << 16);
    await tb.runUntil(() => {
      try {
        got += sb.recv(acc!.fd, buf);
      } catch {
        /* EAGAIN */
      }
      return got >= 100_000;
    });
    expect(sa.tcpInfo(c).tcpi_snd_cwnd).toBeGreaterThan(10);
    sa.close(c);
    sb.close(acc!.fd);
    sb.close(l);
    tb.destroy();
    expect(skbStats().live).toBe(live);
  });
});
