#!/bin/sh
# Checks that COVERAGE.md contains, verbatim, the coverage table `rdslocal --coverage-table`
# prints from the action table (so the docs can't claim an operation works, or miss one).
# Regenerate it with: tools/update_coverage.sh
set -eu
bin=$1 doc=$2
tmp=$(mktemp)
"$bin" --coverage-table > "$tmp"
if awk '/<!-- coverage:begin -->/{f=1;next} /<!-- coverage:end -->/{f=0} f' "$doc" | cmp -s - "$tmp"; then
    echo "1 passed, 0 failed"
    rm -f "$tmp"
else
    echo "COVERAGE.md differs from 'rdslocal --coverage-table':"
    awk '/<!-- coverage:begin -->/{f=1;next} /<!-- coverage:end -->/{f=0} f' "$doc" | diff - "$tmp" | head -20
    echo "0 passed, 1 failed"
    rm -f "$tmp"
    exit 1
fi
