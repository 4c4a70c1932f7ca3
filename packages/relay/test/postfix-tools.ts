// Postfix's smtp-source and smtp-sink as real peers of the relay: start the
// sink with a dump directory, run the source with a hard time bound, read the
// dumped messages back.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HOST } from './helpers.js';

export const SMTP_SINK = '/usr/sbin/smtp-sink';
export const SMTP_SOURCE = '/usr/sbin/smtp-source';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a command to completion, killed after `timeoutMs`. */
export function run(cmd: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timedOut = false;
    const t = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

export interface SinkProc {
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** `smtp-sink` on 127.0.0.1:`port`, dumping every transaction under `dumpDir` (extra flags e.g. `-Q` for 4xx). */
export function startSmtpSink(port: number, dumpDir: string, extra: string[] = []): Promise<SinkProc> {
  const args = [...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []), '-d', `${dumpDir}/%H/`, ...extra, `${HOST}:${port}`, '256'];
  const proc = spawn(SMTP_SINK, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const sp: SinkProc = {
    port,
    proc,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('close', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => resolve(sp), 300); // smtp-sink prints nothing when ready
    proc.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    proc.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`smtp-sink exited ${code}: ${err}`));
    });
  });
}

/** Every message file smtp-sink dumped (recursively). */
export function dumpedFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...dumpedFiles(p));
    else out.push(p);
  }
  return out;
}

/** Removes a leading header field named `name` (with its folded lines) from LF-separated text. */
export function stripField(s: string, name: string): string {
  if (!s.toLowerCase().startsWith(name.toLowerCase() + ':')) return s;
  let i = s.indexOf('\n');
  while (i >= 0 && (s[i + 1] === ' ' || s[i + 1] === '\t')) i = s.indexOf('\n', i + 1);
  return i < 0 ? '' : s.slice(i + 1);
}

/**
 * The message of a dump file as it reached smtp-sink, LF line ends (smtp-sink
 * writes X-* envelope records and its own Received: line first; both removed).
 */
export function dumpedMessage(file: string): string {
  let s = readFileSync(file, 'latin1');
  while (/^X-[A-Za-z-]+:/.test(s)) s = s.slice(s.indexOf('\n') + 1);
  return stripField(s, 'Received');
}
