#!/usr/bin/env bash
# List-all over a WAN-like link: the fake with --latency-ms 50 --bandwidth-mbps 100 (gzip
# when asked), 100,000 generated endpoints, pages of 1000; side by side in one run:
#   vpcep CLI (default, concurrency 16 and 64, compression off), Huawei's official Python
#   SDK, Python requests + json.
# For each: wall time, bytes on the wire (what the fake sent, from its exit line), peak RSS
# (/usr/bin/time -v), and the floor of that link for the client's concurrency:
#   floor = L + b1/BW + max(ceil((P-1)/c) * L, (B - b1)/BW)
# with L the latency, P the pages, c the concurrency, B the bytes sent, b1 = B/P (the first
# page, which list-all fetches alone to learn total_count) and BW the bandwidth: the round
# trips at that concurrency overlapped with the bytes through the link (for a sequential
# client, c = 1: P * L + B/BW).
#
#   bench/network.sh                    # N=100000, SDK_N=N
#   SDK_N=20000 bench/network.sh        # bound the official SDK's run (scaled, stated)
#
# Figures are evidence for bench/README.md, never assertions. Needs cargo, python3 (venv),
# /usr/bin/time (apt-get install -y time). Honors CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${N:-100000}
SDK_N=${SDK_N:-$N}
LATENCY_MS=${LATENCY_MS:-50}
MBPS=${MBPS:-100}
TOKEN=bench-token
PROJECT=295dacf46a4842fcbf7844dc2dc2489d
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
OUT=$(mktemp -d)
FAKE_PID=

cleanup() { [[ -n $FAKE_PID ]] && kill "$FAKE_PID" 2>/dev/null || true; rm -rf "$OUT"; }
trap cleanup EXIT

[[ -x /usr/bin/time ]] || { echo "error: /usr/bin/time is missing (apt-get install -y time)" >&2; exit 1; }

echo "== building (release)" >&2
cargo build --release -q -p vpcep-fake -p vpcep-cli
FAKE=$CARGO_TARGET_DIR/release/vpcep-fake
VPCEP=$CARGO_TARGET_DIR/release/vpcep

echo "== python venv (.venv-bench)" >&2
if [[ ! -x .venv-bench/bin/python ]]; then python3 -m venv .venv-bench; fi
.venv-bench/bin/pip install -q huaweicloudsdkvpcep==3.1.219 requests
PY=.venv-bench/bin/python

start_fake() { # $1 = endpoints
  "$FAKE" --listen 127.0.0.1:0 --generate "$1" --no-auth --latency-ms "$LATENCY_MS" \
    --bandwidth-mbps "$MBPS" >"$OUT/fake.out" 2>"$OUT/fake.err" &
  FAKE_PID=$!
  for _ in $(seq 1 600); do
    URL=$(sed -n 's/^listening on //p' "$OUT/fake.out" | head -1)
    [[ -n $URL ]] && return 0
    sleep 0.1
  done
  echo "fake did not start" >&2; cat "$OUT/fake.err" >&2; exit 1
}
stop_fake() { # prints the bytes the fake sent
  kill -TERM "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null || true; FAKE_PID=
  local bytes=
  for _ in $(seq 1 50); do
    bytes=$(sed -n 's/.*stopped; \([0-9]*\) bytes sent.*/\1/p' "$OUT/fake.err")
    [[ -n $bytes ]] && break
    sleep 0.1
  done
  [[ -n $bytes ]] || { echo "the fake did not report its bytes:" >&2; cat "$OUT/fake.err" >&2; exit 1; }
  echo "$bytes"
}

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
ROWS=()
# run NAME ENDPOINTS CONCURRENCY -- command... (the command gets the URL as $URL via a placeholder)
run() {
  local name=$1 n=$2 c=$3; shift 4
  start_fake "$n"
  local cmd=("${@//@URL@/$URL}")
  echo "+ ${cmd[*]}" >&2
  /usr/bin/time -v "${cmd[@]}" >"$OUT/stdout" 2>"$OUT/time.txt" || {
    echo "run failed: ${cmd[*]}" >&2; cat "$OUT/time.txt" >&2; exit 1; }
  local bytes; bytes=$(stop_fake)
  local kb wall cpu
  cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$OUT/time.txt")
  kb=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$OUT/time.txt")
  wall=$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$OUT/time.txt" |
    awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
  ROWS+=("$(awk -v name="$name" -v n="$n" -v c="$c" -v wall="$wall" -v bytes="$bytes" -v kb="$kb" -v cpu="$cpu" \
    -v lat="$LATENCY_MS" -v mbps="$MBPS" 'BEGIN {
      L = lat / 1000; bw = mbps * 1e6 / 8; p = int((n + 999) / 1000); b1 = bytes / p
      rounds = int((p - 1 + c - 1) / c); rest = (bytes - b1) / bw
      floor = L + b1 / bw + (rounds * L > rest ? rounds * L : rest)
      if (c == 1) floor = p * L + bytes / bw   # one request at a time: nothing overlaps
      printf "| %-40s | %7d | %6.2f | %7.1f | %7.2f | %5.2fx | %6.2f | %7.1f |", name, n, wall, bytes / 1e6, floor, wall / floor, cpu, kb / 1024
    }')")
  echo "${ROWS[-1]}" >&2
}

run "vpcep (default: gzip, concurrency 4)" "$N" 4 -- "$VPCEP" --endpoint-url @URL@ --project-id "$PROJECT" \
  --token "$TOKEN" endpoints list --all --output jsonl
run "vpcep --concurrency 16" "$N" 16 -- "$VPCEP" --endpoint-url @URL@ --project-id "$PROJECT" \
  --token "$TOKEN" endpoints list --all --concurrency 16 --output jsonl
run "vpcep --concurrency 64" "$N" 64 -- "$VPCEP" --endpoint-url @URL@ --project-id "$PROJECT" \
  --token "$TOKEN" endpoints list --all --concurrency 64 --output jsonl
run "vpcep --no-compression" "$N" 4 -- "$VPCEP" --endpoint-url @URL@ --project-id "$PROJECT" \
  --token "$TOKEN" --no-compression endpoints list --all --output jsonl
run "vpcep --no-compression --concurrency 16" "$N" 16 -- "$VPCEP" --endpoint-url @URL@ --project-id "$PROJECT" \
  --token "$TOKEN" --no-compression endpoints list --all --concurrency 16 --output jsonl
run "python requests + json (gzip)" "$N" 1 -- "$PY" bench/python_requests_list.py @URL@
run "python official SDK 3.1.219" "$SDK_N" 1 -- "$PY" bench/python_sdk_list.py @URL@

echo
echo "list-all over ${LATENCY_MS} ms latency and ${MBPS} Mbit/s (vpcep-fake), pages of 1000, $(nproc) cores"
echo "load average before: $LOAD0"
printf '| %-40s | %7s | %6s | %7s | %7s | %6s | %6s | %7s |\n' client endpoints "wall s" "MB sent" "floor s" "/floor" "CPU s" "RSS MiB"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' ------------------------------------------ --------- -------- --------- --------- -------- -------- ---------
printf '%s\n' "${ROWS[@]}"
