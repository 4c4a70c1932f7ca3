// send(…, MSG_EOR) in scripts: the flag reaches the socket API and the record
// boundary shows on the wire, on first transmission and on an RTO retransmission
// (our own scripts, to the effect of Google's gtests/net/tcp/eor/*). The same
// script with the flag taken out FAILs at the boundary line, so the flag is what
// makes it pass.
import { defaultSkbPool } from '@netlayers/skbuff';
import { describe, expect, it } from 'vitest';
import { runScriptText } from '../../src/index.js';

const ACCEPTED = `\`../common/defaults.sh\`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
   +0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 10>
   +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
 +.01 < . 1:1(0) ack 1 win 514
   +0 accept(3, ..., ...) = 4
`;

/** IW10 leaves 400 bytes queued; two records and a plain write follow. */
const records = (flag: string): string => `${ACCEPTED}   +0 write(4, ..., 10400) = 10400
   +0 send(4, ..., 400, ${flag}) = 400
   +0 send(4, ..., 300, ${flag}) = 300
   +0 write(4, ..., 2000) = 2000
   +0 > P. 1:10001(10000) ack 1
 +.01 < . 1:1(0) ack 10001 win 514
   +0 > P. 10001:10801(800) ack 1
   +0 > P. 10801:11101(300) ack 1
   +0 > P. 11101:13101(2000) ack 1
 +.01 < . 1:1(0) ack 13101 win 514
`;

describe('packetdrill MSG_EOR', () => {
  it('records sent with MSG_EOR end segments; without the flag the writes coalesce and the script FAILs', () => {
    const live = defaultSkbPool.stats().live;
    const ok = runScriptText(records('MSG_EOR'), 'eor-records.pkt');
    expect(ok.reason).toBe('');
    expect(ok.status).toBe('PASS');
    const bad = runScriptText(records('0'), 'no-eor-records.pkt');
    expect(bad.status).toBe('FAIL');
    expect(bad.line).toBe(16); // `> P. 10001:10801(800)`: the merged segment is longer
    expect(bad.diff).toContain('10001:10801(800)');
    expect(defaultSkbPool.stats().live).toBe(live);
  });

  it('MSG_EOR with MSG_MORE (no PSH), sendmsg and sendto take the flag too', () => {
    const r = runScriptText(`${ACCEPTED}   +0 setsockopt(4, SOL_TCP, TCP_NODELAY, [1], 4) = 0
   +0 send(4, ..., 300, MSG_EOR|MSG_MORE) = 300
   +0 sendmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 200}], msg_flags=0}, MSG_EOR) = 200
   +0 > . 1:301(300) ack 1
   +0 > P. 301:501(200) ack 1
   +0 sendto(4, ..., 100, MSG_EOR, ..., ...) = 100
   +0 > P. 501:601(100) ack 1
 +.01 < . 1:1(0) ack 601 win 514
`, 'eor-forms.pkt');
    expect(r.reason).toBe('');
    expect(r.status).toBe('PASS');
  });

  it('an RTO retransmission resends the first record alone (no collapse across the boundary)', () => {
    // no SACK: no tail loss probe (Linux's TLP needs SACK), so the RTO is the first retransmission
    const noSack = ACCEPTED.replace('<mss 1000,sackOK,nop,nop,nop,wscale 10>', '<mss 1000,nop,wscale 10>').replace('<mss 1460,nop,nop,sackOK,nop,wscale 8>', '<mss 1460,nop,wscale 8>');
    const r = runScriptText(`${noSack}   +0 setsockopt(4, SOL_TCP, TCP_NODELAY, [1], 4) = 0
   +0 send(4, ..., 300, MSG_EOR) = 300
   +0 > P. 1:301(300) ack 1
   +0 send(4, ..., 300, MSG_EOR) = 300
   +0 > P. 301:601(300) ack 1
   +0 write(4, ..., 300) = 300
   +0 > P. 601:901(300) ack 1
+.2~+1.2 > P. 1:301(300) ack 1
`, 'eor-rto.pkt');
    expect(r.reason).toBe('');
    expect(r.status).toBe('PASS');
  });
});
