/**
 * `@netlayers/ipv4` — Ethernet/ARP, IPv4 input/output, routing, forwarding,
 * fragmentation/reassembly, ICMP, UDP and netfilter-style hooks, modelled on the
 * Linux receive/send paths (ip_rcv → ip_rcv_finish → ip_local_deliver /
 * ip_forward; ip_queue_xmit → ip_output → ip_finish_output → ip_fragment →
 * neighbour output).
 *
 * @packageDocumentation
 */
export * from './wire/index.js';
export * from './snmp.js';
export * from './fib.js';
export * from './device.js';
export * from './netfilter.js';
export * from './neighbour.js';
export * from './defrag.js';
export * from './route.js';
export { ipHdr, skbShareRange } from './skb-util.js';
export { PacketType, ipRcvFromDevice, ipFinishOutputNeigh } from './link.js';
export { arpRcv, arpSend, arpSendRequest, arpSendGratuitous } from './arp.js';
export { ipRcv, ipRcvFinish, ipLocalDeliver, ipLocalDeliverFinish, ipForward, ipForwardFinish } from './input.js';
export { ipQueueXmit, ipLocalOut, ipOutput, ipFinishOutput, ipFinishOutput2, type XmitOptions, type XmitStatus, type PmtuDisc } from './output.js';
export { ipFragment } from './fragment.js';
export { ipDefrag } from './ip-defrag.js';
export { icmpRcv, icmpSend, icmpSendEcho, ICMP_ERROR_MAX } from './icmp.js';
export { UdpTable, UdpSocket, UdpError, type UdpDatagram, type UdpSocketOptions } from './udp.js';
export { IpIdents } from './ident.js';
export { Stack, Interface, type StackOptions, type InterfaceConfig, type InetProtocol, type IcmpErrorInfo } from './stack.js';
export { netdevLink, attachNetDevice, type AttachOptions } from './netdev.js';
/** Alias of {@link Stack} for code that composes a single host (one stack = one host or router). */
export { Stack as Host } from './stack.js';
