"""failover_bench.py: Multi-AZ failover timings of the real rdslocal (issue 10 part 7).

One rdslocal, one Multi-AZ instance with a write load (tests/e2e/test_multiaz.py's
LoadClient: a psql session committing one INSERT at a time, reconnecting to the same
endpoint when cut off). For each of RUNS rounds:
  force: RebootDBInstance ForceFailover sent at t0 -> the first commit acknowledged by a
         session opened after t0 (the endpoint accepts writes again)
  kill9: SIGKILL of the primary's postmaster and children at t0 -> the same
Each round waits until the rebuilt standby is synchronous again, then checks that every
acknowledged id is in the table (lost must be 0). Then the idle memory (PSS summed from
/proc/<pid>/smaps_rollup over every postgres process of the instance) of a Multi-AZ and a
single-AZ instance. Prints medians and maxima."""
import os
import re
import signal
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import rdslocal_testlib as t  # noqa: E402
from test_multiaz import LoadClient, _ppid  # noqa: E402

RUNS = int(os.environ.get("RUNS", "10"))
PW = "S3cret-pass"


def sql(ep, q):
    rc, out, err = t.psql(ep["Port"], "app", PW, q, host=ep["Address"])
    if rc:
        raise RuntimeError(err)
    return out


def synchronous(ep):
    try:
        return sql(ep, "SELECT sync_state FROM pg_stat_replication") == "sync"
    except RuntimeError:
        return False


def pss_kib(state_dir, rid):
    total = 0
    for pid in t.postgres_pids_under(t.instance_dir(state_dir, rid)):
        try:
            with open("/proc/%d/smaps_rollup" % pid) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def one_round(s, rds, ident, kind):
    d = t.describe_one(rds, ident)
    ep = d["Endpoint"]
    load = LoadClient(ep["Address"], ep["Port"]).start()
    try:
        t.wait_for(lambda: len(load.acked) > 30, 30, what="writes")
        sessions_before = load.sessions
        if kind == "kill9":  # found before t0: scanning /proc takes tens of ms on a loaded box
            pm = t.postmaster_pid(s.state_dir, d["DbiResourceId"])
            kids = [int(p) for p in os.listdir("/proc") if p.isdigit() and _ppid(int(p)) == pm]
        t0 = time.monotonic()
        if kind == "force":
            rds.reboot_db_instance(DBInstanceIdentifier=ident, ForceFailover=True)
        else:
            for p in [pm] + kids:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
        t.wait_for(lambda: any(sess > sessions_before for _, _, sess in load.ack_log), 30, interval=0.001,
                   what="writes after the failover")
        first = min(at for _, at, sess in load.ack_log if sess > sessions_before)
        n = len(load.acked)
        t.wait_for(lambda: len(load.acked) > n + 10, 30, what="more writes")
    finally:
        load.finish()
    ids = set(int(x) for x in sql(ep, "SELECT id FROM t").split())
    lost = sum(1 for i in load.acked if i not in ids)
    sql(ep, "TRUNCATE t")
    t.wait_for(lambda: synchronous(ep), 60, interval=0.05, what="the standby to be synchronous again")
    return (first - t0) * 1000.0, lost, len(load.acked)


def main():
    s = t.Server().start()
    try:
        rds = s.client()
        rds.create_db_instance(**t.create_args("bench-maz", MultiAZ=True))
        ep = t.describe_one(rds, "bench-maz")["Endpoint"]
        sql(ep, "CREATE TABLE t (id int PRIMARY KEY)")
        res = {"force": [], "kill9": []}
        lost = {"force": 0, "kill9": 0}
        acked = {"force": 0, "kill9": 0}
        for i in range(RUNS):
            for kind in ("force", "kill9"):
                ms, nlost, nacked = one_round(s, rds, "bench-maz", kind)
                res[kind].append(ms)
                lost[kind] += nlost
                acked[kind] += nacked
                print("round %d %-5s %7.1f ms  lost %d of %d" % (i + 1, kind, ms, nlost, nacked), flush=True)
        for kind, label in (("force", "ForceFailover request -> writes accepted"),
                            ("kill9", "kill -9 of the primary -> writes accepted")):
            v = res[kind]
            print("%-44s median %6.1f ms  max %6.1f ms  (n=%d)  acknowledged commits lost: %d of %d"
                  % (label, statistics.median(v), max(v), len(v), lost[kind], acked[kind]))
        # memory: two fresh instances, idle, compared alike
        rds.create_db_instance(**t.create_args("bench-single"))
        rds.create_db_instance(**t.create_args("bench-maz2", MultiAZ=True))
        time.sleep(5)  # idle: start-up work settled
        m = t.describe_one(rds, "bench-maz2")["DbiResourceId"]
        sgl = t.describe_one(rds, "bench-single")["DbiResourceId"]
        pm, ps = pss_kib(s.state_dir, m), pss_kib(s.state_dir, sgl)
        print("idle PSS: Multi-AZ (primary + standby) %.1f MiB, single-AZ %.1f MiB, ratio %.2f"
              % (pm / 1024, ps / 1024, pm / ps))
        # rdslocal's own account of each failover (supervisor log): where the time goes
        steps = {}
        for m in re.finditer(r"failed over ms=(\d+) \(kill (\d+), stop (\d+), start\+promote (\d+), check (\d+)\)",
                             s.read_log()):
            for k, v in zip(("total", "kill", "stop", "start+promote", "check"), m.groups()):
                steps.setdefault(k, []).append(int(v))
        if steps:
            print("server side, all %d failovers (ms, median/max): " % len(steps["total"]) +
                  ", ".join("%s %d/%d" % (k, statistics.median(v), max(v)) for k, v in steps.items()))
        with open("/proc/loadavg") as f:
            print("load average during the run: %s" % " ".join(f.read().split()[:3]))
    finally:
        s.cleanup()


if __name__ == "__main__":
    main()
