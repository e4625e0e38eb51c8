#!/usr/bin/env python3
"""create_bench.py: rdslocal with REAL PostgreSQL instances (default mode, not --no-engine).

Measures, against a private rdslocal (temp state dir under /tmp, free loopback port):
  1. create-to-first-query over N sequential creates (default 10): time from sending
     CreateDBInstance until the first successful `psql -c 'select 1'` with the master
     credentials on the endpoint DescribeDBInstances reports; also the CreateDBInstance
     call's own latency, and psql's own cost (same command against a running instance);
  2. the boto3 db_instance_available waiter called right after a create: how long it took
     and how many DescribeDBInstances polls it made (1 = it returned on the first poll);
  3. M instances (default 20) created concurrently: wall time until every API call returned
     and until every instance answered `select 1`;
  4. idle memory per instance: PSS of each postmaster plus its children (from
     <state>/instances/*/data/postmaster.pid and /proc/*/stat), after a few idle seconds,
     and rdslocal's own RSS/PSS;
then deletes every instance and stops the server.

Usage: python3 bench/create_bench.py [--sequential 10] [--concurrent 20]
         [--rdslocal build/rdslocal] [--port-range 41000-41999] [--keep]
Needs boto3 and psql (a PostgreSQL client). Run as root (rdslocal then runs postgres as the
postgres OS user) or as an ordinary user.
"""
import argparse
import glob
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

PASSWORD = "benchpass123"
USER = "benchadmin"


def find_psql():
    # The Debian /usr/bin/psql is a Perl wrapper (pg_wrapper) that adds ~20-40 ms: use the
    # real binary when it is there.
    for p in sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"), reverse=True):
        return p
    p = shutil.which("psql")
    if not p:
        sys.exit("psql not found")
    return p


PSQL = find_psql()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def health_ok(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"GET /_rdslocal/health HTTP/1.1\r\nHost: localhost:%d\r\nConnection: close\r\n\r\n" % port)
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def psql_ok(host, port, dbname="postgres"):
    env = dict(os.environ, PGPASSWORD=PASSWORD, PGCONNECT_TIMEOUT="2")
    r = subprocess.run([PSQL, "-X", "-q", "-t", "-A", "-h", host, "-p", str(port), "-U", USER, "-d", dbname,
                        "-c", "select 1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=10)
    return r.returncode == 0 and r.stdout.strip() == b"1"


def endpoint_of(client, ident):
    inst = client.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]
    ep = inst.get("Endpoint") or {}
    return ep.get("Address"), ep.get("Port"), inst["DBInstanceStatus"]


def create(client, ident):
    return client.create_db_instance(DBInstanceIdentifier=ident, DBInstanceClass="db.t3.micro", Engine="postgres",
                                     MasterUsername=USER, MasterUserPassword=PASSWORD, AllocatedStorage=20)


def wait_queryable(client, ident, deadline_s=60):
    """Polls DescribeDBInstances for the endpoint, then psql until select 1 works."""
    end = time.perf_counter() + deadline_s
    host = port = None
    polls = 0
    while time.perf_counter() < end:
        if host is None:
            host, port, _ = endpoint_of(client, ident)
        if host is not None:
            polls += 1
            if psql_ok(host, port):
                return polls, host, port
        time.sleep(0.01)
    raise RuntimeError(f"{ident} not queryable within {deadline_s} s")


def pss_kb(pid):
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def rss_kb(pid):
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Rss:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def instance_memory(state):
    kids = children_map()
    per = []
    for pidfile in sorted(glob.glob(os.path.join(state, "instances", "*", "data", "postmaster.pid"))):
        try:
            pm = int(open(pidfile).readline().strip())
        except (OSError, ValueError):
            continue
        procs = [pm] + kids.get(pm, [])
        per.append((pidfile.split(os.sep)[-3], sum(pss_kb(p) for p in procs) / 1024.0,
                    sum(rss_kb(p) for p in procs) / 1024.0, len(procs)))
    return per


def fmt(v):
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rdslocal", default=os.environ.get("RDSLOCAL_BIN", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "rdslocal")))
    ap.add_argument("--sequential", type=int, default=10)
    ap.add_argument("--concurrent", type=int, default=20)
    ap.add_argument("--port-range", default="41000-41999")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="rdslocal-createbench.", dir="/tmp")
    os.chmod(tmp, 0o755)  # the postgres OS user must reach the state dir
    binary = os.path.join(tmp, "rdslocal")
    shutil.copy2(args.rdslocal, binary)  # a concurrent rebuild can't swap it mid-run
    state = os.path.join(tmp, "state")
    port = free_port()
    log = open(os.path.join(tmp, "rdslocal.log"), "wb")
    t0 = time.perf_counter()
    server = subprocess.Popen([binary, "--listen", f"127.0.0.1:{port}", "--state-dir", state,
                               "--port-range", args.port_range], stdout=log, stderr=log)
    client = None
    created = []
    try:
        while not health_ok(port):
            if server.poll() is not None:
                raise RuntimeError(f"rdslocal exited with {server.returncode}; log in {tmp}")
            if time.perf_counter() - t0 > 120:
                raise RuntimeError("rdslocal did not come up within 120 s")
            time.sleep(0.01)
        print(f"rdslocal (engine mode) up in {(time.perf_counter() - t0) * 1000:.0f} ms on :{port}, "
              f"state {state}; psql {PSQL}; load average {open('/proc/loadavg').read().split()[:3]}")
        client = boto3.client("rds", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test",
                              config=Config(max_pool_connections=64, retries={"max_attempts": 1}))

        # 1. sequential create-to-first-query
        api_ms, first_ms, tries = [], [], []
        for i in range(args.sequential):
            ident = f"seq-{i}"
            t0 = time.perf_counter()
            create(client, ident)
            t1 = time.perf_counter()
            created.append(ident)
            polls, host, pport = wait_queryable(client, ident)
            t2 = time.perf_counter()
            api_ms.append((t1 - t0) * 1000)
            first_ms.append((t2 - t0) * 1000)
            tries.append(polls)
        # psql's own cost against a running instance
        psql_ms = []
        for _ in range(10):
            t0 = time.perf_counter()
            assert psql_ok(host, pport)
            psql_ms.append((time.perf_counter() - t0) * 1000)
        print(f"\n1. {args.sequential} sequential creates")
        print(f"   CreateDBInstance call:          median {statistics.median(api_ms):.0f} ms, "
              f"max {max(api_ms):.0f} ms (first {api_ms[0]:.0f} ms)")
        print(f"   create -> first 'select 1' ok:  median {statistics.median(first_ms):.0f} ms, "
              f"max {max(first_ms):.0f} ms (first {first_ms[0]:.0f} ms); psql attempts per create: "
              f"max {max(tries)}")
        print(f"   each CreateDBInstance call, ms: {' '.join(f'{v:.0f}' for v in api_ms)}")
        print(f"   psql -c 'select 1' alone:       median {statistics.median(psql_ms):.1f} ms "
              f"(included above; plus one DescribeDBInstances)")

        # 2. waiter right after create
        calls = {"n": 0}

        def count(**kw):
            calls["n"] += 1
        waiter = client.get_waiter("db_instance_available")  # loading the waiter model costs ~30 ms
        client.meta.events.register("before-call.rds.DescribeDBInstances", count)
        t0 = time.perf_counter()
        create(client, "waiter-0")
        created.append("waiter-0")
        t1 = time.perf_counter()
        waiter.wait(DBInstanceIdentifier="waiter-0",
                                                        WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        t2 = time.perf_counter()
        client.meta.events.unregister("before-call.rds.DescribeDBInstances", count)
        print(f"\n2. db_instance_available waiter right after CreateDBInstance ({(t1 - t0) * 1000:.0f} ms): "
              f"{(t2 - t1) * 1000:.1f} ms, {calls['n']} DescribeDBInstances poll(s)"
              f"{' (returned on the first poll)' if calls['n'] == 1 else ''}")

        # 3. concurrent creates
        n = args.concurrent
        idents = [f"conc-{i}" for i in range(n)]
        done_api, done_query, errors = {}, {}, []
        start = time.perf_counter()

        def one(ident):
            try:
                create(client, ident)
                done_api[ident] = time.perf_counter() - start
                created.append(ident)
                wait_queryable(client, ident, 120)
                done_query[ident] = time.perf_counter() - start
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(f"{ident}: {e}")
        with ThreadPoolExecutor(max_workers=n) as pool:
            list(pool.map(one, idents))
        print(f"\n3. {n} concurrent creates: all API calls returned after "
              f"{max(done_api.values(), default=0) * 1000:.0f} ms "
              f"(median call {statistics.median(done_api.values()) * 1000 if done_api else 0:.0f} ms); "
              f"all {len(done_query)} answered 'select 1' after {max(done_query.values(), default=0) * 1000:.0f} ms"
              f"{'; errors: ' + '; '.join(errors[:3]) if errors else ''}")

        # 4. idle memory
        time.sleep(5)
        per = instance_memory(state)
        if per:
            pss = [p for _, p, _, _ in per]
            rss = [r for _, _, r, _ in per]
            nproc = [k for _, _, _, k in per]
            print(f"\n4. idle memory, {len(per)} instances after 5 s idle (postmaster + children):")
            print(f"   PSS per instance: median {statistics.median(pss):.1f} MiB (min {min(pss):.1f}, "
                  f"max {max(pss):.1f}); total {sum(pss):.0f} MiB")
            print(f"   RSS per instance: median {statistics.median(rss):.1f} MiB (shared pages counted in each)")
            print(f"   processes per instance: {statistics.median(nproc):.0f}")
        print(f"   rdslocal itself: RSS {rss_kb(server.pid) / 1024:.1f} MiB, PSS {pss_kb(server.pid) / 1024:.1f} MiB, "
              f"{len(os.listdir(f'/proc/{server.pid}/task'))} threads")
    finally:
        # cleanup: delete everything, then stop the server
        if client is not None and server.poll() is None:
            t0 = time.perf_counter()
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(lambda i: _delete(client, i), list(dict.fromkeys(created))))
            print(f"\ncleanup: {len(set(created))} instances deleted in {(time.perf_counter() - t0) * 1000:.0f} ms")
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        leftover = instance_memory(state)
        if leftover:
            print(f"warning: {len(leftover)} postmasters still running after stop: {[n for n, *_ in leftover]}")
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _delete(client, ident):
    try:
        client.delete_db_instance(DBInstanceIdentifier=ident, SkipFinalSnapshot=True)
    except Exception as e:  # noqa: BLE001
        print(f"delete {ident}: {e}")


if __name__ == "__main__":
    main()
