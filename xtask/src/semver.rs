//! `cargo xtask semver [--self-test]`: the public API of `vpcep-client` against its
//! baseline, with `cargo-semver-checks` (pinned: [`TOOL_VERSION`], installed by
//! `.ci/release.sh`).
//!
//! The baseline comes from git history, so it works on a clean clone of `main` (a
//! shallow clone lacks the history: fetch it with `git fetch --unshallow`):
//!
//! - **A** the commit that set the crate's current version (the newest commit that
//!   changed the `version` line of `crates/vpcep-client/Cargo.toml`): any breaking
//!   change since then needs a version bump. Skipped when that commit is HEAD and the
//!   crate has no uncommitted change (nothing to compare).
//! - **B** when the current version was set by HEAD or is not committed yet: the commit
//!   that set the previous version, so the bump itself is checked (e.g. a breaking
//!   change released as a PATCH).
//!
//! Crate versioning policy (CHANGELOG.md): 0.x, so a breaking change needs a MINOR bump
//! (0.1 → 0.2) and anything else a PATCH one. A spec change that changes the generated
//! types — an added optional response field adds a `pub` field to an exhaustive struct
//! — is breaking for the crate. `--self-test` shows it on a scratch clone: add a field to
//! the spec, regenerate, expect cargo-semver-checks to demand 0.2.0, bump, expect a pass.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::{codegen, spec};

/// The crate whose API is checked.
pub const CRATE: &str = "vpcep-client";
pub const MANIFEST_REL: &str = "crates/vpcep-client/Cargo.toml";
/// The pinned cargo-semver-checks (`.ci/release.sh` installs it).
pub const TOOL_VERSION: &str = "0.51.0";
const INSTALL: &str = "cargo install --locked cargo-semver-checks --version 0.51.0";

fn git(root: &Path, args: &[&str]) -> Result<String> {
    spec::compat::git(root, args)
}

/// The `version` of the `[package]` section of a Cargo.toml.
pub fn package_version(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        if in_package {
            if let Some(rest) = line.strip_prefix("version") {
                let rest = rest.trim_start().strip_prefix('=')?.trim();
                return Some(rest.trim_matches('"').to_owned());
            }
        }
    }
    None
}

/// One comparison to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    pub commit: String,
    pub version: String,
    pub why: String,
}

/// The baselines of the crate at `root` (see the module docs), oldest first.
pub fn baselines(root: &Path) -> Result<Vec<Baseline>> {
    if git(root, &["rev-parse", "--is-shallow-repository"])? == "true" {
        bail!(
            "shallow clone: the commit that set {CRATE}'s version may be missing; run \
             `git fetch --unshallow` first"
        );
    }
    let manifest = root.join(MANIFEST_REL);
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("reading {}", manifest.display()))?;
    let current = package_version(&text).context("no [package] version in the manifest")?;
    // Newest first: the commits whose diff touches a `version = …` line of the manifest.
    let log = git(
        root,
        &["log", "--format=%H", "-G^version *=", "--", MANIFEST_REL],
    )?;
    let mut history: Vec<(String, String)> = Vec::new();
    for commit in log.lines().filter(|l| !l.is_empty()) {
        let text = git(root, &["show", &format!("{commit}:{MANIFEST_REL}")])?;
        if let Some(v) = package_version(&text) {
            // Keep the commit that *set* each version: the oldest of a run of equal ones.
            match history.last_mut() {
                Some((c, last)) if *last == v => *c = commit.to_owned(),
                _ => history.push((commit.to_owned(), v)),
            }
        }
    }
    let Some((newest, newest_version)) = history.first().cloned() else {
        bail!("no commit sets the version of {MANIFEST_REL}: commit it first");
    };
    let head = git(root, &["rev-parse", "HEAD"])?;
    let crate_dir = MANIFEST_REL.trim_end_matches("/Cargo.toml");
    let clean = git(root, &["status", "--porcelain", "--", crate_dir])?.is_empty();

    let mut out = Vec::new();
    if newest_version == current {
        let previous = history.get(1).cloned();
        if let Some((commit, version)) = previous.filter(|_| newest == head) {
            out.push(Baseline {
                commit,
                version: version.clone(),
                why: format!("the commit that set the previous version {version}"),
            });
        }
        if !(newest == head && clean) {
            out.push(Baseline {
                commit: newest,
                version: current.clone(),
                why: format!("the commit that set the current version {current}"),
            });
        }
    } else {
        out.push(Baseline {
            commit: newest,
            version: newest_version.clone(),
            why: format!(
                "the commit that set {newest_version} (the version is now {current}, not \
                 committed yet)"
            ),
        });
    }
    Ok(out)
}

fn check_tool() -> Result<()> {
    let out = Command::new("cargo")
        .args(["semver-checks", "--version"])
        .output()
        .context("running cargo")?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("cargo-semver-checks is not installed: {INSTALL} (or run .ci/release.sh)");
    }
    if !text.contains(TOOL_VERSION) {
        bail!(
            "cargo-semver-checks {TOOL_VERSION} is required, found `{}`: {INSTALL}",
            text.trim()
        );
    }
    Ok(())
}

/// Runs cargo-semver-checks at `root` against `baseline`; `Ok(false)` when it reports
/// a violation (its report is on stderr), `Err` when it could not run.
fn semver_checks(root: &Path, baseline: &Baseline) -> Result<bool> {
    let short = &baseline.commit[..baseline.commit.len().min(12)];
    eprintln!(
        "semver: {CRATE} vs {short} ({}), version {}",
        baseline.why, baseline.version
    );
    let status = Command::new("cargo")
        .args([
            "semver-checks",
            "check-release",
            "--package",
            CRATE,
            "--baseline-rev",
            &baseline.commit,
        ])
        .current_dir(root)
        .status()
        .context("running cargo semver-checks")?;
    Ok(status.success())
}

/// `cargo xtask semver`.
pub fn run(root: &Path) -> Result<()> {
    check_tool()?;
    let baselines = baselines(root)?;
    if baselines.is_empty() {
        eprintln!("semver: {CRATE}'s version was set by HEAD and nothing changed since; nothing to compare");
        return Ok(());
    }
    let mut failed = Vec::new();
    for b in &baselines {
        if !semver_checks(root, b)? {
            failed.push(b.why.clone());
        }
    }
    if failed.is_empty() {
        eprintln!("semver: OK");
        Ok(())
    } else {
        bail!(
            "{CRATE}'s public API changed more than its version allows (against {}). Bump \
             `version` in {MANIFEST_REL} as cargo-semver-checks says above (0.x: a breaking \
             change is 0.MINOR+1), add a `## [crates X.Y.Z]` CHANGELOG.md entry, or make \
             the change compatible",
            failed.join("; ")
        )
    }
}

/// Removes a scratch directory on drop.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `cargo xtask semver --self-test`: an optional response field added to the spec is a
/// MINOR spec change and, by the policy, a MINOR bump of the 0.x crate; checked with the
/// real tools on a scratch clone of HEAD.
pub fn self_test(root: &Path) -> Result<()> {
    check_tool()?;
    let dir = std::env::temp_dir().join(format!("vpcep-semver-self-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let scratch = Scratch(dir.clone());
    let status = Command::new("git")
        .args(["clone", "--quiet", "--shared"])
        .arg(root)
        .arg(&dir)
        .status()?;
    if !status.success() {
        bail!("git clone --shared {} failed", root.display());
    }
    // The scratch crate's version must be the one HEAD committed.
    let manifest = dir.join(MANIFEST_REL);
    let version = package_version(&std::fs::read_to_string(&manifest)?).context("version")?;

    // 1. The spec change: a new optional response field.
    let old_spec = spec::load_json(&dir)?;
    let mut new_spec = old_spec.clone();
    new_spec
        .pointer_mut("/components/schemas/EndpointResp/properties")
        .and_then(Value::as_object_mut)
        .context("EndpointResp has properties")?
        .insert(
            "semver_self_test".into(),
            serde_json::json!({"type": "string", "nullable": true, "description": "Self-test."}),
        );
    let report = spec::compat::compare(&old_spec, &new_spec)?;
    if report.required != spec::compat::Level::Minor {
        bail!("self-test: the spec change should need a MINOR bump: {report:#?}");
    }
    eprintln!("self-test: spec classifier: an optional response field needs a MINOR spec bump");
    std::fs::write(dir.join(spec::SPEC_YAML_REL), spec::render_json(&new_spec)?)?;
    for (path, text) in codegen::generate(&dir)? {
        std::fs::write(dir.join(path), text)?;
    }

    // 2. Same crate version: cargo-semver-checks must fail.
    let baseline = Baseline {
        commit: git(&dir, &["rev-parse", "HEAD"])?,
        version: version.clone(),
        why: "HEAD of the scratch clone (the field not added)".into(),
    };
    if semver_checks(&dir, &baseline)? {
        bail!("self-test: cargo-semver-checks accepted a new pub field without a version bump");
    }
    eprintln!("self-test: as promised, the new field without a crate bump fails");

    // 3. MINOR bump of the 0.x crate (the policy): passes.
    let (major, minor, _) = spec::compat::parse_version(&version)?;
    let bumped = if major == 0 {
        format!("0.{}.0", minor + 1)
    } else {
        format!("{}.0.0", major + 1)
    };
    let text = std::fs::read_to_string(&manifest)?;
    std::fs::write(
        &manifest,
        text.replacen(
            &format!("version = \"{version}\""),
            &format!("version = \"{bumped}\""),
            1,
        ),
    )?;
    // …and the workspace crates that depend on it follow.
    for dependent in [
        "crates/vpcep-fake/Cargo.toml",
        "crates/vpcep-cli/Cargo.toml",
    ] {
        let path = dir.join(dependent);
        let text = std::fs::read_to_string(&path)?;
        let text: Vec<String> = text
            .lines()
            .map(|l| {
                if l.starts_with("vpcep-client = {") {
                    l.replace(
                        &format!("version = \"{version}\""),
                        &format!("version = \"{bumped}\""),
                    )
                } else {
                    l.to_owned()
                }
            })
            .collect();
        std::fs::write(&path, text.join("\n") + "\n")?;
    }
    if !semver_checks(&dir, &baseline)? {
        bail!("self-test: cargo-semver-checks refused the new field with {version} -> {bumped}");
    }
    eprintln!(
        "self-test: OK: optional response field = spec MINOR bump = crate {version} -> {bumped}"
    );
    drop(scratch);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_package_version() {
        let toml = "[package]\nname = \"x\"\nversion = \"0.3.1\"\n\n[dependencies]\n\
                    version = \"9\"\n";
        assert_eq!(package_version(toml).as_deref(), Some("0.3.1"));
        assert_eq!(package_version("[dependencies]\nversion = \"1\"\n"), None);
    }

    /// A throwaway repository with a crate manifest whose version moves.
    #[test]
    fn baselines_follow_the_version_history() {
        let root = std::env::temp_dir().join(format!("vpcep-xtask-semver-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let _cleanup = Scratch(root.clone());
        std::fs::create_dir_all(root.join("crates/vpcep-client/src")).unwrap();
        let git = |args: &[&str]| {
            let ok = Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
                .args(["-c", "commit.gpgsign=false"])
                .args(args)
                .current_dir(&root)
                .status()
                .unwrap()
                .success();
            assert!(ok, "git {args:?}");
        };
        let write = |version: &str, code: &str| {
            std::fs::write(
                root.join(MANIFEST_REL),
                format!("[package]\nname = \"vpcep-client\"\nversion = \"{version}\"\n"),
            )
            .unwrap();
            std::fs::write(root.join("crates/vpcep-client/src/lib.rs"), code).unwrap();
        };
        let commit = |msg: &str| {
            git(&["add", "-A"]);
            git(&["commit", "-q", "-m", msg]);
            super::git(&root, &["rev-parse", "HEAD"]).unwrap()
        };
        git(&["-c", "init.defaultBranch=main", "init", "-q"]);
        write("0.1.0", "pub fn a() {}");
        let set_010 = commit("0.1.0");
        // Version set by HEAD, nothing changed: nothing to compare.
        assert_eq!(baselines(&root).unwrap(), vec![]);

        write("0.1.0", "pub fn b() {}");
        commit("change the API");
        let b = baselines(&root).unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(
            (b[0].commit.as_str(), b[0].version.as_str()),
            (set_010.as_str(), "0.1.0")
        );

        // An uncommitted bump: compared with the commit that set 0.1.0.
        write("0.2.0", "pub fn c() {}");
        let b = baselines(&root).unwrap();
        assert_eq!(
            (b[0].commit.as_str(), b[0].version.as_str()),
            (set_010.as_str(), "0.1.0")
        );
        assert_eq!(b.len(), 1);

        // The bump committed (HEAD): the previous version's commit checks the bump.
        let set_020 = commit("0.2.0");
        let b = baselines(&root).unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(
            (b[0].commit.as_str(), b[0].version.as_str()),
            (set_010.as_str(), "0.1.0")
        );

        // Later commits: compared with the commit that set 0.2.0.
        write("0.2.0", "pub fn d() {}");
        commit("more");
        let b = baselines(&root).unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(
            (b[0].commit.as_str(), b[0].version.as_str()),
            (set_020.as_str(), "0.2.0")
        );
    }
}
