//! Workspace jobs, run as `cargo xtask <job>` (alias in `.cargo/config.toml`); the
//! arguments are declared once, with clap's derive (`cargo xtask help` lists them).
//!
//! - `cargo xtask codegen [--check]`: regenerate the client from `openapi/vpcep.yaml`.
//! - `cargo xtask spec …`: validate, lint, bundle, document, bless and compat-check the
//!   spec.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};

mod codegen;
#[cfg(test)]
mod crate_graph;
mod semver;
mod spec;

/// Write generated files, or only compare them with what is committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
}

impl Mode {
    fn check_if(check: bool) -> Mode {
        if check {
            Mode::Check
        } else {
            Mode::Write
        }
    }
}

/// Workspace jobs of vpcep.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    job: Job,
}

#[derive(Debug, Subcommand)]
enum Job {
    /// Regenerate crates/vpcep-client/src/generated.rs from openapi/vpcep.yaml.
    Codegen {
        /// Write nothing; fail with a diff if the committed file is stale.
        #[arg(long)]
        check: bool,
    },
    /// Publish the spec: validate, lint, bundle, document, bless, compat-check.
    Spec {
        #[command(subcommand)]
        job: spec::SpecJob,
    },
    /// cargo-semver-checks on vpcep-client against the commit that set its version.
    Semver {
        /// Instead: show on a scratch clone that an optional response field added to the
        /// spec needs the crate bump the versioning policy promises (takes minutes).
        #[arg(long)]
        self_test: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.job) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(job: Job) -> Result<()> {
    match job {
        Job::Codegen { check } => codegen::run(Mode::check_if(check)),
        Job::Spec { job } => spec::run(job),
        Job::Semver { self_test: false } => semver::run(&project_root()),
        Job::Semver { self_test: true } => semver::self_test(&project_root()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn arguments_are_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn jobs_parse() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("xtask").chain(args.iter().copied()))
                .map(|c| format!("{:?}", c.job))
        };
        assert_eq!(
            parse(&["codegen", "--check"]).unwrap(),
            "Codegen { check: true }"
        );
        assert_eq!(
            parse(&["spec", "compat", "--base", "main"]).unwrap(),
            "Spec { job: Compat { base: Some(\"main\") } }"
        );
        assert_eq!(parse(&["spec", "bless"]).unwrap(), "Spec { job: Bless }");
        assert!(parse(&["spec", "frobnicate"]).is_err());
        assert!(parse(&["codegen", "--chek"]).is_err());
    }
}
