#!/bin/sh
# Rewrites the coverage block of COVERAGE.md from `rdslocal --coverage-table`.
# Usage: tools/update_coverage.sh [path/to/rdslocal]
set -eu
bin=${1:-build/rdslocal}
tmp=$(mktemp)
"$bin" --coverage-table > "$tmp"
awk -v table="$tmp" '
  /<!-- coverage:begin -->/ { print; while ((getline line < table) > 0) print line; skip=1; next }
  /<!-- coverage:end -->/ { skip=0 }
  !skip { print }' COVERAGE.md > COVERAGE.md.new
mv COVERAGE.md.new COVERAGE.md
rm -f "$tmp"
