//! Workspace jobs, run as `cargo xtask <job>` (alias in `.cargo/config.toml`); the
//! arguments are declared once, with clap's derive (`cargo xtask help` lists them).
//!
//! - `cargo xtask codegen [--check]`: regenerate the client from `openapi/vpcep.yaml`.
//! - `cargo xtask spec …`: validate, lint, bundle, document, bless and compat-check the
//!   spec.
//! - `cargo xtask deps [--print]`: crates, and the modules of every crate, depend on each
//!   other one way.

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

mod codegen;
mod crate_graph;
mod dependency_check;
mod graph;
mod module_graph;
mod semver;
mod spec;
mod workspace;

use workspace::{project_root, Mode};

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
    /// Check that the workspace's crates, and the modules of each crate, depend on each
    /// other one way (no cycle); the failure names the cycle.
    Deps {
        /// Also print every graph.
        #[arg(long)]
        print: bool,
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
        Job::Deps { print } => dependency_check::run(&project_root(), print),
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
