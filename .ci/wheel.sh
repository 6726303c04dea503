#!/usr/bin/env bash
# The fake as a Python wheel (crates/vpcep-fake/python, maturin `bindings = "bin"`):
# build it, `twine check` it, install it into a fresh venv, run `vpcep-fake --help` from
# there, and run tests/fake_wheel (the version is the crate's, the pytest plugin starts,
# configures and always stops the fake, every openapi/fixtures entry replays as its
# `fake` says).
# Tools pinned in tests/requirements-wheel.txt (.venv-wheel). The wheel is written to
# $CARGO_TARGET_DIR/wheels/ (default target/wheels/); .ci/consumers.sh installs it from there.
# Usage: bash .ci/wheel.sh          build + check + test
#        bash .ci/wheel.sh build    build only (prints the wheel's path last)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_TARGET_DIR="$TARGET"
started=$SECONDS

if [ ! -x .venv-wheel/bin/python ]; then
    python3 -m venv .venv-wheel
fi
.venv-wheel/bin/python -m pip install --quiet --disable-pip-version-check -r tests/requirements-wheel.txt

VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' crates/vpcep-fake/Cargo.toml | head -n1)
OUT="$TARGET/wheels"
mkdir -p "$OUT"
rm -f "$OUT"/vpcep_fake-*.whl
(cd crates/vpcep-fake/python && "$ROOT/.venv-wheel/bin/maturin" build --release --locked --out "$OUT")
WHEEL=$(ls "$OUT"/vpcep_fake-"$VERSION"-*.whl)
echo "wheel: $WHEEL ($((SECONDS - started)) s)"
if [ "${1:-}" = build ]; then
    echo "$WHEEL"
    exit 0
fi

.venv-wheel/bin/twine check --strict "$WHEEL"

VENV=$(mktemp -d)
trap 'rm -rf "$VENV"' EXIT
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$WHEEL"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -c tests/requirements-wheel.txt pytest httpx
"$VENV/bin/vpcep-fake" --help >/dev/null
installed=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("vpcep-fake"))')
[ "$installed" = "$VERSION" ] || { echo "wheel version $installed != crate version $VERSION" >&2; exit 1; }
echo "installed vpcep-fake $installed in a fresh venv; vpcep-fake --help ran"
# Without VPCEP_FAKE_BIN and outside the repo's venvs: the fake comes from the wheel.
env -u VPCEP_FAKE_BIN PATH="$VENV/bin:/usr/bin:/bin" \
    timeout 600 "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests/fake_wheel
echo "wheel: done in $((SECONDS - started)) s"
