// Grammar: every construct of the language summary parses into the typed AST,
// malformed input gives typed errors with the line, and printing then parsing
// a packet is the identity (fast-check).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PacketdrillParseError, parsePacketLine, parseScript, printTcpPacket, type TcpPacketSpec } from '../../src/index.js';

const ALL_CONSTRUCTS = `// line comment
/* block
   comment */
--tolerance_usecs=10000
--tolerance_percent=20 --strict_segments
--mss=1000
--tcp_ts_tick_usecs=1000
--tcp_ts_ecr_scaled
--local_ip=192.168.0.1 --remote_ip=192.0.2.1 --gateway_ip=192.168.0.1 --netmask_ip=255.255.0.0
--ip_version=ipv4
--bind_port=8080 --connect_port=8080 --mtu=1500
-D PORT=8080
--define=TFO=1

\`../common/defaults.sh
\`

0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8>
+.1 < S. 0:0(0) ack 1 win 5792 <mss 1460,nop,wscale 2,nop,nop,sackOK>
1.5 > . 1:1(0) ack 1 win 457
0.1~0.2 > [ect0] . 1:1(0) ack 1 <...>
+0~+.04 > (tos 0x10,ttl 64) 1234>PORT P. 1:1001(1000) ack 1 urg 0
* > F. 1001:1001(0) ack 1
+0 < - 1:1(0) win 100 <nop,nop,sack 1001:2001 3001:4001,eol,eol,eol,eol>
+0 < .1 1:1(0) ack 1 win 100
+0 < SEWA 0:0(0) win 100 <md5 000102030405060708090a0b0c0d0e0f,FO 0123,FOEXP>
+0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]
+0 < udp (100)
+.1...0.300 accept(3, ..., ...) = 4
+0...+0.1 read(4, ..., 1000) = 1000
+0 sendmsg(4, {msg_name(...)=..., msg_iov(2)=[{..., 1000}, {..., 100}], msg_flags=0, msg_control=[{cmsg_level=SOL_IP, cmsg_type=IP_TOS, cmsg_data=0x10}]}, MSG_EOR) = 1100
+0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1
+0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLIN, fd=4}) = 0
+0 getsockopt(4, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
+0 setsockopt(4, SOL_TCP, TCP_CONGESTION, "reno", 4) = 0
+0 bind(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.0.2.1")}, 16) = 0
+0 write(4, NULL, 0) = -1 EFAULT
+0 %{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd }%
%{
assert tcpi_ca_state == TCP_CA_Open
}%
+0 \`sysctl -q net.ipv4.tcp_sack=0\`
+0 close(4) = 0
\`echo cleanup\`
`;

describe('packetdrill grammar', () => {
  const s = parseScript(ALL_CONSTRUCTS, 'all.pkt');

  it('reads option lines, defines and the init/cleanup commands', () => {
    const names = s.options.map((o) => o.name);
    for (const n of ['tolerance_usecs', 'tolerance_percent', 'strict_segments', 'mss', 'tcp_ts_tick_usecs', 'tcp_ts_ecr_scaled', 'local_ip', 'remote_ip', 'gateway_ip', 'netmask_ip', 'ip_version', 'bind_port', 'connect_port', 'mtu', 'define']) {
      expect(names).toContain(n);
    }
    expect(s.options.find((o) => o.name === 'tolerance_usecs')?.value).toBe('10000');
    expect(s.init).toEqual({ line: 15, command: '../common/defaults.sh' });
    expect(s.cleanup?.command).toBe('echo cleanup');
    expect(s.events[0]!.line).toBe(18);
  });

  it('parses every time form', () => {
    const times = s.events.map((e) => e.time);
    expect(times[0]).toEqual({ kind: 'absolute', usecs: 0 });
    expect(times[6]).toEqual({ kind: 'relative', usecs: 100_000 });
    expect(times[7]).toEqual({ kind: 'absolute', usecs: 1_500_000 });
    expect(times[8]).toEqual({ kind: 'range', start: 100_000, end: 200_000, relative: false });
    expect(times[9]).toEqual({ kind: 'range', start: 0, end: 40_000, relative: true });
    expect(times[10]).toEqual({ kind: 'any' });
  });

  it('parses packets: flags, seq ranges, ack, win, urg, ip info, ports, options, AccECN digit', () => {
    const p = (i: number): TcpPacketSpec => {
      const a = s.events[i]!.action;
      if (a.kind !== 'packet' || a.packet.proto !== 'tcp') throw new Error(`event ${i} is not a TCP packet`);
      return a.packet;
    };
    expect(p(5)).toMatchObject({ direction: 'outbound', flags: 'S', start: 0, end: 0, len: 0, options: [{ kind: 'mss', value: 1460 }, { kind: 'sackOK' }, { kind: 'TS', val: 100, ecr: 0 }, { kind: 'nop' }, { kind: 'wscale', value: 8 }] });
    expect(p(6)).toMatchObject({ direction: 'inbound', flags: 'S.', ack: 1, win: 5792 });
    expect(p(8)).toMatchObject({ ip: { ecn: 'ect0' }, options: 'any' });
    expect(p(9)).toMatchObject({ ip: { tos: 0x10, ttl: 64 }, ports: { src: 1234, dst: 8080 }, flags: 'P.', start: 1, end: 1001, len: 1000, urg: 0 });
    expect(p(11)).toMatchObject({ flags: '', options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [[1001, 2001], [3001, 4001]] }, { kind: 'eol' }, { kind: 'eol' }, { kind: 'eol' }, { kind: 'eol' }] });
    expect(p(12)).toMatchObject({ flags: '.', ace: 1 });
    expect(p(13)).toMatchObject({ flags: 'SEWA', options: [{ kind: 'md5' }, { kind: 'FO', cookie: '0123', exp: false }, { kind: 'FO', exp: true }] });
    expect(s.events[14]!.action).toMatchObject({ kind: 'packet', packet: { proto: 'icmp', text: 'icmp unreachable frag_needed mtu 1200 [1:1461(1460)]' } });
    expect(s.events[15]!.action).toMatchObject({ kind: 'packet', packet: { proto: 'udp' } });
  });

  it('parses syscalls: blocking ends, errno and note, structs, arrays, msghdr, poll, epoll, calls, NULL', () => {
    const calls = s.events.flatMap((e) => (e.action.kind === 'syscall' ? [e.action.call] : []));
    const byName = (n: string) => calls.find((c) => c.name === n)!;
    expect(byName('connect')).toMatchObject({ ret: { kind: 'int', value: -1 }, errno: 'EINPROGRESS', note: 'Operation now in progress' });
    expect(byName('accept').blockingEnd).toEqual({ usecs: 300_000, relative: false });
    expect(byName('read').blockingEnd).toEqual({ usecs: 100_000, relative: true });
    expect(byName('fcntl').args[2]).toEqual({ kind: 'or', items: [{ kind: 'symbol', name: 'O_RDWR' }, { kind: 'symbol', name: 'O_NONBLOCK' }] });
    expect(calls.find((c) => c.name === 'setsockopt' && c.args[2]?.kind === 'symbol' && c.args[2].name === 'SO_LINGER')!.args[3]).toEqual({
      kind: 'struct', fields: [{ name: 'onoff', arg: undefined, value: { kind: 'int', value: 1 } }, { name: 'linger', arg: undefined, value: { kind: 'int', value: 0 } }],
    });
    const msg = byName('sendmsg').args[1]!;
    expect(msg.kind).toBe('struct');
    if (msg.kind === 'struct') {
      expect(msg.fields.map((f) => f.name)).toEqual(['msg_name', 'msg_iov', 'msg_flags', 'msg_control']);
      expect(msg.fields[1]!.arg).toEqual({ kind: 'int', value: 2 });
      expect(msg.fields[1]!.value).toMatchObject({ kind: 'array', items: [{ kind: 'struct', fields: [{ name: '', value: { kind: 'ellipsis' } }, { name: '', value: { kind: 'int', value: 1000 } }] }, {}] });
    }
    expect(byName('poll').args[0]).toMatchObject({ kind: 'array', items: [{ kind: 'struct', fields: [{ name: 'fd' }, { name: 'events', value: { kind: 'or' } }, { name: 'revents' }] }] });
    expect(byName('epoll_ctl').args[3]).toMatchObject({ kind: 'struct' });
    expect(byName('getsockopt').args[4]).toEqual({ kind: 'array', items: [{ kind: 'int', value: 4 }] });
    expect(byName('bind').args[1]).toMatchObject({ kind: 'struct', fields: [{ name: 'sa_family' }, { name: 'sin_port', value: { kind: 'call', name: 'htons' } }, { name: 'sin_addr', value: { kind: 'call', name: 'inet_addr', args: [{ kind: 'string', value: '192.0.2.1' }] } }] });
    expect(byName('write').args[1]).toEqual({ kind: 'null' });
    expect(byName('write').errno).toBe('EFAULT');
  });

  it('parses python blocks (timed and untimed) and timed shell commands', () => {
    const code = s.events.filter((e) => e.action.kind === 'code');
    expect(code).toHaveLength(2);
    expect(code[0]!.action).toMatchObject({ kind: 'code', code: ' assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd ' });
    expect(s.events.some((e) => e.action.kind === 'command' && e.action.command.startsWith('sysctl'))).toBe(true);
  });

  it('substitutes -D definitions as whole words', () => {
    const t = parseScript('-D FD=3\n0 close(FD) = 0\n');
    expect(t.events[0]!.action).toMatchObject({ kind: 'syscall', call: { args: [{ kind: 'int', value: 3 }] } });
  });

  it.each([
    ['0 > S 0:5(0) <mss 1460>', 'INVALID', 1, 'sequence range'],
    ['0 < S 0:0(0)', 'INVALID', 1, 'packet'],
    ['0 socket(..., SOCK_STREAM, IPPROTO_TCP = 3', 'SYNTAX', 1, 'socket()'],
    ['0 close(3) = 0\n+0 > S 0:0(0) <mss 1460,frobnicate 3>', 'UNSUPPORTED', 2, "TCP option 'frobnicate'"],
    ['0 close(3) = 0\n\n+0 < S 0:0(0) win 1 <...>', 'INVALID', 3, 'packet'],
    ['1 close(3) = 0', 'INVALID', 1, 'time'],
    ['0 close(3) = 0\n* close(3) = 0', 'INVALID', 2, 'time'],
    ['0 close(3) = 0\n/* never closed', 'SYNTAX', 2, 'comment'],
    ['0 close(3) = 0\n+0 < S. 0:0(0) win 1 zap 3', 'UNSUPPORTED', 2, "packet attribute 'zap'"],
  ])('rejects %j with a typed %s error at line %i', (text, code, line, construct) => {
    let err: unknown;
    try {
      parseScript(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PacketdrillParseError);
    const pe = err as PacketdrillParseError;
    expect(pe.code).toBe(code);
    expect(pe.line).toBe(line);
    expect(pe.construct).toBe(construct);
  });
});

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const option = fc.oneof(
  fc.constant({ kind: 'nop' as const }),
  fc.constant({ kind: 'eol' as const }),
  fc.constant({ kind: 'sackOK' as const }),
  u16.map((value) => ({ kind: 'mss' as const, value })),
  fc.integer({ min: 0, max: 14 }).map((value) => ({ kind: 'wscale' as const, value })),
  fc.array(fc.tuple(u32, u32), { minLength: 1, maxLength: 4 }).map((blocks) => ({ kind: 'sack' as const, blocks })),
  fc.record({ val: u32, ecr: u32 }).map((t) => ({ kind: 'TS' as const, ...t })),
);
const packet: fc.Arbitrary<TcpPacketSpec> = fc
  .record({
    direction: fc.constantFrom('inbound' as const, 'outbound' as const),
    flags: fc.subarray(['S', 'F', 'R', 'P', 'E', 'W', 'U', '.']).map((a) => a.join('')),
    start: u32,
    len: fc.integer({ min: 0, max: 65535 }),
    ack: fc.option(u32, { nil: undefined }),
    win: u16,
    urg: fc.option(u16, { nil: undefined }),
    ports: fc.option(fc.record({ src: u16, dst: u16 }), { nil: undefined }),
    tos: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
    options: fc.oneof(fc.constant(undefined), fc.array(option, { maxLength: 6 })),
    anyOptions: fc.boolean(),
  })
  .map((r) => ({
    proto: 'tcp' as const,
    direction: r.direction,
    ip: r.tos === undefined ? {} : { tos: r.tos },
    ports: r.ports,
    flags: r.flags,
    ace: undefined,
    start: r.start,
    end: (r.start + r.len) >>> 0,
    len: r.len,
    ack: r.ack,
    win: r.direction === 'inbound' ? r.win : r.anyOptions ? undefined : r.win,
    urg: r.urg,
    options: r.direction === 'outbound' && r.anyOptions ? ('any' as const) : r.options,
  }));

describe('packet printer/parser round trip', () => {
  it('parse(print(p)) == p for every TCP packet spec', () => {
    fc.assert(
      fc.property(packet, (p) => {
        expect(parsePacketLine(printTcpPacket(p))).toEqual(p);
      }),
      { numRuns: 500 },
    );
  });
});
