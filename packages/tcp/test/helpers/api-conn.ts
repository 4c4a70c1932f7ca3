/**
 * One connection through `SocketApi` over a testbed: a listener on host b (the
 * `listener` hook runs before bind, e.g. for SO_RCVBUF), a client on host a,
 * resolved once accepted. `close()` closes the three descriptors.
 */
import { SocketApi } from '../../src/socket-api.js';
import type { Testbed } from '../../src/testing/index.js';

export async function apiConnect(tb: Testbed, port: number, listener?: (sb: SocketApi, lfd: number) => void) {
  const [a, b] = tb.hosts;
  const sa = new SocketApi(a.tcp);
  const sb = new SocketApi(b.tcp);
  const lfd = sb.socket();
  listener?.(sb, lfd);
  sb.bind(lfd, 0, port);
  sb.listen(lfd, 4);
  const c = sa.socket();
  let acc: { fd: number } | undefined;
  void sb.acceptAsync(lfd).then((r) => (acc = r));
  void sa.connectAsync(c, b.addr, port);
  await tb.runUntil(() => acc !== undefined);
  const s = acc!.fd;
  return {
    sa,
    sb,
    c,
    s,
    close(): void {
      sa.close(c);
      sb.close(s);
      sb.close(lfd);
    },
  };
}
