/**
 * IPv4 fragmentation without copying payload (RFC 791 §3.2; Linux
 * `ip_do_fragment`).
 *
 * Each fragment is a fresh small skb holding headroom plus a copy of the IP
 * header (non-copied options replaced by NOPs after the first fragment, like
 * `ip_options_fragment`); its payload is the original packet's bytes, shared:
 * linear data through clones pulled/trimmed to the range, page fragments through
 * page references, chained on the fragment's `fragList` (see `skbShareRange`).
 * Payload offsets are multiples of 8; the last fragment keeps the original MF
 * (refragmenting a fragment while forwarding).
 *
 * Policy knob: `StackOptions.fragCopyBelow` (default 0 = never copy) makes
 * fragments of a *linear* packet whose payload is smaller than that many bytes
 * copy their payload instead (Linux's slow path). In JavaScript a 1480-byte
 * memcpy costs less than the extra skb head a shared fragment needs, so the
 * bench reports both; paged payloads are always shared.
 *
 * @module
 */
import { allocSkb, IpSummed, skbChecksumHelp, type SkBuff } from '@netlayers/skbuff';
import { LL_MAX_HEADER } from './device.js';
import { icmpSend } from './icmp.js';
import type { XmitStatus } from './output.js';
import type { DstEntry } from './route.js';
import { cloneRange, skbShareRange } from './skb-util.js';
import type { Stack } from './stack.js';
import { readU16, writeU16 } from './wire/addr.js';
import { checksum16, sum16 } from './wire/checksum.js';
import { IcmpType, IcmpUnreachCode } from './wire/icmpv4.js';
import { IP_DF, IP_MF, IP_OFFSET, IPV4_FIELD } from './wire/ipv4.js';

/**
 * Splits `skb` (data at its IPv4 header) into fragments of at most `dst.mtu`
 * bytes and passes each to `output`. Takes ownership of `skb`.
 *
 * With DF set it sends ICMP fragmentation needed (for forwarded packets) or
 * records the path MTU (locally generated, `skb.sk` set or source local), counts
 * FragFails and returns `EMSGSIZE`.
 */
export function ipFragment(stack: Stack, skb: SkBuff, dst: DstEntry, output: (frag: SkBuff) => XmitStatus, mtu: number = dst.mtu): XmitStatus {
  const mib = stack.ipMib;
  const b0 = skb.buf;
  const nh0 = skb.data;
  const ihl = (b0[nh0]! & 0x0f) << 2;
  const fw = readU16(b0, nh0 + IPV4_FIELD.FLG_OFF);
  if (fw & IP_DF) {
    mib.FragFails++;
    icmpSend(stack, skb, IcmpType.DEST_UNREACH, IcmpUnreachCode.FRAG_NEEDED, mtu);
    skb.free();
    return 'EMSGSIZE';
  }
  const maxData = (mtu - ihl) & ~7;
  if (maxData < 8) {
    mib.FragFails++;
    skb.free();
    return 'EMSGSIZE';
  }
  if (skb.ipSummed === IpSummed.PARTIAL) skbChecksumHelp(skb);
  const header = b0.slice(nh0, nh0 + ihl);
  const origOffset = (fw & IP_OFFSET) * 8;
  const origMf = (fw & IP_MF) !== 0;
  const payloadLen = skb.len - ihl;
  const linear = skb.dataLen === 0;
  let status: XmitStatus = 'OK';
  for (let off = 0; off < payloadLen; off += maxData) {
    const len = Math.min(maxData, payloadLen - off);
    const last = off + len >= payloadLen;
    const copy = linear && len < stack.fragCopyBelow;
    const frag = allocSkb(LL_MAX_HEADER + ihl + (copy ? len : 0), { pool: skb.pool });
    frag.reserve(LL_MAX_HEADER);
    const o = frag.putOff(copy ? ihl + len : ihl);
    const b = frag.buf;
    b.set(header, o);
    if (off > 0 && ihl > 20) optionsFragment(b, o + 20, o + ihl);
    writeU16(b, o + IPV4_FIELD.LENGTH, ihl + len);
    writeU16(b, o + IPV4_FIELD.FLG_OFF, (!last || origMf ? IP_MF : 0) | ((origOffset + off) >>> 3));
    writeU16(b, o + IPV4_FIELD.CHECKSUM, 0);
    writeU16(b, o + IPV4_FIELD.CHECKSUM, checksum16(sum16(b, o, ihl)));
    frag.networkHeader = o;
    frag.transportHeader = o + ihl;
    if (copy) {
      // Opt-in copy policy (Linux's slow path): small linear payloads are copied.
      skb.copyBits(ihl + off, b, len, o + ihl);
    } else if (linear) {
      // Linear original: one clone narrowed to the range (charged for `len` bytes).
      frag.appendFragList(cloneRange(skb, ihl + off, len));
    } else for (const c of skbShareRange(skb, ihl + off, len)) frag.appendFragList(c);
    frag.protocol = 0x0800;
    frag.priority = skb.priority;
    frag.mark = skb.mark;
    frag.dev = skb.dev;
    frag.cbRef = dst;
    mib.FragCreates++;
    const s = output(frag);
    if (s !== 'OK' && status === 'OK') status = s;
  }
  skb.free();
  mib.FragOKs++;
  return status;
}

/** Linux `ip_options_fragment`: options without the "copied" bit become NOPs. */
function optionsFragment(b: Uint8Array, start: number, end: number): void {
  let i = start;
  while (i < end) {
    const t = b[i]!;
    if (t === 0) break;
    if (t === 1) {
      i++;
      continue;
    }
    const l = b[i + 1] ?? 0;
    if (l < 2 || i + l > end) break;
    if (!(t & 0x80)) b.fill(1, i, i + l);
    i += l;
  }
}
