// A sender, a sink and the relay on our own stack (two testbed hosts on a
// virtual clock): host A runs the sender and the sink, host B the relay.
// Counts the skbuff copies the sender and the sink make, so a test can prove
// the relay itself copied no payload.
import { createHash } from 'node:crypto';
import { skbStats } from '@netlayers/skbuff';
import tls from 'node:tls';
import { attachClientSession, attachServerSession, clientStartTls, serverStartTls } from '@netlayers/smtp-protocol';
import { createTestbed, type Testbed, type TestbedOptions } from '@netlayers/tcp/testing';
import type { TcpSocket } from '@netlayers/tcp';
import { createRelay, type Relay, type RelayOptions } from '../src/index.js';
import { stripFirstReceived } from './helpers.js';

export interface Harness {
  tb: Testbed;
  relay: Relay;
  /** SHA-256 of every body the sink received, Received: header stripped. */
  received: string[];
  /** Per received body: whether its session at the sink was secured with STARTTLS. */
  receivedSecure: boolean[];
  /** The relay's Received: line of each body at the sink. */
  receivedHeaders: string[];
  /**
   * Sends `bodies` over one SMTP session; resolves with the final replies' codes (a
   * rejected message counts with its code; a function body is an async source: no SIZE=).
   */
  send(bodies: Array<Uint8Array | (() => AsyncIterable<Uint8Array>)>): Promise<number[]>;
  /** skbuff copies by the sender's and sink's own sockets (tcpSendmsg / tcpRecvmsg). */
  endpointBytes(): number;
  close(): Promise<void>;
}

function sockBytes(s: TcpSocket): number {
  return s.bytesRead + s.bytesWritten;
}

/** TLS at the ends: the sink offers STARTTLS with `sinkTls`; the sender issues it with `senderTls`. */
export interface HarnessTls {
  sinkTls?: { key: Buffer; cert: Buffer };
  senderTls?: boolean;
}

export async function startHarness(tbOpts: TestbedOptions, relayOpts: Partial<RelayOptions>, ends: HarnessTls = {}): Promise<Harness> {
  const tb = createTestbed({ clock: 'virtual', ...tbOpts });
  const [a, b] = tb.hosts;
  const sockets = new Set<TcpSocket>();
  const received: string[] = [];
  const receivedSecure: boolean[] = [];
  const receivedHeaders: string[] = [];
  const sinkCtx = ends.sinkTls !== undefined ? tls.createSecureContext(ends.sinkTls) : undefined;
  const sinkServer = a.createServer((s) => {
    sockets.add(s);
    attachServerSession(s, {
      timers: tb.clock,
      hostname: 'sink.test',
      ...(sinkCtx !== undefined ? { startTls: serverStartTls(sinkCtx) } : {}),
      hooks: {
        async onData(m, session) {
          const h = createHash('sha256');
          const parts: Buffer[] = [];
          for await (const c of m) parts.push(Buffer.from(c));
          const all = Buffer.concat(parts);
          h.update(stripFirstReceived(all));
          received.push(h.digest('hex'));
          receivedSecure.push(session.secure);
          receivedHeaders.push(/^Received:[^\n]*(\n[ \t][^\n]*)*/.exec(all.toString('latin1'))?.[0] ?? '');
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
    receivedSecure,
    receivedHeaders,
    async send(bodies) {
      const c = a.connect(25, b.address);
      sockets.add(c);
      const session = attachClientSession(c, {
        timers: tb.clock,
        clientName: 'sender.test',
        ...(ends.senderTls === true ? { startTls: clientStartTls({ rejectUnauthorized: false }) } : {}),
      });
      const codes: number[] = [];
      let done = false;
      const run = (async () => {
        await session.greet();
        if (ends.senderTls === true) await session.startTls();
        for (const body of bodies) {
          try {
            codes.push((await session.send({ from: 'a@sender.test', to: ['b@example.org'] }, typeof body === 'function' ? body() : body)).reply.code);
          } catch (e) {
            const code = (e as { reply?: { code: number } }).reply?.code;
            if (code === undefined) throw e;
            codes.push(code);
          }
        }
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
