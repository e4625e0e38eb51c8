#!/bin/sh
# install-deps.sh: installs the Debian/Ubuntu packages rdslocal needs to build, run and
# test, skipping those already present. Needs root (or sudo).
set -eu
PKGS="build-essential make cmake pkg-config libmicrohttpd-dev libsqlite3-dev libxml2-dev libssl-dev
libpq-dev postgresql postgresql-client postgresql-server-dev-15 python3 clang"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "installing:$missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
# Debian's postgresql package starts a cluster of its own on 5432; rdslocal does not use it.
echo "dependencies present"
