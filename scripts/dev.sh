#!/bin/sh
# dev.sh: the README's two commands.
#   sh scripts/dev.sh run    installs missing packages, builds, starts rdslocal on 127.0.0.1:4566
#   sh scripts/dev.sh test   installs missing packages (with the packaging tests' extras: Docker,
#                            debootstrap, the JS modules), builds, runs the whole test suite (ctest)
# Extra arguments after `run` go to rdslocal (e.g. --no-engine). BUILD_DIR overrides ./build.
set -eu
cd "$(dirname "$0")/.."
cmd=${1:-run}
[ $# -gt 0 ] && shift
BUILD_DIR=${BUILD_DIR:-build}
case "$cmd" in
run|test) ;;
*) echo "usage: sh scripts/dev.sh run|test [args]" >&2; exit 2 ;;
esac
# The whole suite includes the container and .deb tests: `test` installs their extras too.
if [ "$cmd" = test ]; then sh scripts/install-deps.sh --packaging; else sh scripts/install-deps.sh; fi
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
case "$cmd" in
run)  exec "./$BUILD_DIR/rdslocal" "$@" ;;
test) exec ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 "$@" ;;
esac
