/**
 * `netlayers-tap --dev tap0 --addr 198.18.0.2/24 [--gw 198.18.0.1] [--echo 7]
 * [--discard 9] [--pcap FILE] [--offloads]`: brings our stack up on a TAP
 * interface and serves TCP echo (RFC 862) / discard (RFC 863) until SIGINT.
 * Arguments are parsed with `node:util` `parseArgs` (no dependency).
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { PcapWriter } from '@netlayers/netdev-ring';
import { isTapError } from './errors.js';
import { createTapHost } from './host.js';

const USAGE = `usage: netlayers-tap --dev NAME --addr A.B.C.D/LEN [--gw A.B.C.D] [--echo PORT] [--discard PORT] [--pcap FILE] [--offloads]

Opens (or creates) TAP interface NAME, runs the netlayers IPv4/TCP stack on it
with address --addr, answers ping, and serves TCP echo / discard on the given
ports. Configure the kernel side yourself, e.g.:
  ip tuntap add dev tap0 mode tap && ip addr add 198.18.0.1/24 dev tap0 && ip link set tap0 up
Needs CAP_NET_ADMIN (or a TAP created with 'ip tuntap add … user $USER').`;

function port(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`--${name} must be a port number, got ${v}`);
  return n;
}

/** Runs the CLI with `argv` (without node and script). @returns a stop function */
export function main(argv: string[]): () => void {
  const { values } = parseArgs({
    args: argv,
    options: {
      dev: { type: 'string' },
      addr: { type: 'string' },
      gw: { type: 'string' },
      echo: { type: 'string' },
      discard: { type: 'string' },
      pcap: { type: 'string' },
      offloads: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help || values.dev === undefined || values.addr === undefined) {
    console.log(USAGE);
    if (!values.help) process.exitCode = 2;
    return () => {};
  }
  const echo = port(values.echo, 'echo');
  const discard = port(values.discard, 'discard');
  const host = createTapHost({ ifname: values.dev, addr: values.addr, offloads: values.offloads, ...(values.gw !== undefined ? { gw: values.gw } : {}) });
  const pcap = values.pcap !== undefined ? new PcapWriter(values.pcap, { linkType: 'ethernet', clock: host.clock }) : undefined;
  pcap?.attach(host.dev);
  const servers: Array<{ close(): unknown }> = [];
  if (echo !== undefined) servers.push(host.net.createServer((s) => s.pipe(s)).listen(echo));
  if (discard !== undefined) servers.push(host.net.createServer((s) => s.resume()).listen(discard));
  console.log(
    `netlayers-tap: ${host.address} on ${host.dev.ifname} (offloads ${values.offloads ? 'on' : 'off'})` +
      `${echo !== undefined ? `, echo on ${echo}` : ''}${discard !== undefined ? `, discard on ${discard}` : ''}${pcap ? `, capturing to ${values.pcap}` : ''}`,
  );
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    for (const s of servers) s.close();
    host.close();
    pcap?.close();
    const st = host.dev.stats;
    console.log(`netlayers-tap: stopped; rx ${st.rxPackets} frames, tx ${st.txPackets} frames`);
  };
  return stop;
}

/** Entry point of the `netlayers-tap` binary. */
export function run(): void {
  try {
    const stop = main(process.argv.slice(2));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (e) {
    console.error(`netlayers-tap: ${isTapError(e) ? e.message : (e as Error).message}`);
    process.exitCode = 1;
  }
}
