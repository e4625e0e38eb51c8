#!/usr/bin/env bash
# startup_bench.sh: rdslocal start-up time and idle memory in --no-engine mode.
#
# Start-up: exec of rdslocal until GET /_rdslocal/health answers 200 (polled every 1 ms
# over a raw socket), 10 runs, each with a fresh state dir; median, min and max.
# Memory: RSS and PSS from /proc/PID/smaps_rollup right after start (1 s idle), after
# 100 CreateDBInstance calls (1 s idle), and after 100 DescribeDBInstances of those 100
# (which fills the response cache) (1 s idle).
#
# Environment: RDSLOCAL_BIN (default build/rdslocal of this checkout), RUNS (10), KEEP=1.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
require_rdslocal
bench_tmp startbench

python3 - "$tmp" "$LOADGEN" "${RUNS:-10}" <<'EOF'
import os, socket, statistics, subprocess, sys, time

tmp, loadgen, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
binary = os.path.join(tmp, "rdslocal")

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def health_ok(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"GET /_rdslocal/health HTTP/1.1\r\nHost: localhost:%d\r\nConnection: close\r\n\r\n" % port)
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False

def start(state, port):
    t0 = time.perf_counter()
    p = subprocess.Popen([binary, "--listen", f"127.0.0.1:{port}", "--state-dir", state, "--no-engine",
                          "--port-range", "20000-39999"], stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(tmp, "log"), "ab"))
    deadline = t0 + 10
    while time.perf_counter() < deadline:
        if health_ok(port):
            return p, (time.perf_counter() - t0) * 1000
        if p.poll() is not None:
            sys.exit(f"rdslocal exited with {p.returncode}: see its log")
        time.sleep(0.001)
    p.kill(); sys.exit("rdslocal did not answer /_rdslocal/health within 10 s")

def stop(p):
    p.terminate()
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill(); p.wait()

def mem(pid):
    out = {}
    for line in open(f"/proc/{pid}/smaps_rollup"):
        k, _, rest = line.partition(":")
        if k in ("Rss", "Pss"):
            out[k] = int(rest.split()[0])
    threads = len(os.listdir(f"/proc/{pid}/task"))
    return out["Rss"] / 1024, out["Pss"] / 1024, threads

times = []
for i in range(runs):
    port = free_port()
    p, ms = start(os.path.join(tmp, f"state{i}"), port)
    times.append(ms)
    stop(p)
print(f"start-up (exec -> /_rdslocal/health 200), fresh state dir, {runs} runs: "
      f"median {statistics.median(times):.1f} ms, min {min(times):.1f} ms, max {max(times):.1f} ms")
# again on an existing state dir (what a restart sees)
times = []
for i in range(runs):
    port = free_port()
    p, ms = start(os.path.join(tmp, "state0"), port)
    times.append(ms)
    stop(p)
print(f"start-up on an existing (empty) state dir, {runs} runs: median {statistics.median(times):.1f} ms, "
      f"min {min(times):.1f} ms, max {max(times):.1f} ms")

port = free_port()
p, _ = start(os.path.join(tmp, "statemem"), port)
time.sleep(1)
rows = [("after start, idle 1 s", *mem(p.pid))]
body = ("Action=CreateDBInstance&Version=2014-10-31&DBInstanceIdentifier=mem-{n}&DBInstanceClass=db.t3.micro"
        "&Engine=postgres&MasterUsername=benchadmin&MasterUserPassword=benchpass123&AllocatedStorage=20")
subprocess.run([loadgen, "-p", str(port), "-c", "1", "-n", "100", "-b", body], check=True, stdout=subprocess.DEVNULL)
time.sleep(1)
rows.append(("after 100 CreateDBInstance, idle 1 s", *mem(p.pid)))
subprocess.run([loadgen, "-p", str(port), "-c", "1", "-n", "100", "-b", "Action=DescribeDBInstances&Version=2014-10-31"],
               check=True, stdout=subprocess.DEVNULL)
time.sleep(1)
rows.append(("after 100 DescribeDBInstances (100 each), idle 1 s", *mem(p.pid)))
stop(p)
print()
print("| rdslocal --no-engine | RSS MiB | PSS MiB | threads |")
print("|---|---|---|---|")
for name, rss, pss, th in rows:
    print(f"| {name} | {rss:.1f} | {pss:.1f} | {th} |")
EOF
