#!/usr/bin/env bash
# Rust client vs Huawei's official Python SDK vs plain requests, listing every endpoint
# of a local vpcep-fake (100k generated endpoints, --no-auth).
#
#   bench/client_compare.sh            # N=100000, latency runs 0 ms and 50 ms
#   N=20000 bench/client_compare.sh
#
# Figures are evidence for the README, never assertions. Needs: cargo, python3 (venv),
# optional hyperfine (apt-get install -y hyperfine); falls back to a best-of-3 loop.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${N:-100000}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
OUT=$(mktemp -d)
FAKE_PID=

cleanup() { [[ -n $FAKE_PID ]] && kill "$FAKE_PID" 2>/dev/null || true; rm -rf "$OUT"; }
trap cleanup EXIT

echo "== building (release)"
cargo build --release -q -p vpcep-fake --bin vpcep-fake
cargo build --release -q -p vpcep-client --example list_all
FAKE=$CARGO_TARGET_DIR/release/vpcep-fake
LIST=$CARGO_TARGET_DIR/release/examples/list_all

echo "== python venv (.venv-bench)"
if [[ ! -x .venv-bench/bin/python ]]; then python3 -m venv .venv-bench; fi
.venv-bench/bin/pip install -q huaweicloudsdkvpcep==3.1.219 requests
PY=.venv-bench/bin/python

start_fake() { # $1 = latency ms
  # --no-compression: on loopback bytes are free, so this compares decoding, as before the
  # fake learnt gzip; bench/network.sh measures a link, compression included.
  "$FAKE" --listen 127.0.0.1:0 --generate "$N" --no-auth --no-compression --latency-ms "$1" >"$OUT/fake.log" 2>&1 &
  FAKE_PID=$!
  for _ in $(seq 1 600); do
    URL=$(grep -o 'http://[0-9.:]*' "$OUT/fake.log" | head -1 || true)
    [[ -n $URL ]] && return 0
    sleep 0.1
  done
  echo "fake did not start" >&2; cat "$OUT/fake.log" >&2; exit 1
}
stop_fake() { kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null || true; FAKE_PID=; }

# best (lowest) elapsed seconds of 3 runs of a command printing "... in S s ..."
best_of_3() {
  local best=
  for _ in $(seq 1 "${TRIES:-3}"); do
    local s
    s=$("$@" | sed -n 's/.* in \([0-9.]*\) s .*/\1/p')
    [[ -z $s ]] && { echo "run failed: $*" >&2; exit 1; }
    if [[ -z $best ]] || awk "BEGIN{exit !($s < $best)}"; then best=$s; fi
  done
  echo "$best"
}

# mean seconds via hyperfine when installed, else best of 3
timed() {
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 1 --runs "${RUNS:-5}" --export-json "$OUT/h.json" "$*" >/dev/null 2>&1 || {
      echo "run failed: $*" >&2; exit 1; }
    python3 -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["results"][0]["mean"])' "$OUT/h.json"
  else
    best_of_3 "$@"
  fi
}

declare -A SECS
run_set() { # $1 = latency ms
  local lat=$1
  start_fake "$lat"
  echo "== fake: $N endpoints, latency ${lat} ms, $URL"
  SECS[rust1_$lat]=$(timed "$LIST" --url "$URL" --concurrency 1 --limit 1000)
  SECS[rust4_$lat]=$(timed "$LIST" --url "$URL" --concurrency 4 --limit 1000)
  SECS[rust16_$lat]=$(timed "$LIST" --url "$URL" --concurrency 16 --limit 1000)
  # Python runs are slow (the official SDK lists a few thousand endpoints/s): requests is
  # best of REQ_RUNS (default 3), the SDK best of SDK_RUNS (default 1), the SDK at 50 ms
  # only with SDK_LATENCY=1.
  SECS[req_$lat]=$(TRIES=${REQ_RUNS:-3} best_of_3 "$PY" bench/python_requests_list.py "$URL")
  if [[ $lat == 0 || ${SDK_LATENCY:-0} == 1 ]]; then
    SECS[sdk_$lat]=$(TRIES=${SDK_RUNS:-1} best_of_3 "$PY" bench/python_sdk_list.py "$URL")
  else
    SECS[sdk_$lat]=-
  fi
  stop_fake
}

run_set 0
run_set 50

eps() { [[ $1 == - ]] && { echo -; return; }; awk "BEGIN{printf \"%.0f\", $N / $1}"; }
ratio() { [[ $1 == - || $2 == - ]] && { echo -; return; }; awk "BEGIN{printf \"%.1f\", $2 / $1}"; }

echo
echo "N=$N endpoints, limit=1000 (100 pages), $(nproc) cores, timer: $(command -v hyperfine >/dev/null && echo "hyperfine mean (rust), best of ${REQ_RUNS:-3} (requests) and ${SDK_RUNS:-1} (SDK)" || echo 'best of 3')"
printf '| %-28s | %12s | %10s | %12s | %10s |\n' client "s (0 ms)" "endpoints/s" "s (50 ms)" "endpoints/s"
printf '|%s|%s|%s|%s|%s|\n' ------------------------------ -------------- ------------ -------------- ------------
for k in rust1 rust4 rust16 sdk req; do
  case $k in
    rust1) name="rust list_all, concurrency 1" ;;
    rust4) name="rust list_all, default (4)" ;;
    rust16) name="rust list_all, concurrency 16" ;;
    sdk) name="python official SDK" ;;
    req) name="python requests + json" ;;
  esac
  printf '| %-28s | %12s | %10s | %12s | %10s |\n' "$name" "${SECS[${k}_0]}" "$(eps "${SECS[${k}_0]}")" \
    "${SECS[${k}_50]}" "$(eps "${SECS[${k}_50]}")"
done
echo
echo "ratios (endpoints/s), 0 ms latency:"
echo "  rust c=1  vs official SDK: $(ratio "${SECS[rust1_0]}" "${SECS[sdk_0]}")x   (target >= 30x)"
echo "  rust c=16 vs official SDK: $(ratio "${SECS[rust16_0]}" "${SECS[sdk_0]}")x"
echo "  rust c=4  vs official SDK: $(ratio "${SECS[rust4_0]}" "${SECS[sdk_0]}")x   (list_all's default concurrency)"
echo "  rust c=1  vs requests:     $(ratio "${SECS[rust1_0]}" "${SECS[req_0]}")x   (target >= 4x)"
echo "  rust c=4  vs requests:     $(ratio "${SECS[rust4_0]}" "${SECS[req_0]}")x   (list_all's default concurrency)"
echo "  rust c=16 vs requests:     $(ratio "${SECS[rust16_0]}" "${SECS[req_0]}")x"
echo "50 ms latency:"
echo "  rust c=16: ${SECS[rust16_50]} s (target < 0.6 s); rust c=1: ${SECS[rust1_50]} s (expected > 5 s)"
echo "  rust c=16 vs official SDK: $(ratio "${SECS[rust16_50]}" "${SECS[sdk_50]}")x; vs requests: $(ratio "${SECS[rust16_50]}" "${SECS[req_50]}")x"
