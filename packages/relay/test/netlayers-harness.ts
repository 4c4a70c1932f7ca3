// A sender, a sink and the relay on our own stack (two testbed hosts on a
// virtual clock): host A runs the sender and the sink, host B the relay.
// Counts the skbuff copies the sender and the sink make, so a test can prove
// the relay itself copied no payload.
import { createHash } from 'node:crypto';
import { skbStats } from '@netlayers/skbuff';
import { attachClientSession, attachServerSession } from '@netlayers/smtp-protocol';
import { createTestbed, type Testbed, type TestbedOptions } from '@netlayers/tcp/testing';
import type { TcpSocket } from '@netlayers/tcp';
import { createRelay, type Relay, type RelayOptions } from '../src/index.js';
import { stripFirstReceived } from './helpers.js';

export interface Harness {
  tb: Testbed;
  relay: Relay;
  /** SHA-256 of every body the sink received, Received: header stripped. */
  received: string[];
  /** Sends `bodies` over one SMTP session; resolves with the final replies' codes. */
  send(bodies: Uint8Array[]): Promise<number[]>;
  /** skbuff copies by the sender's and sink's own sockets (tcpSendmsg / tcpRecvmsg). */
  endpointBytes(): number;
  close(): Promise<void>;
}

function sockBytes(s: TcpSocket): number {
  return s.bytesRead + s.bytesWritten;
}

export async function startHarness(tbOpts: TestbedOptions, relayOpts: Partial<RelayOptions>): Promise<Harness> {
  const tb = createTestbed({ clock: 'virtual', ...tbOpts });
  const [a, b] = tb.hosts;
  const sockets = new Set<TcpSocket>();
  const received: string[] = [];
  const sinkServer = a.createServer((s) => {
    sockets.add(s);
    attachServerSession(s, {
      timers: tb.clock,
      hostname: 'sink.test',
      hooks: {
        async onData(m) {
          const h = createHash('sha256');
          const parts: Buffer[] = [];
          for await (const c of m) parts.push(Buffer.from(c));
          h.update(stripFirstReceived(Buffer.concat(parts)));
          received.push(h.digest('hex'));
        },
      },
    });
  });
  sinkServer.listen(2526);
  const relay = createRelay({
    transport: 'netlayers',
    stack: b.tcp,
    listen: `${b.address}:25`,
    nextHop: `${a.address}:2526`,
    accept: 'memory',
    mynetworks: ['198.18.0.0/15', '127.0.0.0/8'],
    timers: tb.clock,
    logger: false,
    hostname: 'relay.test',
    ...relayOpts,
  });
  await relay.listen();
  const h: Harness = {
    tb,
    relay,
    received,
    async send(bodies) {
      const c = a.connect(25, b.address);
      sockets.add(c);
      const session = attachClientSession(c, { timers: tb.clock, clientName: 'sender.test' });
      const codes: number[] = [];
      let done = false;
      const run = (async () => {
        await session.greet();
        for (const body of bodies) codes.push((await session.send({ from: 'a@sender.test', to: ['b@example.org'] }, body)).reply.code);
        await session.quit();
      })().finally(() => (done = true));
      let err: unknown;
      run.catch((e: unknown) => (err = e));
      await tb.runUntil(() => done, { timeoutMs: 600_000 });
      if (err !== undefined) throw err;
      return codes;
    },
    endpointBytes() {
      let n = 0;
      for (const s of sockets) n += sockBytes(s);
      return n;
    },
    async close() {
      const closing = relay.close();
      let closed = false;
      void closing.finally(() => (closed = true));
      await tb.runUntil(() => closed, { timeoutMs: 60_000 });
      sinkServer.close();
      tb.destroy();
    },
  };
  return h;
}

/** Payload bytes copied so far, process-wide (protocol headers that GSO/GRO copy into new heads are metered apart). */
export function copiedNow(): number {
  return skbStats().payloadBytesCopied;
}

/** Protocol header bytes copied so far by software GSO and GRO (`copies.headers`). */
export function headersCopiedNow(): number {
  return skbStats().copies.headers;
}
