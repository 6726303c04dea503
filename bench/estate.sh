#!/usr/bin/env bash
# Issue 22's benchmark: one listing of 120 targets (30 regions x 2 projects x 2 accounts,
# the second account through its IAM agency) of 1,000 endpoints each, 50 ms latency per
# VPCEP request from the fake's organisation; beside it, in the same run, a shell loop of
# single-target `vpcep` calls over the same 120 targets, sequential and `xargs -P 8`.
#
# Prints, per run: wall time, peak RSS (from /usr/bin/time -v), lines written; and the
# fleet's floor: every target needs one request (1,000 endpoints, limit 1000), so with
# 120 targets under the global cap of 16 requests in flight the floor is
# ceil(120 / 16) x 50 ms = 400 ms of round trips.
#
# Usage: bench/estate.sh [RUNS]   (default 3; honours CARGO_TARGET_DIR)
# Needs /usr/bin/time (Debian package `time`).
set -euo pipefail

RUNS="${1:-3}"
REGIONS=30
LATENCY_MS=50
cd "$(dirname "$0")/.."
TARGET="${CARGO_TARGET_DIR:-target}"

cargo build --release -p vpcep-fake --bin vpcep-fake-org -p vpcep-cli --bin vpcep >&2

WORK="$(mktemp -d)"
ORG_PID=""
cleanup() {
    if [ -n "$ORG_PID" ]; then
        kill "$ORG_PID" 2>/dev/null || true
        wait "$ORG_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

"$TARGET/release/vpcep-fake-org" --accounts 2 --regions "$REGIONS" --sub-projects 1 \
    --endpoints 1000 --latency-ms "$LATENCY_MS" \
    --env-file "$WORK/org.env" --targets-file "$WORK/targets" >"$WORK/org.out" 2>&1 &
ORG_PID=$!
for _ in $(seq 1 600); do
    grep -q '^listening on ' "$WORK/org.out" 2>/dev/null && break
    kill -0 "$ORG_PID" 2>/dev/null || { cat "$WORK/org.out" >&2; exit 1; }
    sleep 0.1
done
# shellcheck disable=SC1091
source "$WORK/org.env"
export HOME="$WORK" HUAWEICLOUD_SDK_AK=AK-ACCT-0 HUAWEICLOUD_SDK_SK=SK-ACCT-0
VPCEP="$TARGET/release/vpcep"
echo "targets: $(wc -l <"$WORK/targets"), floor: ceil($(wc -l <"$WORK/targets") / 16) x ${LATENCY_MS} ms"

# Warm the fake's page cache (it renders and gzips each page once).
"$VPCEP" --region all --agency acct-1/vpcep-reader endpoints list --all -o ids >/dev/null

measure() { # label, command...
    local label="$1"
    shift
    /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" || {
        echo "$label: exit $?" >&2
        tail -5 "$WORK/err" >&2
    }
    read -r wall rss <"$WORK/time"
    printf '%-34s wall %6.2f s  peak RSS %6.1f MB  lines %s\n' "$label" "$wall" \
        "$(echo "$rss / 1024" | bc -l)" "$(wc -l <"$WORK/out")"
}

single() { # AK SK REGION PROJECT
    HUAWEICLOUD_SDK_AK="$1" HUAWEICLOUD_SDK_SK="$2" "$VPCEP" --region "$3" --project-id "$4" \
        endpoints list --all -o jsonl
}
export -f single
export VPCEP

for run in $(seq 1 "$RUNS"); do
    echo "run $run"
    measure "estate (--region all --agency), jsonl" \
        "$VPCEP" --region all --agency acct-1/vpcep-reader endpoints list --all -o jsonl
    measure "estate, ids" \
        "$VPCEP" --region all --agency acct-1/vpcep-reader endpoints list --all -o ids
    measure "loop of 120 vpcep, sequential" \
        bash -c 'while read -r ak sk region project; do single "$ak" "$sk" "$region" "$project"; done <"$0"' \
        "$WORK/targets"
    measure "loop of 120 vpcep, xargs -P 8" \
        bash -c 'xargs -P 8 -L 1 bash -c '"'"'single "$@"'"'"' _ <"$0"' "$WORK/targets"
done
