//! Workspace jobs, run as `cargo xtask <job>` (alias in `.cargo/config.toml`).
//!
//! - `cargo xtask codegen [--check]`: regenerate the client from `openapi/vpcep.yaml`.
//! - `cargo xtask spec …`: validate, lint, bundle, document and compat-check the spec.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};

mod codegen;
mod spec;

/// Write generated files, or only compare them with what is committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
}

const USAGE: &str = "usage: cargo xtask <job>

jobs:
  codegen [--check]   regenerate crates/vpcep-client/src/generated.rs from openapi/vpcep.yaml
                      (--check: write nothing, fail with a diff if the committed file is stale)
  spec check          everything CI runs: openapiv3 parse, openapi-spec-validator, OAS30Validator,
                      Redocly lint, examples vs schemas, openapi/vpcep.json drift, compat
  spec bundle [--check]
                      render openapi/vpcep.json from openapi/vpcep.yaml (--check: fail if stale)
  spec lint           Redocly CLI lint under redocly.yaml
  spec validate       openapiv3 parse, openapi-spec-validator, examples vs schemas
  spec oas30          OAS30Validator (openapi-schema-validator) on every example and every
                      body the fake sends (runs cargo test -p vpcep-fake --test schema)
  spec compat [--base REF]
                      fail a backward-incompatible change unless info.version's MAJOR is bumped;
                      base: REF, else the last spec-v* tag, else `git merge-base HEAD main`
  spec docs [--test]  HTML reference in target/spec-docs/index.html (redocly build-docs);
                      --test: also check the page rendered by headless Chromium";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<()> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["codegen"] => codegen::run(Mode::Write),
        ["codegen", "--check"] => codegen::run(Mode::Check),
        ["spec", rest @ ..] => spec::run(rest),
        ["help" | "--help" | "-h"] | [] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => bail!("unknown arguments {args:?}\n\n{USAGE}"),
    }
}

/// The workspace root (the parent of `xtask/`).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}

/// Writes `contents` to `path` (Write mode) or fails with a unified diff when the file on
/// disk differs (Check mode). Newlines are normalised so a checkout with CRLF line
/// endings is not reported as stale.
pub fn ensure_file_contents(path: &Path, contents: &str, mode: Mode, command: &str) -> Result<()> {
    let display = path
        .strip_prefix(project_root())
        .unwrap_or(path)
        .display()
        .to_string();
    let current = std::fs::read_to_string(path)
        .map(|s| s.replace("\r\n", "\n"))
        .ok();
    if current.as_deref() == Some(contents) {
        return Ok(());
    }
    match mode {
        Mode::Write => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, contents)?;
            eprintln!("updated {display}");
            Ok(())
        }
        Mode::Check => {
            let old = current.unwrap_or_default();
            let diff = similar::TextDiff::from_lines(old.as_str(), contents)
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("{display} (committed)"),
                    &format!("{display} (expected)"),
                )
                .to_string();
            bail!("{display} is stale: run `{command}` and commit the result.\n\n{diff}")
        }
    }
}
