#!/usr/bin/env bash
# kms_bench.sh: KMS API throughput and latency (issue 8 part 8), rdslocal (--no-engine) and,
# unless MOTO=0, moto_server in the same run.
#
# rdslocal serves KMS on the RDS port (AWS JSON 1.1: POST / with X-Amz-Target:
# TrentService.<Op>). Per server: one CreateKey (curl), one Encrypt body (64 bytes of
# plaintext), one Decrypt body whose CiphertextBlob comes from a real Encrypt response of
# that server, one GenerateDataKey body (KeySpec AES_256); then Encrypt, Decrypt and
# GenerateDataKey at 1 and 16 clients for DUR seconds each, the same body every request.
# Every response must be HTTP 200: anything else counts as an error (loadgen prints the
# first error body; the table shows the counts). Prints a table (rps, p50, p99, server CPU
# per request) and, with moto, the rdslocal/moto ratios. About 1 min 20 s with moto.
#
# Environment (all optional):
#   RDSLOCAL_BIN   rdslocal binary (default build/rdslocal of this checkout, built with cmake
#                  if missing; copied to a temp dir first so a concurrent rebuild can't swap it)
#   MOTO=0         skip moto_server         MOTO_SERVER  moto_server command (moto_server)
#   DUR            seconds per run (5)      LOG_LEVEL    rdslocal --log-level (info)
#   KEEP=1         keep the temp dir (logs) afterwards
set -euo pipefail

MOTO="${MOTO:-1}"
DUR="${DUR:-5}"
OPS=(Encrypt Decrypt GenerateDataKey)

. "$(dirname "$0")/lib.sh"
if [ ! -x "$RDSLOCAL_BIN" ]; then
    [ "$RDSLOCAL_BIN" = "$top/build/rdslocal" ] || require_rdslocal
    echo "building rdslocal ..."
    cmake -S "$top" -B "$top/build" >/dev/null && cmake --build "$top/build" -j2 --target rdslocal >/dev/null
fi
bench_tmp kmsbench
start_rdslocal --port-range 20000-39999
servers=(rdslocal)
if [ "$MOTO" != 0 ]; then
    start_moto
    servers+=(moto)
fi

port_of() { if [ "$1" = rdslocal ]; then echo "$RDS_PORT"; else echo "$MOTO_PORT"; fi; }
pid_of() { if [ "$1" = rdslocal ]; then echo "$rds_pid"; else echo "$moto_pid"; fi; }

# One signed-looking KMS call with curl (setup only); prints the body, fails unless 200.
kms_call() { # server op json
    local out code
    out="$(curl -s -w '\n%{http_code}' --max-time 10 -X POST "http://127.0.0.1:$(port_of "$1")/" \
        -H 'Content-Type: application/x-amz-json-1.1' -H "X-Amz-Target: TrentService.$2" \
        -H "X-Amz-Date: $(date -u +%Y%m%dT%H%M%SZ)" \
        -H "Authorization: AWS4-HMAC-SHA256 Credential=test/$(date -u +%Y%m%d)/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=0" \
        -d "$3")"
    code="${out##*$'\n'}"
    [ "$code" = 200 ] || { echo "$1 $2 setup call: HTTP $code: ${out%$'\n'*}" >&2; return 1; }
    printf '%s\n' "${out%$'\n'*}"
}
json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[k]
print(d)' "$1"; }

# 64 bytes of plaintext (base64 in the JSON body, as the SDKs send it).
PLAINTEXT_B64="$(head -c 64 /dev/urandom | base64 -w0)"
for s in "${servers[@]}"; do
    key="$(kms_call "$s" CreateKey '{"Description":"kms_bench"}' | json_field KeyMetadata.KeyId)"
    printf '{"KeyId":"%s","Plaintext":"%s"}' "$key" "$PLAINTEXT_B64" >"$tmp/$s.Encrypt.json"
    blob="$(kms_call "$s" Encrypt "$(cat "$tmp/$s.Encrypt.json")" | json_field CiphertextBlob)"
    printf '{"CiphertextBlob":"%s"}' "$blob" >"$tmp/$s.Decrypt.json"
    # the body loadgen will send must decrypt to the plaintext (checked once here)
    got="$(kms_call "$s" Decrypt "$(cat "$tmp/$s.Decrypt.json")" | json_field Plaintext)"
    [ "$got" = "$PLAINTEXT_B64" ] || { echo "$s: Decrypt returned a different plaintext" >&2; exit 1; }
    printf '{"KeyId":"%s","KeySpec":"AES_256"}' "$key" >"$tmp/$s.GenerateDataKey.json"
    kms_call "$s" GenerateDataKey "$(cat "$tmp/$s.GenerateDataKey.json")" >/dev/null
done

results="$tmp/results.txt"
: >"$results"
run() { # server op clients
    local server=$1 op=$2 clients=$3 port pid t0 t1 line req cpu
    port="$(port_of "$server")"; pid="$(pid_of "$server")"
    t0=$(cpu_ticks "$pid")
    # loadgen's SigV4 Authorization uses the kms credential scope (-S kms); exit status 1
    # just means errors, which the RESULT line counts
    line=$("$LOADGEN" -p "$port" -c "$clients" -d "$DUR" -t 30 -v -S kms \
        -T 'application/x-amz-json-1.1' -H "X-Amz-Target: TrentService.$op" \
        -b "$(cat "$tmp/$server.$op.json")" -l "$server/$op/$clients" 2>"$tmp/lg.err" |
        tee "$tmp/lg.out" | grep '^RESULT' || true)
    t1=$(cpu_ticks "$pid")
    [ -s "$tmp/lg.err" ] && sed 's/^/    /' "$tmp/lg.err" >&2
    # on errors, also the status classes (loadgen -v printed the first error body above)
    grep -q ' errors=0 ' <<<"$line" || grep 'status:' "$tmp/lg.out" | sed 's/^/    /' >&2
    [ -n "$line" ] || { echo "loadgen gave no result for $server/$op/$clients" >&2; exit 1; }
    req=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<<"$line")
    cpu=$(cpu_ms_per_req "$t0" "$t1" "$req")
    echo "$line cpu_ms_per_req=$cpu" | tee -a "$results" | sed 's/^RESULT /  /'
}

echo "rdslocal $(build_info)) on :$RDS_PORT (log level $LOG_LEVEL)$([ "$MOTO" = 0 ] || echo ", moto $(python3 -c 'import moto; print(moto.__version__)' 2>/dev/null || echo '?') on :$MOTO_PORT")"
echo "$(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ); $DUR s per run; uptime at start:$(uptime | sed 's/.*up[^,]*,[^,]*,//')"
for op in "${OPS[@]}"; do
    for c in 1 16; do
        for s in "${servers[@]}"; do run "$s" "$op" "$c"; done
    done
done
echo "uptime at end:$(uptime | sed 's/.*up[^,]*,[^,]*,//') (other work on the machine skews rps and tails; server CPU ms/req less so)"
echo
python3 - "$results" <<'EOF'
import sys
rows = {}
for line in open(sys.argv[1]):
    kv = dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)
    server, op, c = kv["label"].split("/")
    rows[(server, op, int(c))] = kv
ops = ("Encrypt", "Decrypt", "GenerateDataKey")
hdr = "| operation | clients | server | requests | errors | rps | p50 ms | p99 ms | max ms | server CPU ms/req |"
print(hdr)
print("|" + "---|" * (hdr.count("|") - 1))
for op in ops:
    for c in (1, 16):
        for server in ("rdslocal", "moto"):
            r = rows.get((server, op, c))
            if r:
                print(f"| {op} | {c} | {server} | {r['requests']} | {r['errors']} | {float(r['rps']):.1f} | "
                      f"{float(r['p50_ms']):.2f} | {float(r['p99_ms']):.2f} | {float(r['max_ms']):.1f} | {r['cpu_ms_per_req']} |")
if any(k[0] == "moto" for k in rows):
    print()
    print("| operation | clients | rps ratio rdslocal/moto | p50 ratio moto/rdslocal |")
    print("|---|---|---|---|")
    for op in ops:
        for c in (1, 16):
            a, b = rows.get(("rdslocal", op, c)), rows.get(("moto", op, c))
            if a and b and float(b["rps"]) > 0 and float(a["p50_ms"]) > 0:
                print(f"| {op} | {c} | {float(a['rps']) / float(b['rps']):.1f}x | {float(b['p50_ms']) / float(a['p50_ms']):.1f}x |")
errs = sum(int(r["errors"]) for r in rows.values())
print()
print(f"non-200 responses or transport errors: {errs}" + ("" if errs == 0 else " (see the loadgen lines above)"))
sys.exit(1 if errs else 0)
EOF
