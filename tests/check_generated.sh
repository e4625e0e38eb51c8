#!/bin/sh
# check_generated.sh PYTHON SRC [CC]: regenerates server/generated/<svc>_model.{c,h} and
# include/rdslocal/errors.def from the installed botocore into a temp dir and fails on
# any difference with the committed files. Also checks that the generator is not
# RDS-specific: it must run for secretsmanager, sts and sns (output not committed) and,
# given CC, its output must compile.
set -eu
py=$1
src=$2
cc=${3:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for svc in rds kms secretsmanager; do
    "$py" "$src/tools/gen_api_model.py" "$svc" --out "$tmp"
    for ext in c h; do
        if ! diff -u "$src/server/generated/${svc}_model.$ext" "$tmp/${svc}_model.$ext" >"$tmp/diff" 2>&1; then
            echo "server/generated/${svc}_model.$ext is stale: run tools/gen_api_model.py $svc" >&2
            head -40 "$tmp/diff" >&2
            status=1
        fi
    done
done
"$py" "$src/tools/gen_errors.py" rds kms secretsmanager >"$tmp/errors.def"
if ! diff -u "$src/include/rdslocal/errors.def" "$tmp/errors.def" >"$tmp/diff" 2>&1; then
    echo "include/rdslocal/errors.def is stale: run tools/gen_errors.py rds kms secretsmanager" >&2
    head -40 "$tmp/diff" >&2
    status=1
fi
for svc in secretsmanager sts sns; do
    mkdir -p "$tmp/$svc"
    "$py" "$src/tools/gen_api_model.py" "$svc" --out "$tmp/$svc"
    test -s "$tmp/$svc/${svc}_model.c" && test -s "$tmp/$svc/${svc}_model.h" || {
        echo "generator produced nothing for $svc" >&2
        status=1
    }
    if [ -n "$cc" ]; then
        "$cc" -std=c11 -Wall -Wextra -Werror -fsyntax-only -I"$src/server" -I"$tmp/$svc" \
            "$tmp/$svc/${svc}_model.c" || { echo "generated ${svc}_model.c does not compile" >&2; status=1; }
    fi
done
"$py" "$src/tools/gen_errors.py" rds kms secretsmanager sts sns >/dev/null
exit $status
