#!/usr/bin/env bash
# pitr_bench.sh: point-in-time restore (issue 9 part 8), scaled down to ~3-4 minutes on a
# busy 2-core machine (the issue asks for 5 minutes of load: LOAD_S=300 does that).
#   1. rdslocal (real postgres), one instance with BackupRetentionPeriod 1, filled by
#      `pgbench -i -s SCALE` (s=13: about 200 MB), then the clock advanced a day so the
#      automated backup of that day is the base (autobackup);
#   2. LOAD_S seconds of `pgbench -c 2` write load while a side writer commits one marker
#      row every 100 ms (with its clock_timestamp) and LatestRestorableTime is sampled
#      every 0.5 s (lag = rdslocal's clock - LatestRestorableTime);
#   3. RestoreDBInstanceToPointInTime to the last instant of the load (API call until the
#      instance answers), next to the same base backup + the same archive replayed by hand
#      (tar -x, recovery.signal, restore_command cp + truncate, pg_ctl start -w) in the
#      same run; both checked for the same marker count;
#   4. exactness: POINTS random instants of the load window, each restored through the
#      API and its marker rows compared with the source's (ids committed at or before);
#      on a second, small instance (pgbench -s 1) so POINTS restores fit the time budget;
#   5. WAL disk per hour of that load (the archive's bytes / LOAD_S * 3600), and what the
#      segments would take with their zero tails.
# Env: RDSLOCAL_BIN (default build/rdslocal), SCALE=13, LOAD_S=60, POINTS=20, KEEP=1.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${RDSLOCAL_BIN:-$ROOT/build/rdslocal}
PY=${PYTHON:-$(command -v python3)}
SCALE=${SCALE:-13} LOAD_S=${LOAD_S:-60} POINTS=${POINTS:-20}
export BIN SCALE LOAD_S POINTS KEEP=${KEEP:-0} PGBIN=/usr/lib/postgresql/15/bin
exec "$PY" - <<'PYEOF'
import datetime, json, os, random, shutil, signal, socket, statistics, subprocess, sys, tempfile, threading, time
import urllib.request
import boto3
from botocore.config import Config

BIN, PGBIN = os.environ["BIN"], os.environ["PGBIN"]
SCALE, LOAD_S, POINTS = int(os.environ["SCALE"]), int(os.environ["LOAD_S"]), int(os.environ["POINTS"])
UTC = datetime.timezone.utc
work = tempfile.mkdtemp(prefix="pitr-bench-")
os.chmod(work, 0o755)
state = os.path.join(work, "state")
os.mkdir(state)
os.chmod(state, 0o755)
shutil.copy(BIN, os.path.join(work, "rdslocal"))

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

port = free_port()
lo = 43000 + random.randrange(0, 40) * 50
log = open(os.path.join(work, "rdslocal.log"), "ab")
proc = subprocess.Popen([os.path.join(work, "rdslocal"), "--listen", "127.0.0.1:%d" % port, "--state-dir", state,
                         "--port-range", "%d-%d" % (lo, lo + 49)], stdout=log, stderr=log)
ep = "http://127.0.0.1:%d" % port
rds = boto3.client("rds", endpoint_url=ep, region_name="us-east-1", aws_access_key_id="x",
                   aws_secret_access_key="x", config=Config(retries={"max_attempts": 1}, read_timeout=900))
hand_pg = None

def admin(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
    req = urllib.request.Request(ep + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=300) as r:
        return json.loads(r.read() or b"{}")

def wait(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.2)
    raise SystemExit("timeout: " + what)

def model_now():
    off = admin("GET", "/_rdslocal/clock")["offset_ms"]
    return datetime.datetime.fromtimestamp((time.time() * 1000 + off) / 1000.0, UTC)

def psql(p, sql, db="bench"):
    env = dict(os.environ, PGPASSWORD="S3cret-pass")
    return subprocess.run([PGBIN + "/psql", "-h", "127.0.0.1", "-p", str(p), "-U", "app", "-d", db, "-Atq",
                           "-v", "ON_ERROR_STOP=1", "-c", sql], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()

def describe(i):
    return rds.describe_db_instances(DBInstanceIdentifier=i)["DBInstances"][0]

def snaps(i):
    return [s for s in rds.describe_db_snapshots(DBInstanceIdentifier=i, SnapshotType="automated")["DBSnapshots"]
            if s["Status"] == "available"]

def make(ident, scale):
    rds.create_db_instance(DBInstanceIdentifier=ident, Engine="postgres", DBInstanceClass="db.m5.large",
                           AllocatedStorage=20, MasterUsername="app", MasterUserPassword="S3cret-pass",
                           DBName="bench", BackupRetentionPeriod=1)
    wait(lambda: snaps(ident), 120, "first backup of " + ident)
    p = describe(ident)["Endpoint"]["Port"]
    env = dict(os.environ, PGPASSWORD="S3cret-pass")
    subprocess.run([PGBIN + "/pgbench", "-i", "-q", "-s", str(scale), "-h", "127.0.0.1", "-p", str(p), "-U", "app",
                    "bench"], env=env, check=True, capture_output=True)
    psql(p, "create table marker (id serial primary key, at timestamptz not null)")
    return p

def load(p, seconds, clients, samples_for=None):
    """pgbench load + marker rows every 100 ms (+ LatestRestorableTime samples)."""
    env = dict(os.environ, PGPASSWORD="S3cret-pass")
    pb = subprocess.Popen([PGBIN + "/pgbench", "-n", "-c", str(clients), "-T", str(seconds), "-h", "127.0.0.1",
                           "-p", str(p), "-U", "app", "bench"], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    lags, stop = [], threading.Event()

    def sampler():
        while not stop.is_set():
            d = describe(samples_for)
            lags.append((model_now() - d["LatestRestorableTime"]).total_seconds())
            time.sleep(0.5)
    th = threading.Thread(target=sampler) if samples_for else None
    if th:
        th.start()
    end = time.time() + seconds
    mk = subprocess.Popen([PGBIN + "/psql", "-h", "127.0.0.1", "-p", str(p), "-U", "app", "-d", "bench", "-q"],
                          stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, text=True)
    while time.time() < end:
        mk.stdin.write("insert into marker (at) values (clock_timestamp());\n")
        mk.stdin.flush()
        time.sleep(0.1)
    mk.stdin.close(); mk.wait()
    out = pb.communicate()[0]
    stop.set()
    if th:
        th.join()
    tps = [l for l in out.splitlines() if l.startswith("tps")]
    return lags, (tps[0] if tps else out[-300:])

def marker_ids_until(p, t):
    """Markers committed by rdslocal-clock instant t (their `at` is real time)."""
    real = t - datetime.timedelta(milliseconds=admin("GET", "/_rdslocal/clock")["offset_ms"])
    return int(psql(p, "select count(*) from marker where at <= '%s'" % real.isoformat()))

def restore(src, target, when=None):
    t0 = time.time()
    kw = {"RestoreTime": when} if when else {"UseLatestRestorableTime": True}
    rds.restore_db_instance_to_point_in_time(SourceDBInstanceIdentifier=src, TargetDBInstanceIdentifier=target,
                                             DBInstanceClass="db.m5.large", **kw)
    d = wait(lambda: (lambda x: x if x["DBInstanceStatus"] == "available" else None)(describe(target)), 900, target)
    psql(d["Endpoint"]["Port"], "select 1")
    return time.time() - t0, d["Endpoint"]["Port"]

def du(path):
    return sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(path) for f in fs)

try:
    wait(lambda: urllib.request.urlopen(ep + "/_rdslocal/health").status == 200, 20, "health")
    # ---- 1. the big instance and its base
    t0 = time.time()
    p = make("big", SCALE)
    size = int(psql(p, "select pg_database_size('bench')"))
    admin("POST", "/_rdslocal/clock", {"advance_seconds": 86400})
    wait(lambda: len(snaps("big")) >= 2, 300, "the day's automated backup of big")
    base = sorted(snaps("big"), key=lambda s: s["SnapshotCreateTime"])[-1]
    rid = describe("big")["DbiResourceId"]
    print("big: db %.0f MB, base %s, setup %.0f s" % (size / 1e6, base["DBSnapshotIdentifier"], time.time() - t0),
          flush=True)
    wal_dir = os.path.join(state, "backups", rid, "wal")
    wal_before = du(wal_dir)
    nseg_before = len([f for f in os.listdir(wal_dir) if len(f.split(".")[0]) == 24])
    # ---- 2. load
    lags, tps = load(p, LOAD_S, 2, samples_for="big")
    time.sleep(2)
    end_t = model_now()
    wait(lambda: describe("big")["LatestRestorableTime"] >= end_t, 60, "archive caught up")
    wal_bytes = du(wal_dir) - wal_before
    nseg = len([f for f in os.listdir(wal_dir) if len(f.split(".")[0]) == 24]) - nseg_before
    segsize = int(open(os.path.join(wal_dir, "segment_size")).read())
    want = marker_ids_until(p, end_t)
    # ---- 3. API restore vs by hand
    api_s, rp = restore("big", "big-pitr", end_t)
    got = int(psql(rp, "select count(*) from marker"))
    print("API restore to %s: %.1f s, %d markers (source %d)" % (end_t.isoformat(), api_s, got, want), flush=True)
    # the base of that restore: the snapshot files (plain tar), the same archive, by hand
    snapkey = [d for d in os.listdir(os.path.join(state, "snapshots")) if not d.startswith(".")]
    real_end = end_t - datetime.timedelta(milliseconds=admin("GET", "/_rdslocal/clock")["offset_ms"])
    hand = os.path.join(work, "hand")
    os.mkdir(hand, 0o700)
    shutil.chown(hand, "postgres", "postgres")
    # newest automated snapshot dir = the base (pick by mtime)
    sd = max((os.path.join(state, "snapshots", k) for k in snapkey), key=lambda d: os.path.getmtime(d))
    # the same archive, readable by the postgres user (rdslocal keeps its own 0700)
    handwal = os.path.join(work, "handwal")
    shutil.copytree(wal_dir, handwal)
    subprocess.run(["chown", "-R", "postgres:postgres", handwal], check=True)
    h0 = time.time()
    subprocess.run(["tar", "-xf", os.path.join(sd, "base.tar"), "-C", hand], check=True)
    hport = free_port()
    with open(os.path.join(hand, "rdslocal.conf"), "w") as f:
        f.write("port = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n"
                "shared_preload_libraries = ''\nlogging_collector = off\narchive_mode = off\nhot_standby = off\n"
                "restore_command = 'cp \"%s/%%f\" \"%%p\" && case %%f in *.*) ;; *) truncate -s %d \"%%p\";; esac'\n"
                "recovery_target_time = '%s'\nrecovery_target_action = 'promote'\n"
                % (hport, hand, handwal, segsize, real_end.strftime("%Y-%m-%d %H:%M:%S.%f+00")))
    open(os.path.join(hand, "recovery.signal"), "w").close()
    subprocess.run(["chown", "-R", "postgres:postgres", hand], check=True)
    st = subprocess.run(["runuser", "-u", "postgres", "--", PGBIN + "/pg_ctl", "-D", hand, "-w", "-t", "900", "-l",
                         os.path.join(hand, "pg.log"), "start"], capture_output=True, text=True)
    if st.returncode != 0:
        raise SystemExit("hand-run failed: %s\n%s" % (st.stderr, open(os.path.join(hand, "pg.log")).read()[-3000:]))
    hand_pg = hand
    # pg_ctl -w returns while a server with hot_standby off still replays: wait until it takes queries
    while subprocess.run([PGBIN + "/pg_isready", "-q", "-h", hand, "-p", str(hport)]).returncode != 0:
        time.sleep(0.05)
    hand_s = time.time() - h0
    env = dict(os.environ, PGPASSWORD="S3cret-pass")
    q = subprocess.run(["runuser", "-u", "postgres", "--", PGBIN + "/psql", "-h", hand, "-p", str(hport), "-U",
                        "rdsadmin", "-d", "bench", "-Atc", "select count(*) from marker"], capture_output=True,
                       text=True)
    if q.returncode != 0:
        raise SystemExit("hand-run query failed: " + q.stderr)
    hand_got = int(q.stdout)
    subprocess.run(["runuser", "-u", "postgres", "--", PGBIN + "/pg_ctl", "-D", hand, "-m", "fast", "stop"],
                   check=True, capture_output=True)
    hand_pg = None
    rds.delete_db_instance(DBInstanceIdentifier="big-pitr", SkipFinalSnapshot=True)
    rds.delete_db_instance(DBInstanceIdentifier="big", SkipFinalSnapshot=True)
    # ---- 4. exactness on a small instance
    sp = make("small", 1)
    t_start = model_now()
    load(sp, 20, 1)
    t_end = model_now()
    wait(lambda: describe("small")["LatestRestorableTime"] >= t_end, 60, "small caught up")
    ok, times = 0, []
    span = (t_end - t_start).total_seconds()
    for i in range(POINTS):
        when = t_start + datetime.timedelta(seconds=random.uniform(0, span))
        w = marker_ids_until(sp, when)
        s, rp2 = restore("small", "pt%d" % i, when)
        times.append(s)
        g = int(psql(rp2, "select count(*) from marker"))
        mx = psql(rp2, "select coalesce(max(id), 0) from marker")
        ok += (g == w and int(mx) == w)
        print("  point %2d %s want %d got %d (%.1f s)" % (i + 1, when.isoformat(), w, g, s), flush=True)
        rds.delete_db_instance(DBInstanceIdentifier="pt%d" % i, SkipFinalSnapshot=True)
    # ---- report
    lag_sorted = sorted(lags)
    print()
    print("database %.0f MB (pgbench -s %d), load %d s pgbench -c 2 (%s)" % (size / 1e6, SCALE, LOAD_S, tps))
    print("restore to the end of the load: API %.1f s, by hand (tar + pg_ctl replay) %.1f s, ratio %.2f;"
          " markers API %d / hand %d / source %d" % (api_s, hand_s, api_s / hand_s, got, hand_got, want))
    print("exactness: %d/%d random points (small instance; restore median %.1f s)"
          % (ok, POINTS, statistics.median(times)))
    print("WAL archive: %d segments of %d KiB, %.1f MB stored (%.1f MB with zero tails) -> %.2f GB per hour of load"
          % (nseg, segsize // 1024, wal_bytes / 1e6, nseg * segsize / 1e6, wal_bytes / LOAD_S * 3600 / 1e9))
    print("LatestRestorableTime lag under load: median %.2f s, p90 %.2f s, max %.2f s (%d samples)"
          % (statistics.median(lag_sorted), lag_sorted[int(len(lag_sorted) * 0.9)], lag_sorted[-1], len(lag_sorted)))
    print("RESULT api_s=%.1f hand_s=%.1f ratio=%.2f exact=%d/%d wal_gb_per_h=%.2f lag_median_s=%.2f lag_max_s=%.2f"
          % (api_s, hand_s, api_s / hand_s, ok, POINTS, wal_bytes / LOAD_S * 3600 / 1e9, statistics.median(lags),
             max(lags)))
finally:
    if hand_pg:
        subprocess.run(["runuser", "-u", "postgres", "--", PGBIN + "/pg_ctl", "-D", hand_pg, "-m", "immediate",
                        "stop"], capture_output=True)
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)
    if os.environ.get("KEEP") != "1":
        shutil.rmtree(work, ignore_errors=True)
PYEOF
