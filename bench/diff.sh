#!/usr/bin/env bash
# Time and peak memory of `vpcep endpoints diff OLD NEW` over two listings of N endpoints
# (default 100,000) with 1% changed.
#
# Builds release binaries, starts vpcep-fake --generate N on a free loopback port, writes
# OLD with `vpcep endpoints list --all -o jsonl` (and the same as a `-o json` document),
# then NEW from OLD with Python: every endpoint's updated_at touched (ignored by default),
# the order shuffled, and 1% changed: N/200 with a new status and tags, N/400 removed,
# N/400 added. Runs each diff under `/usr/bin/time -v`, checks the counts it reports, and
# prints wall clock and peak RSS.
#
# Usage: bench/diff.sh [N]
# Needs /usr/bin/time (Debian package `time`) and python3. Honors CARGO_TARGET_DIR.
set -euo pipefail

N="${1:-100000}"
TOKEN="bench-token"
PROJECT="295dacf46a4842fcbf7844dc2dc2489d"

cd "$(dirname "$0")/.."
TARGET="${CARGO_TARGET_DIR:-target}"
if [ ! -x /usr/bin/time ]; then
    echo "error: /usr/bin/time is missing; install it with: apt-get install time" >&2
    exit 1
fi
cargo build --release -p vpcep-fake -p vpcep-cli --bin vpcep-fake --bin vpcep >&2

# shellcheck source=bench/fake_common.sh
source bench/fake_common.sh
fake_start "$TARGET/release/vpcep-fake" --listen 127.0.0.1:0 --generate "$N" --token "$TOKEN" || {
    echo "error: vpcep-fake did not start" >&2
    exit 1
}
VPCEP=("$TARGET/release/vpcep" --endpoint-url "$URL" --project-id "$PROJECT" --token "$TOKEN")
"${VPCEP[@]}" endpoints list --all -o jsonl >"$WORK/old.jsonl"
"${VPCEP[@]}" endpoints list --all -o json >"$WORK/old.json"
fake_stop

python3 - "$WORK/old.jsonl" "$WORK/new.jsonl" "$WORK/new.json" <<'EOF'
import json, random, sys
random.seed(23)
old = [json.loads(line) for line in open(sys.argv[1])]
n = len(old)
records = [dict(r, updated_at="2027-01-01T00:00:00Z") for r in old]
random.shuffle(records)
changed, removed, added = n // 200, n // 400, n // 400
for r in records[:changed]:
    r["status"] = "rejected" if r.get("status") != "rejected" else "accepted"
    r["tags"] = [{"key": "bench", "value": "changed"}]
records = records[changed + removed:] + records[:changed]
for i in range(added):
    records.append(dict(old[i], id=f"added-{i:08d}"))
random.shuffle(records)
with open(sys.argv[2], "w") as f:
    for r in records:
        f.write(json.dumps(r, separators=(",", ":")) + "\n")
with open(sys.argv[3], "w") as f:
    json.dump({"endpoints": records, "total_count": len(records)}, f, indent=2)
print(f"NEW: {len(records)} endpoints; {changed} changed, {removed} removed, {added} added",
      file=sys.stderr)
EOF
WANT="$((N / 400)) added, $((N / 400)) removed, $((N / 200)) changed"

ls -l "$WORK"/old.* "$WORK"/new.* | awk '{printf "%s %.1f MB\n", $NF, $5 / 1e6}' >&2
for pair in "old.jsonl new.jsonl" "old.json new.json"; do
    set -- $pair
    echo "+ /usr/bin/time -v vpcep endpoints diff $1 $2 > /dev/null" >&2
    /usr/bin/time -v "$TARGET/release/vpcep" endpoints diff "$WORK/$1" "$WORK/$2" \
        >"$WORK/diff.txt" 2>"$WORK/time.txt" || {
        cat "$WORK/time.txt" >&2
        exit 1
    }
    SUMMARY=$(tail -n 1 "$WORK/diff.txt")
    case "$SUMMARY" in
    "$WANT"*) ;;
    *) echo "error: expected '$WANT…', got '$SUMMARY'" >&2; exit 1 ;;
    esac
    PEAK_KB="$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$WORK/time.txt")"
    WALL="$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/time.txt")"
    USER_S="$(sed -n 's/^[[:space:]]*User time (seconds): //p' "$WORK/time.txt")"
    SYS_S="$(sed -n 's/^[[:space:]]*System time (seconds): //p' "$WORK/time.txt")"
    awk -v kb="$PEAK_KB" -v wall="$WALL" -v u="$USER_S" -v sy="$SYS_S" -v pair="$1 vs $2" -v s="$SUMMARY" 'BEGIN {
        printf "%s: %s\n  wall clock %s (CPU: %.2f s user + %.2f s sys), peak RSS %d KiB (%.1f MiB)\n", pair, s, wall, u, sy, kb, kb / 1024
    }'
done
