/**
 * `lockSock` nests: a socket call made inside another keeps the socket owned until
 * the outermost `releaseSock`, so input keeps going to the backlog (it used to be a
 * boolean, and the inner release ended ownership early).
 */
import { describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import { tcpClose, tcpRecvmsg, tcpSendmsg } from '../src/socket.js';
import { directEnv } from './helpers/direct-env.js';

describe('lockSock / releaseSock', () => {
  it('nested: input stays in the backlog until the outermost release', () => {
    const live0 = skbStats().live;
    const env = directEnv();
    const { l, c, s } = env.established();
    c.nodelay = true; // the second write must not wait for the ACK of the first
    env.b.lockSock(s);
    env.b.lockSock(s);
    expect(tcpSendmsg(c, new Uint8Array(3000).fill(7))).toBe(3000);
    env.clock.advance(10);
    expect(s.backlog.qlen).toBeGreaterThan(0);
    env.b.releaseSock(s); // inner
    expect(s.owned).toBe(true);
    expect(s.readable()).toBe(0);
    tcpSendmsg(c, new Uint8Array(1000).fill(8));
    env.clock.advance(10);
    const queued = s.backlog.qlen;
    expect(queued).toBeGreaterThan(1); // the later segment was backlogged too
    env.b.releaseSock(s); // outermost
    expect(s.owned).toBe(false);
    expect(s.backlog.qlen).toBe(0);
    expect(s.readable()).toBe(4000);
    env.b.releaseSock(s); // unbalanced: ignored
    expect(s.lockDepth).toBe(0);
    expect(tcpRecvmsg(s, new Uint8Array(8000))).toBe(4000);
    tcpClose(c);
    tcpClose(s);
    tcpClose(l);
    env.clock.advance(200_000);
    expect(skbStats().live).toBe(live0);
  });
});
