// One end of a cross-thread device pair (SharedRingDevice), used by the
// worker tests and the benchmark. Plain ESM; loads the TypeScript sources
// through tsx's ESM API — the parent starts it with
// execArgv ['--conditions=@netlayers/source'] so that @netlayers/* resolve to
// src/*.ts (one copy of skbuff, as in the tests). Every loop is bounded by
// `deadlineMs`.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { verify = true, role, link, count, frameLen, mode, batch, deadlineMs, impairment } = workerData;
const { SharedRingDevice, Softnet, ETH_P, NetdevTx, NetXmit } = await import('@netlayers/netdev-ring');
const { allocSkb, skbStats } = await import('@netlayers/skbuff');

const softnet = new Softnet();
const dev = new SharedRingDevice({ link, end: role === 'sender' ? 'a' : 'b', softnet, mtu: 1500, ...(impairment ? { impairment } : {}) });
dev.open();
if (workerData.waitGo) {
  // Benchmark mode: report ready, start when the parent says so (both ends start together).
  await new Promise((resolve) => {
    parentPort.once('message', resolve);
    parentPort.postMessage({ ready: true });
  });
}
const start = performance.now();
const deadline = start + deadlineMs;
const DST = [2, 0, 0, 0, 0, 0x42];

function makeFrame(i) {
  const skb = allocSkb(frameLen + 32);
  skb.reserve(32);
  const off = skb.putUnchecked(frameLen);
  const b = skb.buf;
  b.set(DST, off);
  b[off + 12] = 0x08;
  b[off + 13] = 0x00;
  b[off + 14] = i >>> 24;
  b[off + 15] = (i >>> 16) & 0xff;
  b[off + 16] = (i >>> 8) & 0xff;
  b[off + 17] = i & 0xff;
  if (verify) for (let k = 18; k < frameLen; k++) b[off + k] = (i + k) & 0xff;
  return skb;
}

if (role === "sender") {
  let i = 0;
  let waits = 0;
  let cn = 0;
  let writable = true;
  dev.onTxWake(() => {
    writable = true;
  });
  const pending = [];
  while (i < count && performance.now() < deadline) {
    dev.poll();
    if (softnet.pending) softnet.doSoftirq();
    let progressed = false;
    if (mode === 'batch') {
      while (pending.length < batch && i + pending.length < count) pending.push(makeFrame(i + pending.length));
      const n = dev.xmitBatch(pending);
      if (n > 0) {
        pending.splice(0, n);
        i += n;
        progressed = true;
      }
    } else if (mode === 'single') {
      if (pending.length === 0) pending.push(makeFrame(i));
      if (dev.xmit(pending[0]) === NetdevTx.OK) {
        pending.pop();
        i++;
        progressed = true;
      }
    } else {
      // 'queue': through the qdisc, honouring backpressure (never drop).
      if (writable) {
        const rc = dev.queueXmit(makeFrame(i));
        if (rc === NetXmit.DROP) throw new Error('qdisc dropped despite backpressure');
        if (rc === NetXmit.CN) {
          cn++;
          writable = false;
        }
        i++;
        progressed = true;
      }
    }
    if (!progressed) {
      waits++;
      await dev.txShared.waitForSpaceAsync(2 * (frameLen + 8), 5);
    }
  }
  // Drain the qdisc (queue mode) before reporting.
  while (dev.qdisc.qlen > 0 && performance.now() < deadline) {
    dev.poll();
    softnet.doSoftirq();
    if (dev.qdisc.qlen > 0) await dev.txShared.waitForSpaceAsync(2 * (frameLen + 8), 5);
  }
  for (const s of pending) s.free();
  // End marker (ethertype 0x88b5, "local experimental"), written straight into the ring
  // after everything the link delivered: the receiver stops when it sees it.
  const marker = new Uint8Array(60);
  marker.set(DST, 0);
  marker[12] = 0x88;
  marker[13] = 0xb5;
  while (!dev.txShared.produce(marker) && performance.now() < deadline) await dev.txShared.waitForSpaceAsync(60, 5);
  const elapsedMs = performance.now() - start;
  dev.destroy();
  parentPort.postMessage({ role, sent: i, waits, cn, elapsedMs, ring: dev.ringStats(), live: skbStats().live, link: dev.linkStats(), stats: { ...dev.stats } });
} else {
  let got = 0;
  let next = 0;
  let bad = 0;
  let firstBad = '';
  const seen = new Set();
  const exact = !impairment;
  dev.addPacketHandler(ETH_P.IP, (skb) => {
    const b = skb.buf;
    const d = skb.data;
    const seq = ((b[d] << 24) | (b[d + 1] << 16) | (b[d + 2] << 8) | b[d + 3]) >>> 0;
    let ok = !exact || seq === next;
    if (verify) for (let k = 4; ok && k < skb.len; k++) if (b[d + k] !== ((seq + k + 14) & 0xff)) ok = false;
    if (!ok && bad++ === 0) firstBad = `expected ${next}, got ${seq}`;
    if (!exact) seen.add(seq);
    next = seq + 1;
    got++;
    skb.free();
  });
  let idleWaits = 0;
  let ended = false;
  dev.addPacketHandler(0x88b5, (skb) => {
    ended = true;
    skb.free();
  });
  while (!ended && performance.now() < deadline) {
    dev.poll();
    if (softnet.pending) softnet.doSoftirq();
    else {
      idleWaits++;
      await dev.waitForRx(5);
    }
  }
  const elapsedMs = performance.now() - start;
  const stats = { ...dev.stats };
  dev.destroy();
  parentPort.postMessage({ role, got, bad, firstBad, unique: exact ? got : seen.size, idleWaits, elapsedMs, stats, ring: dev.ringStats(), live: skbStats().live });
}
