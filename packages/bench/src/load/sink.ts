/**
 * The receiver: an SMTP sink (our `ServerSession` over any {@link NetLike})
 * that checks every message it gets ({@link MessageChecker}) and reports it
 * with its arrival time. It adds no `Received:` header of its own.
 * @module
 */
import { realClock } from '@netlayers/clock';
import { attachServerSession, type ServerSession } from '@netlayers/smtp-protocol';
import { MessageChecker, type CheckedMessage } from './checker.js';
import { delaySocket } from './delay.js';
import { boundPort, type LoadServer, type LoadSocket, type NetLike } from './net-like.js';

/** Largest message the sink accepts (above the largest size the bench sends). */
export const SINK_MAX_SIZE = 64 * 1024 * 1024;

/** A running sink. */
export interface Sink {
  readonly host: string;
  readonly port: number;
  /** Called for every completely received message (after the 250 is decided). */
  onMessage: (m: CheckedMessage, atMs: number) => void;
  /** Emulated one-way delay applied to new connections (0: none). */
  delayMs: number;
  close(): Promise<void>;
}

/**
 * startSink - listens on `host:port` (0 picks a port) and checks every message.
 */
export function startSink(net: NetLike, host: string, port: number): Promise<Sink> {
  const sessions = new Set<ServerSession>();
  const sockets = new Set<LoadSocket>();
  const sink: Sink = {
    host,
    port: 0,
    onMessage: () => undefined,
    delayMs: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server: LoadServer = net.createServer((raw) => {
    raw.setNoDelay?.(true);
    sockets.add(raw);
    raw.once('close', () => sockets.delete(raw));
    const s = sink.delayMs > 0 ? delaySocket(raw, sink.delayMs) : raw;
    const session = attachServerSession(s, {
      timers: realClock,
      hostname: 'sink.bench',
      size: SINK_MAX_SIZE,
      hooks: {
        onData: async (message) => {
          const c = new MessageChecker();
          for await (const chunk of message) c.push(chunk);
          sink.onMessage(c.finish(), performance.now());
        },
        onClose: (ss) => sessions.delete(ss),
      },
    });
    sessions.add(session);
  });
  return new Promise((resolve, reject) => {
    const onErr = (e: Error): void => reject(e);
    (server as unknown as { once?: (e: string, cb: (e: Error) => void) => void }).once?.('error', onErr);
    server.listen(port, host, () => {
      (sink as { port: number }).port = boundPort(server);
      resolve(sink);
    });
  });
}
