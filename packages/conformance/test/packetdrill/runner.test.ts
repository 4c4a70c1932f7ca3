// Runner: a script that matches the stack passes; a deliberately wrong
// expectation FAILs with the script line and the packets side by side; timing
// errors FAIL; constructs the runner does not implement SKIP naming them; the
// CLI prints one line per script and the summary, exit 1 on a FAIL.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packetdrillMain, runScriptText } from '../../src/index.js';

const SERVER = `\`./defaults.sh\`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
  +.1 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
`;

describe('packetdrill runner', () => {
  it('passes a script the stack matches (non-blocking connect closed in SYN-SENT, then RST)', () => {
    const r = runScriptText(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 fcntl(3, F_GETFL) = 0x802
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) <...>
+0 close(3) = 0
+.1 < S. 0:0(0) ack 1 win 32000 <mss 1460,nop,wscale 7>
+0 > R 1:1(0)
`, 'inline.pkt');
    expect(r.reason).toBe('');
    expect(r.status).toBe('PASS');
    expect(r.virtualMs).toBeCloseTo(100, 0);
  });

  it('a wrong outbound expectation FAILs with the line and expected/actual side by side', () => {
    const r = runScriptText(`${SERVER}   +0 > S. 0:0(0) ack 1 win 1234 <mss 1000,nop,wscale 8>\n`, 'wrong.pkt');
    expect(r.status).toBe('FAIL');
    expect(r.line).toBe(7);
    expect(r.reason).toMatch(/^line 7: outbound packet differs: .*win \d+ \(expected 1234\).*option 1: mss 1460 \(expected mss 1000\)/);
    const lines = r.diff!.split('\n');
    expect(lines[0]).toMatch(/^expected\s+\| actual$/);
    expect(lines[1]).toMatch(/^0\.1 > S\. 0:0\(0\) ack 1 win 1234 <mss 1000,nop,wscale 8> \| 0\.1 > S\. 0:0\(0\) ack 1 win \d+ <mss 1460,nop,wscale \d+>$/);
  });

  it('a packet at the wrong time FAILs with a timing error', () => {
    const r = runScriptText(`${SERVER}   +1 > S. 0:0(0) ack 1 <...>\n`, 'late.pkt');
    expect(r.status).toBe('FAIL');
    expect(r.reason).toMatch(/^line 7: timing error: outbound packet at 0\.1 s, expected in \[0\.975, 1\.225\] s$/);
  });

  it('a packet that never comes FAILs', () => {
    const r = runScriptText(`${SERVER}   +0 > S. 0:0(0) ack 1 <...>\n+0 > P. 1:11(10) ack 1\n`, 'missing.pkt');
    expect(r.status).toBe('FAIL');
    expect(r.line).toBe(8);
    expect(r.reason).toMatch(/timed out waiting for an outbound packet/);
    expect(r.diff).toMatch(/\(no packet\)/);
  });

  it('a wrong syscall result FAILs like packetdrill says it', () => {
    const r = runScriptText('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3, 1) = 0\n+0 accept(3, ..., ...) = 4\n', 'accept.pkt');
    expect(r.status).toBe('FAIL');
    expect(r.reason).toBe('line 3: accept() would block, but the script expects it to return at once');
    const e = runScriptText('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(4) = 0\n', 'badf.pkt');
    expect(e.reason).toBe('line 2: runtime error in close call: Expected non-negative result but got -1 with errno 9 (Bad file descriptor)');
  });

  const ESTABLISHED = `${SERVER}+0 > S. 0:0(0) ack 1 <...>\n+.01 < . 1:1(0) ack 1 win 257\n+0 accept(3, ..., ...) = 4\n`;

  it('evaluates python tcpi_* assertions on the TCP_INFO snapshot taken at the block', () => {
    const ok = runScriptText(`${ESTABLISHED}+0 %{\n# snapshot of fd 4\nmss = tcpi_snd_mss\nassert tcpi_state == TCP_ESTABLISHED and tcpi_ca_state == TCP_CA_Open, tcpi_state\nassert mss == 1000 and tcpi_rto >= 200 * 1000\n}%\n`, 'py.pkt');
    expect(ok.reason).toBe('');
    expect(ok.status).toBe('PASS');
    const bits = runScriptText(`${ESTABLISHED}+0 %{ assert tcpi_options & 4 == 4 or tcpi_options & 4 == 0 and (1 << 3 | 1) == 9 and 6 ^ 3 == 5 }%\n`, 'py-bits.pkt');
    expect(bits.reason).toBe('');
    const bad = runScriptText(`${ESTABLISHED}+0 %{ assert tcpi_state == TCP_CLOSE, tcpi_state }%\n+0 close(4) = 0\n`, 'py-bad.pkt');
    expect(bad.status).toBe('FAIL');
    expect(bad.reason).toBe('line 10: python assertion failed: tcpi_state == TCP_CLOSE (tcpi_state=1)');
  });

  it('runs poll (ready, blocking until data, timing out) and sendmsg/recvmsg msghdr forms', () => {
    const r = runScriptText(`${ESTABLISHED}+0 poll([{fd=4, events=POLLOUT, revents=POLLOUT}], 1, 0) = 1
+0...0.1 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 1000) = 1
+.1 < P. 1:11(10) ack 1 win 257
+0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 100}], msg_flags=0}, 0) = 10
+0...0.05 poll([{fd=4, events=POLLIN}], 1, 50) = 0
+0 sendmsg(4, {msg_name(...)=..., msg_iov(2)=[{..., 10}, {..., 20}], msg_flags=0}, 0) = 30
+0 sendto(4, ..., 5, 0, ..., ...) = 5
+0 recvfrom(4, ..., 10, MSG_DONTWAIT, ..., ...) = -1 EAGAIN (Resource temporarily unavailable)
`, 'poll.pkt');
    expect(r.reason).toBe('');
    expect(r.status).toBe('PASS');
    const bad = runScriptText(`${ESTABLISHED}+0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLIN}], 1, 0) = 1\n`, 'poll-bad.pkt');
    expect(bad.reason).toBe('line 10: poll: revents 4 for {fd=4, events=POLLIN|POLLOUT, revents=POLLIN}, expected 1');
  });

  it.each([
    ['tcp_info fields we do not keep', `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{ assert tcpi_sacked == 0 }%\n`, /^line 2: unsupported tcp_info field tcpi_sacked/],
    ['python beyond assertions', `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{\nimport os\n}%\n`, /^line 3: unsupported python statement \('import os'\)/],
    ['udp packets', `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < udp (10)\n`, /udp packet/],
    ['IPv6', `--ip_version=ipv6\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n`, /--ip_version=ipv6/],
    ['unknown syscalls', `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 epoll_create(1) = 4\n`, /syscall epoll_create\(\)/],
    ['unknown socket options', `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, SOL_SOCKET, SO_ZEROCOPY, [1], 4) = 0\n`, /setsockopt SO_ZEROCOPY/],
    ['unknown TCP options', `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > S 0:0(0) <exp-tfo>\n`, /^line 2: unsupported TCP option 'exp'$/],
    ['Fast Open options', `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > S 0:0(0) <mss 1460,FO abcd,nop,nop>\n`, /TCP option 'FO'/],
    ['MSG_OOB', `${SERVER}+0 > S. 0:0(0) ack 1 <...>\n+.01 < . 1:1(0) ack 1 win 514\n+0 accept(3, ..., ...) = 4\n+0 send(4, ..., 400, MSG_OOB) = 400\n`, /send flags MSG_OOB/],
  ])('SKIPs %s naming the construct', (_what, text, reason) => {
    const r = runScriptText(text, 'skip.pkt');
    expect(r.status).toBe('SKIP');
    expect(r.reason).toMatch(reason);
  });

  it('the CLI prints PASS/FAIL/SKIP lines, the summary, and exits 1 on a FAIL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-cli-'));
    try {
      writeFileSync(join(dir, 'skip.pkt'), '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < udp (10)\n');
      writeFileSync(join(dir, 'fail.pkt'), `${SERVER}   +0 > S. 0:0(0) ack 1 win 1234 <...>\n`);
      writeFileSync(join(dir, 'pass.pkt'), '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(3) = 0\n');
      const out: string[] = [];
      const code = packetdrillMain(['run', '--local_ip=192.168.0.1', '--remote_ip=192.0.2.1', ...['pass', 'fail', 'skip'].map((n) => join(dir, `${n}.pkt`))], (l) => out.push(l));
      expect(code).toBe(1);
      const text = out.join('\n').split('\n');
      expect(text[0]).toBe(`PASS ${join(dir, 'pass.pkt')}`);
      expect(text[1]).toMatch(new RegExp(`^FAIL ${join(dir, 'fail.pkt')} line 7: outbound packet differs: win \\d+ \\(expected 1234\\)$`));
      expect(text[2]).toMatch(/^ {4}expected/);
      expect(text[4]).toMatch(/^SKIP .*skip\.pkt line 2: unsupported udp packet/);
      expect(text.at(-1)).toBe('1 passed, 1 failed, 1 skipped');
      const ok: string[] = [];
      expect(packetdrillMain([join(dir, 'pass.pkt')], (l) => ok.push(l))).toBe(0);
      expect(packetdrillMain([], () => {})).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
