#!/usr/bin/env bash
# Issue 20's figures (a listing is complete, or says it is not):
#
#   1. list-all of 100,000 endpoints on loopback (`vpcep-fake --generate 100000 --no-auth
#      --no-compression`, `examples/list_all`), this build against an earlier one, runs
#      alternating on the same fake: what the guarantee (overlapping pages) and the receipt
#      cost on a listing without churn or faults;
#   2. the extra requests repair costs with churn of 1% of the endpoints during a 100k walk
#      (`--churn-per-request 10`: ~100 pages, so ~1,000 created and ~1,000 deleted);
#   3. the slow link of the issue (`--bandwidth-mbps 3`, 20,000 endpoints without gzip, 20
#      pages of ~800 KB, `vpcep --all --concurrency 64`): bytes the fake sent against the
#      listing's size, and the time (a page downloaded twice shows as extra bytes).
#
#   BEFORE=/path/to/dir bench/listing.sh     # dir with list_all, vpcep, vpcep-fake built
#                                            # from the earlier commit (release)
#   RUNS=5 SEEDS="1 2 3" SLOW=0 bench/listing.sh
#
# Figures are evidence for bench/README.md, never assertions.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
RUNS=${RUNS:-5}
SEEDS=${SEEDS-"1 2 3"}
SLOW=${SLOW:-1}
OUT=$(mktemp -d)
FAKE_PID=

cleanup() { [[ -n $FAKE_PID ]] && kill "$FAKE_PID" 2>/dev/null || true; rm -rf "$OUT"; }
trap cleanup EXIT

echo "== building (release)" >&2
cargo build --release -q -p vpcep-fake --bin vpcep-fake -p vpcep-cli
cargo build --release -q -p vpcep-client --example list_all
FAKE=$CARGO_TARGET_DIR/release/vpcep-fake
LIST=$CARGO_TARGET_DIR/release/examples/list_all
VPCEP=$CARGO_TARGET_DIR/release/vpcep

start_fake() { # FAKE-BINARY ARGS...: starts it, sets URL
  local bin=$1; shift
  "$bin" --listen 127.0.0.1:0 --no-auth "$@" >"$OUT/fake.out" 2>"$OUT/fake.err" &
  FAKE_PID=$!
  for _ in $(seq 1 600); do
    URL=$(grep -o 'http://[0-9.:]*' "$OUT/fake.out" | head -1 || true)
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
  echo "${bytes:-?}"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
seconds() { sed -n 's/.* in \([0-9.]*\) s .*/\1/p' | head -1; }
json_field() { python3 -c "import json,sys; r=json.loads(sys.stdin.read().splitlines()[1]); print($1)"; }

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "## 1. list-all, 100,000 endpoints, no churn, loopback, pages of 1000 (median of $RUNS)"
start_fake "$FAKE" --generate 100000 --no-compression
# one run of a list_all binary: "WALL CPU" seconds (CPU: user + system of the process)
one_run() {
  /usr/bin/time -f '%U %S' -o "$OUT/time" "$1" --url "$URL" --concurrency "$2" --limit 1000 \
    >"$OUT/run"
  echo "$(seconds <"$OUT/run") $(awk '{print $1 + $2}' "$OUT/time")"
}
for c in 4 8; do
  : >"$OUT/after"; : >"$OUT/before"
  for _ in $(seq 1 "$RUNS"); do
    if [[ -n ${BEFORE:-} ]]; then one_run "$BEFORE/list_all" "$c" >>"$OUT/before"; fi
    one_run "$LIST" "$c" >>"$OUT/after"
  done
  for build in after before; do
    [[ -s $OUT/$build ]] || continue
    printf 'concurrency %s, %-6s: wall median %s s (min %s), CPU median %s s; walls: %s\n' "$c" "$build" \
      "$(cut -d' ' -f1 "$OUT/$build" | median)" "$(cut -d' ' -f1 "$OUT/$build" | sort -g | head -1)" \
      "$(cut -d' ' -f2 "$OUT/$build" | median)" "$(cut -d' ' -f1 "$OUT/$build" | tr '\n' ' ')"
  done
done
"$LIST" --url "$URL" --concurrency 8 --limit 1000 --receipt >"$OUT/clean.txt"
echo "receipt: $(sed -n 2p "$OUT/clean.txt")"
stop_fake >/dev/null

echo
echo "## 2. churn: 10 created and 10 deleted per page served during a 100k walk (~1%), concurrency 8"
for seed in $SEEDS; do
  start_fake "$FAKE" --generate 100000 --no-compression --churn-per-request 10 --seed "$seed"
  "$LIST" --url "$URL" --concurrency 8 --limit 1000 --receipt >"$OUT/churn.txt"
  stop_fake >/dev/null
  r=$(cat "$OUT/churn.txt")
  echo "seed $seed: $(echo "$r" | head -1 | sed 's/^rust list_all //')"
  echo "  pages $(echo "$r" | json_field 'r["pages_fetched"]'), of which again $(echo "$r" | json_field 'r["pages_fetched_again"]'), gaps repaired $(echo "$r" | json_field 'r["repairs"]'), final overlap $(echo "$r" | json_field 'r["overlap"]'), complete $(echo "$r" | json_field 'r["complete"]')"
done
echo "(without churn: $(json_field 'r["pages_fetched"]' <"$OUT/clean.txt") pages)"

if [[ $SLOW == 1 ]]; then
  echo
  echo "## 3. slow link: 3 Mbit/s, 20,000 endpoints, no gzip, vpcep --all -o jsonl"
  start_fake "$FAKE" --generate 20000 --no-compression
  "${BEFORE:-$CARGO_TARGET_DIR/release}/vpcep" --endpoint-url "$URL" --project-id p \
    --token t endpoints list --all --concurrency 1 -o jsonl >/dev/null
  size=$(stop_fake)
  echo "the listing's size, read once in order (20 pages): $size bytes"
  for build in after before; do
    if [[ $build == before ]]; then
      [[ -n ${BEFORE:-} ]] || continue
      bin=$BEFORE/vpcep
    else
      bin=$VPCEP
    fi
    for c in 8 64; do
      start_fake "$FAKE" --generate 20000 --no-compression --bandwidth-mbps 3
      start=$(date +%s.%N)
      code=0
      "$bin" --endpoint-url "$URL" --project-id p --token t endpoints list --all \
        --concurrency "$c" -o jsonl >/dev/null 2>"$OUT/cli.err" || code=$?
      end=$(date +%s.%N)
      bytes=$(stop_fake)
      printf '%s, concurrency %s: exit %s, %.1f s, %s bytes sent (%.2f x the listing)\n' \
        "$build" "$c" "$code" "$(echo "$end - $start" | bc)" "$bytes" \
        "$(echo "$bytes / $size" | bc -l)"
      [[ -s $OUT/cli.err ]] && sed 's/^/    /' "$OUT/cli.err"
    done
  done
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
