/**
 * Receive-buffer autotuning (Linux DRS, rcv-space.ts) over a DevicePair with a
 * 50 ms RTT in virtual time: a bulk reader that keeps up sees its buffer and
 * advertised window grow from the initial (Linux `tcp_rmem[1]`, 128 KiB) to at
 * least 1 MiB and the transfer rate rise with it; with SO_RCVBUF set the buffer
 * and window stay where the user put them and the rate stays window-limited.
 */
import { describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import { createTestbed } from '../src/testing/index.js';
import { apiConnect } from './helpers/api-conn.js';

const RTT = 50;
const INITIAL_RCVBUF = 128 << 10;

interface Run {
  /** Largest window the reader advertised, bytes. */
  maxWin: number;
  /** Window advertised right after the handshake, bytes. */
  firstWin: number;
  /** The reader's rcvbuf at the end. */
  rcvbuf: number;
  /** Bytes read in the first 100 ms (two RTTs) and in the last 500 ms. */
  early: number;
  late: number;
  /** The reader's RTT estimate, ms. */
  rcvRtt: number;
}

async function bulk(opts: { soRcvbuf?: number; timestamps: boolean; ms: number }): Promise<Run> {
  const tb = createTestbed({
    link: 'pair',
    impairment: { delayMs: RTT / 2 },
    tcp: { rcvbuf: INITIAL_RCVBUF, sndbuf: 8 << 20, sndbufMax: 8 << 20, timestamps: opts.timestamps, sack: true },
  });
  const conn = await apiConnect(tb, 5001, (sb, lfd) => {
    if (opts.soRcvbuf !== undefined) sb.setsockopt(lfd, 'SO_RCVBUF', opts.soRcvbuf);
  });
  const { sa, sb, c, s: rfd } = conn;
  const rsk = sb.tcpSock(rfd);
  const chunk = new Uint8Array(256 << 10);
  const buf = new Uint8Array(1 << 20);
  const firstWin = rsk.rcvWnd;
  let maxWin = firstWin;
  let read = 0;
  let early = 0;
  let lateFrom = 0;
  const t0 = tb.clock.now();
  for (let t = 0; t < opts.ms; t += 1) {
    for (;;) {
      try {
        if (sa.send(c, chunk) < chunk.length) break;
      } catch {
        break; // EAGAIN: send buffer full
      }
    }
    await tb.sleep(1);
    for (;;) {
      let n = 0;
      try {
        n = sb.recv(rfd, buf);
      } catch {
        break;
      }
      if (n === 0) break;
      read += n;
    }
    maxWin = Math.max(maxWin, rsk.rcvWnd);
    const el = tb.clock.now() - t0;
    if (el <= 100) early = read;
    if (el <= opts.ms - 500) lateFrom = read;
  }
  const info = sb.tcpInfo(rfd);
  expect(info.tcpi_rcv_rtt).toBe(Math.round(rsk.rcvSpace.rtt8 * 125));
  expect(info.tcpi_rcv_space).toBe(rsk.rcvSpace.space);
  const run: Run = { maxWin, firstWin, rcvbuf: rsk.rcvbuf, early, late: read - lateFrom, rcvRtt: info.tcpi_rcv_rtt / 1000 };
  conn.close();
  tb.destroy();
  return run;
}

describe('receive-buffer autotuning (DRS)', () => {
  it('a bulk reader’s window grows from the initial to ≥ 1 MiB and the rate rises; SO_RCVBUF stops it', async () => {
    const live = skbStats().live;
    const tuned = await bulk({ timestamps: true, ms: 3000 });
    const fixed = await bulk({ timestamps: true, ms: 3000, soRcvbuf: INITIAL_RCVBUF / 2 }); // doubled: 128 KiB
    const rate = (bytes: number, s = 0.5): string => `${((bytes * 8) / s / 1e6).toFixed(1)} Mbit/s`;
    console.log(
      `DRS: window ${tuned.firstWin} → max ${tuned.maxWin} B, rcvbuf ${INITIAL_RCVBUF} → ${tuned.rcvbuf} B, receiver RTT ${tuned.rcvRtt.toFixed(1)} ms; ` +
        `first 0.1 s ${rate(tuned.early, 0.1)}, last 0.5 s ${rate(tuned.late)}; ` +
        `SO_RCVBUF: max window ${fixed.maxWin} B, rcvbuf ${fixed.rcvbuf} B, last 0.5 s ${rate(fixed.late)}`,
    );
    expect(tuned.maxWin).toBeGreaterThanOrEqual(1 << 20);
    expect(tuned.rcvbuf).toBeGreaterThan(INITIAL_RCVBUF);
    expect(tuned.rcvbuf).toBeLessThanOrEqual(6 << 20); // tcp_rmem[2]
    expect(tuned.rcvRtt).toBeGreaterThanOrEqual(RTT);
    expect(tuned.rcvRtt).toBeLessThan(2 * RTT);
    expect(tuned.late / 500).toBeGreaterThan((4 * tuned.early) / 100); // bytes per ms
    // a 128 KiB buffer offers at most ~128 KiB per RTT: ≤ 2.6 MB per 0.5 s… and the tuned one beats it
    expect(fixed.rcvbuf).toBe(INITIAL_RCVBUF);
    expect(fixed.maxWin).toBeLessThanOrEqual(INITIAL_RCVBUF);
    expect(fixed.late).toBeLessThanOrEqual(((INITIAL_RCVBUF * 500) / RTT) * 1.1);
    expect(tuned.late).toBeGreaterThan(4 * fixed.late);
    expect(skbStats().live).toBe(live);
  });

  it('without timestamps the window-based receiver RTT drives it', async () => {
    const live = skbStats().live;
    const tuned = await bulk({ timestamps: false, ms: 2500 });
    expect(tuned.rcvRtt).toBeGreaterThan(0);
    expect(tuned.rcvRtt).toBeLessThan(4 * RTT);
    expect(tuned.maxWin).toBeGreaterThanOrEqual(1 << 20);
    expect(skbStats().live).toBe(live);
  });
});
