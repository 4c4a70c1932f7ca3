/**
 * Child process of the kernel configurations' load generator: the sender and
 * the receiver on Node's `net` (kernel sockets), driven over IPC.
 * @module
 */
import * as net from 'node:net';
import { serveAgent, type AgentReply, type AgentRequest } from '../load/agent.js';
import type { NetLike } from '../load/net-like.js';

const send = process.send?.bind(process);
if (send === undefined) throw new Error('load-child must be started with an IPC channel');
await serveAgent(
  net as unknown as NetLike,
  // the TAP configurations run this child inside their network namespace, on the TAP's kernel side
  process.env.BENCH_LOAD_HOST ?? '127.0.0.1',
  0,
  {
    post: (m: AgentReply) => void send(m),
    onMessage: (cb) => process.on('message', (m) => cb(m as AgentRequest)),
  },
  () => process.disconnect(),
);
