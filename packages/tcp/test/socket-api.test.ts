import { describe, expect, it } from 'vitest';
import { skbStats, type SkBuff } from '@netlayers/skbuff';
import { SocketApi, POLLIN, SHUT_WR } from '../src/socket-api.js';
import { TcpError } from '../src/errors.js';
import { createTestbed } from '../src/testing/index.js';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof TcpError ? e.code : 'OTHER';
  }
  return undefined;
}

describe('BSD socket API', () => {
  it('socket/bind/listen/accept/connect/send/recv/shutdown/close with errno errors', async () => {
    const live0 = skbStats().live;
    const tb = createTestbed({ link: 'pair' });
    const [a, b] = tb.hosts;
    const sa = new SocketApi(a.tcp);
    const sb = new SocketApi(b.tcp);
    const l = sb.socket();
    sb.setsockopt(l, 'SO_REUSEADDR', true);
    sb.bind(l, 0, 25);
    sb.listen(l, 8);
    expect(code(() => sb.accept(l))).toBe('EAGAIN');
    const other = sb.socket();
    expect(code(() => sb.bind(other, 0, 25))).toBe('EADDRINUSE');
    sb.close(other);
    const c = sa.socket();
    sa.setsockopt(c, 'TCP_NODELAY', true);
    sa.setsockopt(c, 'SO_SNDBUF', 65536);
    expect(sa.getsockopt(c, 'SO_SNDBUF')).toBe(131072);
    expect(code(() => sa.connect(c, b.addr, 25))).toBe('EINPROGRESS');
    expect(code(() => sa.send(c, new Uint8Array(1)))).toBe('EAGAIN');
    let acc: { fd: number } | undefined;
    const pa = sb.acceptAsync(l).then((r) => (acc = r));
    await tb.runUntil(() => acc !== undefined);
    await pa;
    expect(sa.getsockopt(c, 'TCP_MAXSEG')).toBe(1460);
    expect(sa.getpeername(c).port).toBe(25);
    const msg = new TextEncoder().encode('HELO example\r\n');
    expect(sa.send(c, msg)).toBe(msg.length);
    const buf = new Uint8Array(100);
    let n = -1;
    const pr = sb.recvAsync(acc!.fd, buf).then((x) => (n = x));
    await tb.runUntil(() => n >= 0);
    await pr;
    expect(new TextDecoder().decode(buf.subarray(0, n))).toBe('HELO example\r\n');
    sa.shutdown(c, SHUT_WR);
    let eof = -1;
    void sb.recvAsync(acc!.fd, buf).then((x) => (eof = x));
    await tb.runUntil(() => eof >= 0);
    expect(eof).toBe(0);
    expect(sb.poll(acc!.fd) & POLLIN).toBe(POLLIN);
    sb.close(acc!.fd);
    sb.close(l);
    sa.close(c);
    expect(code(() => sb.close(l))).toBe('EBADF');
    await tb.runUntil(() => a.tcp.socketCount === 0 && b.tcp.socketCount === 0, { timeoutMs: 300_000 });
    tb.destroy();
    expect(skbStats().live).toBe(live0);
  });

  it('zero-copy relay: recvSkbs hands whole skbs over; sendSkbs forwards them without copying payload', async () => {
    const live0 = skbStats().live;
    const tb = createTestbed({ link: 'loopback' });
    const [h] = tb.hosts;
    const api = new SocketApi(h.tcp);
    // source → relay(in) ; relay(out) → sink
    const l1 = api.socket();
    api.bind(l1, 0, 2001);
    api.listen(l1, 4);
    const l2 = api.socket();
    api.bind(l2, 0, 2002);
    api.listen(l2, 4);
    const src = api.socket();
    const out = api.socket();
    const pc = Promise.all([api.connectAsync(src, h.addr, 2001), api.connectAsync(out, h.addr, 2002)]);
    let inn: number | undefined;
    let sink: number | undefined;
    void api.acceptAsync(l1).then((r) => (inn = r.fd));
    void api.acceptAsync(l2).then((r) => (sink = r.fd));
    await tb.runUntil(() => inn !== undefined && sink !== undefined);
    await pc;
    const total = 2_000_000;
    const data = new Uint8Array(total).map((_, i) => (i * 31) & 0xff);
    let sent = 0;
    let relayed = 0;
    let got = 0;
    const outBuf = new Uint8Array(total);
    let pending: SkBuff[] = [];
    let iters = 0;
    const payloadBuffers = new Set<ArrayBufferLike>();
    const sentBuffers = new Set<ArrayBufferLike>();
    await tb.runUntil(() => {
      if (sent < total) {
        try {
          sent += api.send(src, data.subarray(sent, Math.min(total, sent + 200_000)));
        } catch {
          /* EAGAIN */
        }
        if (sent === total) api.shutdown(src, SHUT_WR);
      }
      if (pending.length === 0) {
        try {
          pending = api.recvSkbs(inn!, 256 * 1024);
          for (const s of pending) payloadBuffers.add(s.buf.buffer);
          if (pending.length === 0 && relayed === total) api.shutdown(out, SHUT_WR);
        } catch {
          /* EAGAIN */
        }
      }
      if (pending.length > 0) {
        try {
          const lens = pending.map((s) => s.len); // read before sendSkbs: accepted skbs are no longer ours
          const k = api.sendSkbs(out, pending);
          relayed += lens.slice(0, k).reduce((x, n) => x + n, 0);
          pending = pending.slice(k);
        } catch {
          /* EAGAIN */
        }
      }
      for (const s of api.tcpSock(sink!).receiveQueue) sentBuffers.add(s.buf.buffer);
      for (;;) {
        try {
          const n = api.recv(sink!, outBuf.subarray(got));
          if (n === 0) return true;
          got += n;
        } catch {
          break;
        }
      }
      iters++;
      return false;
    }, { timeoutMs: 60_000 });
    expect(got).toBe(total);
    expect(Buffer.from(outBuf.buffer, outBuf.byteOffset, outBuf.length).equals(data)).toBe(true);
    // the sink received the very buffers the relay received: no payload copy on the way
    let shared = 0;
    for (const b of sentBuffers) if (payloadBuffers.has(b)) shared++;
    expect(shared).toBeGreaterThan(0);
    for (const fd of [src, out, inn!, sink!, l1, l2]) api.close(fd);
    await tb.runUntil(() => h.tcp.socketCount === 0, { timeoutMs: 300_000 });
    tb.destroy();
    expect(skbStats().live).toBe(live0);
  });
});

describe('ICMP errors (tcp_v4_err)', () => {
  it('protocol unreachable while connecting aborts connect with ENOPROTOOPT', async () => {
    const tb = createTestbed({ link: 'pair' });
    const [a, b] = tb.hosts;
    b.ip!.unregisterProtocol(6); // host b has no TCP: its IP layer answers ICMP protocol unreachable
    const api = new SocketApi(a.tcp);
    const fd = api.socket();
    let err: unknown;
    void api.connectAsync(fd, b.addr, 80).catch((e: unknown) => (err = e));
    await tb.runUntil(() => err !== undefined, { timeoutMs: 10_000 });
    expect((err as TcpError).code).toBe('ENOPROTOOPT');
    expect(a.tcp.mib.inIcmpErrors).toBe(1);
    api.close(fd);
    tb.destroy();
  });
});

describe('socket options', () => {
  it('TCP_CORK holds partial segments until uncorked; SO_RCVBUF/SO_LINGER/TCP_KEEP* round-trip', async () => {
    const tb = createTestbed({ link: 'direct' });
    const [a, b] = tb.hosts;
    const sa = new SocketApi(a.tcp);
    const sb = new SocketApi(b.tcp);
    const l = sb.socket();
    sb.bind(l, 0, 7);
    sb.listen(l, 4);
    const c = sa.socket();
    let acc: number | undefined;
    void sb.acceptAsync(l).then((r) => (acc = r.fd));
    void sa.connectAsync(c, b.addr, 7);
    await tb.runUntil(() => acc !== undefined && sa.poll(c) !== 0);
    sa.setsockopt(c, 'TCP_CORK', true);
    for (let i = 0; i < 10; i++) sa.send(c, new Uint8Array(100));
    await tb.sleep(100); // (like Linux, corked data goes out anyway after ~200 ms)
    const buf = new Uint8Array(4096);
    expect(code(() => sb.recv(acc!, buf))).toBe('EAGAIN'); // nothing sent while corked (1000 B < MSS)
    sa.setsockopt(c, 'TCP_CORK', false);
    await tb.sleep(100);
    expect(sb.recv(acc!, buf)).toBe(1000); // one segment carried all ten writes
    sa.setsockopt(c, 'SO_RCVBUF', 100_000);
    expect(sa.getsockopt(c, 'SO_RCVBUF')).toBe(200_000);
    sa.setsockopt(c, 'SO_LINGER', { onoff: true, linger: 0 });
    expect(sa.getsockopt(c, 'SO_LINGER')).toEqual({ onoff: true, linger: 0 });
    sa.setsockopt(c, 'TCP_KEEPIDLE', 30);
    expect(sa.getsockopt(c, 'TCP_KEEPIDLE')).toBe(30);
    expect(() => sa.setsockopt(c, 'TCP_MAXSEG', 10)).toThrow(TcpError);
    // SO_LINGER {on, 0}: close aborts with RST
    const rst0 = a.tcp.mib.outRsts;
    sa.close(c);
    expect(a.tcp.mib.outRsts).toBe(rst0 + 1);
    tb.destroy();
  });
});

describe('SO_REUSEADDR', () => {
  it('a port held by connections (e.g. in TIME-WAIT) can only be re-bound with SO_REUSEADDR', async () => {
    const tb = createTestbed({ link: 'direct' });
    const [a, b] = tb.hosts;
    const sa = new SocketApi(a.tcp);
    const sb = new SocketApi(b.tcp);
    const l = sb.socket();
    sb.bind(l, 0, 21);
    sb.listen(l, 4);
    const c = sa.socket();
    let acc: number | undefined;
    void sb.acceptAsync(l).then((r) => (acc = r.fd));
    void sa.connectAsync(c, b.addr, 21);
    await tb.runUntil(() => acc !== undefined);
    sb.close(l);
    sb.close(acc!); // server closes first: its side goes through TIME-WAIT
    sa.close(c);
    await tb.sleep(1000);
    const again = sb.socket();
    expect(code(() => sb.bind(again, 0, 21))).toBe('EADDRINUSE');
    sb.setsockopt(again, 'SO_REUSEADDR', true);
    sb.bind(again, 0, 21);
    sb.listen(again, 4);
    sb.close(again);
    tb.destroy();
  });
});
