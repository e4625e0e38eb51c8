#!/bin/sh
# build-base-image.sh: makes a local Debian bookworm base image for docker/Dockerfile when no
# image registry can be reached: debootstrap (minbase) into a temp dir, trimmed the way
# debian:bookworm-slim is (no docs, man pages or locales), then `docker import`.
#   sh scripts/build-base-image.sh [TAG]     (default rdslocal-base:bookworm)
# An image already tagged TAG is kept (delete it to rebuild). Concurrent runs wait on a
# lock, so parallel tests build it once. The mirror is the first Debian URI in the host's
# apt sources (else deb.debian.org); MIRROR overrides it. Needs root, debootstrap, docker.
# Prints the tag on its last line.
set -eu
TAG=${1:-rdslocal-base:bookworm}
DOCKER=${DOCKER:-docker}
LOCK=${TMPDIR:-/tmp}/rdslocal-base-image.lock

exec 9>"$LOCK"
flock 9
if $DOCKER image inspect "$TAG" >/dev/null 2>&1; then
    echo "$TAG"
    exit 0
fi
if [ -z "${MIRROR:-}" ]; then
    MIRROR=$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)$/\1/p; s/^deb  *\(http[^ ]*\/debian\)  *bookworm .*/\1/p' \
        /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -n1)
    MIRROR=${MIRROR:-http://deb.debian.org/debian}
fi
ROOT=$(mktemp -d "${TMPDIR:-/tmp}/rdslocal-base.XXXXXX")
trap 'rm -rf "$ROOT"' EXIT
# As debian:bookworm-slim: dpkg skips docs, man pages and locales in every later install.
mkdir -p "$ROOT/etc/dpkg/dpkg.cfg.d"
cat >"$ROOT/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
echo "debootstrap bookworm (minbase) from $MIRROR" >&2
debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >"$ROOT.log" 2>&1 || {
    tail -20 "$ROOT.log" >&2
    rm -f "$ROOT.log"
    exit 1
}
rm -f "$ROOT.log"
# Security updates as in the official image; the apt lists are fetched again by each build.
printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$MIRROR" "$MIRROR" >"$ROOT/etc/apt/sources.list"
SEC=$(echo "$MIRROR" | sed 's#/debian$#/debian-security#')
printf 'deb %s bookworm-security main\n' "$SEC" >>"$ROOT/etc/apt/sources.list"
# Keep the image as small as the official one: no package cache, no lists.
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/* "$ROOT"/usr/share/doc/*/[!c]* \
    "$ROOT"/usr/share/man/* "$ROOT"/usr/share/locale/*
echo 'APT::Install-Recommends "false";' >"$ROOT/etc/apt/apt.conf.d/99no-recommends"
tar -C "$ROOT" --numeric-owner -c . | $DOCKER import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - "$TAG" >/dev/null
echo "$TAG"
