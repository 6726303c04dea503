//! Blessed spec versions: every released version of the spec is kept, never edited, as
//! `openapi/versions/vpcep-<info.version>.json` (the canonical JSON of `spec bundle`).
//! The model is Oxide's dropshot-api-manager.
//!
//! - `cargo xtask spec bless` records the current spec as the file of its `info.version`
//!   (after checking the bump against the latest blessed version); it never rewrites an
//!   existing file.
//! - `cargo xtask spec compat` ([`check`], also a step of `spec check`) needs no git base,
//!   so it works the same on a branch and on a clean checkout of `main`. It fails when:
//!   1. a blessed file was edited or deleted after the commit that added it (git
//!      history; on a shallow clone only the history fetched is seen, and it says so);
//!   2. the spec differs from the latest blessed version and `info.version` was not
//!      bumped, or was bumped less than the change needs (`compat::Report::verdict`:
//!      breaking → MAJOR, other changes → MINOR, documentation → PATCH);
//!   3. the current `info.version` is not blessed yet (run `cargo xtask spec bless`);
//!   4. CHANGELOG.md has no `## [spec X.Y.Z]` section for the current version.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use super::compat::{self, info_version, parse_version, Level};
use super::{load_json, render_json, SPEC_YAML_REL};

/// Where blessed versions live, relative to the workspace root.
pub const VERSIONS_DIR_REL: &str = "openapi/versions";
pub const CHANGELOG_REL: &str = "CHANGELOG.md";

type Version = (u64, u64, u64);

/// One blessed file.
#[derive(Debug)]
pub struct Blessed {
    pub version: Version,
    /// Relative to the root, with `/` separators (as git names it).
    pub rel: String,
    pub path: PathBuf,
}

fn file_name(version: &str) -> String {
    format!("vpcep-{version}.json")
}

fn show(v: Version) -> String {
    format!("{}.{}.{}", v.0, v.1, v.2)
}

/// The blessed files, oldest version first.
pub fn list(root: &Path) -> Result<Vec<Blessed>> {
    let dir = root.join(VERSIONS_DIR_REL);
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "README.md" {
            continue;
        }
        let version = name
            .strip_prefix("vpcep-")
            .and_then(|n| n.strip_suffix(".json"))
            .and_then(|v| parse_version(v).ok())
            .with_context(|| {
                format!(
                    "{VERSIONS_DIR_REL}/{name}: not a blessed spec name (vpcep-MAJOR.MINOR.PATCH.json)"
                )
            })?;
        out.push(Blessed {
            version,
            rel: format!("{VERSIONS_DIR_REL}/{name}"),
            path: entry.path(),
        });
    }
    out.sort_by_key(|b| b.version);
    Ok(out)
}

fn read_spec(b: &Blessed) -> Result<Value> {
    let text = std::fs::read_to_string(&b.path)
        .with_context(|| format!("reading {}", b.path.display()))?;
    let spec: Value = serde_json::from_str(&text).with_context(|| format!("parsing {}", b.rel))?;
    let v = info_version(&spec).with_context(|| b.rel.clone())?;
    if parse_version(&v)? != b.version {
        bail!("{} holds info.version {v}, not {}", b.rel, show(b.version));
    }
    Ok(spec)
}

/// `git` with raw (untrimmed) stdout; `None` when git fails.
fn git_raw(root: &Path, args: &[&str]) -> Option<Vec<u8>> {
    let out = Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .ok()?;
    out.status.success().then_some(out.stdout)
}

fn normalise(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace("\r\n", "\n")
}

/// Problems with the blessed files' history: each must equal its content in the commit
/// that added it, and none may be deleted. Returns (problems, notes).
fn check_history(root: &Path, blessed: &[Blessed]) -> (Vec<String>, Vec<String>) {
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    if git_raw(root, &["rev-parse", "--git-dir"]).is_none() {
        notes.push(
            "not a git checkout: cannot tell whether a blessed file was edited after it \
             was blessed"
                .into(),
        );
        return (problems, notes);
    }
    let shallow = git_raw(root, &["rev-parse", "--is-shallow-repository"])
        .is_some_and(|o| normalise(&o).trim() == "true");
    if shallow {
        notes.push(
            "shallow clone: each blessed file is compared with the oldest commit fetched \
             that has it, so an edit made before that commit is not seen; run \
             `git fetch --unshallow` for the full check"
                .into(),
        );
    }
    for b in blessed {
        let log = git_raw(
            root,
            // -m: also diff merge commits (a file blessed while resolving a merge first
            // appears in the merge commit); the last line is the oldest commit adding it.
            &[
                "log",
                "-m",
                "--diff-filter=A",
                "--format=%H",
                "--",
                b.rel.as_str(),
            ],
        )
        .map(|o| normalise(&o))
        .unwrap_or_default();
        let Some(added) = log.lines().last().filter(|l| !l.is_empty()) else {
            notes.push(format!(
                "{} is not committed yet (new); commit it with the spec change",
                b.rel
            ));
            continue;
        };
        let Some(original) = git_raw(root, &["show", &format!("{added}:{}", b.rel)]) else {
            problems.push(format!("cannot read {} at {added}", b.rel));
            continue;
        };
        let current = std::fs::read(&b.path).unwrap_or_default();
        if normalise(&original) != normalise(&current) {
            let short = &added[..added.len().min(12)];
            problems.push(format!(
                "{rel} was edited after it was blessed in commit {short}. Blessed versions \
                 are immutable: restore it with `git checkout {short} -- {rel}`, and to \
                 change the spec bump info.version and run `cargo xtask spec bless`",
                rel = b.rel
            ));
        }
    }
    // Deleted blessed files: added at some point, missing now.
    let ever = git_raw(
        root,
        &[
            "log",
            "-m",
            "--diff-filter=A",
            "--name-only",
            "--format=",
            "--",
            VERSIONS_DIR_REL,
        ],
    )
    .map(|o| normalise(&o))
    .unwrap_or_default();
    let mut seen = std::collections::BTreeSet::new();
    for rel in ever.lines().map(str::trim).filter(|l| l.ends_with(".json")) {
        if seen.insert(rel.to_owned()) && !root.join(rel).exists() {
            problems.push(format!(
                "{rel} was blessed and is now deleted; blessed versions are kept forever: \
                 restore it with `git checkout $(git rev-list -n 1 HEAD -- {rel})^ -- {rel}`"
            ));
        }
    }
    (problems, notes)
}

/// Whether CHANGELOG.md has a `## [spec X.Y.Z]` heading for `version`.
pub fn changelog_has(root: &Path, version: &str) -> Result<bool> {
    let path = root.join(CHANGELOG_REL);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let needle = format!("[spec {version}]");
    Ok(text
        .lines()
        .any(|l| l.starts_with("## ") && l.contains(&needle)))
}

/// The latest blessed version strictly older than `v`, with its spec.
fn previous(blessed: &[Blessed], v: Version) -> Result<Option<(&Blessed, Value)>> {
    match blessed.iter().rev().find(|b| b.version < v) {
        Some(b) => Ok(Some((b, read_spec(b)?))),
        None => Ok(None),
    }
}

/// `cargo xtask spec compat` (and the compat step of `spec check`): see the module docs.
/// Every problem found is reported, then it fails if there was any.
pub fn check(root: &Path) -> Result<()> {
    let blessed = list(root)?;
    let mut problems = Vec::new();
    let (history, notes) = check_history(root, &blessed);
    problems.extend(history);
    for note in notes {
        eprintln!("spec compat: note: {note}");
    }

    let current = load_json(root)?;
    let cur_str = info_version(&current)?;
    let cur = parse_version(&cur_str)?;

    match blessed.last() {
        None => problems.push(format!(
            "no blessed spec version in {VERSIONS_DIR_REL}/: run `cargo xtask spec bless` \
             and commit {VERSIONS_DIR_REL}/{}",
            file_name(&cur_str)
        )),
        Some(latest) if cur < latest.version => problems.push(format!(
            "info.version {cur_str} is older than the latest blessed version {}: set \
             info.version to {} or later",
            show(latest.version),
            Level::Patch.apply(latest.version)
        )),
        Some(_) => {
            if let Some(same) = blessed.iter().find(|b| b.version == cur) {
                // Released already: the working spec must be exactly that file.
                let spec = read_spec(same)?;
                if spec != current {
                    let report = compat::compare(&spec, &current)?;
                    report.print();
                    match report.verdict() {
                        Err(e) => problems.push(format!("{e:#}")),
                        // Only documentation-neutral differences (cannot happen with
                        // info.version equal, but say something useful anyway).
                        Ok(()) => problems.push(format!(
                            "the spec differs from {} but info.version is still {cur_str}: \
                             set it to {} and run `cargo xtask spec bless`",
                            same.rel,
                            Level::Patch.apply(cur)
                        )),
                    }
                } else if let Some((prev, old)) = previous(&blessed, cur)? {
                    eprintln!(
                        "spec compat: the spec is blessed as {}; checking its bump from {}",
                        same.rel, prev.rel
                    );
                    let report = compat::compare(&old, &current)?;
                    report.print();
                    if let Err(e) = report.verdict() {
                        problems.push(format!("{e:#}"));
                    }
                } else {
                    eprintln!("spec compat: the spec is blessed as {}", same.rel);
                }
            } else {
                let (prev, old) = previous(&blessed, cur)?.expect("a blessed version < cur");
                eprintln!(
                    "spec compat: latest blessed {} vs the working tree (info.version {cur_str})",
                    prev.rel
                );
                let report = compat::compare(&old, &current)?;
                report.print();
                match report.verdict() {
                    Err(e) => problems.push(format!("{e:#}")),
                    Ok(()) => problems.push(format!(
                        "info.version {cur_str} is not blessed yet: run `cargo xtask spec \
                         bless` and commit {VERSIONS_DIR_REL}/{} with the spec change",
                        file_name(&cur_str)
                    )),
                }
            }
        }
    }

    if !changelog_has(root, &cur_str)? {
        problems.push(format!(
            "{CHANGELOG_REL} has no entry for spec {cur_str}: add a section \
             `## [spec {cur_str}] - YYYY-MM-DD` saying what changed"
        ));
    }

    if problems.is_empty() {
        eprintln!(
            "spec compat: OK (spec {cur_str}, {} blessed version(s))",
            blessed.len()
        );
        Ok(())
    } else {
        bail!(
            "{} problem(s):\n- {}",
            problems.len(),
            problems.join("\n- ")
        )
    }
}

/// `cargo xtask spec bless`: writes the current spec (rendered from `openapi/vpcep.yaml`
/// as `spec bundle` does) to `openapi/versions/vpcep-<info.version>.json`. Checks the
/// bump against the latest older blessed version first; never rewrites an existing file.
pub fn bless(root: &Path) -> Result<PathBuf> {
    let current = load_json(root)?;
    let text = render_json(&current)?;
    let version = info_version(&current)?;
    let v = parse_version(&version)?;
    let rel = format!("{VERSIONS_DIR_REL}/{}", file_name(&version));
    let path = root.join(&rel);
    let blessed = list(root)?;

    if let Some(latest) = blessed.last().filter(|b| b.version > v) {
        bail!(
            "info.version {version} in {SPEC_YAML_REL} is older than the latest blessed \
             version {}; set info.version to a newer version first",
            show(latest.version)
        );
    }
    if path.exists() {
        let existing = std::fs::read_to_string(&path)?.replace("\r\n", "\n");
        if existing == text {
            eprintln!("{rel} is already blessed with this content; nothing to do");
            return Ok(path);
        }
        let cur = blessed
            .iter()
            .find(|b| b.version == v)
            .map(read_spec)
            .transpose()?;
        let need = match cur {
            Some(old) => compat::compare(&old, &current)?.required.max(Level::Patch),
            None => Level::Patch,
        };
        bail!(
            "{rel} already exists with other content, and blessed versions are never \
             rewritten. Set info.version in {SPEC_YAML_REL} to {} (this change needs a {:?} \
             bump), add its CHANGELOG.md section, and run `cargo xtask spec bless` again. \
             (If {rel} is your own uncommitted bless of an unreleased version, delete it \
             first.)",
            need.apply(v),
            need
        );
    }
    if let Some((prev, old)) = previous(&blessed, v)? {
        let report = compat::compare(&old, &current)?;
        report.print();
        report
            .verdict()
            .with_context(|| format!("not blessing {rel}: checked against {}", prev.rel))?;
    }
    std::fs::create_dir_all(path.parent().expect("versions dir"))?;
    std::fs::write(&path, &text)?;
    eprintln!("blessed {rel}: commit it with the spec change; it must never be edited");
    if !changelog_has(root, &version)? {
        eprintln!(
            "note: {CHANGELOG_REL} has no `## [spec {version}]` section yet; `spec check` \
             requires one"
        );
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    //! Each test builds a throwaway git repository (branch `main`) holding this
    //! workspace's spec, blessed 1.0.0 file and CHANGELOG.md, edits and commits there,
    //! then runs the check as CI would on a clean checkout of main.

    use super::*;
    use crate::workspace::project_root;

    struct Repo {
        root: PathBuf,
    }

    impl Drop for Repo {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }

    impl Repo {
        fn new(name: &str) -> Repo {
            let root = std::env::temp_dir()
                .join(format!("vpcep-xtask-blessed-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&root);
            std::fs::create_dir_all(root.join(VERSIONS_DIR_REL)).unwrap();
            // A fixed starting point, whatever the workspace's spec is now: spec 1.0.0 as
            // blessed (its JSON is YAML too), blessed, with the CHANGELOG's 1.0.0 entry.
            let real = project_root();
            let blessed_1_0_0 = "openapi/versions/vpcep-1.0.0.json";
            std::fs::copy(real.join(blessed_1_0_0), root.join(blessed_1_0_0)).unwrap();
            std::fs::copy(real.join(blessed_1_0_0), root.join(SPEC_YAML_REL)).unwrap();
            std::fs::copy(real.join(CHANGELOG_REL), root.join(CHANGELOG_REL)).unwrap();
            let repo = Repo { root };
            repo.git(&["-c", "init.defaultBranch=main", "init", "-q"]);
            repo.commit("spec 1.0.0, blessed");
            repo
        }

        fn git(&self, args: &[&str]) {
            let status = Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
                .args(["-c", "commit.gpgsign=false"])
                .args(args)
                .current_dir(&self.root)
                .status()
                .unwrap();
            assert!(status.success(), "git {args:?}");
        }

        fn commit(&self, msg: &str) {
            self.git(&["add", "-A"]);
            self.git(&["commit", "-q", "--allow-empty", "-m", msg]);
        }

        /// Edits the spec (written back as JSON, which is YAML too).
        fn edit_spec(&self, edit: impl FnOnce(&mut Value)) {
            let mut spec = load_json(&self.root).unwrap();
            edit(&mut spec);
            std::fs::write(self.root.join(SPEC_YAML_REL), render_json(&spec).unwrap()).unwrap();
        }

        fn add_changelog(&self, version: &str) {
            let path = self.root.join(CHANGELOG_REL);
            let text = std::fs::read_to_string(&path).unwrap().replacen(
                "## [Unreleased]",
                &format!("## [Unreleased]\n\n## [spec {version}] - 2026-12-01\n\n- A change."),
                1,
            );
            std::fs::write(path, text).unwrap();
        }

        fn check_err(&self) -> String {
            let err = check(&self.root).expect_err("the check passed");
            format!("{err:#}")
        }
    }

    fn set_version(spec: &mut Value, v: &str) {
        spec["info"]["version"] = Value::String(v.into());
    }

    fn list_props(spec: &mut Value) -> &mut serde_json::Map<String, Value> {
        spec.pointer_mut("/components/schemas/EndpointListResp/properties")
            .and_then(Value::as_object_mut)
            .unwrap()
    }

    fn add_optional_response_field(spec: &mut Value) {
        spec.pointer_mut("/components/schemas/EndpointResp/properties")
            .and_then(Value::as_object_mut)
            .unwrap()
            .insert(
                "new_field".into(),
                serde_json::json!({"type": "string", "nullable": true}),
            );
    }

    #[test]
    fn the_workspace_spec_passes() {
        check(&project_root()).unwrap();
    }

    #[test]
    fn a_fresh_copy_passes() {
        check(&Repo::new("fresh").root).unwrap();
    }

    #[test]
    fn a_breaking_edit_committed_on_main_fails() {
        let repo = Repo::new("breaking");
        repo.edit_spec(|s| {
            assert!(list_props(s).remove("total_count").is_some());
        });
        repo.commit("remove total_count");
        let err = repo.check_err();
        assert!(err.contains("needs a MAJOR bump"), "{err}");
        assert!(err.contains("set info.version to 2.0.0"), "{err}");
        assert!(err.contains("total_count"), "{err}");

        // A MINOR bump (with its CHANGELOG entry and bless) is still too small.
        repo.edit_spec(|s| set_version(s, "1.1.0"));
        repo.add_changelog("1.1.0");
        let bless_err = format!("{:#}", bless(&repo.root).unwrap_err());
        assert!(
            bless_err.contains("set info.version to 2.0.0"),
            "{bless_err}"
        );
        repo.commit("bump to 1.1.0");
        let err = repo.check_err();
        assert!(
            err.contains("but info.version is 1.1.0 (MINOR bump)"),
            "{err}"
        );
        assert!(err.contains("set info.version to 2.0.0"), "{err}");

        // MAJOR, CHANGELOG, bless: passes.
        repo.edit_spec(|s| set_version(s, "2.0.0"));
        repo.add_changelog("2.0.0");
        bless(&repo.root).unwrap();
        repo.commit("spec 2.0.0");
        check(&repo.root).unwrap();
    }

    #[test]
    fn a_minor_addition_without_a_bump_fails() {
        let repo = Repo::new("minor-nobump");
        repo.edit_spec(add_optional_response_field);
        repo.commit("add new_field");
        let err = repo.check_err();
        assert!(err.contains("needs a MINOR bump"), "{err}");
        assert!(err.contains("info.version is 1.0.0 (no bump)"), "{err}");
        assert!(err.contains("set info.version to 1.1.0"), "{err}");
        assert!(err.contains("cargo xtask spec bless"), "{err}");
        // bless refuses to rewrite 1.0.0.
        let bless_err = format!("{:#}", bless(&repo.root).unwrap_err());
        assert!(bless_err.contains("never rewritten"), "{bless_err}");
        assert!(bless_err.contains("to 1.1.0"), "{bless_err}");
    }

    #[test]
    fn a_minor_addition_with_bump_changelog_and_bless_passes() {
        let repo = Repo::new("minor-ok");
        repo.edit_spec(|s| {
            add_optional_response_field(s);
            set_version(s, "1.1.0");
        });
        // Bumped but neither blessed nor in the CHANGELOG: both are named.
        let err = repo.check_err();
        assert!(err.contains("1.1.0 is not blessed yet: run `cargo xtask spec bless`"));
        assert!(
            err.contains("CHANGELOG.md has no entry for spec 1.1.0"),
            "{err}"
        );

        repo.add_changelog("1.1.0");
        let path = bless(&repo.root).unwrap();
        assert!(path.ends_with("openapi/versions/vpcep-1.1.0.json"));
        check(&repo.root).unwrap();
        repo.commit("spec 1.1.0");
        check(&repo.root).unwrap();
        // Blessing again is a no-op.
        bless(&repo.root).unwrap();
    }

    #[test]
    fn a_documentation_change_needs_a_patch_bump() {
        let repo = Repo::new("patch");
        repo.edit_spec(|s| {
            s["components"]["schemas"]["EndpointResp"]["properties"]["id"]["description"] =
                Value::String("Endpoint ID (a UUID).".into());
        });
        let err = repo.check_err();
        assert!(err.contains("needs a PATCH bump"), "{err}");
        assert!(err.contains("set info.version to 1.0.1"), "{err}");
        repo.edit_spec(|s| set_version(s, "1.0.1"));
        repo.add_changelog("1.0.1");
        bless(&repo.root).unwrap();
        check(&repo.root).unwrap();
    }

    #[test]
    fn an_edited_blessed_file_fails() {
        let repo = Repo::new("edited");
        let blessed = repo.root.join("openapi/versions/vpcep-1.0.0.json");
        let original = std::fs::read_to_string(&blessed).unwrap();
        let edited = original.replacen("\"total_count\": {", "\"total_count_x\": {", 1);
        assert_ne!(edited, original);
        std::fs::write(&blessed, &edited).unwrap();
        // Uncommitted, then committed: both fail.
        let err = repo.check_err();
        assert!(
            err.contains("vpcep-1.0.0.json was edited after it was blessed"),
            "{err}"
        );
        repo.commit("edit a blessed file");
        let err = repo.check_err();
        assert!(
            err.contains("vpcep-1.0.0.json was edited after it was blessed"),
            "{err}"
        );
        assert!(err.contains("git checkout"), "{err}");
        // Restored: passes again.
        std::fs::write(&blessed, &original).unwrap();
        repo.commit("restore");
        check(&repo.root).unwrap();
    }

    #[test]
    fn a_file_blessed_in_a_merge_commit_is_still_immutable() {
        // main's 2.0.0 and 2.2.0 were blessed while resolving a merge: the file first
        // appears in the merge commit, which `git log` does not diff by default.
        let repo = Repo::new("merge");
        repo.git(&["checkout", "-q", "-b", "side"]);
        repo.git(&["commit", "-q", "--allow-empty", "-m", "side work"]);
        repo.git(&["checkout", "-q", "main"]);
        repo.git(&["merge", "-q", "--no-ff", "--no-commit", "side"]);
        repo.edit_spec(|s| {
            add_optional_response_field(s);
            set_version(s, "1.1.0");
        });
        repo.add_changelog("1.1.0");
        bless(&repo.root).unwrap();
        repo.commit("merge side; bless 1.1.0 in the merge");
        check(&repo.root).unwrap();
        let blessed = repo.root.join("openapi/versions/vpcep-1.1.0.json");
        let original = std::fs::read_to_string(&blessed).unwrap();
        std::fs::write(&blessed, original.replacen("new_field", "new_field_x", 1)).unwrap();
        repo.commit("edit the blessed 1.1.0");
        let err = repo.check_err();
        assert!(
            err.contains("vpcep-1.1.0.json was edited after it was blessed"),
            "{err}"
        );
    }

    #[test]
    fn a_deleted_blessed_file_fails() {
        let repo = Repo::new("deleted");
        repo.edit_spec(|s| {
            add_optional_response_field(s);
            set_version(s, "1.1.0");
        });
        repo.add_changelog("1.1.0");
        bless(&repo.root).unwrap();
        repo.commit("spec 1.1.0");
        std::fs::remove_file(repo.root.join("openapi/versions/vpcep-1.0.0.json")).unwrap();
        repo.commit("drop 1.0.0");
        let err = repo.check_err();
        assert!(
            err.contains("vpcep-1.0.0.json was blessed and is now deleted"),
            "{err}"
        );
    }

    #[test]
    fn a_version_older_than_the_latest_blessed_fails() {
        let repo = Repo::new("older");
        repo.edit_spec(|s| set_version(s, "0.9.0"));
        let err = repo.check_err();
        assert!(
            err.contains("older than the latest blessed version 1.0.0"),
            "{err}"
        );
    }
}
