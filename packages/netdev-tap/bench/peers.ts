/**
 * Kernel-side bulk peers for the benchmark (python3, stdlib): a sink that
 * reads to EOF and answers `ok <bytes> <seconds>`, and a source that sends N
 * bytes and prints `<bytes> <seconds>`. No hashing: the point is throughput
 * (the interop suite checks content).
 * @module
 */
export const PY_BULK = String.raw`
import socket, sys, time
role = sys.argv[1]
buf = bytearray(1 << 20)
if role == "sink":
    ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((sys.argv[2], int(sys.argv[3]))); ls.listen(4); ls.settimeout(60)
    print("ready", flush=True)
    c, _ = ls.accept(); c.settimeout(60)
    n = 0; t0 = time.perf_counter(); mv = memoryview(buf)
    while True:
        k = c.recv_into(mv)
        if k == 0: break
        n += k
    dt = time.perf_counter() - t0
    c.sendall(("ok %d %.6f\n" % (n, dt)).encode()); c.close()
    print("%d %.6f" % (n, dt), flush=True)
else:
    host, port, total = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    c = socket.create_connection((host, port), timeout=60)
    t0 = time.perf_counter(); left = total; mv = memoryview(buf)
    while left > 0:
        k = min(left, len(buf)); c.sendall(mv[:k]); left -= k
    c.shutdown(socket.SHUT_WR)
    while c.recv(65536): pass
    dt = time.perf_counter() - t0
    print("%d %.6f" % (total, dt), flush=True)
`;
