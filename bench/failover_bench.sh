#!/bin/sh
# failover_bench.sh: Multi-AZ failover timings and idle memory (issue 10 part 7); see
# failover_bench.py for what is measured. Needs a built ./build/rdslocal, psql and the
# pyenv python with boto3. RUNS=10 by default; about 2-3 minutes.
#   RDSLOCAL_TEMPLATE_DIR=/tmp/tpl-$USER bench/failover_bench.sh
set -eu
cd "$(dirname "$0")/.."
exec "${PYTHON:-python3}" bench/failover_bench.py "$@"
