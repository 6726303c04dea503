#!/usr/bin/env bash
# Load benchmark of vpcep-fake: requests/s for limit=10 and limit=1000 pages over
# 100,000 generated endpoints, with wrk (Debian package `wrk`), 16 connections, ~10 s each.
# Also reports the time from launch to "listening on" (indexing 100,000 endpoints).
# Loopback only; the fake is always stopped at the end.
#
#   bench/fake_load.sh            # DURATION=10s CONNECTIONS=16 THREADS=2 N=100000
#   BIN=path/to/vpcep-fake bench/fake_load.sh   # another build (e.g. main's), no build
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
N=${N:-100000}

command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }
if [ -z "${BIN:-}" ]; then
    cargo build --release -p vpcep-fake
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/vpcep-fake"
fi

. "$ROOT/bench/fake_common.sh"
fake_start "$BIN" --listen 127.0.0.1:0 --no-auth --generate "$N" || { echo "fake did not start" >&2; exit 1; }
echo "fake ready at $URL after ${READY_MS} ms ($N endpoints; $(head -n1 "$WORK/err"))"

LIST="$URL/v1/295dacf46a4842fcbf7844dc2dc2489d/vpc-endpoints"
run() {
    local name=$1 url=$2
    local bytes
    bytes=$(curl -s "$url" | wc -c)
    echo "== $name ($bytes bytes per response): wrk -t$THREADS -c$CONNECTIONS -d$DURATION '$url'"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url" \
        | grep -E "Requests/sec|Transfer/sec|Latency|50%|99%|Non-2xx|Socket errors|requests in"
}
run "limit=10" "$LIST?limit=10"
run "limit=1000" "$LIST?limit=1000"
run "limit=1000 offset=99000 sort_key=update_at asc" "$LIST?limit=1000&offset=99000&sort_key=update_at&sort_dir=asc"
run "filtered: endpoint_service_name=payments limit=1000" "$LIST?limit=1000&endpoint_service_name=payments"
