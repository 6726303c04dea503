#!/usr/bin/env bash
# Size of vpcep-fake (issue 19 item 13): for each binary and each N, the time from
# launch to "listening on" with --generate N, then, once its background work is done
# (CPU idle for 1 s) and after one filtered and one plain page, its RSS (VmRSS) and peak
# RSS (VmHWM); bytes per endpoint = (RSS - RSS with --generate 0) / N. Loopback only.
#
#   bench/fake_size.sh [BIN...]      # SIZES="100000 1000000 5000000"; default BIN: a release build
#   LIMIT_MIB=3072 bench/fake_size.sh BIN   # under `ulimit -v` (a fake that needs more fails to start)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SIZES=${SIZES:-100000 1000000 5000000}

if [ $# -eq 0 ]; then
    cargo build --release -p vpcep-fake
    set -- "${CARGO_TARGET_DIR:-$ROOT/target}/release/vpcep-fake"
fi

. "$ROOT/bench/fake_common.sh"

kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# Starts BIN with --generate N; sets URL, READY_MS, RSS_KIB, HWM_KIB.
measure() {
    local bin=$1 n=$2
    local run=("$bin" --listen 127.0.0.1:0 --no-auth --generate "$n")
    if [ -n "${LIMIT_MIB:-}" ]; then
        run=(sh -c "ulimit -v $((LIMIT_MIB * 1024)) && exec \"\$0\" \"\$@\"" "${run[@]}")
    fi
    fake_start "${run[@]}" || return 1
    local list="$URL/v1/295dacf46a4842fcbf7844dc2dc2489d/vpc-endpoints"
    curl -s -o /dev/null "$list?endpoint_service_name=payments&limit=1"
    curl -s -o /dev/null "$list?limit=1000"
    local before after
    before=$(cpu "$FAKE_PID")
    while sleep 1; after=$(cpu "$FAKE_PID"); [ "$after" != "$before" ]; do before=$after; done
    RSS_KIB=$(kib "$FAKE_PID" VmRSS)
    HWM_KIB=$(kib "$FAKE_PID" VmHWM)
    fake_stop
}

for BIN in "$@"; do
    measure "$BIN" 0
    empty=$RSS_KIB
    for n in $SIZES; do
        if measure "$BIN" "$n"; then
            per=$(( (RSS_KIB - empty) * 1024 / n ))
            echo "$(basename "$BIN") --generate $n: listening after ${READY_MS} ms; RSS $((RSS_KIB / 1024)) MiB ($per bytes per endpoint), peak $((HWM_KIB / 1024)) MiB"
        else
            echo "$(basename "$BIN") --generate $n: did not start"
        fi
    done
done
