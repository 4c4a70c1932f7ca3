/**
 * Bulk-transfer helpers shared by our side (TypeScript) and the kernel side
 * (a python3 peer run in the namespace): both generate the same byte pattern,
 * so each end can compare SHA-256 digests of what crossed.
 *
 * Pattern: byte i of the stream is `PATTERN[i % 65521]` with
 * `PATTERN[j] = (j * 7 + (j >> 8)) & 0xff` (65521 is prime, so the pattern
 * never lines up with segment or buffer sizes).
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';

const PERIOD = 65521;
const PATTERN = Buffer.alloc(PERIOD * 2);
for (let j = 0; j < PATTERN.length; j++) PATTERN[j] = ((j % PERIOD) * 7 + ((j % PERIOD) >> 8)) & 0xff;

/** `len` bytes of the pattern starting at stream offset `off` (len ≤ 65521). */
function patternSlice(off: number, len: number): Buffer {
  const s = off % PERIOD;
  return PATTERN.subarray(s, s + len);
}

/** SHA-256 (hex) of the first `total` bytes of the pattern. */
export function sha256OfPattern(total: number): string {
  const h = createHash('sha256');
  for (let off = 0; off < total; ) {
    const n = Math.min(PERIOD, total - off);
    h.update(patternSlice(off, n));
    off += n;
  }
  return h.digest('hex');
}

/**
 * Writes `total` pattern bytes to `sock` honouring backpressure, then ends it
 * (`end()` = FIN: a half-close when the peer keeps sending).
 */
export async function patternStream(sock: Duplex, total: number, chunk = 65521): Promise<void> {
  let off = 0;
  while (off < total) {
    const n = Math.min(chunk, total - off);
    const ok = sock.write(patternSlice(off, n));
    off += n;
    if (!ok) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          sock.off('error', onErr);
          resolve();
        };
        const onErr = (e: Error): void => {
          sock.off('drain', onDrain);
          reject(e);
        };
        sock.once('drain', onDrain);
        sock.once('error', onErr);
      });
    }
  }
  sock.end();
}

/** Collects length and SHA-256 of everything read from `sock` until EOF. */
export function hashUntilEnd(sock: Duplex): Promise<{ len: number; sha: string }> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let len = 0;
    sock.on('data', (d: Buffer) => {
      len += d.length;
      h.update(d);
    });
    sock.once('end', () => resolve({ len, sha: h.digest('hex') }));
    sock.once('error', reject);
  });
}

/**
 * The kernel-side peer, a python3 script (stdlib only). Usage:
 * - `server recv PORT CONNS` — per connection: read to EOF, reply `LEN SHA\n`, close
 * - `server send PORT CONNS BYTES` — per connection: send BYTES, half-close, read to EOF, print `LEN SHA`
 * - `client send HOST PORT CONNS BYTES` — per connection: send BYTES, half-close, print the reply line
 * - `client recv HOST PORT CONNS` — per connection: read to EOF, print `LEN SHA`
 * Servers print `ready` once listening. Every socket has a 120 s timeout.
 */
export const PY_TCP_PEER = String.raw`
import hashlib, socket, sys, threading
P = 65521
PAT = bytes(((j % P) * 7 + ((j % P) >> 8)) & 0xff for j in range(2 * P))
def send_pattern(s, total):
    off = 0
    while off < total:
        st = off % P
        n = min(P, total - off)
        s.sendall(PAT[st:st + n]); off += n
def read_all(s):
    h = hashlib.sha256(); n = 0
    while True:
        d = s.recv(1 << 20)
        if not d: break
        h.update(d); n += len(d)
    return "%d %s" % (n, h.hexdigest())
out = []; lock = threading.Lock()
def emit(line):
    with lock: out.append(line)
role, mode = sys.argv[1], sys.argv[2]
if role == "server":
    port, conns = int(sys.argv[3]), int(sys.argv[4])
    nbytes = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port)); ls.listen(128); ls.settimeout(120)
    print("ready", flush=True)
    def serve(c):
        c.settimeout(120)
        if mode == "recv":
            line = read_all(c); c.sendall((line + "\n").encode()); emit(line)
        else:
            send_pattern(c, nbytes); c.shutdown(socket.SHUT_WR); emit(read_all(c))
        c.close()
    ts = []
    for _ in range(conns):
        c, _a = ls.accept(); t = threading.Thread(target=serve, args=(c,)); t.start(); ts.append(t)
    for t in ts: t.join()
else:
    host, port, conns = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    nbytes = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    def run():
        c = socket.create_connection((host, port), timeout=120)
        if mode == "send":
            send_pattern(c, nbytes); c.shutdown(socket.SHUT_WR)
            emit(c.makefile().readline().strip())
        else:
            emit(read_all(c))
        c.close()
    ts = [threading.Thread(target=run) for _ in range(conns)]
    for t in ts: t.start()
    for t in ts: t.join()
for line in out: print(line)
`;
