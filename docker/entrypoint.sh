#!/bin/sh
# rdslocal-entrypoint: the container's command, run by tini (PID 1, which forwards SIGTERM
# and reaps). Instances' PostgreSQL servers listen on 127.0.0.1 only (and accept TCP
# logins only from there), but published ports arrive on the container's own addresses:
# for every port of RDSLOCAL_PORT_RANGE, socat listens on each non-loopback address of the
# container and forwards to 127.0.0.1:<same port>. RDSLOCAL_FORWARD_PORTS=0 turns it off
# (e.g. with --network host). Then rdslocal replaces this shell, so tini signals it.
set -eu
range=${RDSLOCAL_PORT_RANGE:-15432-16431}
lo=${range%-*}
hi=${range#*-}
case "$lo$hi" in *[!0-9]*|'') exec rdslocal "$@" ;; esac # rdslocal reports the bad range
if [ "${RDSLOCAL_FORWARD_PORTS:-1}" != 0 ]; then
    if [ $((hi - lo)) -ge 200 ]; then
        echo "rdslocal-entrypoint: RDSLOCAL_PORT_RANGE $range has over 200 ports: one forwarder each; narrow it" >&2
    fi
    for ip in $(hostname -I); do
        case "$ip" in 127.*|*:*) continue ;; esac
        p=$lo
        while [ "$p" -le "$hi" ]; do
            # ( ... &): detached from this shell, so tini (not rdslocal) is their parent.
            (socat -lf /dev/null "TCP4-LISTEN:$p,bind=$ip,fork,reuseaddr" "TCP4:127.0.0.1:$p" &)
            p=$((p + 1))
        done
    done
fi
exec rdslocal "$@"
