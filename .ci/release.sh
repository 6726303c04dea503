#!/usr/bin/env bash
# Release checks for CI (called by .ci/run): what other teams rely on.
#   1. cargo xtask spec compat      the spec vs the latest blessed openapi/versions/ file
#                                   (also a step of `spec check`; needs no tools)
#   2. cargo xtask semver           cargo-semver-checks on vpcep-client vs the commit that
#                                   set its version (needs the full git history)
#   3. cargo xtask semver --self-test   an added optional response field needs the crate
#                                   bump the policy promises (scratch clone, real tools)
#   4. cargo package                vpcep-client, vpcep-fake, vpcep-cli build from their
#                                   .crate files alone
#   5. examples/downstream          a crate outside the workspace (own Cargo.lock) runs
#                                   the client README's example against vpcep-fake
# Installs cargo-semver-checks (pinned, `cargo install --locked`) when missing; a second
# run skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

SEMVER_CHECKS_VERSION=0.51.0   # keep in step with xtask/src/semver.rs TOOL_VERSION
started=$SECONDS
step() { echo; echo "=== release: $* ($((SECONDS - started)) s)"; }

step "install cargo-semver-checks $SEMVER_CHECKS_VERSION"
if ! cargo semver-checks --version 2>/dev/null | grep -qF "$SEMVER_CHECKS_VERSION"; then
  t=$SECONDS
  cargo install --locked cargo-semver-checks --version "$SEMVER_CHECKS_VERSION"
  echo "release.sh: cargo-semver-checks installed in $((SECONDS - t)) s"
fi

# A shallow clone has no history to find baselines in.
if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
  git fetch --quiet --unshallow
fi

step "cargo xtask spec compat"
cargo xtask spec compat

step "cargo xtask semver"
cargo xtask semver

step "cargo xtask semver --self-test"
cargo xtask semver --self-test

step "cargo package (vpcep-client, vpcep-fake, vpcep-cli)"
cargo package --locked -p vpcep-client -p vpcep-fake -p vpcep-cli

step "examples/downstream: cargo test --locked"
cargo test --locked --manifest-path examples/downstream/Cargo.toml

step "release checks done"
