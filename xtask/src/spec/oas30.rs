//! `spec oas30` (part of `spec check`): the reference OpenAPI 3.0 validator, not only ours.
//!
//! `OAS30Validator` of PyPI `openapi-schema-validator` (pinned in
//! tests/requirements-spec.txt) reads schemas by the letter of OpenAPI 3.0.3. It checks,
//! through `tests/spec_oas30/validate.py`:
//!
//! 1. every example and default in the spec;
//! 2. every body the fake sends: `cargo test -p vpcep-fake --test schema` runs with
//!    `VPCEP_OAS30_SAMPLES` set and appends each body it checks (generated pages, quirks,
//!    replayed data, 400/401/404/405 and injected 429/500/502/503/504 errors) to
//!    `target/oas30/fake-samples.jsonl`;
//! 3. `tests/spec_oas30/real_world.jsonl`: what real servers send that the fake does not
//!    (a `null` in every field, error bodies with `null`s, HTML 502/503/504 pages);
//! 4. `tests/spec_oas30/must_fail.jsonl`: bodies the spec must reject (a guard against a
//!    check that accepts everything).
//!
//! Each body is validated against the schema the spec declares for its status and media
//! type, in `openapi/vpcep.json` and again in `openapi/vpcep.deref.json` (every `$ref`
//! inlined).

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use super::{python, SPEC_DEREF_REL, SPEC_JSON_REL};

const SCRIPT: &str = "tests/spec_oas30/validate.py";
const REAL_WORLD: &str = "tests/spec_oas30/real_world.jsonl";
const MUST_FAIL: &str = "tests/spec_oas30/must_fail.jsonl";

pub fn run(root: &Path) -> Result<()> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let dir = target.join("oas30");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let samples = dir.join("fake-samples.jsonl");
    let _ = std::fs::remove_file(&samples);

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["test", "-q", "-p", "vpcep-fake", "--test", "schema"])
        .env("VPCEP_OAS30_SAMPLES", &samples)
        .current_dir(root)
        .status()
        .context("running cargo test -p vpcep-fake --test schema")?;
    if !status.success() {
        bail!("the fake's schema tests failed (cargo test -p vpcep-fake --test schema)");
    }
    if !samples.exists() {
        bail!(
            "the fake's schema tests wrote no samples to {}",
            samples.display()
        );
    }

    let py = python(root);
    // The bundle, and the same with every $ref inlined: both must accept and reject the
    // same bodies.
    for spec in [SPEC_JSON_REL, SPEC_DEREF_REL] {
        let status = Command::new(&py)
            .arg(SCRIPT)
            .arg(spec)
            .arg(&samples)
            .arg(REAL_WORLD)
            .args(["--must-fail", MUST_FAIL])
            .current_dir(root)
            .status()
            .with_context(|| format!("running {SCRIPT} with {}", py.display()))?;
        if !status.success() {
            bail!("OAS30Validator rejected examples or bodies of {spec} ({SCRIPT})");
        }
    }
    Ok(())
}
