#!/bin/sh
# snapshot_bench.sh: issue 8 part 8. Builds bench/snapshot_bench.c against this checkout's
# supervisor library (build/, from `cmake --build build`) and runs it: a pgbench scale-12
# database (about 200 MB) in one real PostgreSQL instance; cp -a of its data dir, plain and
# encrypted snapshots, restore -> first query (plain and encrypted), interleaved ROUNDS
# times in one run. Usage: bench/snapshot_bench.sh [SCALE [ROUNDS]]  (env BUILD=build,
# BENCH_DIR=/tmp). ~1 min at scale 12, 3 rounds.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
OUT=$BUILD/snapshot_bench
gcc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wno-unused-result \
    -Iinclude -Iengine/supervisor/include $(pkg-config --cflags libpq) \
    bench/snapshot_bench.c "$BUILD/librds_supervisor.a" "$BUILD/librds_model.a" "$BUILD/librds_base.a" \
    $(pkg-config --libs libpq) -lcrypto -lpthread -o "$OUT"
exec "$OUT" "${1:-12}" "${2:-3}"
