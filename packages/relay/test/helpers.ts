// Shared helpers of the relay tests: a capturing SMTP sink (our own server on
// loopback), a body generator, hashing, and the "real peer required under CI"
// rule for external tools.
import { createHash } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createServer, type SmtpServer } from '@netlayers/smtp-protocol';

export const HOST = '127.0.0.1';

export interface SunkMessage {
  from: string;
  to: string[];
  body: Buffer;
}

export interface Sink {
  port: number;
  messages: SunkMessage[];
  server: SmtpServer;
  /** Reply for the next messages (e.g. 451 to defer, 550 to bounce); undefined accepts. */
  reply: { code: number; enhanced: string; message: string } | undefined;
  /** Per-sender reply (checked before `reply`). */
  replyFor?: ((from: string) => { code: number; enhanced: string; message: string } | undefined) | undefined;
  close(): Promise<void>;
}

/** An SMTP server on 127.0.0.1 that keeps every message it accepts. */
export async function startSink(port = 0): Promise<Sink> {
  const sink: Partial<Sink> & { messages: SunkMessage[] } = { messages: [], reply: undefined };
  const server = createServer({
    hostname: 'sink.test',
    addReceivedHeader: false,
    async onData(msg) {
      const parts: Buffer[] = [];
      for await (const c of msg) parts.push(Buffer.from(c));
      const r = sink.replyFor?.(msg.envelope.from) ?? sink.reply;
      if (r !== undefined) return r;
      sink.messages.push({ from: msg.envelope.from, to: msg.envelope.to.map((r) => r.address), body: Buffer.concat(parts) });
      return undefined;
    },
  });
  const a = await server.listen(port, HOST);
  sink.port = a.port;
  sink.server = server;
  sink.close = () => server.close();
  return sink as Sink;
}

/** Removes the first header field if it is a `Received:` (the relay's), folded lines included. */
export function stripFirstReceived(body: Buffer): Buffer {
  const s = body.toString('latin1');
  if (!/^Received:/i.test(s)) return body;
  let i = s.indexOf('\r\n');
  while (i >= 0 && (s[i + 2] === ' ' || s[i + 2] === '\t')) i = s.indexOf('\r\n', i + 2);
  return i < 0 ? body : body.subarray(i + 2);
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A deterministic RFC 5322 message of about `size` octets, with dot-led lines. */
export function makeMessage(size: number, seed: number): Buffer {
  let x = seed >>> 0 || 1;
  const rnd = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  const head = `From: <a${seed}@sender.test>\r\nTo: <b@example.org>\r\nSubject: test ${seed}\r\nMessage-ID: <${seed}@sender.test>\r\n\r\n`;
  const lines: string[] = [head];
  let n = head.length;
  const alpha = 'abcdefghijklmnopqrstuvwxyz0123456789 ';
  while (n < size) {
    let line = rnd() < 0.03 ? '.' : '';
    const len = 20 + Math.floor(rnd() * 56);
    for (let i = 0; i < len; i++) line += alpha[Math.floor(rnd() * alpha.length)];
    line += '\r\n';
    lines.push(line);
    n += line.length;
  }
  return Buffer.from(lines.join(''), 'latin1');
}

/** Path of an executable on PATH (or an absolute path), else undefined. */
export function findTool(name: string): string | undefined {
  const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '').split(delimiter).map((d) => join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Under CI a missing real peer is a failure; elsewhere the test is skipped with the reason. */
export function requireTool(name: string): string | undefined {
  const p = findTool(name);
  if (p === undefined && process.env.CI === 'true') throw new Error(`${name} is required under CI (installed by scripts/install-system-deps.sh)`);
  return p;
}

/** Polls `pred` every 10 ms until it holds or `timeoutMs` passes (bounded). */
export async function waitFor(pred: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
