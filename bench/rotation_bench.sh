#!/usr/bin/env bash
# rotation_bench.sh: managed master passwords, time from RotateMasterUserPassword to the
# new password working. Starts rdslocal (real postgres) on free loopback ports with a temp
# state dir, creates one instance with ManageMasterUserPassword=true, then ROUNDS times:
#   t0  ModifyDBInstance(RotateMasterUserPassword=true, ApplyImmediately=true) sent (boto3)
#   t1  its response received
#   t2  GetSecretValue returns the new password (it differs from the previous one)
#   t3  the first psql connection with the new password succeeds (tried in a loop from t2)
# and checks that the old password is then refused. Prints median / p90 / max of
# t1-t0 (API), t2-t0 (secret readable) and t3-t0 (new password working), and a RESULT line.
# psql is /usr/lib/postgresql/<major>/bin/psql (not Debian's Perl wrapper). ~30 s for 20.
#
# Environment: RDSLOCAL_BIN (default build/rdslocal), ROUNDS (20), KEEP=1 keeps the state dir.
set -euo pipefail
cd "$(dirname "$0")/.."
export ROUNDS="${ROUNDS:-20}"
export RDSLOCAL_BIN="${RDSLOCAL_BIN:-$PWD/build/rdslocal}"
exec python3 - <<'PY'
import glob, json, os, statistics, subprocess, sys, time
sys.path.insert(0, "tests/lib")
import rdslocal_testlib as tl

PSQL = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1]
rounds = int(os.environ["ROUNDS"])


def connects(port, password):
    env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="5")
    p = subprocess.run([PSQL, "-h", "127.0.0.1", "-p", str(port), "-U", "app", "-d", "postgres", "-Atqc",
                        "select 1"], env=env, capture_output=True, text=True)
    return p.returncode == 0


srv = tl.Server().start()
try:
    rds, sm = srv.client(), srv.client("secretsmanager")
    args = tl.create_args("rot")
    del args["MasterUserPassword"]
    rds.create_db_instance(ManageMasterUserPassword=True, **args)
    d = tl.describe_one(rds, "rot")
    port, arn = d["Endpoint"]["Port"], d["MasterUserSecret"]["SecretArn"]
    pw = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])["password"]
    assert connects(port, pw)
    api, readable, working, tries = [], [], [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        rds.modify_db_instance(DBInstanceIdentifier="rot", RotateMasterUserPassword=True, ApplyImmediately=True)
        t1 = time.perf_counter()
        new = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])["password"]
        t2 = time.perf_counter()
        assert new != pw, "the secret did not change"
        n = 1
        while not connects(port, new):
            n += 1
        t3 = time.perf_counter()
        assert not connects(port, pw), "the old password still works"
        api.append((t1 - t0) * 1000)
        readable.append((t2 - t0) * 1000)
        working.append((t3 - t0) * 1000)
        tries.append(n)
        pw = new

    def row(name, v):
        v = sorted(v)
        print("| %s | %.1f | %.1f | %.1f |" % (name, statistics.median(v), v[int(0.9 * (len(v) - 1))], v[-1]))

    print("rotations: %d (instance rot, port %d)" % (rounds, port))
    print("| from RotateMasterUserPassword sent to | median ms | p90 ms | max ms |\n|---|---|---|---|")
    row("its response", api)
    row("GetSecretValue returning the new password", readable)
    row("first psql login with the new password", working)
    print("psql attempts until the new password worked: max %d" % max(tries))
    print("RESULT rounds=%d api_p50_ms=%.1f secret_p50_ms=%.1f working_p50_ms=%.1f working_max_ms=%.1f"
          % (rounds, statistics.median(api), statistics.median(readable), statistics.median(working), max(working)))
    rds.delete_db_instance(DBInstanceIdentifier="rot", SkipFinalSnapshot=True)
finally:
    if os.environ.get("KEEP") == "1":
        srv.own_dir = False
        print("state dir kept:", srv.state_dir)
    srv.cleanup()
PY
