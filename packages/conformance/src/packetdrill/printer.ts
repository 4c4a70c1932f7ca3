/**
 * Prints AST packets and options back as packetdrill text, in the canonical
 * spelling the parser reads (the round trip print → parse is the identity on
 * TCP packet specs). Used for failure diffs and by the grammar property test.
 *
 * @module
 */
import type { IpInfo, ScriptTcpOption, TcpPacketSpec } from './ast.js';

/** One option as packetdrill writes it. */
export function printTcpOption(o: ScriptTcpOption): string {
  switch (o.kind) {
    case 'nop':
    case 'eol':
    case 'sackOK':
      return o.kind;
    case 'mss':
    case 'wscale':
      return `${o.kind} ${o.value}`;
    case 'sack':
      return ['sack', ...o.blocks.map(([l, r]) => `${l}:${r}`)].join(' ');
    case 'TS':
      return `TS val ${o.val} ecr ${o.ecr}`;
    case 'md5':
      return `md5 ${o.hex}`;
    case 'FO':
      return `${o.exp ? 'FOEXP' : 'FO'}${o.cookie !== undefined ? ` ${o.cookie}` : ''}`;
    case 'ecn':
      return [o.name, ...o.values].join(' ');
  }
}

/** `<mss 1460,sackOK,…>`, `<...>` or '' for none. */
export function printTcpOptions(opts: TcpPacketSpec['options']): string {
  if (opts === undefined) return '';
  if (opts === 'any') return '<...>';
  return `<${opts.map(printTcpOption).join(',')}>`;
}

function printIpInfo(ip: IpInfo): string {
  const parts: string[] = [];
  if (ip.ecn !== undefined) parts.push(ip.ecn);
  if (ip.tos !== undefined) parts.push(`tos 0x${ip.tos.toString(16)}`);
  if (ip.ttl !== undefined) parts.push(`ttl ${ip.ttl}`);
  if (ip.flowlabel !== undefined) parts.push(`flowlabel 0x${ip.flowlabel.toString(16)}`);
  return parts.length === 0 ? '' : `[${parts.join(',')}]`;
}

/** A TCP packet line without its time: `< S. 0:0(0) ack 1 win 100 <mss 1460>`. */
export function printTcpPacket(p: TcpPacketSpec): string {
  const parts: string[] = [p.direction === 'inbound' ? '<' : '>'];
  const ip = printIpInfo(p.ip);
  if (ip !== '') parts.push(ip);
  if (p.ports !== undefined) parts.push(`${p.ports.src}>${p.ports.dst}`);
  parts.push(`${p.flags === '' ? '-' : p.flags}${p.ace !== undefined ? String(p.ace) : ''}`);
  parts.push(`${p.start}:${p.end}(${p.len})`);
  if (p.ack !== undefined) parts.push(`ack ${p.ack}`);
  if (p.win !== undefined) parts.push(`win ${p.win}`);
  if (p.urg !== undefined) parts.push(`urg ${p.urg}`);
  const o = printTcpOptions(p.options);
  if (o !== '') parts.push(o);
  return parts.join(' ');
}
