//! `cargo xtask spec compat [--base REF]`: is the working tree's spec compatible with the
//! one at a git base? Changes are classified by Oxide's `drift` crate.
//!
//! Versioning policy (also in CHANGELOG.md and openapi/README.md), on `info.version`:
//!
//! - MAJOR: wire-incompatible changes (a client built from the old spec can fail against
//!   a server described by the new one): a response field or enum value removed or
//!   retyped, a parameter made required, a constraint tightened, an operation removed…
//! - MINOR: compatible additions (new optional parameter, new response field, new
//!   operation, new status).
//! - PATCH: documentation only (descriptions, examples, summaries).
//!
//! Enforced here: a change drift classifies as backward-incompatible, incompatible or
//! *unhandled* (drift cannot prove it compatible, so it is treated as breaking) fails
//! unless the MAJOR number grew; so does a breaking change of `nullable` or
//! `x-extensible-enum`, which drift does not see (`keywords.rs`). A version that goes backwards always fails.
//! Forward-incompatible changes (a new client against an old server, e.g. a new
//! optional request parameter) and trivial ones pass; the MINOR/PATCH bump is the
//! author's call and is only suggested.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};
use drift::{ChangeClass, ChangeComparison};
use serde_json::Value;

use super::SPEC_YAML_REL;

/// The outcome of comparing two versions of the spec.
#[derive(Debug, Default)]
pub struct Report {
    pub old_version: String,
    pub new_version: String,
    /// Changes that need a MAJOR bump, one line each.
    pub breaking: Vec<String>,
    /// Other changes (compatible or trivial), one line each.
    pub other: Vec<String>,
}

impl Report {
    /// Applies the versioning policy.
    pub fn verdict(&self) -> Result<()> {
        let old = parse_version(&self.old_version)?;
        let new = parse_version(&self.new_version)?;
        if new < old {
            bail!(
                "info.version went backwards: {} -> {}",
                self.old_version,
                self.new_version
            );
        }
        if !self.breaking.is_empty() && new.0 <= old.0 {
            bail!(
                "{} backward-incompatible change(s) without a MAJOR bump of info.version \
                 ({} -> {}); bump it to {}.0.0 (and add a CHANGELOG entry) or make the \
                 change compatible:\n  {}",
                self.breaking.len(),
                self.old_version,
                self.new_version,
                old.0 + 1,
                self.breaking.join("\n  ")
            );
        }
        Ok(())
    }

    pub fn print(&self) {
        eprintln!(
            "spec compat: info.version {} -> {}: {} breaking, {} other change(s)",
            self.old_version,
            self.new_version,
            self.breaking.len(),
            self.other.len()
        );
        for line in &self.breaking {
            eprintln!("  BREAKING {line}");
        }
        for line in &self.other {
            eprintln!("  ok       {line}");
        }
        if let (Ok(old), Ok(new)) = (
            parse_version(&self.old_version),
            parse_version(&self.new_version),
        ) {
            if self.breaking.is_empty() && !self.other.is_empty() && new == old {
                eprintln!(
                    "  note: the spec changed but info.version did not; bump MINOR for \
                     additions, PATCH for documentation-only changes"
                );
            }
        }
    }
}

/// `MAJOR.MINOR.PATCH` (a pre-release or build suffix is ignored).
pub fn parse_version(v: &str) -> Result<(u64, u64, u64)> {
    let core = v.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<u64> = core
        .split('.')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .with_context(|| format!("info.version {v:?} is not MAJOR.MINOR.PATCH"))?;
    match parts.as_slice() {
        [a, b, c] => Ok((*a, *b, *c)),
        _ => bail!("info.version {v:?} is not MAJOR.MINOR.PATCH"),
    }
}

fn info_version(spec: &Value) -> Result<String> {
    spec.pointer("/info/version")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .context("the spec has no info.version")
}

/// Compares two specs (as JSON values of the OpenAPI documents).
pub fn compare(old: &Value, new: &Value) -> Result<Report> {
    let mut report = Report {
        old_version: info_version(old)?,
        new_version: info_version(new)?,
        ..Report::default()
    };
    // drift 0.2 asserts that a request or response keeps the same media types (it panics
    // on `text/html` added beside `application/json`); those are classified here and
    // hidden from it.
    let (old, new) = (&mut old.clone(), &mut new.clone());
    media_types(old, new, &mut String::new(), &mut report);
    let changes = drift::compare(old, new).context("drift could not compare the specs")?;
    for change in changes {
        let at = change
            .paths
            .first()
            .map(|p| {
                let dir = match p.comparison {
                    ChangeComparison::Input => "request",
                    ChangeComparison::Output => "response",
                    ChangeComparison::Structural => "structure",
                };
                format!("{} ({dir})", p.new)
            })
            .unwrap_or_default();
        for info in change.changes {
            let sub = if info.new_subpath.is_empty() {
                String::new()
            } else {
                format!("/{}", info.new_subpath)
            };
            let line = format!("{at}{sub}: {} [{:?}]", info.message, info.class);
            match info.class {
                ChangeClass::BackwardIncompatible
                | ChangeClass::Incompatible
                | ChangeClass::Unhandled => report.breaking.push(line),
                ChangeClass::ForwardIncompatible | ChangeClass::Trivial => report.other.push(line),
            }
        }
    }
    // drift does not see `nullable` or `x-extensible-enum`; see keywords.rs.
    for change in super::keywords::compare(old, new) {
        let line = format!("{} [nullable/x-extensible-enum check]", change.line);
        if change.breaking {
            report.breaking.push(line);
        } else {
            report.other.push(line);
        }
    }
    report.breaking.sort();
    report.breaking.dedup();
    report.other.sort();
    report.other.dedup();
    Ok(report)
}

/// Pairs every `content` map of `old` and `new` at the same JSON pointer, reports media
/// types added or removed, and removes them from both sides so that drift compares the
/// common ones. A media type added to a response is breaking (a client built from the
/// old spec cannot decode it), one removed is not; in a request it is the reverse.
fn media_types(old: &mut Value, new: &mut Value, at: &mut String, report: &mut Report) {
    let (Value::Object(o), Value::Object(n)) = (old, new) else {
        return;
    };
    if let (Some(Value::Object(oc)), Some(Value::Object(nc))) =
        (o.get_mut("content"), n.get_mut("content"))
    {
        let response = at.contains("/responses/");
        let added: Vec<String> = nc
            .keys()
            .filter(|k| !oc.contains_key(*k))
            .cloned()
            .collect();
        let removed: Vec<String> = oc
            .keys()
            .filter(|k| !nc.contains_key(*k))
            .cloned()
            .collect();
        for (list, is_added) in [(added, true), (removed, false)] {
            for media in list {
                nc.remove(&media);
                oc.remove(&media);
                let what = if is_added { "added" } else { "removed" };
                let line = format!(
                    "{at}/content: media type {what}: {media} ({}) [media type check]",
                    if response { "response" } else { "request" }
                );
                if is_added == response {
                    report.breaking.push(line);
                } else {
                    report.other.push(line);
                }
            }
        }
    }
    for (key, child) in o.iter_mut() {
        if let Some(other) = n.get_mut(key) {
            let len = at.len();
            at.push('/');
            at.push_str(&key.replace('~', "~0").replace('/', "~1"));
            media_types(child, other, at, report);
            at.truncate(len);
        }
    }
}

/// Where to compare from, and why.
#[derive(Debug)]
pub struct Base {
    pub rev: String,
    pub why: String,
}

fn git(root: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .context("running git")?;
    if !out.status.success() {
        bail!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The default base: the last `spec-v*` tag reachable from HEAD, else
/// `git merge-base HEAD main`. `Err` when there is no usable git history (no git, a
/// shallow clone, no `main`).
pub fn default_base(root: &Path) -> Result<Base> {
    if git(root, &["rev-parse", "--is-shallow-repository"])? == "true" {
        bail!("shallow clone");
    }
    if let Ok(tag) = git(
        root,
        &[
            "describe",
            "--tags",
            "--abbrev=0",
            "--match",
            "spec-v*",
            "HEAD",
        ],
    ) {
        return Ok(Base {
            rev: git(root, &["rev-parse", &format!("{tag}^{{commit}}")])?,
            why: format!("last spec tag {tag}"),
        });
    }
    let rev = git(root, &["merge-base", "HEAD", "main"])?;
    Ok(Base {
        why: "merge-base of HEAD and main".into(),
        rev,
    })
}

/// The spec as committed at `rev`, or `None` when it did not exist there.
fn spec_at(root: &Path, rev: &str) -> Result<Option<Value>> {
    let spec = format!("{rev}:{SPEC_YAML_REL}");
    if git(root, &["cat-file", "-e", &spec]).is_err() {
        return Ok(None);
    }
    let text = git(root, &["show", &spec])?;
    let v = serde_norway::from_str(&text).with_context(|| format!("parsing {spec}"))?;
    Ok(Some(v))
}

/// `cargo xtask spec compat [--base REF]`. With `required == false` (from `spec check`),
/// a missing git history is a printed note, not an error.
pub fn run(root: &Path, base: Option<&str>, required: bool) -> Result<()> {
    let base = match base {
        Some(r) => Base {
            rev: git(root, &["rev-parse", &format!("{r}^{{commit}}")])?,
            why: format!("--base {r}"),
        },
        None => match default_base(root) {
            Ok(b) => b,
            Err(e) if !required => {
                eprintln!("spec compat: skipped, no git base available ({e:#})");
                return Ok(());
            }
            Err(e) => return Err(e.context("finding the base to compare with (use --base REF)")),
        },
    };
    let head = git(root, &["rev-parse", "HEAD"])?;
    let short = &base.rev[..base.rev.len().min(12)];
    if base.rev == head {
        eprintln!("spec compat: base {short} ({}) is HEAD: comparing HEAD's committed spec with the working tree", base.why);
    } else {
        eprintln!(
            "spec compat: base {short} ({}) vs the working tree",
            base.why
        );
    }
    let Some(old) = spec_at(root, &base.rev)? else {
        eprintln!("spec compat: {SPEC_YAML_REL} does not exist at the base; nothing to compare");
        return Ok(());
    };
    let new = super::load_json(root)?;
    let report = compare(&old, &new)?;
    report.print();
    report.verdict()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current() -> Value {
        super::super::load_json(&crate::project_root()).unwrap()
    }

    fn set_version(spec: &mut Value, v: &str) {
        spec["info"]["version"] = Value::String(v.into());
    }

    fn major_bump(spec: &Value) -> String {
        let (major, _, _) = parse_version(&info_version(spec).unwrap()).unwrap();
        format!("{}.0.0", major + 1)
    }

    fn assert_breaking(edit: impl Fn(&mut Value)) {
        let old = current();
        let mut new = old.clone();
        edit(&mut new);
        let report = compare(&old, &new).unwrap();
        eprintln!("{report:#?}");
        assert!(
            !report.breaking.is_empty(),
            "not reported as breaking: {report:#?}"
        );
        assert!(report.verdict().is_err(), "accepted without a MAJOR bump");
        set_version(&mut new, &major_bump(&old));
        let report = compare(&old, &new).unwrap();
        report.verdict().unwrap();
    }

    #[test]
    fn identical_specs_have_no_changes() {
        let spec = current();
        let report = compare(&spec, &spec).unwrap();
        assert!(
            report.breaking.is_empty() && report.other.is_empty(),
            "{report:#?}"
        );
        report.verdict().unwrap();
    }

    #[test]
    fn removing_a_response_field_is_breaking() {
        assert_breaking(|s| {
            let props = s
                .pointer_mut("/components/schemas/EndpointResp/properties")
                .and_then(Value::as_object_mut)
                .unwrap();
            assert!(props.remove("vpc_id").is_some());
        });
    }

    #[test]
    fn making_an_optional_query_parameter_required_is_breaking() {
        assert_breaking(|s| {
            s["components"]["parameters"]["VpcId"]["required"] = Value::Bool(true);
        });
    }

    #[test]
    fn removing_a_request_enum_value_is_breaking() {
        assert_breaking(|s| {
            let values = s
                .pointer_mut("/components/schemas/SortDir/enum")
                .and_then(Value::as_array_mut)
                .unwrap();
            values.retain(|v| v != "asc");
        });
    }

    #[test]
    fn response_media_types_added_are_breaking_and_removed_are_not() {
        let html = "/components/responses/BadGateway/content/text~1html";
        let with = current();
        assert!(
            with.pointer(html).is_some(),
            "the spec declares text/html on 502"
        );
        let mut without = with.clone();
        without["components"]["responses"]["BadGateway"]["content"]
            .as_object_mut()
            .unwrap()
            .remove("text/html");
        // Added (drift alone would panic here).
        let report = compare(&without, &with).unwrap();
        assert!(
            report
                .breaking
                .iter()
                .any(|l| l.contains("media type added: text/html (response)")),
            "{report:#?}"
        );
        // Removed.
        let report = compare(&with, &without).unwrap();
        assert!(report.breaking.is_empty(), "{report:#?}");
        assert!(
            report
                .other
                .iter()
                .any(|l| l.contains("media type removed: text/html (response)")),
            "{report:#?}"
        );
    }

    #[test]
    fn adding_a_description_is_compatible() {
        let old = current();
        let mut new = old.clone();
        new["components"]["schemas"]["EndpointResp"]["properties"]["id"]["description"] =
            Value::String("Endpoint ID (a UUID).".into());
        let report = compare(&old, &new).unwrap();
        assert!(report.breaking.is_empty(), "{report:#?}");
        report.verdict().unwrap();
    }

    #[test]
    fn a_response_field_that_becomes_nullable_needs_a_major_bump() {
        let new = current();
        let mut old = new.clone();
        old["components"]["schemas"]["EndpointResp"]["properties"]["id"]
            .as_object_mut()
            .unwrap()
            .remove("nullable");
        let report = compare(&old, &new).unwrap();
        assert!(
            report
                .breaking
                .iter()
                .any(|l| l.contains("/id: nullable false -> true")),
            "{report:#?}"
        );
        assert!(report.verdict().is_err());
    }

    #[test]
    fn version_must_not_go_backwards() {
        let old = current();
        let mut new = old.clone();
        set_version(&mut new, "0.9.0");
        assert!(compare(&old, &new).unwrap().verdict().is_err());
    }

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("1.2.3").unwrap(), (1, 2, 3));
        assert_eq!(parse_version("2.0.0-rc.1").unwrap(), (2, 0, 0));
        assert!(parse_version("1.2").is_err());
        assert!(parse_version("v1.2.3").is_err());
    }
}
