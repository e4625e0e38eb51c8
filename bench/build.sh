#!/usr/bin/env bash
# Builds the benchmark tools into bench/build/ (not part of the top-level CMake build).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$here/build"
gcc -O2 -g -std=c11 -Wall -Wextra -pthread -o "$here/build/loadgen" "$here/loadgen.c"
echo "built $here/build/loadgen"
