/**
 * Receiving one message into the spool.
 *
 * Content is copied into a 64 KiB staging buffer and written to
 * `tmp/<id>.msg` whenever the buffer fills (the file is created on the first
 * flush, so a client that disconnects early may leave not even an empty
 * file). `commit` is the durability point of RFC 5321 §6.1:
 *
 * 1. flush, fsync and close `tmp/<id>.msg`;
 * 2. write, fsync and close `tmp/<id>.json`;
 * 3. rename `tmp/<id>.msg` → `queue/<id>.msg`;
 * 4. rename `tmp/<id>.json` → `queue/<id>.json` — the commit point;
 * 5. fsync `queue/`.
 *
 * A crash before step 5 completes may leave any subset of these files; the
 * relay had not answered 250 yet, and recovery deletes every one of them that
 * is not a complete pair. Any failure (ENOSPC from a write or an fsync, EIO)
 * unlinks everything this writer created — at once, even before the caller
 * aborts — and rejects with a `QueueError`.
 * @module
 */
import { join } from 'node:path';
import { encodeMeta } from './spool-meta.js';
import { type SpoolFileHandle, type SpoolFs, syncDir, toQueueError, unlinkQuiet, writeAll } from './spool-fs.js';
import { type CommitMeta, QueueError, type QueuedMessage, type StoreWriter } from './types.js';

/** Size of a writer's staging buffer (one write(2) per this many octets). */
export const SPOOL_STAGE_BYTES = 64 * 1024;

/** What a writer needs from its store. */
export interface SpoolWriterContext {
  readonly fs: SpoolFs;
  readonly fsync: boolean;
  readonly tmpDir: string;
  readonly queueDir: string;
  /** Called once when the writer is finished; `bodyLength` is set when it committed. */
  finished(id: string, bodyLength?: number): void;
}

/** A {@link StoreWriter} on the spool (see the module doc for the protocol). */
export class SpoolWriter implements StoreWriter {
  private fh: SpoolFileHandle | undefined;
  private staging: Buffer | undefined;
  private fill = 0;
  private bytes = 0;
  private error: QueueError | undefined;
  private inFlight: Promise<void> | undefined;
  private state: 'open' | 'committing' | 'done' = 'open';
  private committing: Promise<unknown> | undefined;
  private readonly tmpMsg: string;
  private readonly tmpJson: string;
  private readonly queueMsg: string;
  private readonly queueJson: string;

  constructor(
    private readonly ctx: SpoolWriterContext,
    readonly id: string,
  ) {
    this.tmpMsg = join(ctx.tmpDir, `${id}.msg`);
    this.tmpJson = join(ctx.tmpDir, `${id}.json`);
    this.queueMsg = join(ctx.queueDir, `${id}.msg`);
    this.queueJson = join(ctx.queueDir, `${id}.json`);
  }

  write(chunk: Uint8Array): void | Promise<void> {
    if (this.state !== 'open') throw new QueueError('STATE', `writer ${this.id} already finished`);
    if (this.error !== undefined) throw this.error;
    if (this.inFlight !== undefined) return this.inFlight.then(() => this.write(chunk));
    const staging = (this.staging ??= Buffer.allocUnsafe(SPOOL_STAGE_BYTES));
    if (this.fill + chunk.length < SPOOL_STAGE_BYTES) {
      staging.set(chunk, this.fill);
      this.fill += chunk.length;
      this.bytes += chunk.length;
      return;
    }
    const p = this.writeSlow(chunk);
    this.inFlight = p;
    const clear = (): void => {
      if (this.inFlight === p) this.inFlight = undefined;
    };
    p.then(clear, clear);
    return p;
  }

  private async writeSlow(chunk: Uint8Array): Promise<void> {
    try {
      const staging = this.staging!;
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(SPOOL_STAGE_BYTES - this.fill, chunk.length - off);
        staging.set(chunk.subarray(off, off + n), this.fill);
        this.fill += n;
        off += n;
        this.bytes += n;
        if (this.fill === SPOOL_STAGE_BYTES) await this.flush();
      }
    } catch (err) {
      this.error = toQueueError(err, `spool write ${this.id}`);
      await this.discard(false); // nothing left behind even if the caller never aborts
      throw this.error;
    }
  }

  private async flush(): Promise<void> {
    this.fh ??= await this.ctx.fs.open(this.tmpMsg, 'wx', 0o600);
    if (this.fill > 0) await writeAll(this.fh, this.staging!, 0, this.fill);
    this.fill = 0;
  }

  commit(meta: CommitMeta): Promise<QueuedMessage> {
    if (this.state !== 'open') return Promise.reject(new QueueError('STATE', `writer ${this.id} already finished`));
    this.state = 'committing';
    const p = this.doCommit(meta);
    this.committing = p.catch(() => undefined);
    return p;
  }

  private async doCommit(meta: CommitMeta): Promise<QueuedMessage> {
    const { fs, fsync } = this.ctx;
    let renamed = false;
    try {
      await this.inFlight?.catch(() => undefined);
      if (this.error !== undefined) throw this.error;
      await this.flush();
      const fh = this.fh!;
      this.fh = undefined;
      try {
        if (fsync) await fh.sync();
      } finally {
        await fh.close();
      }
      const msg: QueuedMessage = { ...structuredClone(meta), id: this.id, attempts: 0, nextAttempt: 0 };
      await writeFileDurably(fs, this.tmpJson, encodeMeta(msg, this.bytes), fsync);
      renamed = true;
      await fs.rename(this.tmpMsg, this.queueMsg);
      await fs.rename(this.tmpJson, this.queueJson);
      if (fsync) await syncDir(fs, this.ctx.queueDir);
      this.finish(this.bytes);
      return msg;
    } catch (err) {
      const qe = toQueueError(err, `spool commit ${this.id}`);
      await this.cleanup(renamed);
      throw qe;
    }
  }

  async abort(): Promise<void> {
    if (this.state === 'committing') {
      await this.committing;
      return;
    }
    if (this.state === 'done') return;
    this.state = 'done';
    await this.inFlight?.catch(() => undefined);
    await this.cleanup(false);
  }

  private async cleanup(renamed: boolean): Promise<void> {
    await this.discard(renamed);
    this.finish();
  }

  /** Removes every file this writer may have created (JSON first: it is the commit point). */
  private async discard(renamed: boolean): Promise<void> {
    const { fs, fsync } = this.ctx;
    if (this.fh !== undefined) {
      await this.fh.close().catch(() => undefined);
      this.fh = undefined;
    }
    if (renamed) {
      await unlinkQuiet(fs, this.queueJson);
      await unlinkQuiet(fs, this.queueMsg);
      if (fsync) await syncDir(fs, this.ctx.queueDir).catch(() => undefined);
    }
    await unlinkQuiet(fs, this.tmpJson);
    await unlinkQuiet(fs, this.tmpMsg);
  }

  private finish(bodyLength?: number): void {
    this.state = 'done';
    this.staging = undefined;
    this.ctx.finished(this.id, bodyLength);
  }
}

/** Creates `path` (it must not exist), writes `data`, fsyncs (if asked) and closes it. */
export async function writeFileDurably(fs: SpoolFs, path: string, data: Uint8Array, fsync: boolean): Promise<void> {
  const fh = await fs.open(path, 'wx', 0o600);
  try {
    await writeAll(fh, data, 0, data.length);
    if (fsync) await fh.sync();
  } finally {
    await fh.close();
  }
}
