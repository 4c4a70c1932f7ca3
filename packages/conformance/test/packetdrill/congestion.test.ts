// TCP_CONGESTION in packetdrill scripts: the default profile runs CUBIC (as
// Linux's defaults.sh), setsockopt/getsockopt take a module name, an unknown
// one is ENOENT, an accepted child inherits the listener's module, and the
// initial window is IW10 (tcpi_snd_cwnd checked in a python block).
import { describe, expect, it } from 'vitest';
import { runScriptText } from '../../src/index.js';

const script = (cc: string): string => `\`./defaults.sh\`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 getsockopt(3, IPPROTO_TCP, TCP_CONGESTION, "cubic", [16]) = 0
   +0 setsockopt(3, IPPROTO_TCP, TCP_CONGESTION, "no-such-cc", 10) = -1 ENOENT (No such file or directory)
   +0 setsockopt(3, IPPROTO_TCP, TCP_CONGESTION, "${cc}", ${cc.length}) = 0
   +0 getsockopt(3, IPPROTO_TCP, TCP_CONGESTION, "${cc}", [16]) = 0
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
   +0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
   +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
  +.1 < . 1:1(0) ack 1 win 257
   +0 accept(3, ..., ...) = 4
   +0 getsockopt(4, IPPROTO_TCP, TCP_CONGESTION, "${cc}", [16]) = 0
   +0 %{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd }%
`;

describe('TCP_CONGESTION in scripts', () => {
  for (const cc of ['reno', 'cubic', 'vegas']) {
    it(`selects ${cc} by name; ENOENT for an unknown module; the child inherits it; IW10`, () => {
      const r = runScriptText(script(cc), `cc-${cc}.pkt`);
      expect(r.reason).toBe('');
      expect(r.status).toBe('PASS');
    });
  }

  it('a wrong module name in getsockopt FAILs with both names', () => {
    const r = runScriptText(
      '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, IPPROTO_TCP, TCP_CONGESTION, "vegas", 5) = 0\n+0 getsockopt(3, IPPROTO_TCP, TCP_CONGESTION, "reno", [16]) = 0\n',
      'cc-wrong.pkt',
    );
    expect(r.status).toBe('FAIL');
    expect(r.reason).toMatch(/line 3: getsockopt TCP_CONGESTION: got "vegas", expected "reno"/);
  });
});
