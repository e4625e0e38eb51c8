#!/bin/sh
# run_fuzz.sh SECONDS [TARGET...]: builds the libFuzzer targets with clang (ASan + UBSan)
# in $RDSLOCAL_FUZZ_BUILD (default /work/build-fuzz, else ./build-fuzz) and runs each
# target for SECONDS (default 60) on a working copy of its seed corpus, then prints, per
# target, the executions, the new corpus size and the crash files found.
# Targets: fuzz_dispatch, fuzz_query, fuzz_json (default: all three). Exit status 1 if any target crashed.
# FUZZ_ARGS adds libFuzzer flags, e.g. FUZZ_ARGS="-fork=1 -ignore_crashes=1" to keep going
# past a known crash (crash files still land in the artifacts dir and are counted).
# Reproduce a crash: $BUILD/tests/fuzz/<target> <crash-file>. Reproducers of crashes found
# and fixed stay in the seed corpus as regress-<target minus fuzz_>-<what>.
set -eu
secs=${1:-60}
shift 2>/dev/null || true
targets=${*:-"fuzz_dispatch fuzz_query fuzz_json"}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
if [ -n "${RDSLOCAL_FUZZ_BUILD:-}" ]; then build=$RDSLOCAL_FUZZ_BUILD
elif [ -d /work ]; then build=/work/build-fuzz
else build=$src/build-fuzz; fi

CC=clang cmake -S "$src" -B "$build" -DRDSLOCAL_FUZZ=ON >/dev/null
# shellcheck disable=SC2086
cmake --build "$build" -j"${JOBS:-2}" --target $targets >/dev/null

status=0
for t in $targets; do
    case $t in
        fuzz_dispatch) seeds=$here/corpus/dispatch; maxlen=8192 ;;
        fuzz_query) seeds=$here/corpus/query; maxlen=8192 ;;
        fuzz_json) seeds=$here/corpus/json; maxlen=8192 ;;
        *) echo "unknown target $t" >&2; exit 2 ;;
    esac
    work=$build/fuzz-work/$t
    mkdir -p "$work/corpus" "$work/artifacts"
    log=$work/last.log
    echo "== $t: ${secs}s (log $log)"
    rc=0
    ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        "$build/tests/fuzz/$t" "$work/corpus" "$seeds" -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=4096 -max_len=$maxlen -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/" ${FUZZ_ARGS:-} >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    # fork mode prints no final stats: take the last "#N" progress line
    [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -1)
    crashes=$(find "$work/artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
    echo "   executions: ${execs:-?}  corpus: $(ls "$work/corpus" | wc -l) files  exit: $rc  crash/leak/timeout files: $crashes"
    if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        status=1
        grep -E 'ERROR: |SUMMARY: |runtime error|not well-formed' "$log" | head -5 | sed 's/^/   /'
        find "$work/artifacts" -type f | head -5 | sed 's/^/   artifact: /'
    fi
done
exit $status
