// Shared helpers of the interop tests: locate external tools, start our
// server / nodemailer's smtp-server / Postfix smtp-sink on loopback with an
// ephemeral port, run processes with a hard time bound, and build `inspect`
// callbacks for the conformance suite. Everything started here is stopped by
// the returned `stop()`/`close()`, which the tests call in afterAll/finally.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, chmodSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer as createNetServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, delimiter } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { createServer, type CreateServerOptions, type SmtpServer } from '../../src/index.js';
import type { InspectedMessage } from '../../src/testing/index.js';

export const HOST = '127.0.0.1';
export const SMTP_SINK = '/usr/sbin/smtp-sink';
export const SMTP_SOURCE = '/usr/sbin/smtp-source';

/** Absolute path of an executable, or undefined when it is not installed. */
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

/** An unused TCP port on 127.0.0.1 (bind 0, read, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Resolve once something accepts TCP connections on `port` (bounded). */
export async function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      const done = (v: boolean) => {
        s.destroy();
        resolve(v);
      };
      s.setTimeout(500, () => done(false));
      s.once('error', () => done(false));
      s.connect(port, HOST, () => done(true));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${HOST}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Result of {@link runProcess}. */
export interface ProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Run a command to completion, killing it (SIGKILL) after `timeoutMs`. */
export function runProcess(cmd: string, args: readonly string[], opts: { timeoutMs: number; input?: string } = { timeoutMs: 20_000 }): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < 1 << 20) stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 1 << 20) stderr += d.toString();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('error', (e) => {
      stderr += String(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** A message our server (or smtp-server) received. */
export interface Received {
  readonly from: string;
  readonly to: readonly string[];
  readonly content: Buffer;
}

/** Find the received message containing `token`, as the conformance suite's `inspect`. */
export function inspectorFor(list: readonly Received[]): (token: string) => InspectedMessage | undefined {
  return (token) => {
    const m = list.find((x) => x.content.includes(token));
    return m && { content: m.content, mailFrom: m.from, rcptTo: m.to };
  };
}

/** Our server on an ephemeral loopback port, recording messages and hook calls. */
export interface OurServer {
  readonly port: number;
  readonly server: SmtpServer;
  readonly messages: Received[];
  readonly counts: { connect: number; ehlo: number; mail: number; rcpt: number; data: number; close: number };
  close(): Promise<void>;
}

/** Start `createServer` from the package with recording hooks (merged with `extra`). */
export async function startOurServer(extra: CreateServerOptions = {}): Promise<OurServer> {
  const messages: Received[] = [];
  const counts = { connect: 0, ehlo: 0, mail: 0, rcpt: 0, data: 0, close: 0 };
  const server = createServer({
    hostname: 'netlayers.test',
    ...extra,
    onConnect: (s) => {
      counts.connect++;
      return extra.onConnect?.(s);
    },
    onEhlo: (d, s) => {
      counts.ehlo++;
      return extra.onEhlo?.(d, s);
    },
    onMailFrom: (a, p, s) => {
      counts.mail++;
      return extra.onMailFrom?.(a, p, s);
    },
    onRcptTo: (a, p, s) => {
      counts.rcpt++;
      return extra.onRcptTo?.(a, p, s);
    },
    onData: async (msg, s) => {
      counts.data++;
      const content = Buffer.from(await msg.bytes());
      messages.push({ from: msg.envelope.from, to: msg.envelope.to.map((r) => r.address), content });
      return extra.onData?.(msg, s);
    },
    onClose: (s, reason) => {
      counts.close++;
      extra.onClose?.(s, reason);
    },
  });
  const { port } = await server.listen(0, HOST);
  return { port, server, messages, counts, close: () => server.close() };
}

/** nodemailer's smtp-server on an ephemeral loopback port, recording messages. */
export interface NodemailerServer {
  readonly port: number;
  readonly messages: Received[];
  close(): Promise<void>;
}

/** Start nodemailer's `SMTPServer` (no TLS, auth optional) with recording hooks. */
export async function startNodemailerServer(
  extra: ConstructorParameters<typeof SMTPServer>[0] = {},
): Promise<NodemailerServer> {
  const messages: Received[] = [];
  const srv = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    ...extra,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const env = session.envelope;
        messages.push({
          from: env.mailFrom === false ? '' : env.mailFrom.address,
          to: env.rcptTo.map((r) => r.address),
          content: Buffer.concat(chunks),
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    srv.server.once('error', reject);
    srv.listen(0, HOST, () => resolve());
  });
  const a = srv.server.address();
  const port = typeof a === 'object' && a !== null ? a.port : 0;
  return {
    port,
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 3000);
        srv.close(() => {
          clearTimeout(t);
          resolve();
        });
      }),
  };
}

/** A running Postfix smtp-sink. */
export interface SmtpSink {
  readonly port: number;
  /** Directory of the `-D` dump file when dumping was asked for. */
  readonly dumpFile: string | undefined;
  /** Output collected so far. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Start `/usr/sbin/smtp-sink [args] 127.0.0.1:<port> 64` (with `-u nobody`
 * when root) on a fresh ephemeral port; with `dump: true`, messages are
 * appended to a temporary file (`-D`) that {@link sinkInspector} reads.
 */
export async function startSmtpSink(args: readonly string[] = [], opts: { dump?: boolean } = {}): Promise<SmtpSink> {
  const port = await freePort();
  let dir: string | undefined;
  let dumpFile: string | undefined;
  const full = [...args];
  if (process.getuid?.() === 0) full.unshift('-u', 'nobody');
  if (opts.dump) {
    dir = mkdtempSync(join(tmpdir(), 'nl-sink-'));
    chmodSync(dir, 0o777);
    dumpFile = join(dir, 'dump');
    full.push('-D', dumpFile);
  }
  full.push(`${HOST}:${port}`, '64');
  const child: ChildProcess = spawn(SMTP_SINK, full, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    if (out.length < 1 << 16) out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    if (out.length < 1 << 16) out += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 1000);
      await exited;
      clearTimeout(t);
    }
    if (dir !== undefined && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port);
  } catch (e) {
    await stop();
    throw new Error(`smtp-sink did not start: ${(e as Error).message}; output: ${out}`);
  }
  return { port, dumpFile, output: () => out, stop };
}

/**
 * `inspect` for the conformance suite over an smtp-sink `-D` dump file: the
 * dump holds one record per transaction (`X-Client-Addr:` … `X-Mail-Args:`
 * `X-Rcpt-Args:` … `Received:` then the message as text lines).
 */
export function sinkInspector(dumpFile: string): (token: string) => InspectedMessage | undefined {
  return (token) => {
    let text: string;
    try {
      text = readFileSync(dumpFile, 'latin1');
    } catch {
      return undefined;
    }
    const records = text.split(/^(?=X-Client-Addr: )/m);
    const rec = records.find((r) => r.includes(`X-Conformance-Token: ${token}`));
    if (rec === undefined) return undefined;
    const mail = /^X-Mail-Args: <([^>]*)>/m.exec(rec);
    const rcpts = [...rec.matchAll(/^X-Rcpt-Args: <([^>]*)>/gm)].map((m) => m[1] ?? '');
    return { content: Buffer.from(rec, 'latin1'), ...(mail ? { mailFrom: mail[1] ?? '' } : {}), rcptTo: rcpts };
  };
}

/** Read all smtp-sink dump records (for our client's tests). */
export function sinkRecords(dumpFile: string): string[] {
  try {
    return readFileSync(dumpFile, 'latin1')
      .split(/^(?=X-Client-Addr: )/m)
      .filter((r) => r.length > 0);
  } catch {
    return [];
  }
}
