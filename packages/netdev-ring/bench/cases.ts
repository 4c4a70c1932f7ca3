/**
 * In-thread benchmark cases. Each runs in a fresh worker (see index.ts) so one
 * case's JIT feedback cannot slow another down; each returns how many units
 * (descriptors, frames, bytes) it moved, after checking that it moved them all
 * (`verify` throws otherwise), and the worker divides by wall and CPU time.
 */
import { allocSkb, IpSummed, skbStats, type SkBuff } from '@netlayers/skbuff';
import { DevicePair, ETH_P, ethTypeTrans, GroList, Ring, skbGsoSegment, Softnet } from '../src/index.js';
import { buildTcpFrame, skbFromBytes } from '../src/testing/frames.js';
import { verify } from '../../../scripts/bench-harness/index.js';

// ---------------------------------------------------------------- Ring<T>
export function ringBench(batch: number, total = 20_000_000): number {
  const r = new Ring<number>(1024);
  const items = Array.from({ length: batch }, (_, i) => i);
  const out: number[] = [];
  let moved = 0;
  let wrong = 0;
  if (batch === 1) {
    while (moved < total) {
      r.produce(moved);
      if (r.consume() !== moved) wrong++;
      moved++;
    }
  } else {
    while (moved < total) {
      r.produceBatch(items);
      out.length = 0;
      r.consumeBatch(batch, out);
      if (out.length !== batch || out[batch - 1] !== batch - 1) wrong++;
      moved += batch;
    }
  }
  verify(wrong === 0, `Ring gave back ${wrong} wrong descriptors or batches`);
  return moved;
}

// ---------------------------------------------------------------- DevicePair (one thread)
const FRAME_LEN = 64;
function fillFrame(skb: SkBuff, i: number, dst: Uint8Array): void {
  skb.reserve(32);
  const off = skb.putUnchecked(FRAME_LEN);
  const b = skb.buf;
  b.set(dst, off);
  b[off + 12] = 0x08;
  b[off + 13] = 0x00;
  b[off + 14] = i & 0xff;
}
export function pairBench(batch: number, total = 2_000_000): number {
  const softnet = new Softnet();
  const pair = DevicePair.create({ softnet, b: { rxRingSize: 1024 } });
  let got = 0;
  pair.b.addPacketHandler(ETH_P.IP, (skb) => {
    got++;
    skb.free();
  });
  const dst = pair.b.mac;
  const skbs: SkBuff[] = [];
  let i = 0;
  while (i < total) {
    if (batch === 1) {
      const skb = allocSkb(FRAME_LEN + 32);
      fillFrame(skb, i, dst);
      pair.a.xmit(skb);
      softnet.doSoftirq();
      i++;
    } else {
      skbs.length = 0;
      for (let k = 0; k < batch; k++) {
        const skb = allocSkb(FRAME_LEN + 32);
        fillFrame(skb, i + k, dst);
        skbs.push(skb);
      }
      pair.a.xmitBatch(skbs);
      softnet.doSoftirq();
      i += batch;
    }
  }
  softnet.runUntilIdle();
  pair.destroy();
  verify(got === i, `DevicePair delivered ${got} of ${i} frames`);
  return got;
}

/**
 * The device path alone: the same skbs circulate (the handler hands each back to the
 * sender instead of freeing it), so no allocation is measured — descriptors/s of
 * xmitBatch → veth → RX ring → NAPI → eth_type_trans → handler.
 */
export function pairRecycledBench(batch: number, total = 6_000_000): number {
  const softnet = new Softnet();
  const pair = DevicePair.create({ softnet, b: { rxRingSize: 1024 } });
  const dst = pair.b.mac;
  const free: SkBuff[] = [];
  for (let k = 0; k < batch; k++) {
    const skb = allocSkb(FRAME_LEN + 32);
    fillFrame(skb, k, dst);
    free.push(skb);
  }
  let got = 0;
  pair.b.addPacketHandler(ETH_P.IP, (skb) => {
    got++;
    skb.push(14); // back to the MAC header: ready to send again
    free.push(skb);
  });
  const out: SkBuff[] = [];
  while (got < total) {
    out.length = 0;
    while (free.length > 0) out.push(free.pop() as SkBuff);
    pair.a.xmitBatch(out);
    softnet.doSoftirq();
  }
  softnet.runUntilIdle();
  verify(free.length === batch, `${batch - free.length} of ${batch} circulating skbs lost`);
  for (const s of free) s.free();
  pair.destroy();
  return got;
}

export function allocFreeBench(total = 5_000_000): number {
  for (let i = 0; i < total; i++) {
    const s = allocSkb(FRAME_LEN + 32);
    s.reserve(32);
    s.putUnchecked(FRAME_LEN);
    s.free();
  }
  return total;
}


// ---------------------------------------------------------------- software GSO → GRO
/**
 * A 64 KiB linear TCP super-skb (what a same-thread TCP sender hands a device
 * without TSO) is cloned, cut by `skbGsoSegment` into 1448-byte segments
 * (checksum offload on), and the segments merged again by a `GroList`: payload
 * bytes per second through segmentation + merging. Returns payload bytes moved.
 */
export function gsoGroBench(total = 2_000_000_000): number {
  return gsoGroRun(total).moved;
}

/** Bytes the copy meter counts for one super-skb through GSO → GRO. */
export function gsoGroCopied(): number {
  return gsoGroRun(1).firstCopied;
}

/** {@link gsoGroBench}, also returning the bytes copied by the first super-skb. */
export function gsoGroRun(total: number): { moved: number; firstCopied: number } {
  const payload = new Uint8Array(65536 - 14 - 40 - 200).map((_, i) => i & 0xff);
  const sup = skbFromBytes(buildTcpFrame({ payload, flags: 0x10 }), { headroom: 128 });
  let moved = 0;
  const gro = new GroList((s) => {
    moved += s.len - 40;
    s.free();
  });
  const mac = { mac: new Uint8Array([2, 0, 0, 0, 0, 2]), isLoopback: false };
  let firstCopied = -1;
  while (moved < total) {
    const c0 = firstCopied < 0 ? skbStats().bytesCopied : 0;
    const c = sup.clone(); // the transmit clone of TCP's write-queue skb
    const segs = skbGsoSegment(c, { hardHeaderLen: 14, mss: 1448, mtu: 1500, hwCsum: true })!;
    c.free();
    for (const seg of segs) {
      seg.ipSummed = IpSummed.UNNECESSARY; // as a same-thread pair delivers CHECKSUM_PARTIAL
      ethTypeTrans(seg, mac);
      gro.receive(seg);
    }
    gro.flush();
    if (firstCopied < 0) firstCopied = skbStats().bytesCopied - c0;
  }
  sup.free();
  // Every super-skb's payload must come back out of GRO: a whole number of them.
  verify(moved % payload.length === 0, `GSO → GRO moved ${moved} payload bytes, not a whole number of ${payload.length}-byte super-skbs`);
  return { moved, firstCopied };
}
