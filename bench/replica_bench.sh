#!/bin/bash
# replica_bench.sh: issue 10 part 7, replica lag under a moderate pgbench load. Starts a
# REAL rdslocal (postgres engine) from a temp dir, creates a source (pgbench -i -s 5) and a
# read replica through the API (boto3), then RUNS times: pgbench on the source at RATE tps
# (2 clients, -R, TPC-B) for SECS seconds while bench/replica_lag.c probes every 50 ms how
# long a committed row takes to be readable on the replica (and samples the source's
# pg_stat_replication.replay_lag). Prints one line per run, then medians and maxima over
# the runs and the goal check (< 100 ms). Env: RUNS=10 SECS=5 RATE=200 SCALE=5 KEEP=1.
# ~1 min with the defaults.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_rdslocal
RUNS=${RUNS:-10}; SECS=${SECS:-5}; RATE=${RATE:-200}; SCALE=${SCALE:-5}
bench_tmp replica
gcc -O2 -std=c11 -Wall $(pkg-config --cflags libpq) "$here/replica_lag.c" $(pkg-config --libs libpq) \
    -o "$tmp/replica_lag"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
RDS_PORT="$(free_port)"
"$tmp/rdslocal" --listen "127.0.0.1:$RDS_PORT" --state-dir "$tmp/state" --log-level "$LOG_LEVEL" \
    --port-range 46000-46099 >"$tmp/rdslocal.log" 2>&1 &
rds_pid=$!
wait_up "http://127.0.0.1:$RDS_PORT/_rdslocal/health" 20 "$tmp/rdslocal.log"

read -r SRC_PORT REP_PORT REP_KEY < <(python3 - "$RDS_PORT" <<'EOF'
import sys, boto3
c = boto3.client("rds", endpoint_url="http://127.0.0.1:%s" % sys.argv[1], region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x")
c.create_db_instance(DBInstanceIdentifier="src", Engine="postgres", DBInstanceClass="db.t3.micro",
                     AllocatedStorage=20, MasterUsername="app", MasterUserPassword="S3cret-pass", DBName="bench")
s = c.describe_db_instances(DBInstanceIdentifier="src")["DBInstances"][0]
c.create_db_instance_read_replica(DBInstanceIdentifier="rep", SourceDBInstanceIdentifier="src")
r = c.describe_db_instances(DBInstanceIdentifier="rep")["DBInstances"][0]
print(s["Endpoint"]["Port"], r["Endpoint"]["Port"], r["DbiResourceId"])
EOF
)
export PGPASSWORD=S3cret-pass
SRC="host=127.0.0.1 port=$SRC_PORT user=app dbname=bench sslmode=disable"
REP="host=127.0.0.1 port=$REP_PORT user=app dbname=bench sslmode=disable"
"$PGBIN/pgbench" -i -q -s "$SCALE" "$SRC" >"$tmp/pgbench-init.log" 2>&1
echo "rdslocal $(build_info)); source :$SRC_PORT, replica :$REP_PORT; pgbench -s $SCALE, -c 2 -R $RATE, ${SECS}s x $RUNS runs"
printf '%-4s %8s %10s %10s %10s %12s %12s %8s\n' run tps probes p50_ms p90_ms max_ms replay_p50 replay_max
: >"$tmp/results"
for i in $(seq 1 "$RUNS"); do
    "$PGBIN/pgbench" -n -c 2 -j 2 -R "$RATE" -T "$((SECS + 1))" "$SRC" >"$tmp/pgbench-$i.log" 2>&1 &
    pgb=$!
    sleep 0.5
    line=$("$tmp/replica_lag" "$SRC" "$REP" "$REP_KEY" "$SECS" 50)
    wait "$pgb"
    tps=$(awk '/^tps = /{printf "%.0f", $3; exit}' "$tmp/pgbench-$i.log")
    eval "$(echo "$line" | sed 's/^RESULT //')"
    printf '%-4s %8s %10s %10s %10s %12s %12s %8s\n' "$i" "$tps" "$probes" "$visible_p50_ms" "$visible_p90_ms" \
        "$visible_max_ms" "$replay_lag_p50_ms" "$replay_lag_max_ms"
    echo "$visible_p50_ms $visible_max_ms $replay_lag_p50_ms $replay_lag_max_ms" >>"$tmp/results"
done
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maximum() { sort -n | tail -1; }
med=$(cut -d' ' -f1 "$tmp/results" | median); mx=$(cut -d' ' -f2 "$tmp/results" | maximum)
rmed=$(cut -d' ' -f3 "$tmp/results" | median); rmx=$(cut -d' ' -f4 "$tmp/results" | maximum)
echo "over $RUNS runs: visible lag median of the run medians $med ms, max $mx ms; replay_lag median $rmed ms, max $rmx ms"
if awk -v m="$mx" 'BEGIN { exit !(m < 100) }'; then verdict="met (every probe below 100 ms)"
elif awk -v m="$med" 'BEGIN { exit !(m < 100) }'; then verdict="median met, max above"
else verdict="NOT met"; fi
echo "goal (replica lag < 100 ms at a moderate pgbench rate): $verdict"
echo "RESULT visible_median_ms=$med visible_max_ms=$mx replay_median_ms=$rmed replay_max_ms=$rmx"
kill "$rds_pid"; wait "$rds_pid" 2>/dev/null || true; rds_pid=""
