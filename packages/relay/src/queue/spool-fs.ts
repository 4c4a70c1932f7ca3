/**
 * The part of `node:fs/promises` the spool uses, as an interface, so tests can
 * inject faults (ENOSPC at any step, a crash between two steps) without
 * touching the real file system's behaviour.
 * @module
 */
import * as fsp from 'node:fs/promises';
import { QueueError } from './types.js';

/** An open file: the `FileHandle` methods the spool calls. */
export interface SpoolFileHandle {
  write(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesWritten: number }>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The file-system calls the spool makes. */
export interface SpoolFs {
  open(path: string, flags: 'wx' | 'r', mode?: number): Promise<SpoolFileHandle>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  readFile(path: string): Promise<Uint8Array>;
  mkdir(path: string): Promise<void>;
  stat(path: string): Promise<{ size: number }>;
}

/** {@link SpoolFs} on `node:fs/promises`. */
export const nodeSpoolFs: SpoolFs = {
  open: (path, flags, mode) => fsp.open(path, flags, mode),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  readdir: (path) => fsp.readdir(path),
  readFile: (path) => fsp.readFile(path),
  mkdir: async (path) => {
    await fsp.mkdir(path, { recursive: true });
  },
  stat: (path) => fsp.stat(path),
};

/** The errno code of a Node system error, if any. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Maps a file-system failure to a {@link QueueError}: `ENOSPC`/`EDQUOT` → `ENOSPC`, anything else → `EIO`. */
export function toQueueError(err: unknown, what: string): QueueError {
  if (err instanceof QueueError) return err;
  const errno = errnoOf(err);
  const code = errno === 'ENOSPC' || errno === 'EDQUOT' ? 'ENOSPC' : 'EIO';
  const detail = err instanceof Error ? err.message : String(err);
  return new QueueError(code, `${what}: ${detail}`, { cause: err });
}

/** Writes all of `buf[off, off+len)` at the current position (short writes are continued). */
export async function writeAll(fh: SpoolFileHandle, buf: Uint8Array, off: number, len: number): Promise<void> {
  while (len > 0) {
    const { bytesWritten } = await fh.write(buf, off, len, null);
    if (!(bytesWritten > 0)) throw new QueueError('EIO', `write made no progress (${len} octets left)`);
    off += bytesWritten;
    len -= bytesWritten;
  }
}

/** fsyncs a directory, making the renames and unlinks in it durable. */
export async function syncDir(fs: SpoolFs, dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Unlinks `path`, ignoring every error (cleanup paths; recovery removes what is left). */
export async function unlinkQuiet(fs: SpoolFs, path: string): Promise<void> {
  try {
    await fs.unlink(path);
  } catch {
    // best effort
  }
}
