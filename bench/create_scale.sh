#!/usr/bin/env bash
# create_scale.sh: CreateDBInstance rate as instances accumulate (issue #7 item 9).
#
# One rdslocal --no-engine server, one client (loadgen, one keep-alive connection) creating
# STEP instances at a time until TOTAL; after each step it prints the create rate of that
# step and the latency of DescribeDBInstances for one identifier (500 requests, a different
# existing identifier each, so the response cache does not answer: a primary-key lookup,
# which must not grow with the instance count), and the server's CPU time per create (all
# its threads, from /proc/PID/stat: steadier than the rate on a shared machine). Creates carry no Port, so in API-only mode nothing is
# allocated per create. rdslocal enforces no instance quota, so nothing needs raising.
#
# Environment (all optional):
#   RDSLOCAL_BIN   rdslocal binary (default build/rdslocal of this checkout; copied to a temp dir)
#   TOTAL          instances in all (100000)      STEP  instances per step (10000, >= 500)
#   STEP_TIMEOUT   seconds a step may take before the run stops (120)
#   PORT_RANGE     passed as --port-range (default: rdslocal's own); old builds allocate
#                  ports even with --no-engine and need e.g. 1024-65535 to get past 1,000
#   LOG_LEVEL      rdslocal --log-level (info)
#   KEEP=1         keep the temp dir (log, state) afterwards
set -euo pipefail

TOTAL="${TOTAL:-100000}"
STEP="${STEP:-10000}"
STEP_TIMEOUT="${STEP_TIMEOUT:-120}"

. "$(dirname "$0")/lib.sh"
require_rdslocal
bench_tmp createscale
extra=()
[ -n "${PORT_RANGE:-}" ] && extra=(--port-range "$PORT_RANGE")
start_rdslocal "${extra[@]}"
port=$RDS_PORT
hz=$CLK_TCK

field() { # key, RESULT line
    sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"
}

CREATE='Action=CreateDBInstance&Version=2014-10-31&DBInstanceIdentifier=scale{n}&DBInstanceClass=db.t3.micro&Engine=postgres&MasterUsername=benchadmin&MasterUserPassword=benchpass123&AllocatedStorage=20'

echo "rdslocal --no-engine, 1 client, $STEP creates per step up to $TOTAL ($(date -u +%FT%TZ), $(nproc) CPUs)"
echo
echo "| instances | creates/s | create p50 ms | create p99 ms | errors | server CPU ms/create | Describe one id p50 ms | p99 ms |"
echo "|---|---|---|---|---|---|---|---|"
done_n=0
while [ "$done_n" -lt "$TOTAL" ]; do
    n=$STEP
    [ $((done_n + n)) -gt "$TOTAL" ] && n=$((TOTAL - done_n))
    t0="$(cpu_ticks "$rds_pid")"
    res="$("$LOADGEN" -p "$port" -c 1 -n "$n" -d "$STEP_TIMEOUT" -s "$done_n" -b "$CREATE" | grep '^RESULT')"
    t1="$(cpu_ticks "$rds_pid")"
    made="$(field requests "$res")"
    errs="$(field errors "$res")"
    # DescribeDBInstances of one identifier, 500 requests, each for another of the
    # instances just created (a new identifier each time: no response-cache hits).
    one='Action=DescribeDBInstances&Version=2014-10-31&DBInstanceIdentifier=scale{n}'
    dres="$("$LOADGEN" -p "$port" -c 1 -n 500 -s $((done_n + made - 500)) -b "$one" | grep '^RESULT')"
    done_n=$((done_n + made))
    cpu="$(awk -v t="$((t1 - t0))" -v hz="$hz" -v n="$made" 'BEGIN { printf "%.3f", n ? t * 1000 / hz / n : 0 }')"
    printf '| %d-%d | %s | %s | %s | %s | %s | %s | %s |\n' "$((done_n - made))" "$done_n" \
        "$(field rps "$res")" "$(field p50_ms "$res")" "$(field p99_ms "$res")" "$errs" "$cpu" \
        "$(field p50_ms "$dres")" "$(field p99_ms "$dres")"
    [ "$(field errors "$dres")" = 0 ] || echo "note: $(field errors "$dres") DescribeDBInstances errors in this step"
    if [ "$made" -lt "$n" ] || [ "$errs" != 0 ]; then
        echo "stopped: step ended after $made of $n creates with $errs errors (STEP_TIMEOUT=$STEP_TIMEOUT s)"
        tail -3 "$tmp/rdslocal.log"
        break
    fi
done
