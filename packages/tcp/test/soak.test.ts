/**
 * Transfer-integrity soak (issue acceptance): random payload sizes and write/read
 * patterns over an impaired DevicePair (loss up to 20 %, reordering, duplication,
 * delay, corruption), both directions with half-closes. Every byte must arrive
 * exactly once and in order (hash compared), both connections must end, and every
 * skb must be freed (pool live count back to where it started). Both ends run
 * SACK, timestamps and CUBIC (the Linux defaults; Reno while the build has no
 * CUBIC), and each connection is checked to have negotiated them.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import { ccConfig, congestionControlOf, preferredCongestionControl } from '../bench/cc.js';
import { mulberry32 } from '../src/link.js';
import type { TcpSocket } from '../src/net-compat.js';
import { arbConnectionScript, arbImpairment, createTestbed, type ScriptOp } from '../src/testing/index.js';

const SLOW = process.env.NETLAYERS_SLOW === '1';
const CC = preferredCongestionControl();

interface Side {
  sent: ReturnType<typeof createHash>;
  recv: ReturnType<typeof createHash>;
  sentLen: number;
  recvLen: number;
  closed: boolean;
  error: Error | undefined;
  /** [congestion control, SACK, timestamps] of the connection when the script started. */
  negotiated: [string, boolean, boolean] | undefined;
}

function drive(sock: TcpSocket, ops: ScriptOp[], seed: number, clock: { setTimeout(cb: () => void, ms: number): unknown }): Side {
  const side: Side = { sent: createHash('sha256'), recv: createHash('sha256'), sentLen: 0, recvLen: 0, closed: false, error: undefined, negotiated: undefined };
  const sk = sock.sk;
  if (sk !== null) side.negotiated = [congestionControlOf(sk), sk.sackOk, sk.tstampOk];
  const rnd = mulberry32(seed);
  sock.on('data', (d: Buffer) => {
    side.recv.update(d);
    side.recvLen += d.length;
  });
  sock.on('error', (e: Error) => (side.error = e));
  sock.on('close', () => (side.closed = true));
  let closeAfterEnd = false;
  sock.on('end', () => {
    if (closeAfterEnd) sock.destroy();
  });
  let i = 0;
  const next = (): void => {
    while (i < ops.length) {
      const op = ops[i++]!;
      switch (op.op) {
        case 'write': {
          const buf = Buffer.allocUnsafe(op.size);
          for (let k = 0; k < buf.length; k++) buf[k] = (rnd() * 256) | 0;
          side.sent.update(buf);
          side.sentLen += buf.length;
          if (!sock.write(buf)) {
            sock.once('drain', next);
            return;
          }
          break;
        }
        case 'pause':
          clock.setTimeout(next, op.ms);
          return;
        case 'readPause':
          sock.pause();
          clock.setTimeout(() => sock.resume(), op.ms);
          break;
        case 'shutdown':
          sock.end();
          break;
        case 'close':
          closeAfterEnd = true;
          sock.end();
          if (sock.readableEnded) sock.destroy();
          break;
      }
    }
  };
  next();
  return side;
}

describe('transfer integrity soak over an impaired DevicePair', () => {
  it('every byte exactly once, in order, both directions; connections end; skbs freed', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbImpairment({ maxLoss: 0.2 }),
        arbConnectionScript({ maxWrites: SLOW ? 16 : 6, maxWrite: SLOW ? 100_000 : 40_000 }),
        arbConnectionScript({ maxWrites: SLOW ? 16 : 6, maxWrite: SLOW ? 100_000 : 40_000 }),
        fc.integer({ min: 1, max: 1 << 30 }),
        async (imp, scriptA, scriptB, seed) => {
          const live0 = skbStats().live;
          const t0 = Date.now();
          if (process.env.SOAK_LOG) console.log('RUN', JSON.stringify([imp, scriptA, scriptB, seed]));
          const tb = createTestbed({ link: 'pair', impairment: imp, seed, tcp: { ...ccConfig(CC), timeWaitMs: 1000, sack: true, timestamps: true } });
          const [a, b] = tb.hosts;
          let sa: Side | undefined;
          let sb: Side | undefined;
          const srv = b.createServer({ allowHalfOpen: true }, (s) => {
            sb = drive(s, scriptB, seed + 2, tb.clock);
          });
          srv.listen(9000);
          const c = a.connect({ port: 9000, host: b.address });
          (c as unknown as { allowHalfOpen: boolean }).allowHalfOpen = true;
          c.once('connect', () => {
            sa = drive(c, scriptA, seed + 1, tb.clock);
          });
          try {
            await tb.runUntil(() => sa !== undefined && sb !== undefined && sa.closed && sb.closed, { timeoutMs: 4 * 3600_000 });
            expect(sa!.negotiated).toEqual([CC, true, true]);
            expect(sb!.negotiated).toEqual([CC, true, true]);
            expect(sa!.error).toBeUndefined();
            expect(sb!.error).toBeUndefined();
            expect(sb!.recvLen).toBe(sa!.sentLen);
            expect(sa!.recvLen).toBe(sb!.sentLen);
            expect(sb!.recv.digest('hex')).toBe(sa!.sent.digest('hex'));
            expect(sa!.recv.digest('hex')).toBe(sb!.sent.digest('hex'));
            srv.close();
            await tb.runUntil(() => a.tcp.socketCount === 0 && b.tcp.socketCount === 0, { timeoutMs: 600_000 });
          } finally {
            tb.destroy();
          }
          expect(skbStats().live).toBe(live0);
          if (process.env.SOAK_LOG) console.log('DONE', Date.now() - t0, 'ms');
        },
      ),
      { numRuns: SLOW ? 500 : 100, seed: 20261121, endOnFailure: true },
    );
  }, SLOW ? 3_600_000 : 120_000);
});
