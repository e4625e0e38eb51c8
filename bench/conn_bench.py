#!/usr/bin/env python3
"""conn_bench.py: rdslocal under many connections (issue #7 item 8).

1. baseline: 16 loadgen clients run DescribeDBInstances (keep-alive) for D seconds;
2. the same while N idle connections are held open (each sent one byte of a request line,
   then nothing: the "slow client" shape), opened before the run;
3. a burst: B connections opened at once, each sending one complete request with
   "Connection: close"; counts how many got an HTTP answer.

rdslocal runs in --no-engine mode on a free port with a temp state dir; the binary is
copied first (others rebuild build/ concurrently). Prints a table and RESULT lines.

    bench/build.sh && python3 bench/conn_bench.py            # --idle 10000 --clients 16 --duration 5 --burst 2000
"""
import argparse
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BODY = "Action=DescribeDBInstances&Version=2014-10-31"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def loadgen(port, clients, duration, label):
    out = subprocess.run([os.path.join(HERE, "build", "loadgen"), "-p", str(port), "-c", str(clients),
                          "-d", str(duration), "-b", BODY, "-l", label],
                         capture_output=True, text=True, timeout=duration + 120).stdout
    line = [l for l in out.splitlines() if l.startswith("RESULT")][-1]
    return dict(kv.split("=", 1) for kv in line.split()[1:]), line


def open_idle(port, n):
    socks = []
    for i in range(n):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.connect(("127.0.0.1", port))
        s.sendall(b"P")
        socks.append(s)
    return socks


def burst(port, n):
    ts = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    auth = ("AWS4-HMAC-SHA256 Credential=test/%s/us-east-1/rds/aws4_request, SignedHeaders=host;x-amz-date, "
            "Signature=%s" % (ts[:8], "0" * 64))
    req = ("POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/x-www-form-urlencoded\r\n"
           "X-Amz-Date: %s\r\nAuthorization: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
           % (port, ts, auth, len(BODY), BODY)).encode()
    socks, refused = [], 0
    t0 = time.time()
    for _ in range(n):
        s = socket.socket()
        s.settimeout(60)
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(req)
            socks.append(s)
        except OSError:
            refused += 1
            s.close()
    answered = closed = 0
    for s in socks:
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        s.close()
        if data.startswith(b"HTTP/1.1 200"):
            answered += 1
        else:
            closed += 1
    return answered, closed, refused, time.time() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--burst", type=int, default=2000)
    ap.add_argument("--bin", default=os.environ.get("RDSLOCAL_BIN", os.path.join(ROOT, "build", "rdslocal")))
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if a.idle + a.burst + 200 > hard:
        sys.exit("need %d descriptors, the hard limit is %d" % (a.idle + a.burst + 200, hard))
    if not os.path.exists(os.path.join(HERE, "build", "loadgen")):
        subprocess.run([os.path.join(HERE, "build.sh")], check=True)
    tmp = tempfile.mkdtemp(prefix="rdslocal-connbench-")
    os.chmod(tmp, 0o755)
    binary = os.path.join(tmp, "rdslocal")
    shutil.copy(a.bin, binary)
    port = free_port()
    log = open(os.path.join(tmp, "rdslocal.log"), "wb")
    p = subprocess.Popen([binary, "--no-engine", "--listen", "127.0.0.1:%d" % port, "--state-dir",
                          os.path.join(tmp, "state"), "--log-level", "warn"], stdout=log, stderr=log)
    try:
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or p.poll() is not None:
                    sys.exit("rdslocal did not start")
                time.sleep(0.02)
        rows = []
        r, line = loadgen(port, a.clients, a.duration, "baseline")
        print(line)
        rows.append(("DescribeDBInstances, no idle connections", r))
        t0 = time.time()
        idle = open_idle(port, a.idle)
        opened_s = time.time() - t0
        r, line = loadgen(port, a.clients, a.duration, "with_idle_%d" % a.idle)
        print(line)
        rows.append(("DescribeDBInstances, %d idle connections held" % a.idle, r))
        # Idle ones still open? (the server may only close them after its idle timeout)
        alive = 0
        for s in idle:
            s.setblocking(False)
            try:
                alive += s.recv(1) != b""
            except BlockingIOError:
                alive += 1
            except OSError:
                pass
        answered, closed, refused, burst_s = burst(port, a.burst)
        for s in idle:
            s.close()
        print("RESULT burst=%d answered=%d closed_without_answer=%d refused=%d seconds=%.2f"
              % (a.burst, answered, closed, refused, burst_s))
        print()
        print("| run | clients | requests | errors | rps | p50 ms | p99 ms | max ms |")
        print("|---|---|---|---|---|---|---|---|")
        for name, r in rows:
            print("| %s | %d | %s | %s | %s | %s | %s | %s |" % (name, a.clients, r["requests"], r["errors"],
                                                                 r["rps"], r["p50_ms"], r["p99_ms"], r["max_ms"]))
        print()
        print("%d idle connections opened in %.2f s; %d still open after the run" % (a.idle, opened_s, alive))
        print("burst: %d requests at once (with the idle ones still open): %d answered 200, %d closed "
              "without an answer, %d refused at connect" % (a.burst, answered, closed, refused))
    finally:
        p.terminate()
        p.wait(30)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
