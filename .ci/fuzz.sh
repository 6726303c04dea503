#!/usr/bin/env bash
# Bounded fuzzing of vpcep-client's response decoders on the STABLE toolchain
# (crates/vpcep-client/fuzz, target `decode_page`; see its README.md).
#
#   bash .ci/fuzz.sh                     # 60 s
#   FUZZ_SECONDS=600 bash .ci/fuzz.sh    # longer
#
# - installs cargo-fuzz (pinned, --locked, from crates.io) if `cargo fuzz` is missing or
#   another version;
# - builds with `--sanitizer none`: no -Zsanitizer, so no nightly. libFuzzer itself (C++)
#   is compiled by libfuzzer-sys with the system C++ compiler. A panic in the target still
#   aborts, and libFuzzer reports it as a crash;
# - fuzzes for FUZZ_SECONDS from the checked-in seeds (fuzz/corpus/decode_page/*.json,
#   *.html) plus whatever corpus earlier runs left there (git-ignored), with the JSON
#   dictionary fuzz/decode_page.dict;
# - exits non-zero on a crash, a timeout (> FUZZ_TIMEOUT s on one input) or an
#   out-of-memory; the input is saved under crates/vpcep-client/fuzz/artifacts/decode_page/
#   and the log's tail (with the panic message and backtrace) is printed.
#
# Environment: FUZZ_SECONDS (60), FUZZ_TIMEOUT (10), FUZZ_TOOLCHAIN (empty: the default
# toolchain, which on our machines is the one stable toolchain; e.g. `stable` for `+stable`),
# FUZZ_TARGET_DIR (crates/vpcep-client/fuzz/target: kept apart from the workspace's target
# dir, whose RUSTFLAGS differ), FUZZ_LOG (fuzz/target/decode_page.log).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-10}
FUZZ_TOOLCHAIN=${FUZZ_TOOLCHAIN:-}
CARGO_FUZZ_VERSION=0.13.2
target=decode_page
crate=$root/crates/vpcep-client
FUZZ_TARGET_DIR=${FUZZ_TARGET_DIR:-$crate/fuzz/target}
FUZZ_LOG=${FUZZ_LOG:-$FUZZ_TARGET_DIR/$target.log}
# An empty FUZZ_TOOLCHAIN runs plain `cargo`: whatever toolchain is the default.
tc=()
[[ -n $FUZZ_TOOLCHAIN ]] && tc=("+$FUZZ_TOOLCHAIN")
export CARGO_TERM_COLOR=never
started=$SECONDS
step() { echo "=== $* ($((SECONDS - started)) s)"; }

installed=$(cargo fuzz --version 2>/dev/null || true)
if [[ $installed != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
    step "cargo install cargo-fuzz $CARGO_FUZZ_VERSION (found: ${installed:-none})"
    cargo "${tc[@]}" install cargo-fuzz --version "=$CARGO_FUZZ_VERSION" --locked
fi

cd "$crate"
step "cargo ${tc[*]} fuzz build -s none $target"
cargo "${tc[@]}" fuzz build --sanitizer none --target-dir "$FUZZ_TARGET_DIR" "$target"

step "cargo ${tc[*]} fuzz run -s none $target, ${FUZZ_SECONDS} s (log: $FUZZ_LOG)"
mkdir -p "$(dirname "$FUZZ_LOG")" "fuzz/corpus/$target"
status=0
cargo "${tc[@]}" fuzz run --sanitizer none --target-dir "$FUZZ_TARGET_DIR" \
    "$target" "fuzz/corpus/$target" -- \
    -max_total_time="$FUZZ_SECONDS" -timeout="$FUZZ_TIMEOUT" -rss_limit_mb=2048 \
    -dict="fuzz/$target.dict" \
    -print_final_stats=1 >"$FUZZ_LOG" 2>&1 || status=$?

if [[ $status -ne 0 ]]; then
    tail -n 80 "$FUZZ_LOG"
    step "FAILED: cargo fuzz exited with $status; reproducer(s):"
    ls -l "fuzz/artifacts/$target/" 2>/dev/null || true
    exit 1
fi
# libFuzzer's summary: the seed corpus, the last status line, the final stats.
grep -E '^INFO: seed corpus|^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::' "$FUZZ_LOG" || true
step "ok: no crash in ${FUZZ_SECONDS} s"
