#!/usr/bin/env bash
# Peak memory of `vpcep endpoints list --all --output jsonl` over 100,000 endpoints.
#
# Builds release binaries of vpcep-fake and vpcep, starts the fake on a free loopback port
# with --generate N (default 100000), runs the CLI under `/usr/bin/time -v` with stdout to
# /dev/null, prints the peak RSS, then checks the line count in a second run.
#
# Usage: bench/cli_jsonl_memory.sh [N] [CONCURRENCY]
# Needs /usr/bin/time (Debian package `time`). Honors CARGO_TARGET_DIR.
set -euo pipefail

N="${1:-100000}"
CONCURRENCY="${2:-4}"
TOKEN="bench-token"
PROJECT="295dacf46a4842fcbf7844dc2dc2489d"

cd "$(dirname "$0")/.."
TARGET="${CARGO_TARGET_DIR:-target}"

if [ ! -x /usr/bin/time ]; then
    echo "error: /usr/bin/time is missing; install it with: apt-get install time" >&2
    exit 1
fi

cargo build --release -p vpcep-fake -p vpcep-cli >&2

WORK="$(mktemp -d)"
FAKE_PID=""
cleanup() {
    if [ -n "$FAKE_PID" ]; then
        kill "$FAKE_PID" 2>/dev/null || true
        wait "$FAKE_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

"$TARGET/release/vpcep-fake" --listen 127.0.0.1:0 --generate "$N" --token "$TOKEN" \
    >"$WORK/fake.out" 2>"$WORK/fake.err" &
FAKE_PID=$!

URL=""
for _ in $(seq 1 600); do
    URL="$(sed -n 's/^listening on //p' "$WORK/fake.out" | head -n1)"
    [ -n "$URL" ] && break
    if ! kill -0 "$FAKE_PID" 2>/dev/null; then
        echo "error: vpcep-fake exited:" >&2
        cat "$WORK/fake.err" >&2
        exit 1
    fi
    sleep 0.1
done
if [ -z "$URL" ]; then
    echo "error: vpcep-fake did not start within 60 s" >&2
    exit 1
fi
echo "vpcep-fake: $N endpoints at $URL" >&2

VPCEP=("$TARGET/release/vpcep" --endpoint-url "$URL" --project-id "$PROJECT" --token "$TOKEN"
    endpoints list --all --concurrency "$CONCURRENCY" --output jsonl)

echo "+ /usr/bin/time -v ${VPCEP[*]} > /dev/null" >&2
/usr/bin/time -v "${VPCEP[@]}" >/dev/null 2>"$WORK/time.txt" || {
    echo "error: vpcep failed:" >&2
    cat "$WORK/time.txt" >&2
    exit 1
}
PEAK_KB="$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$WORK/time.txt")"
WALL="$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/time.txt")"

LINES="$("${VPCEP[@]}" | wc -l)"
if [ "$LINES" -ne "$N" ]; then
    echo "error: expected $N lines, got $LINES" >&2
    exit 1
fi

awk -v kb="$PEAK_KB" -v n="$N" -v wall="$WALL" -v c="$CONCURRENCY" 'BEGIN {
    printf "endpoints: %d (lines checked)\nconcurrency: %d\nwall clock: %s\npeak RSS: %d KiB (%.1f MiB)\n", n, c, wall, kb, kb / 1024
}'
