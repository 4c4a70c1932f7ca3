/**
 * `npm run bench -w @netlayers/ipv4` — figures measured side by side in one run
 * (no assertions):
 *
 * 1. ipRcv packets/s for 64 B and 1500 B datagrams delivered to a registered
 *    protocol (skb alloc + copy-in included), next to the alloc + copy + free
 *    baseline alone;
 * 2. FIB longest-prefix-match lookups/s with 10,000 routes, next to a linear
 *    scan of the same table;
 * 3. fragment + reassemble MB/s (64 KiB datagrams, MTU 1500: zero-copy
 *    ipFragment → ipDefrag), next to copying the same bytes once.
 *
 * `NETLAYERS_BENCH_QUICK=1` shortens every round.
 */
import { VirtualClock } from '@netlayers/clock';
import { allocSkb, skbStats, type SkBuff } from '@netlayers/skbuff';
import {
  Fib, IpDefrag, IpMib, Ipv4Packet, Ipv4Repr, MAX_HEADER, Stack, ipFragment, ipRouteOutput, ipv4, prefixMask,
  type DstEntry, type LinkDevice,
} from '../src/index.js';

const QUICK = process.env['NETLAYERS_BENCH_QUICK'] === '1';
const ROUND_MS = QUICK ? 80 : 400;
const now = (): number => performance.now();
let sink = 0;

/** Best ops/s over 3 rounds of about ROUND_MS each. */
function measure(fn: (iters: number) => void): number {
  let iters = 256;
  for (;;) {
    const t = now();
    fn(iters);
    const dt = now() - t;
    if (dt > ROUND_MS / 4) break;
    iters *= 4;
  }
  let best = 0;
  for (let r = 0; r < 3; r++) {
    const t = now();
    fn(iters);
    const dt = now() - t;
    best = Math.max(best, (iters * 1000) / dt);
  }
  return best;
}

const fmt = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(1));

function nullDevice(): LinkDevice {
  return { name: 'null0', mtu: 1500, macAddr: new Uint8Array([2, 0, 0, 0, 0, 1]), linkType: 'raw', xmit: (skb) => (skb.free(), true) };
}

// ---------------------------------------------------------------- 1. ipRcv
function benchIpRcv(): void {
  const clock = new VirtualClock();
  const stack = new Stack({ clock });
  const iface = stack.addInterface({ dev: nullDevice(), addr: ipv4('198.18.0.1'), prefixLen: 24 });
  let delivered = 0;
  stack.registerProtocol(253, {
    handler: (skb) => {
      delivered++;
      skb.free();
    },
  });
  console.log('ipRcv (checks, route, LOCAL_IN, demux; skb alloc + copy-in included):');
  for (const size of [64, 1500]) {
    const r = new Ipv4Repr({ src: ipv4('198.18.0.2'), dst: ipv4('198.18.0.1'), protocol: 253, payloadLen: size - 20, ident: 1 });
    const bytes = new Uint8Array(size);
    r.emit(Ipv4Packet.unchecked(bytes));
    const base = measure((n) => {
      for (let i = 0; i < n; i++) {
        const skb = allocSkb(size + 64);
        skb.reserve(64);
        skb.putData(bytes);
        sink += skb.len;
        skb.free();
      }
    });
    const d0 = delivered;
    const rate = measure((n) => {
      for (let i = 0; i < n; i++) {
        const skb = allocSkb(size + 64);
        skb.reserve(64);
        skb.putData(bytes);
        stack.receiveIp(iface, skb);
      }
    });
    if (delivered === d0) throw new Error('nothing delivered');
    console.log(`  ${String(size).padStart(4)} B: ${fmt(rate)} packets/s  (${((rate * size * 8) / 1e9).toFixed(2)} Gbit/s)   baseline alloc+copy+free ${fmt(base)}/s → IP layer costs ${(1e9 / rate - 1e9 / base).toFixed(0)} ns/packet`);
  }
  if (stack.ipMib.InHdrErrors) throw new Error('unexpected header errors');
  stack.close();
}

// ---------------------------------------------------------------- 2. FIB
function benchFib(): void {
  let x = 0x12345678;
  const rnd = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const fib = new Fib<number>();
  const routes: Array<{ prefix: number; len: number }> = [];
  fib.add({ prefix: 0, prefixLen: 0, iface: 0 });
  while (fib.size < 10_000) {
    // Internet-like mix: mostly /16–/24, some /8–/15 and /25–/32.
    const u = rnd() % 100;
    const len = u < 70 ? 16 + (rnd() % 9) : u < 85 ? 8 + (rnd() % 8) : 25 + (rnd() % 8);
    const prefix = (rnd() & prefixMask(len)) >>> 0;
    try {
      fib.add({ prefix, prefixLen: len, iface: fib.size });
      routes.push({ prefix, len });
    } catch {
      /* duplicate prefix */
    }
  }
  const probes = new Uint32Array(4096);
  for (let i = 0; i < probes.length; i++) probes[i] = i % 2 ? rnd() : (routes[rnd() % routes.length]!.prefix | (rnd() & 0xff)) >>> 0;
  const rate = measure((n) => {
    for (let i = 0; i < n; i++) sink += fib.lookup(probes[i & 4095]!)?.prefixLen ?? 0;
  });
  const perLength = measure((n) => {
    for (let i = 0; i < n; i++) sink += fib.lookupSlow(probes[i & 4095]!)?.prefixLen ?? 0;
  });
  const linear = measure((n) => {
    for (let i = 0; i < n; i++) {
      const a = probes[i & 4095]!;
      let best = -1;
      for (let j = 0; j < routes.length; j++) {
        const rt = routes[j]!;
        if (rt.len > best && ((a & prefixMask(rt.len)) >>> 0) === rt.prefix) best = rt.len;
      }
      sink += best;
    }
  });
  console.log(`FIB longest-prefix match, ${fib.size} routes: ${fmt(rate)} lookups/s (8-bit-stride trie)   per-prefix-length hash probes ${fmt(perLength)}/s (×${(rate / perLength).toFixed(1)})   linear scan ${fmt(linear)}/s (×${(rate / linear).toFixed(0)})`);
}

// ---------------------------------------------------------------- 3. fragment + reassemble
function benchFrag(): void {
  const clock = new VirtualClock();
  const stack = new Stack({ clock });
  stack.addInterface({ dev: nullDevice(), addr: ipv4('198.18.0.1'), prefixLen: 24 });
  const dst = ipRouteOutput(stack, ipv4('198.18.0.2')) as DstEntry;
  const defrag = new IpDefrag(clock, new IpMib());
  const size = 65_000;
  const r = new Ipv4Repr({ src: ipv4('198.18.0.1'), dst: ipv4('198.18.0.2'), protocol: 17, payloadLen: size - 20, ident: 0 });
  const bytes = new Uint8Array(size);
  r.emit(Ipv4Packet.unchecked(bytes));
  let id = 0;
  let ok = 0;
  const frags: SkBuff[] = [];
  const fragRound = (n: number): void => {
    for (let i = 0; i < n; i++) {
      const skb = allocSkb(MAX_HEADER + size);
      skb.reserve(MAX_HEADER);
      skb.putData(bytes);
      skb.buf[skb.data + 4] = (id >>> 8) & 0xff;
      skb.buf[skb.data + 5] = id++ & 0xff;
      skb.resetNetworkHeader();
      ipFragment(stack, skb, dst, (f) => {
        frags.push(f);
        return 'OK';
      });
      for (const f of frags) {
        const whole = defrag.defrag(f);
        if (whole) {
          ok++;
          sink += whole.len;
          whole.free();
        }
      }
      frags.length = 0;
    }
  };
  const rate = measure(fragRound);
  stack.fragCopyBelow = 65536;
  const rateCopyPolicy = measure(fragRound);
  stack.fragCopyBelow = 0;
  // Baseline: a copying fragmenter (lwIP/smoltcp style: payload memcpy'd into
  // each fragment buffer) feeding the same reassembler.
  const copyFrag = measure((n) => {
    for (let i = 0; i < n; i++) {
      const skb = allocSkb(MAX_HEADER + size);
      skb.reserve(MAX_HEADER);
      skb.putData(bytes);
      const thisId = id++ & 0xffff;
      for (let off = 0; off < size - 20; off += 1480) {
        const len = Math.min(1480, size - 20 - off);
        const f = allocSkb(MAX_HEADER + 20 + len);
        f.reserve(MAX_HEADER);
        const o = f.putOff(20 + len);
        const fr = new Ipv4Repr({ src: r.src, dst: r.dst, protocol: 17, payloadLen: len, ident: thisId, fragOffset: off, moreFrags: off + len < size - 20 });
        fr.emit(Ipv4Packet.unchecked(f.buf.subarray(o, o + 20)));
        skb.copyBits(20 + off, f.buf, len, o + 20);
        f.resetNetworkHeader();
        const whole = defrag.defrag(f);
        if (whole) {
          sink += whole.len;
          whole.free();
        }
      }
      skb.free();
    }
  });
  const copy = measure((n) => {
    const dstBuf = new Uint8Array(size);
    for (let i = 0; i < n; i++) {
      dstBuf.set(bytes);
      sink += dstBuf[i & 1023]!;
    }
  });
  if (!ok) throw new Error('nothing reassembled');
  console.log(`fragment + reassemble (${size} B datagrams, MTU 1500, ${Math.ceil((size - 20) / 1480)} fragments): ${((rate * size) / 1e6).toFixed(0)} MB/s (${fmt(rate)} datagrams/s)   ipFragment with fragCopyBelow (copies payload) ${((rateCopyPolicy * size) / 1e6).toFixed(0)} MB/s (×${(rate / rateCopyPolicy).toFixed(2)})   hand-written copying fragmenter + same reassembler ${((copyFrag * size) / 1e6).toFixed(0)} MB/s (×${(rate / copyFrag).toFixed(2)})   one plain copy of the bytes ${((copy * size) / 1e6).toFixed(0)} MB/s`);
  stack.close();
}

const live0 = skbStats().live;
benchIpRcv();
benchFib();
benchFrag();
const live = skbStats().live - live0;
console.log(`skb live after the run: ${live}${live ? ' (LEAK)' : ''}   (sink ${sink & 1})`);
