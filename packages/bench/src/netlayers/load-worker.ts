/**
 * Worker thread of the netlayers configurations' load generator: our stack on
 * end b of the link (198.18.0.2), the sink listening on it, the senders
 * connecting from it to the relay's stack on the main thread.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SharedLinkBuffers } from '@netlayers/netdev-ring';
import { serveAgent, type AgentReply, type AgentRequest } from '../load/agent.js';
import { startHost, type LinkProfile } from './host.js';
import { SINK_PORT } from './sink-port.js';


const port = parentPort;
if (port === null) throw new Error('load-worker must run in a worker thread');
const { link, profile } = workerData as { link: SharedLinkBuffers; profile: LinkProfile };
const host = startHost(link, 'b', profile, 2);
await serveAgent(
  host.net,
  host.address,
  SINK_PORT,
  {
    post: (m: AgentReply) => port.postMessage(m),
    onMessage: (cb) => port.on('message', (m) => cb(m as AgentRequest)),
  },
  () => {
    host.close();
    port.close();
  },
);
