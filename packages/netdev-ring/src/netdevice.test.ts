import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { skbStats, type SkBuff } from '@netlayers/skbuff';
import { ETH_P, PACKET } from './ether.js';
import { NetdevTx, NetXmit, NETIF_F, PacketTypes } from './netdevice.js';
import { Softnet } from './napi.js';
import { RecordingDevice } from './testing/recording-device.js';
import { buildTcpFrame, skbFromBytes } from './testing/frames.js';

let live0 = 0;
beforeEach(() => {
  live0 = skbStats().live;
});
afterEach(() => {
  expect(skbStats().live).toBe(live0);
});

function ethFrame(type: number, len = 60, dst = [2, 0, 0, 0, 0, 9]): Uint8Array {
  const f = new Uint8Array(len);
  f.set(dst, 0);
  f.set([2, 0, 0, 0, 0, 1], 6);
  f[12] = type >> 8;
  f[13] = type & 0xff;
  return f;
}

describe('NetDevice receive path', () => {
  it('dispatches by ethertype to packet handlers and classifies pkt_type', () => {
    const dev = new RecordingDevice({ mac: new Uint8Array([2, 0, 0, 0, 0, 9]) });
    dev.open();
    const got: { type: number; len: number; pkt: number; nh: number }[] = [];
    dev.addPacketHandler(ETH_P.IP, (skb) => {
      got.push({ type: skb.protocol, len: skb.len, pkt: skb.pktType, nh: skb.networkHeader - skb.data });
      skb.free();
    });
    const remove = dev.addPacketHandler(ETH_P.ARP, (skb) => {
      got.push({ type: skb.protocol, len: skb.len, pkt: skb.pktType, nh: 0 });
      skb.free();
    });
    dev.inject(ethFrame(0x0800));
    dev.inject(ethFrame(0x0806, 60, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    dev.inject(ethFrame(0x0800, 60, [2, 0, 0, 0, 0, 7]));
    dev.inject(ethFrame(0x86dd)); // nobody registered
    dev.softnet.runUntilIdle();
    expect(got).toEqual([
      { type: 0x0800, len: 46, pkt: PACKET.HOST, nh: 0 },
      { type: 0x0806, len: 46, pkt: PACKET.BROADCAST, nh: 0 },
      { type: 0x0800, len: 46, pkt: PACKET.OTHERHOST, nh: 0 },
    ]);
    expect(dev.stats).toMatchObject({ rxPackets: 4, rxBytes: 240, rxNohandler: 1, rxDropped: 1, multicast: 1 });
    remove();
    dev.inject(ethFrame(0x0806));
    dev.softnet.runUntilIdle();
    expect(dev.stats.rxNohandler).toBe(2);
  });

  it('gives every matching handler its own reference and contains handler exceptions', () => {
    const ptypes = new PacketTypes();
    const errors: unknown[] = [];
    const dev = new RecordingDevice({ ptypes, onError: (e) => errors.push(e) });
    dev.open();
    const seen: SkBuff[] = [];
    ptypes.add(ETH_P.IP, (skb) => {
      seen.push(skb);
      skb.free();
    });
    dev.addPacketHandler(ETH_P.IP, (skb) => {
      seen.push(skb);
      skb.free();
      throw new Error('handler bug');
    });
    dev.inject(ethFrame(0x0800));
    expect(() => dev.softnet.runUntilIdle()).not.toThrow();
    expect(seen).toHaveLength(2);
    expect(seen[0]).not.toBe(seen[1]);
    expect(errors).toHaveLength(1);
    expect(dev.dropReasons.HANDLER_ERROR).toBe(1);
  });

  it('drops runts with a length error', () => {
    const dev = new RecordingDevice();
    dev.open();
    dev.inject(new Uint8Array(10));
    dev.softnet.runUntilIdle();
    expect(dev.stats).toMatchObject({ rxLengthErrors: 1, rxErrors: 1, rxDropped: 1 });
    expect(dev.dropReasons.PKT_TOO_SMALL).toBe(1);
  });

  it('raw (ARPHRD_NONE) devices classify by IP version', () => {
    const dev = new RecordingDevice({ type: 'none' });
    dev.open();
    const types: number[] = [];
    dev.addPacketHandler(ETH_P.IP, (skb) => {
      types.push(skb.protocol);
      skb.free();
    });
    dev.inject(buildTcpFrame({ raw: true }));
    dev.inject(new Uint8Array([0x10, 1, 2]));
    dev.softnet.runUntilIdle();
    expect(types).toEqual([ETH_P.IP]);
    expect(dev.stats.rxLengthErrors).toBe(1);
  });
});

describe('NetDevice transmit path', () => {
  it('hardHeader pushes an Ethernet header; queueXmit sends through the qdisc', () => {
    const dev = new RecordingDevice();
    dev.open();
    const skb = skbFromBytes(new Uint8Array([0x45, 0, 0, 20]), { headroom: 32 });
    expect(dev.hardHeader(skb, ETH_P.IP, new Uint8Array([1, 2, 3, 4, 5, 6]))).toBe(14);
    expect(dev.queueXmit(skb)).toBe(NetXmit.SUCCESS);
    expect(dev.sent).toHaveLength(1);
    const b = dev.sent[0]!.bytes;
    expect([...b.subarray(0, 6)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...b.subarray(6, 12)]).toEqual([...dev.mac]);
    expect([b[12], b[13]]).toEqual([0x08, 0x00]);
    expect(dev.stats).toMatchObject({ txPackets: 1, txBytes: 18 });
  });

  it('drops (counted, freed) on a down device — never throws', () => {
    const dev = new RecordingDevice();
    expect(dev.queueXmit(skbFromBytes(ethFrame(0x800)))).toBe(NetXmit.DROP);
    expect(dev.xmit(skbFromBytes(ethFrame(0x800)))).toBe(NetdevTx.OK);
    expect(dev.stats.txDropped).toBe(2);
    expect(dev.dropReasons.NETDEV_DOWN).toBe(2);
  });

  it('xmit on a stopped queue answers BUSY and leaves the skb with the caller', () => {
    const dev = new RecordingDevice();
    dev.open();
    dev.netifStopQueue();
    const skb = skbFromBytes(ethFrame(0x800));
    expect(dev.xmit(skb)).toBe(NetdevTx.BUSY);
    expect(skb.users).toBe(1);
    dev.netifStartQueue();
    expect(dev.xmit(skb)).toBe(NetdevTx.OK);
    expect(dev.sent).toHaveLength(1);
  });

  it('drops a non-TCP frame larger than the MTU with PKT_TOO_BIG', () => {
    const dev = new RecordingDevice({ mtu: 1500 });
    dev.open();
    expect(dev.queueXmit(skbFromBytes(ethFrame(0x800, 1515)))).toBe(NetXmit.SUCCESS);
    expect(dev.queueXmit(skbFromBytes(ethFrame(0x800, 1514)))).toBe(NetXmit.SUCCESS);
    expect(dev.sent).toHaveLength(1);
    expect(dev.dropReasons.PKT_TOO_BIG).toBe(1);
    expect(dev.stats.txDropped).toBe(1);
  });

  it('segments an oversize TCP frame (GSO) on a device without TSO, and passes it whole with TSO', () => {
    const payload = new Uint8Array(4000).map((_, i) => i & 0xff);
    const big = buildTcpFrame({ payload, seq: 100, flags: 0x18 });
    const dev = new RecordingDevice({ mtu: 1500 });
    dev.open();
    dev.queueXmit(skbFromBytes(big));
    expect(dev.sent.map((f) => f.bytes.length)).toEqual([1514, 1514, 14 + 40 + 1080]);
    const tso = new RecordingDevice({ mtu: 1500, features: NETIF_F.TSO | NETIF_F.HW_CSUM });
    tso.open();
    tso.queueXmit(skbFromBytes(big));
    expect(tso.sent.map((f) => f.bytes.length)).toEqual([big.length]);
  });

  it('pfifo: requeues on BUSY keeping order, drops at txqueuelen, signals CN and wakes senders', () => {
    let busy = true;
    const softnet = new Softnet();
    const dev = new RecordingDevice({ txQueueLen: 4, busy: () => busy, softnet });
    dev.open();
    const results: string[] = [];
    for (let i = 0; i < 6; i++) {
      const f = ethFrame(0x800);
      f[20] = i;
      results.push(dev.queueXmit(skbFromBytes(f)));
    }
    expect(results).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS', 'CN', 'DROP', 'DROP']);
    expect(dev.txWritable).toBe(false);
    expect(dev.qdiscStats()).toMatchObject({ qlen: 4, drops: 2, requeues: 1 });
    let woke = 0;
    dev.onTxWake(() => woke++);
    busy = false;
    dev.netifWakeQueue(); // TX completion: NET_TX runs the qdisc
    softnet.runUntilIdle();
    expect(dev.sent.map((f) => f.bytes[20])).toEqual([0, 1, 2, 3]);
    expect(woke).toBe(1);
    expect(dev.txWritable).toBe(true);
  });

  it('stop() frees queued frames', () => {
    const dev = new RecordingDevice({ busy: () => true });
    dev.open();
    for (let i = 0; i < 5; i++) dev.queueXmit(skbFromBytes(ethFrame(0x800)));
    expect(dev.qdisc.qlen).toBe(5);
    dev.stop();
    expect(dev.qdisc.qlen).toBe(0);
  });
});
