#!/usr/bin/env bash
# api_bench.sh: Query API throughput and latency, rdslocal (--no-engine) against moto_server.
#
# Starts both servers on free loopback ports, seeds 100 DB instances in each, then measures
#   DescribeDBInstances (all 100 instances per response, default MaxRecords=100) at 1 and 16
#   clients, twice: the same request again and again ("Describe": rdslocal answers it from
#   its response cache after the first), and with an engine filter whose second value
#   changes every request ("DescribeMiss": Values postgres OR nomatch{n}, still all 100
#   instances, but a cache miss each time, so the full render path is measured);
#   CreateDBInstance (a new identifier per request) at 1 and 16 clients;
# before each Create run both servers are reset and re-seeded with 100 instances, so every
# Create run starts from the same state. Prints a table (rps, p50, p99, server CPU per
# request) and the rdslocal/moto ratios. Takes about 2 minutes.
#
# Environment (all optional):
#   RDSLOCAL_BIN   rdslocal binary (default build/rdslocal of this checkout; copied to a temp dir first
#                  so a concurrent rebuild can't swap it mid-run)
#   MOTO_SERVER    moto_server command (default: moto_server on PATH)
#   DUR_RDS        seconds per rdslocal run (5)      DUR_MOTO  seconds per moto run (10)
#   MAX_CREATE     cap on creates per Create run (500: the same count on both servers; moto
#                  answers SnapshotQuotaExceeded past ~1000 instances)
#   LOG_LEVEL      rdslocal --log-level (info, the default of rdslocal itself)
#   KEEP=1         keep the temp dir (logs) afterwards
set -euo pipefail

DUR_RDS="${DUR_RDS:-5}"
DUR_MOTO="${DUR_MOTO:-10}"
MAX_CREATE_RDS="${MAX_CREATE:-500}"
MAX_CREATE_MOTO="${MAX_CREATE:-500}"
SEED=100

. "$(dirname "$0")/lib.sh"
require_rdslocal
bench_tmp apibench
start_rdslocal --port-range 20000-39999
start_moto

DESCRIBE='Action=DescribeDBInstances&Version=2014-10-31'
DESCRIBE_MISS='Action=DescribeDBInstances&Version=2014-10-31&Filters.Filter.1.Name=engine&Filters.Filter.1.Values.Value.1=postgres&Filters.Filter.1.Values.Value.2=nomatch{n}'
create_body() { # prefix
    echo "Action=CreateDBInstance&Version=2014-10-31&DBInstanceIdentifier=$1{n}&DBInstanceClass=db.t3.micro&Engine=postgres&MasterUsername=benchadmin&MasterUserPassword=benchpass123&AllocatedStorage=20"
}

reset_and_seed() { # server port
    if [ "$1" = rdslocal ]; then
        curl -fs -o /dev/null -X POST -H "Content-Type: application/json" -d "{}" "http://127.0.0.1:$2/_rdslocal/reset"
    else
        curl -fs -o /dev/null -X POST "http://127.0.0.1:$2/moto-api/reset"
    fi
    "$LOADGEN" -p "$2" -c 4 -n "$SEED" -b "$(create_body seed-)" -t 30 >"$tmp/seed.out" 2>&1 ||
        { echo "seeding $1 failed:" >&2; cat "$tmp/seed.out" >&2; exit 1; }
}

results="$tmp/results.txt"
: >"$results"
run() { # server port pid op clients
    local server=$1 port=$2 pid=$3 op=$4 clients=$5 dur body max=()
    if [ "$server" = rdslocal ]; then dur=$DUR_RDS; else dur=$DUR_MOTO; fi
    if [ "$op" = Describe ]; then
        body="$DESCRIBE"
    elif [ "$op" = DescribeMiss ]; then
        body="$DESCRIBE_MISS"
    else
        body="$(create_body "c${clients}-")"
        if [ "$server" = rdslocal ]; then max=(-n "$MAX_CREATE_RDS"); else max=(-n "$MAX_CREATE_MOTO"); fi
    fi
    local t0 t1 line
    t0=$(cpu_ticks "$pid")
    line=$("$LOADGEN" -p "$port" -c "$clients" -d "$dur" "${max[@]}" -b "$body" -t 30 -v \
        -l "$server/$op/$clients" 2>"$tmp/lg.err" | grep '^RESULT' || true)
    t1=$(cpu_ticks "$pid")
    [ -s "$tmp/lg.err" ] && sed 's/^/    /' "$tmp/lg.err" >&2
    local req cpu
    req=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<<"$line")
    cpu=$(cpu_ms_per_req "$t0" "$t1" "$req")
    echo "$line cpu_ms_per_req=$cpu" | tee -a "$results" | sed 's/^RESULT /  /'
}

echo "rdslocal $(build_info), binary $(date -u -r "$RDSLOCAL_BIN" +%H:%MZ)) on :$RDS_PORT (log level $LOG_LEVEL), moto on :$MOTO_PORT"
echo "$(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "seeding $SEED instances in each ..."
reset_and_seed rdslocal "$RDS_PORT"
reset_and_seed moto "$MOTO_PORT"
for op in Describe DescribeMiss; do
    for c in 1 16; do
        run rdslocal "$RDS_PORT" "$rds_pid" "$op" "$c"
        run moto "$MOTO_PORT" "$moto_pid" "$op" "$c"
    done
done
for c in 1 16; do
    reset_and_seed rdslocal "$RDS_PORT"
    run rdslocal "$RDS_PORT" "$rds_pid" Create "$c"
    reset_and_seed moto "$MOTO_PORT"
    run moto "$MOTO_PORT" "$moto_pid" Create "$c"
done

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews rps and tails; server CPU ms/req less so)"
echo
python3 - "$results" <<'EOF'
import sys
rows = {}
for line in open(sys.argv[1]):
    kv = dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)
    server, op, c = kv["label"].split("/")
    rows[(server, op, int(c))] = kv
hdr = "| operation | clients | server | requests | errors | rps | p50 ms | p99 ms | max ms | server CPU ms/req |"
print(hdr)
print("|" + "---|" * (hdr.count("|") - 1))
names = {"Describe": "DescribeDBInstances, same request (rdslocal: cache hit)",
         "DescribeMiss": "DescribeDBInstances, new filter value each (cache miss)",
         "Create": "CreateDBInstance (from 100 instances)"}
for op in ("Describe", "DescribeMiss", "Create"):
    for c in (1, 16):
        for server in ("rdslocal", "moto"):
            r = rows.get((server, op, c))
            if not r:
                continue
            name = names[op]
            print(f"| {name} | {c} | {server} | {r['requests']} | {r['errors']} | {float(r['rps']):.1f} | "
                  f"{float(r['p50_ms']):.2f} | {float(r['p99_ms']):.2f} | {float(r['max_ms']):.1f} | {r['cpu_ms_per_req']} |")
print()
print("| operation | clients | rps ratio rdslocal/moto | p50 ratio moto/rdslocal |")
print("|---|---|---|---|")
for op in ("Describe", "DescribeMiss", "Create"):
    for c in (1, 16):
        a, b = rows.get(("rdslocal", op, c)), rows.get(("moto", op, c))
        if a and b and float(b["rps"]) > 0 and float(a["p50_ms"]) > 0:
            print(f"| {op} | {c} | {float(a['rps']) / float(b['rps']):.1f}x | {float(b['p50_ms']) / float(a['p50_ms']):.1f}x |")
print()
for op in ("Describe", "DescribeMiss"):
    a, b = rows.get(("rdslocal", op, 16)), rows.get(("moto", op, 16))
    if a and b:
        ratio = float(a["rps"]) / max(float(b["rps"]), 1e-9)
        p99 = float(a["p99_ms"])
        print(f"goal ({op}): DescribeDBInstances at 16 clients >= 100x moto: {ratio:.1f}x -> {'PASS' if ratio >= 100 else 'FAIL'}")
        print(f"goal ({op}): DescribeDBInstances p99 < 5 ms at 16 clients: {p99:.2f} ms -> {'PASS' if p99 < 5 else 'FAIL'}")
EOF
