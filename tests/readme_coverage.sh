#!/bin/sh
# Checks that README.md contains, verbatim, the coverage table `rdslocal --coverage-table`
# prints from the action table (so the README can't claim an operation works, or miss one).
# Regenerate the README block with: tools/update_readme_coverage.sh
set -eu
bin=$1 readme=$2
tmp=$(mktemp)
"$bin" --coverage-table > "$tmp"
if awk '/<!-- coverage:begin -->/{f=1;next} /<!-- coverage:end -->/{f=0} f' "$readme" | cmp -s - "$tmp"; then
    echo "1 passed, 0 failed"
    rm -f "$tmp"
else
    echo "README coverage table differs from 'rdslocal --coverage-table':"
    awk '/<!-- coverage:begin -->/{f=1;next} /<!-- coverage:end -->/{f=0} f' "$readme" | diff - "$tmp" | head -20
    echo "0 passed, 1 failed"
    rm -f "$tmp"
    exit 1
fi
