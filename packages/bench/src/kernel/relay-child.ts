/**
 * Child process of the `kernel` configuration's relay: `createRelay` on Node's
 * `net`, alone in its process (one thread), as the thesis's user-mode relay.
 * Answers `begin`/`end` with its event-loop busy time and counters.
 * @module
 */
import { performance } from 'node:perf_hooks';
import { createRelay } from '@netlayers/relay';
import { relayOptions } from '../relay-options.js';
import { runProfiler } from '../profile.js';
import type { RelayHostReply, RelayHostRequest } from '../relay-host.js';

const send = process.send?.bind(process);
if (send === undefined) throw new Error('relay-child must be started with an IPC channel');
const nextHop = process.env.BENCH_NEXT_HOP ?? '';
const relay = createRelay({ ...relayOptions(), transport: 'kernel', forward: 'copy', listen: '127.0.0.1:0', nextHop });
const ep = await relay.listen();
const prof = runProfiler();
let elu0 = performance.eventLoopUtilization();
let cpu0 = process.cpuUsage();
process.on('message', (raw) => {
  const m = raw as RelayHostRequest;
  if (m.op === 'begin') {
    elu0 = performance.eventLoopUtilization();
    cpu0 = process.cpuUsage();
    prof.start();
    send({ op: 'begun', id: m.id, stats: relay.stats() } satisfies RelayHostReply);
  } else if (m.op === 'end') {
    const elu = performance.eventLoopUtilization(elu0);
    const cpu = process.cpuUsage(cpu0);
    const reply = { op: 'ended', id: m.id, busyMs: elu.active, cpuMs: (cpu.user + cpu.system) / 1000, stats: relay.stats() } satisfies RelayHostReply;
    void prof.stop('kernel-relay').finally(() => send(reply));
  } else {
    void relay.close().then(() => {
      send({ op: 'closed', id: m.id } satisfies RelayHostReply);
      process.disconnect();
    });
  }
});
send({ op: 'ready', host: ep.host, port: ep.port } satisfies RelayHostReply);
