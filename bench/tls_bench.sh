#!/usr/bin/env bash
# tls_bench.sh: TLS connection setup rate (issue 12 part 6). One rdslocal with real
# postgres, two instances (CA rds-ca-rsa2048-g1: RSA-2048 server key; rds-ca-ecc384-g1:
# ECDSA P-384 server key), then `pgbench -C` (a new connection for every transaction, the
# transaction being `SELECT 1`) as the master user (scram-sha-256) for DUR seconds per
# mode, in this one run: sslmode=disable (plain), sslmode=require (TLS, no checks) and
# sslmode=verify-full with the bundle served at /_rdslocal/certs/global-bundle.pem (TLS,
# chain and host name checked). Prints connections per second and pgbench's average
# connection time for each. About 40 s with the defaults.
#
# Environment (all optional):
#   RDSLOCAL_BIN           rdslocal binary (default build/rdslocal of this checkout; copied first)
#   RDSLOCAL_TEMPLATE_DIR  initdb template cache (rdslocal's default otherwise)
#   DUR                    seconds per pgbench run (5)     CLIENTS  pgbench clients (1)
#   KEEP=1                 keep the temp dir (logs) afterwards
set -euo pipefail

DUR="${DUR:-5}"
CLIENTS="${CLIENTS:-1}"

. "$(dirname "$0")/lib.sh"
require_rdslocal
bench_tmp tlsbench

RDS_PORT="$(free_port)"
"$tmp/rdslocal" --listen "127.0.0.1:$RDS_PORT" --state-dir "$tmp/state" --port-range 40000-40100 \
    --log-level "$LOG_LEVEL" >"$tmp/rdslocal.log" 2>&1 &
rds_pid=$!
wait_up "http://127.0.0.1:$RDS_PORT/_rdslocal/health" 15 "$tmp/rdslocal.log"
url="http://127.0.0.1:$RDS_PORT"

curl -fs "$url/_rdslocal/certs/global-bundle.pem" -o "$tmp/global-bundle.pem"

export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
create() { # identifier CA -> prints the instance's port (real AWS CLI)
    aws --endpoint-url "$url" rds create-db-instance --db-instance-identifier "$1" --engine postgres \
        --db-instance-class db.t3.micro --allocated-storage 20 --master-username app \
        --master-user-password benchpass123 --ca-certificate-identifier "$2" >/dev/null
    aws --endpoint-url "$url" rds describe-db-instances --db-instance-identifier "$1" \
        --query 'DBInstances[0].Endpoint.Port' --output text
}

echo 'SELECT 1;' >"$tmp/select1.sql"
printf "%-20s %-12s %10s %14s\n" "CA" "sslmode" "conn/s" "avg conn ms"
for ca in rds-ca-rsa2048-g1 rds-ca-ecc384-g1; do
    port="$(create "b-${ca//[^a-z0-9]/}" "$ca")"
    [ -n "$port" ] || { echo "create with $ca failed; log:" >&2; tail -5 "$tmp/rdslocal.log" >&2; exit 1; }
    for mode in disable require verify-full; do
        conn="host=localhost port=$port user=app dbname=postgres sslmode=$mode sslrootcert=$tmp/global-bundle.pem"
        PGPASSWORD=benchpass123 pgbench -n -C -c "$CLIENTS" -j "$CLIENTS" -T "$DUR" -f "$tmp/select1.sql" \
            "$conn" >"$tmp/pgbench.out" 2>&1 || { cat "$tmp/pgbench.out" >&2; exit 1; }
        tps="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$tmp/pgbench.out" | head -1)"
        avg="$(sed -n 's/^average connection time = \([0-9.]*\) ms/\1/p' "$tmp/pgbench.out")"
        printf "%-20s %-12s %10.1f %14s\n" "$ca" "$mode" "$tps" "${avg:--}"
    done
done
echo "(rdslocal $(build_info)); pgbench -C -c $CLIENTS -T $DUR, SELECT 1 per connection, scram-sha-256)"
