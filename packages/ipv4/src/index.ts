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
