// A message source that fails part-way through DATA must end the connection:
// the server never sees the terminating dot (it would accept a truncated
// message) nor an RSET inside the content (it would be content).
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createServer, type SmtpServer } from '../src/index.js';

let server: SmtpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('client: the message source fails during DATA', () => {
  it('closes the connection; the server accepts nothing and sees no RSET', async () => {
    const accepted: number[] = [];
    const bodyErrors: string[] = [];
    let sawDone!: () => void;
    const sawData = new Promise<void>((r) => (sawDone = r));
    server = createServer({
      hostname: 'mx.test',
      async onData(m) {
        try {
          const b = await m.bytes();
          accepted.push(b.length);
        } catch (e) {
          bodyErrors.push((e as { code?: string }).code ?? String(e));
          throw e;
        } finally {
          sawDone();
        }
      },
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const c = await connect({ host: '127.0.0.1', port, clientName: 'c.test' });
    const boom = new Error('upstream vanished');
    async function* source(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('Subject: partial\r\n\r\nfirst line\r\n');
      await new Promise((r) => setTimeout(r, 20));
      yield new TextEncoder().encode('second line\r\n');
      throw boom;
    }
    await expect(c.send({ from: 'a@x.test', to: ['b@y.test'] }, source())).rejects.toBe(boom);
    expect(c.state).toBe('Closed');
    await sawData;
    expect(accepted).toEqual([]); // nothing was accepted
    expect(bodyErrors.length).toBe(1); // the server saw the connection end inside the data
  });
});
