/**
 * `npm run bench -w @netlayers/ipv4` — on the shared harness
 * (scripts/bench-harness): each group's cases run side by side in alternating
 * rounds; median, min–max and IQR, per-round ratios.
 *
 * 1. ipRcv packets/s for 64 B and 1500 B datagrams delivered to a registered
 *    protocol (skb alloc + copy-in included), next to the alloc + copy + free
 *    baseline alone; every packet sent must be delivered;
 * 2. FIB longest-prefix-match lookups/s with 10,000 routes: the trie, the
 *    per-prefix-length hash probes and a linear scan, which must agree on
 *    every probe;
 * 3. fragment + reassemble MB/s (65,000 B datagrams, MTU 1500: zero-copy
 *    ipFragment → ipDefrag; the copying policy; a hand-written copying
 *    fragmenter), next to copying the same bytes once; every datagram must come
 *    back whole, byte for byte (checked after the timed rounds).
 *
 * `--quick` / `NETLAYERS_BENCH_QUICK=1` shortens every round.
 */
import { VirtualClock } from '@netlayers/clock';
import { allocSkb, skbStats, type SkBuff } from '@netlayers/skbuff';
import { BenchReport, benchConfig, compare, loopCase, verify } from '../../../scripts/bench-harness/index.js';
import {
  Fib, IpDefrag, IpMib, Ipv4Packet, Ipv4Repr, MAX_HEADER, Stack, ipFragment, ipRouteOutput, ipv4, prefixMask,
  type DstEntry, type LinkDevice,
} from '../src/index.js';

const cfg = benchConfig();
const report = new BenchReport('ipv4', cfg);
let sink = 0;

function nullDevice(): LinkDevice {
  return { name: 'null0', mtu: 1500, macAddr: new Uint8Array([2, 0, 0, 0, 0, 1]), linkType: 'raw', xmit: (skb) => (skb.free(), true) };
}

// ---------------------------------------------------------------- 1. ipRcv
async function benchIpRcv(): Promise<void> {
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
  for (const size of [64, 1500]) {
    const r = new Ipv4Repr({ src: ipv4('198.18.0.2'), dst: ipv4('198.18.0.1'), protocol: 253, payloadLen: size - 20, ident: 1 });
    const bytes = new Uint8Array(size);
    r.emit(Ipv4Packet.unchecked(bytes));
    const base = loopCase('skb alloc + copy-in + free alone', (n) => {
      for (let i = 0; i < n; i++) {
        const skb = allocSkb(size + 64);
        skb.reserve(64);
        skb.putData(bytes);
        sink += skb.len;
        skb.free();
      }
    }, cfg);
    const rcv = loopCase('ipRcv → protocol handler (alloc + copy-in included)', (n) => {
      const d0 = delivered;
      for (let i = 0; i < n; i++) {
        const skb = allocSkb(size + 64);
        skb.reserve(64);
        skb.putData(bytes);
        stack.receiveIp(iface, skb);
      }
      verify(delivered - d0 === n, `ipRcv delivered ${delivered - d0} of ${n} packets`);
    }, cfg);
    const g = report.group(await compare(`ipRcv, ${size} B datagrams`, [base, rcv], cfg, { unit: 'M packets/s', scale: 1e-6, baseline: 'skb alloc + copy-in + free alone' }));
    const [b, x] = g.cases;
    report.value(`IP layer cost per ${size} B packet (median rates)`, 1e3 / x!.summary.median - 1e3 / b!.summary.median, 'ns');
  }
  report.check('ipRcv delivered every packet, no header errors', stack.ipMib.InHdrErrors === 0, `${delivered} delivered`);
  stack.close();
}

// ---------------------------------------------------------------- 2. FIB
async function benchFib(): Promise<void> {
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
  const linearLookup = (a: number): number => {
    let best = 0; // the default route
    for (let j = 0; j < routes.length; j++) {
      const rt = routes[j]!;
      if (rt.len > best && ((a & prefixMask(rt.len)) >>> 0) === rt.prefix) best = rt.len;
    }
    return best;
  };
  let agree = 0;
  for (const a of probes) {
    const t = fib.lookup(a)?.prefixLen;
    if (t === fib.lookupSlow(a)?.prefixLen && t === linearLookup(a)) agree++;
  }
  report.check('trie, per-length hash and linear scan agree on every probe', agree === probes.length, `${agree}/${probes.length}`);
  report.group(
    await compare(
      `FIB longest-prefix match, ${fib.size} routes`,
      [
        loopCase('8-bit-stride trie (lookup)', (n) => {
          for (let i = 0; i < n; i++) sink += fib.lookup(probes[i & 4095]!)?.prefixLen ?? 0;
        }, cfg),
        loopCase('per-prefix-length hash probes (lookupSlow)', (n) => {
          for (let i = 0; i < n; i++) sink += fib.lookupSlow(probes[i & 4095]!)?.prefixLen ?? 0;
        }, cfg),
        loopCase('linear scan', (n) => {
          for (let i = 0; i < n; i++) sink += linearLookup(probes[i & 4095]!);
        }, cfg),
      ],
      cfg,
      { unit: 'lookups/s', baseline: 'linear scan' },
    ),
  );
}

// ---------------------------------------------------------------- 3. fragment + reassemble
async function benchFrag(): Promise<void> {
  const clock = new VirtualClock();
  const stack = new Stack({ clock });
  stack.addInterface({ dev: nullDevice(), addr: ipv4('198.18.0.1'), prefixLen: 24 });
  const dst = ipRouteOutput(stack, ipv4('198.18.0.2')) as DstEntry;
  const mib = new IpMib();
  const defrag = new IpDefrag(clock, mib);
  const size = 65_000;
  const r = new Ipv4Repr({ src: ipv4('198.18.0.1'), dst: ipv4('198.18.0.2'), protocol: 17, payloadLen: size - 20, ident: 0 });
  const bytes = new Uint8Array(size);
  r.emit(Ipv4Packet.unchecked(bytes));
  for (let i = 20; i < size; i++) bytes[i] = (i * 7 + (i >>> 8)) & 0xff; // position-dependent payload
  const nFrags = Math.ceil((size - 20) / 1480);
  let id = 0;
  /** After a round: `whole` is compared with the datagram sent, byte for byte. */
  let checkNext = false;
  let badPayload = 0;
  const deliver = (whole: SkBuff): void => {
    verify(whole.len === size, `reassembled ${whole.len} of ${size} bytes`);
    if (checkNext) {
      const got = new Uint8Array(size - 20);
      whole.copyBits(20, got, size - 20, 0);
      if (!Buffer.from(got).equals(bytes.subarray(20))) badPayload++;
      checkNext = false;
    }
    sink += whole.len;
    whole.free();
  };
  const frags: SkBuff[] = [];
  /** `n` datagrams through ipFragment → ipDefrag; every one must come back whole. */
  const fragRound = (n: number, copyBelow: number): void => {
    stack.fragCopyBelow = copyBelow;
    let ok = 0;
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
      verify(frags.length === nFrags, `ipFragment made ${frags.length} fragments, expected ${nFrags}`);
      checkNext = i === n - 1;
      for (const f of frags) {
        const whole = defrag.defrag(f);
        if (whole) {
          ok++;
          deliver(whole);
        }
      }
      frags.length = 0;
    }
    stack.fragCopyBelow = 0;
    verify(ok === n, `reassembled ${ok} of ${n} datagrams`);
  };
  // Baseline: a copying fragmenter (lwIP/smoltcp style: payload memcpy'd into
  // each fragment buffer) feeding the same reassembler.
  const copyFragRound = (n: number): void => {
    let ok = 0;
    for (let i = 0; i < n; i++) {
      const skb = allocSkb(MAX_HEADER + size);
      skb.reserve(MAX_HEADER);
      skb.putData(bytes);
      const thisId = id++ & 0xffff;
      checkNext = i === n - 1;
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
          ok++;
          deliver(whole);
        }
      }
      skb.free();
    }
    verify(ok === n, `reassembled ${ok} of ${n} datagrams`);
  };
  const dstBuf = new Uint8Array(size);
  const g = report.group(
    await compare(
      `fragment + reassemble, ${size} B datagrams at MTU 1500 (${nFrags} fragments)`,
      [
        loopCase('ipFragment (zero-copy) → ipDefrag', (n) => fragRound(n, 0), cfg, size),
        loopCase('ipFragment with fragCopyBelow 65536 (copies payload) → ipDefrag', (n) => fragRound(n, 65536), cfg, size),
        loopCase('hand-written copying fragmenter → same ipDefrag', copyFragRound, cfg, size),
        loopCase('one plain copy of the bytes (Uint8Array#set)', (n) => {
          for (let i = 0; i < n; i++) {
            dstBuf.set(bytes);
            sink += dstBuf[i & 1023]!;
          }
        }, cfg, size),
      ],
      cfg,
      { unit: 'MB/s', scale: 1e-6, baseline: 'ipFragment (zero-copy) → ipDefrag' },
    ),
  );
  const rounds = g.cases[0]!.units.length;
  report.check('every datagram reassembled whole', mib.ReasmFails === 0, `ReasmOKs ${mib.ReasmOKs}, ReasmFails ${mib.ReasmFails}, ${rounds} rounds per case`);
  report.check('last datagram of every round identical to the one sent', badPayload === 0, `${badPayload} differed`);
  stack.close();
}

const live0 = skbStats().live;
await benchIpRcv();
await benchFib();
await benchFrag();
const live = skbStats().live - live0;
report.check('no skb live after the run', live === 0, `${live} live (sink ${sink & 1})`);
report.finish();
