/**
 * `SkbConnTransport`: the SMTP session transport of a connection on our own
 * stack, able to switch to TLS (STARTTLS, RFC 3207). In cleartext it is the
 * {@link SkbConn} itself (zero-copy capable). On `startTls` it stops reading,
 * waits until the 220 (or the STARTTLS command) was handed to TCP, detaches
 * the `TcpSock` from the `SkbConn` and continues on Node's `tls` over a
 * `node:net`-compatible stream of the same socket (`@netlayers/tcp`'s
 * `TcpSocket`): "Node's tls over the transport's socket". From then on bytes
 * are decrypted copies, so a secured session has no skbs to forward — the
 * relay copies its bodies (zero-copy applies to cleartext hops).
 * @module
 */
import { Duplex } from 'node:stream';
import type { BufferOwner, DuplexLike, SessionTransport } from '@netlayers/smtp-protocol';
import { TcpError, TcpSocket, type TcpStack } from '@netlayers/tcp';
import type { SkbConn, SkbConnHandlers } from './skb-conn.js';

/** Wraps a stream in TLS and resolves once the handshake is done (`serverStartTls(ctx)` / `clientStartTls(opts)`). */
export type TlsUpgrade = (stream: DuplexLike) => Promise<DuplexLike>;

export class SkbConnTransport implements SessionTransport {
  private secureStream: DuplexLike | null = null;
  private closed = false;
  startTls?: () => Promise<void>;

  /**
   * @param conn the cleartext connection (started here with `handlers`)
   * @param handlers input events, from the SkbConn first and from the TLS stream after an upgrade
   * @param upgrade how to wrap the socket in TLS; without it STARTTLS is not offered
   */
  constructor(
    readonly conn: SkbConn,
    private readonly stack: TcpStack,
    private readonly handlers: SkbConnHandlers,
    upgrade?: TlsUpgrade,
  ) {
    if (upgrade !== undefined) this.startTls = () => this.upgradeWith(upgrade);
    conn.start(handlers);
  }

  /** True once the connection runs over TLS. */
  get secure(): boolean {
    return this.secureStream !== null;
  }

  write(data: Uint8Array): boolean {
    const s = this.secureStream;
    if (s === null) return this.conn.write(data);
    return this.closed ? true : s.write(data);
  }

  whenWritable(): Promise<void> {
    const s = this.secureStream;
    if (s === null) return this.conn.whenWritable();
    if (s.writableNeedDrain !== true) return Promise.resolve();
    return new Promise((r) => {
      s.once('drain', r);
      s.once('close', r);
    });
  }

  pendingBytes(): number {
    return this.secureStream?.writableLength ?? this.conn.queuedBytes;
  }

  close(): void {
    const s = this.secureStream;
    if (s === null) return this.conn.close();
    if (this.closed) return;
    this.closed = true;
    s.end();
  }

  pause(): void {
    if (this.secureStream !== null) this.secureStream.pause();
    else this.conn.pause();
  }

  resume(): void {
    if (this.secureStream !== null) this.secureStream.resume();
    else this.conn.resume();
  }

  /** Aborts the connection (RST in cleartext; destroys the TLS stream after an upgrade). */
  destroy(): void {
    if (this.secureStream !== null) this.secureStream.destroy();
    else this.conn.destroy();
  }

  private async upgradeWith(upgrade: TlsUpgrade): Promise<void> {
    const conn = this.conn;
    conn.pause(); // the TLS handshake bytes are the TLS stream's to read
    const sk = await conn.detach();
    const plain = new TcpSocket(this.stack, {}, sk);
    let secure: DuplexLike;
    try {
      secure = await upgrade(plain as unknown as Duplex);
    } catch (e) {
      plain.destroy();
      this.handlers.close(new TcpError('ECONNABORTED', `TLS handshake failed: ${(e as Error).message}`, 'read'));
      throw e;
    }
    this.secureStream = secure;
    const h = this.handlers;
    let done = false;
    const gone = (err: TcpError | undefined): void => {
      if (done) return;
      done = true;
      h.close(err);
    };
    secure.on('data', (c: Uint8Array) => h.data([c], undefined as BufferOwner | undefined));
    secure.on('end', () => h.end());
    secure.on('close', () => gone(undefined));
    secure.on('error', (e: Error) => gone(new TcpError('ECONNRESET', e.message, 'read')));
    secure.resume();
  }
}
