// Regression: a client whose transport reported a full buffer (write() false)
// while sending commands, and whose 'drain' then fired before it started the
// message content, waited for a second 'drain' that never came (the relay's
// zero-copy matrix on GSO links hung on it for the full 600 s data timeout).
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { realClock } from '@netlayers/clock';
import { attachClientSession } from '../src/index.js';

/** A scripted SMTP server as a stream: its first write() reports a full buffer, 'drain' follows at once. */
class ScriptedStream extends EventEmitter {
  writableNeedDrain = false;
  private writes = 0;
  private buf = '';
  written = '';
  write(d: Uint8Array): boolean {
    const s = Buffer.from(d).toString('latin1');
    this.written += s;
    this.buf += s;
    this.answer();
    if (this.writes++ === 0) {
      this.writableNeedDrain = true;
      process.nextTick(() => {
        this.writableNeedDrain = false;
        this.emit('drain');
      });
      return false;
    }
    return true;
  }
  private reply(s: string): void {
    setImmediate(() => this.emit('data', Buffer.from(s, 'latin1')));
  }
  private answer(): void {
    for (;;) {
      if (this.inData) {
        const end = this.buf.indexOf('\r\n.\r\n');
        if (end < 0) return;
        this.buf = this.buf.slice(end + 5);
        this.inData = false;
        this.reply('250 2.0.0 queued\r\n');
        continue;
      }
      const nl = this.buf.indexOf('\r\n');
      if (nl < 0) return;
      const line = this.buf.slice(0, nl).toUpperCase();
      this.buf = this.buf.slice(nl + 2);
      if (line.startsWith('EHLO')) this.reply('250-mx.test\r\n250 PIPELINING\r\n');
      else if (line.startsWith('DATA')) {
        this.inData = true;
        this.reply('354 go\r\n');
      } else if (line.startsWith('QUIT')) this.reply('221 bye\r\n');
      else this.reply('250 ok\r\n');
    }
  }
  private inData = false;
  end(): void {
    setImmediate(() => this.emit('close'));
  }
  destroy(): void {
    this.emit('close');
  }
  pause(): void {}
  resume(): void {}
}

describe('client back-pressure', () => {
  it("does not wait for a 'drain' that already fired before the message content", async () => {
    const s = new ScriptedStream();
    const c = attachClientSession(s as never, { timers: realClock, clientName: 'c.test', timeouts: { dataTermination: 2000, dataInit: 2000, command: 2000 } } as never);
    setImmediate(() => s.emit('data', Buffer.from('220 mx.test ESMTP\r\n')));
    await c.greet();
    const r = await c.send({ from: 'a@x.test', to: ['b@y.test'] }, 'Subject: t\r\n\r\nbody\r\n');
    expect(r.reply.code).toBe(250);
    expect(s.written).toMatch(/\r\nbody\r\n\.\r\n$/);
  });
});
