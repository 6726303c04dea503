#!/usr/bin/env bash
# vpcep-fake checks against code we did not write:
#   * Huawei's official Python SDK (tests/python, pytest) — it starts its own fakes; our
#     credential providers read the same files and metadata as its providers;
#   * schemathesis against a running fake, with openapi/vpcep.yaml.
# Idempotent: creates or reuses .venv, installs the pinned tests/requirements-fake.txt,
# builds the release fake, runs everything, and always stops the fake it started.
# Binds to 127.0.0.1 only; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r tests/requirements-fake.txt

cargo build --release -p vpcep-fake
# The CLI and our chain's probe, for the credential cross-checks (tests/python/test_credentials.py).
cargo build --release -p vpcep-cli -p vpcep-integration-tests --bin vpcep --bin vpcep-creds-probe --bin vpcep-region-probe
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
export VPCEP_FAKE_BIN="$TARGET_DIR/release/vpcep-fake"
export VPCEP_BIN="$TARGET_DIR/release/vpcep"
export VPCEP_PROBE_BIN="$TARGET_DIR/release/vpcep-creds-probe"
export VPCEP_REGION_PROBE_BIN="$TARGET_DIR/release/vpcep-region-probe"

WORK=$(mktemp -d)
FAKE_PID=""
cleanup() {
    if [ -n "$FAKE_PID" ] && kill -0 "$FAKE_PID" 2>/dev/null; then
        kill "$FAKE_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$FAKE_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$FAKE_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

echo "== pytest: official Huawei SDK against vpcep-fake"
.venv/bin/python -m pytest -q tests/python

echo "== schemathesis against vpcep-fake"
TOKEN="schemathesis-token"
"$VPCEP_FAKE_BIN" --listen 127.0.0.1:0 --token "$TOKEN" --generate 2500 --seed 1 \
    >"$WORK/fake.out" 2>"$WORK/fake.err" &
FAKE_PID=$!
URL=""
for _ in $(seq 1 300); do   # up to 30 s
    URL=$(sed -n 's/^listening on //p' "$WORK/fake.out" | head -n1)
    [ -n "$URL" ] && break
    kill -0 "$FAKE_PID" 2>/dev/null || { cat "$WORK/fake.err" >&2; echo "vpcep-fake exited" >&2; exit 1; }
    sleep 0.1
done
if [ -z "$URL" ]; then
    cat "$WORK/fake.err" >&2
    echo "vpcep-fake did not print its URL in time" >&2
    exit 1
fi
echo "fake at $URL"
# Every check (server errors, documented status codes, response schemas and headers,
# negative data rejected, positive data accepted, auth not ignored, …); bounded examples.
timeout 900 .venv/bin/schemathesis run openapi/vpcep.yaml \
    --url "$URL" \
    -H "X-Auth-Token: $TOKEN" \
    --checks all \
    --max-examples 50 \
    --seed 1 \
    --workers 1 \
    --request-timeout 10
echo "schemathesis: passed"
