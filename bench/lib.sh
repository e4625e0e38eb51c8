# bench/lib.sh: shared steps of the bench scripts (sourced, not run): paths, loadgen build,
# temp dir + cleanup trap, free ports, starting rdslocal --no-engine / moto_server, waiting for
# health, server CPU ticks. Sets: here, top, LOADGEN, RDSLOCAL_BIN (default build/rdslocal of
# this checkout), LOG_LEVEL (info). The scripts keep their own options and reports.

here="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)"
top="$(cd "$here/.." && pwd)"
LOADGEN="$here/build/loadgen"
RDSLOCAL_BIN="${RDSLOCAL_BIN:-$top/build/rdslocal}"
LOG_LEVEL="${LOG_LEVEL:-info}"

# Rebuild loadgen when it is missing or older than its source.
[ -x "$LOADGEN" ] && [ "$LOADGEN" -nt "$here/loadgen.c" ] || "$here/build.sh" >/dev/null

require_rdslocal() { # fails unless RDSLOCAL_BIN is executable
    [ -x "$RDSLOCAL_BIN" ] || { echo "no rdslocal binary at $RDSLOCAL_BIN (build it first)" >&2; exit 2; }
}

# bench_tmp NAME: makes $tmp (/tmp/rdslocal-NAME.XXXXXX), copies rdslocal into it (so a
# concurrent rebuild can't swap the binary mid-run) and on exit stops the servers started
# below and removes $tmp (KEEP=1 keeps it).
rds_pid=""; moto_pid=""
bench_tmp() {
    tmp="$(mktemp -d "/tmp/rdslocal-$1.XXXXXX")"
    chmod 755 "$tmp" # rdslocal checks that the postgres OS user can reach the state dir, even with --no-engine
    trap bench_cleanup EXIT
    cp "$RDSLOCAL_BIN" "$tmp/rdslocal"
}
bench_cleanup() {
    [ -n "$rds_pid" ] && kill "$rds_pid" 2>/dev/null && wait "$rds_pid" 2>/dev/null || true
    [ -n "$moto_pid" ] && kill "$moto_pid" 2>/dev/null && wait "$moto_pid" 2>/dev/null || true
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}

free_port() { # a free loopback port, not one in $* (ports already taken by this run)
    local p
    while :; do
        p="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
        case " $* " in *" $p "*) ;; *) echo "$p"; return 0 ;; esac
    done
}

wait_up() { # url, seconds, log file shown on failure
    local end=$((SECONDS + $2))
    while [ $SECONDS -lt $end ]; do
        curl -fs -o /dev/null --max-time 1 "$1" && return 0
        sleep 0.1
    done
    echo "server at $1 did not come up; end of ${3:-its log}:" >&2
    [ -n "${3:-}" ] && tail -5 "$3" >&2
    return 1
}

# start_rdslocal [extra args...]: rdslocal --no-engine from $tmp on a free port: sets
# RDS_PORT and rds_pid, log in $tmp/rdslocal.log; returns once /_rdslocal/health answers.
start_rdslocal() {
    RDS_PORT="$(free_port)"
    "$tmp/rdslocal" --listen "127.0.0.1:$RDS_PORT" --state-dir "$tmp/state" --no-engine \
        --log-level "$LOG_LEVEL" "$@" >"$tmp/rdslocal.log" 2>&1 &
    rds_pid=$!
    wait_up "http://127.0.0.1:$RDS_PORT/_rdslocal/health" 10 "$tmp/rdslocal.log"
}

# start_moto: MOTO_SERVER (moto_server) on a free port other than RDS_PORT: sets MOTO_PORT
# and moto_pid, log in $tmp/moto.log; returns once /moto-api/ answers.
start_moto() {
    MOTO_PORT="$(free_port "${RDS_PORT:-}")"
    "${MOTO_SERVER:-moto_server}" -H 127.0.0.1 -p "$MOTO_PORT" >"$tmp/moto.log" 2>&1 &
    moto_pid=$!
    wait_up "http://127.0.0.1:$MOTO_PORT/moto-api/" 30 "$tmp/moto.log"
}

CLK_TCK="$(getconf CLK_TCK)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # pid: utime + stime, all threads
cpu_ms_per_req() { # ticks before, ticks after, requests: server CPU ms per request ("-" if none)
    awk -v a="$1" -v b="$2" -v n="$3" -v hz="$CLK_TCK" 'BEGIN{ if (n>0) printf "%.3f", (b-a)*1000/hz/n; else print "-" }'
}
build_info() { # "VERSION (commit[+local changes]" of the copied binary and this checkout, no ")"
    echo "$("$tmp/rdslocal" --version | awk '{print $2}') ($(cd "$top" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$top" && git diff --quiet HEAD -- server engine include 2>/dev/null || echo '+local changes')"
}
