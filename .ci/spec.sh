#!/usr/bin/env bash
# Spec checks for CI (called by .ci/run): installs what they need, idempotently, then runs
#   cargo xtask spec check        (openapiv3 + openapi-spec-validator, OAS30Validator on
#                                  every example and every body the fake sends, Redocly
#                                  lint, examples, openapi/vpcep.json drift, compat,
#                                  openapi/CHANGES.md drift)
#   cargo xtask spec docs --test  (Redoc HTML page checked in headless Chromium)
# Installs: Debian `chromium` (apt), a Python venv at .venv with
# tests/requirements-spec.txt, and node_modules from package-lock.json (`npm ci`).
# Each step is skipped when already satisfied, so a second run costs seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# Keep Cargo's build output apart from other jobs unless the caller chose a target dir.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export REDOCLY_TELEMETRY=off

# --- Debian: chromium (and python3-venv, node/npm when missing) --------------------
apt_pkgs=()
[ -x /usr/bin/chromium ] || apt_pkgs+=(chromium)
python3 -c 'import venv, ensurepip' 2>/dev/null || apt_pkgs+=(python3-venv)
command -v npm >/dev/null || apt_pkgs+=(nodejs npm)
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  echo "spec.sh: apt-get install ${apt_pkgs[*]}"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}" >/dev/null
fi

# --- Python venv with pinned openapi-spec-validator ----------------------------------
req=tests/requirements-spec.txt
stamp=.venv/.requirements-spec.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "spec.sh: creating .venv from $req"
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
fi
export VPCEP_PY="$root/.venv/bin/python"

# --- Node: Redocly CLI pinned in package-lock.json -----------------------------------
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -x node_modules/.bin/redocly ] || [ "$(cat node_modules/.spec-lock.sha256 2>/dev/null)" != "$lock_hash" ]; then
  echo "spec.sh: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.spec-lock.sha256
fi

# --- The checks ----------------------------------------------------------------------
status=0
cargo run -q --package xtask -- spec check || status=1
cargo run -q --package xtask -- spec docs --test || status=1
if [ $status -ne 0 ]; then
  echo "spec.sh: FAILED"
fi
exit $status
