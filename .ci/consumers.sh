#!/usr/bin/env bash
# Consumer conformance (tests/consumers, see its README): clients generated from
# openapi/vpcep.json by other teams' tools, type-checked strictly and run against vpcep-fake.
#   openapi-python-client, datamodel-code-generator (pydantic v2), OpenAPI Generator python:
#     .venv-consumers, mypy --strict, pytest
#   openapi-typescript + openapi-fetch, @hey-api/openapi-ts + zod, OpenAPI Generator
#     typescript-fetch: npm ci, tsc (strict), node --test
#   OpenAPI Generator rust: cargo test --locked (own target dir under $CARGO_TARGET_DIR)
# OpenAPI Generator 7.26.0 comes from the PyPI package openapi-generator-cli and needs Java
# (Debian's openjdk-17-jre-headless is installed when `java` is missing).
# Idempotent: creates or reuses .venv-consumers and node_modules, installs the pinned
# versions and the vpcep-fake wheel (.ci/wheel.sh build; the Python tests start their
# fakes with its pytest plugin), builds the release fake, starts five fakes on 127.0.0.1:0
# for the TypeScript and Rust tests (bounded waits) and always stops them. Every generator
# runs every step even when an earlier one failed; the script prints a table
# (generator x step) and fails if any step failed.
# Usage: bash .ci/consumers.sh [GENERATOR...]   (default: all seven)
#        VPCEP_SPEC=path/to/spec.json bash .ci/consumers.sh   (default: openapi/vpcep.json)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
C="$ROOT/tests/consumers"
export VPCEP_SPEC
VPCEP_SPEC=$(realpath "${VPCEP_SPEC:-openapi/vpcep.json}")
GENERATORS=("$@")
[ ${#GENERATORS[@]} -gt 0 ] || GENERATORS=(openapi-python-client datamodel-code-generator openapi-typescript hey-api
    openapi-generator-python openapi-generator-typescript-fetch openapi-generator-rust)
started=$SECONDS

# --- installs (pinned) ---
if [ ! -x .venv-consumers/bin/python ]; then
    python3 -m venv .venv-consumers
fi
.venv-consumers/bin/python -m pip install --quiet --disable-pip-version-check \
    -r "$C/openapi-python-client/requirements.txt" -r "$C/datamodel-code-generator/requirements.txt" \
    -r "$C/openapi-generator-python/requirements.txt"
# OpenAPI Generator (openapi-generator-cli, the PyPI package bundling its jar) runs on Java.
if ! command -v java >/dev/null; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless
fi
for d in openapi-typescript hey-api openapi-generator-typescript-fetch; do
    (cd "$C/$d" && npm ci --no-audit --no-fund --loglevel=error)
done
# The Python tests start their fakes with the vpcep-fake wheel's pytest plugin: build the
# wheel (.ci/wheel.sh build: a no-op when fresh) and install it.
WHEEL=$(bash .ci/wheel.sh build | tail -n1)
.venv-consumers/bin/python -m pip install --quiet --disable-pip-version-check \
    --force-reinstall --no-deps "$WHEEL"
echo "installs: $((SECONDS - started)) s"

cargo build --release -p vpcep-fake
FAKE_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/vpcep-fake"
RUST_CONSUMER_TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/consumers-openapi-generator-rust"

# --- fakes ---
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

export VPCEP_TOKEN="consumer-token"
export RECORDED_FILE="$ROOT/crates/vpcep-fake/data/recorded_example.json"
# start NAME ARGS...: starts a fake, waits (up to 30 s) for its URL, exports FAKE_NAME.
start() {
    local name=$1
    shift
    "$FAKE_BIN" --listen 127.0.0.1:0 --token "$VPCEP_TOKEN" "$@" \
        >"$WORK/$name.out" 2>"$WORK/$name.err" &
    local pid=$!
    PIDS+=("$pid")
    local url=""
    for _ in $(seq 1 300); do
        url=$(sed -n 's/^listening on //p' "$WORK/$name.out" | head -n1)
        [ -n "$url" ] && break
        kill -0 "$pid" 2>/dev/null || { cat "$WORK/$name.err" >&2; echo "fake $name exited" >&2; exit 1; }
        sleep 0.1
    done
    [ -n "$url" ] || { cat "$WORK/$name.err" >&2; echo "fake $name: no URL within 30 s" >&2; exit 1; }
    export "FAKE_$name=$url"
}
start PLAIN --generate 40 --seed 3
start QUIRKS --generate 40 --seed 3 --quirks
start REPLAY --data "$RECORDED_FILE"
start THROTTLED --fail-rate 1 --fail-status 429
start GATEWAY --fail-rate 1 --fail-status 502 --fail-html

# --- generators ---
PY="$ROOT/.venv-consumers/bin"
export PATH="$PY:$PATH" # openapi-python-client's post-hook runs ruff from PATH
RESULTS=()
failed=0
# step GENERATOR STEP COMMAND...: runs a step in the generator's directory, records pass/FAIL.
step() {
    local gen=$1 name=$2
    shift 2
    local t=$SECONDS
    echo
    echo "--- $gen: $name"
    if (cd "$C/$gen" && "$@"); then
        RESULTS+=("$gen|$name|pass|$((SECONDS - t)) s")
    else
        RESULTS+=("$gen|$name|FAIL|$((SECONDS - t)) s")
        failed=1
    fi
}
pytest_run() {
    PYTHONPATH="generated:..${PYTHONPATH:+:$PYTHONPATH}" timeout 300 "$PY/python" -m pytest -q -p no:cacheprovider "$@"
}
mypy_run() {
    MYPYPATH="generated:.." timeout 300 "$PY/mypy" --strict --no-incremental --cache-dir=/dev/null "$@"
}

for gen in "${GENERATORS[@]}"; do
    case $gen in
    openapi-python-client)
        step "$gen" generate sh -c 'rm -rf generated && mkdir generated &&
            openapi-python-client generate --path "$VPCEP_SPEC" \
                --config config.yaml --meta none --output-path generated/vpcep_opc'
        step "$gen" "mypy --strict" mypy_run generated/vpcep_opc test_opc.py
        step "$gen" pytest pytest_run test_opc.py
        ;;
    datamodel-code-generator)
        step "$gen" generate sh -c 'rm -rf generated && mkdir generated &&
            datamodel-codegen --input "$VPCEP_SPEC" --input-file-type openapi \
                --output-model-type pydantic_v2.BaseModel --target-python-version 3.11 \
                --use-annotated --formatters black isort --output generated/vpcep_models.py'
        step "$gen" "mypy --strict" mypy_run generated/vpcep_models.py test_dmc.py
        step "$gen" pytest pytest_run test_dmc.py
        ;;
    openapi-typescript)
        step "$gen" generate sh -c 'rm -rf generated dist && mkdir generated &&
            npx openapi-typescript "$VPCEP_SPEC" -o generated/schema.ts'
        # tsc still emits JavaScript on type errors, so the runtime tests run either way.
        step "$gen" "tsc (strict)" npx tsc -p .
        step "$gen" "node --test" timeout 300 node --test dist/openapi-typescript/test.js
        ;;
    hey-api)
        step "$gen" generate sh -c 'rm -rf generated dist && npx openapi-ts'
        step "$gen" "tsc (strict)" npx tsc -p .
        step "$gen" "node --test" timeout 300 node --test dist/hey-api/test.js
        ;;
    openapi-generator-python)
        step "$gen" generate sh -c 'rm -rf generated && openapi-generator-cli generate -g python \
            -i "$VPCEP_SPEC" -o generated --package-name vpcep_oag \
            --global-property apiTests=false,modelTests=false,apiDocs=false,modelDocs=false'
        step "$gen" "mypy --strict" mypy_run generated/vpcep_oag test_oag.py
        step "$gen" pytest pytest_run test_oag.py
        ;;
    openapi-generator-typescript-fetch)
        step "$gen" generate sh -c 'rm -rf generated dist && openapi-generator-cli generate \
            -g typescript-fetch -i "$VPCEP_SPEC" -o generated \
            --additional-properties=supportsES6=true,importFileExtension=.js'
        step "$gen" "tsc (strict)" npx tsc -p .
        step "$gen" "node --test" timeout 300 node --test dist/openapi-generator-typescript-fetch/test.js
        ;;
    openapi-generator-rust)
        # Its own target dir (not the workspace's): a clean build is ~1.5 min on 2 cores.
        step "$gen" generate sh -c 'rm -rf generated && openapi-generator-cli generate -g rust \
            -i "$VPCEP_SPEC" -o generated \
            --additional-properties=packageName=vpcep-oag,packageVersion=0.0.0'
        step "$gen" "cargo build" env CARGO_TARGET_DIR="$RUST_CONSUMER_TARGET" \
            cargo test --locked --no-run --quiet
        step "$gen" "cargo test" env CARGO_TARGET_DIR="$RUST_CONSUMER_TARGET" \
            timeout 300 cargo test --locked --quiet
        ;;
    *)
        echo "unknown generator: $gen" >&2
        exit 2
        ;;
    esac
done

echo
echo "=== consumers ($((SECONDS - started)) s), spec: $VPCEP_SPEC"
printf '%-36s %-14s %-5s %s\n' generator step result time
for r in "${RESULTS[@]}"; do
    IFS='|' read -r g s res t <<<"$r"
    printf '%-36s %-14s %-5s %s\n' "$g" "$s" "$res" "$t"
done
exit $failed
