#!/bin/sh
# install-deps.sh: installs, from Debian/Ubuntu's own archive, every package rdslocal needs
# to build, run and test, skipping those already present. Works on a bare Debian 12.
# As root it runs apt-get itself; otherwise through sudo if sudo exists, else it prints
# the one apt-get line to run as root and exits 1.
set -eu
# --packaging (CI passes it): also what the packaging tests need (issue 11): Docker's
# engine and debootstrap (the container and .deb tests), docker-compose (the compose
# recipe), Node.js/npm and tests/js/node_modules (JS SDK v3 RDS and KMS clients, Testcontainers), from
# package-lock.json with `npm ci`.
PACKAGING=0
[ "${1:-}" = "--packaging" ] && PACKAGING=1
# build: compiler, CMake, the libraries and the PostgreSQL server headers (the guard
# extension); run: the PostgreSQL 15 server binaries; test: psql, python3 with boto3, the
# AWS CLI, clang (the fuzz targets' corpus replay builds with the normal compiler, clang
# is for `tests/fuzz/run_fuzz.sh`).
PKGS="build-essential make cmake pkg-config libmicrohttpd-dev libsqlite3-dev libxml2-dev libssl-dev
libpq-dev postgresql postgresql-client postgresql-server-dev-15 python3 python3-boto3 awscli
clang procps curl"
if [ "$PACKAGING" = 1 ]; then
    PKGS="$PKGS docker.io debootstrap docker-compose iptables"
    command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
fi
js_deps() {
    [ "$PACKAGING" = 1 ] || return 0
    tests_js="$(dirname "$0")/../tests/js"
    if [ ! -d "$tests_js/node_modules/@aws-sdk/client-rds" ] || [ ! -d "$tests_js/node_modules/@aws-sdk/client-kms" ] || [ ! -d "$tests_js/node_modules/testcontainers" ]; then
        echo "npm ci in tests/js"
        (cd "$tests_js" && npm ci --no-audit --no-fund >/dev/null)
    fi
}
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
    js_deps
    echo "dependencies present"
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "rdslocal needs these Debian packages:$missing" >&2
    echo "run as root:  apt-get update && apt-get install -y$missing" >&2
    exit 1
fi
echo "installing:$missing"
$SUDO apt-get update -qq
# Debian's postgresql package may start a cluster of its own on 5432: rdslocal leaves it
# alone, and an instance asking for 5432 then gets the next free port of its range.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
js_deps
echo "dependencies present"
