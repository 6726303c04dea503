//! The spec's compatibility classifier and versioning policy, used by `cargo xtask spec
//! compat` (against the latest blessed version, `blessed.rs`, or a git `--base REF`) and
//! by `cargo xtask spec bless`. Changes are classified by Oxide's `drift` crate, plus our
//! own rules for `nullable` and `x-extensible-enum` (`keywords.rs`).
//!
//! Versioning policy (also in CHANGELOG.md and openapi/README.md), on `info.version`:
//!
//! - MAJOR: wire-incompatible changes (a client built from the old spec can fail against
//!   a server described by the new one): a response field or enum value removed or
//!   retyped, a parameter made required, a constraint tightened, an operation removed…
//!   Everything drift classifies as backward-incompatible, incompatible or *unhandled*
//!   (drift cannot prove it compatible), and the breaking `nullable`/`x-extensible-enum`
//!   changes of `keywords.rs`.
//! - MINOR: any other change outside documentation (new optional parameter, new
//!   response field, new operation, new status, a loosened constraint).
//! - PATCH: documentation only: the documents are equal once `info` and the keywords
//!   `description`, `summary`, `title`, `example`, `examples` and `externalDocs` are
//!   removed ([`strip_docs`]).
//!
//! [`Report::verdict`] fails when the version bump is smaller than the change needs
//! (including no bump at all for a changed spec) and names the version to set.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};
use drift::{ChangeClass, ChangeComparison, ChangeDetails};
use serde_json::Value;

use super::SPEC_YAML_REL;

/// The outcome of comparing two versions of the spec.
#[derive(Debug, Default)]
pub struct Report {
    pub old_version: String,
    pub new_version: String,
    /// Every change, each classified: what `spec changelog` lists.
    pub changes: Vec<Change>,
    /// Changes that need a MAJOR bump, one line each (from `changes`).
    pub breaking: Vec<String>,
    /// Other changes outside documentation, one line each (from `changes`).
    pub other: Vec<String>,
    /// How many documentation-only changes there are (listed in `changes`).
    pub documentation: usize,
    /// The smallest bump of `info.version` the changes need.
    pub required: Level,
}

/// One change between two versions of the spec, with the policy's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Where: a JSON pointer into the new document (into the old one for what is gone),
    /// e.g. `/components/schemas/EndpointResp/properties/id`.
    pub at: String,
    /// `request`, `response`, `request and response`, or empty when neither applies.
    pub direction: &'static str,
    /// What changed, in words, ending with the direction in parentheses when there is
    /// one.
    pub what: String,
    /// Needs a MAJOR bump.
    pub breaking: bool,
    /// Which rule found and classified it.
    pub rule: Rule,
}

/// The rule behind a [`Change`]'s verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// Oxide's drift, with its classification (Unhandled counts as breaking).
    Drift(ChangeClass),
    /// Media types added or removed (`media_types`).
    MediaType,
    /// `nullable` and `x-extensible-enum` by direction (`keywords.rs`).
    Keyword,
    /// Ways to authenticate (`security.rs`).
    Security,
    /// A difference none of the rules above describes, outside documentation (e.g.
    /// `deprecated`, `additionalProperties`, an extension, `servers`): compatible, MINOR.
    Other,
    /// Documentation only (`description`, `example`, … and `info`): PATCH.
    Documentation,
}

impl Change {
    /// `where: what (direction) [rule]`, one line.
    pub fn line(&self) -> String {
        let rule = match self.rule {
            Rule::Drift(class) => format!("drift: {class:?}"),
            Rule::MediaType => "media type check".into(),
            Rule::Keyword => "nullable/x-extensible-enum check".into(),
            Rule::Security => "security check".into(),
            Rule::Other => "outside the checks: compatible".into(),
            Rule::Documentation => "documentation".into(),
        };
        format!("{}: {} [{rule}]", self.at, self.what)
    }
}

/// A change found by a rule, before it joins the report.
struct Found {
    change: Change,
    /// The places it names exactly (e.g. each property added), if any.
    named: Vec<String>,
    /// The differences it explains, in words (drift's changes only).
    details: Vec<String>,
}

impl Found {
    /// Whether this change already describes difference `d` (so that it is not listed
    /// twice): one of the places it names, or below them; else its own place or one
    /// keyword below it (anywhere below it for security); or `d` adds or removes a whole
    /// object the change lies in (a path item holding an operation added).
    fn explains(&self, d: &super::diff::Difference) -> bool {
        let (pointer, at) = (d.pointer.as_str(), self.change.at.as_str());
        if !self.named.is_empty() {
            return self.named.iter().any(|n| pointer == n || under(pointer, n));
        }
        if pointer == at || ((d.old.is_none() || d.new.is_none()) && under(at, pointer)) {
            return true;
        }
        let Some(rest) = pointer.strip_prefix(at).and_then(|r| r.strip_prefix('/')) else {
            return false;
        };
        match self.change.rule {
            Rule::Security => true,
            _ => !rest.contains('/'),
        }
    }
}

/// Whether JSON pointer `p` is strictly below `base`.
fn under(p: &str, base: &str) -> bool {
    p.strip_prefix(base).is_some_and(|r| r.starts_with('/'))
}

/// A version bump, or the bump a change needs; ordered by size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Identical specs (apart from `info.version`).
    #[default]
    None,
    /// Documentation only.
    Patch,
    /// Compatible additions and other non-breaking changes.
    Minor,
    /// Backward-incompatible changes.
    Major,
}

impl Level {
    /// The bump from `old` to `new` (`None` when equal or going backwards).
    pub fn of_bump(old: (u64, u64, u64), new: (u64, u64, u64)) -> Level {
        if new.0 > old.0 {
            Level::Major
        } else if new.0 == old.0 && new.1 > old.1 {
            Level::Minor
        } else if new.0 == old.0 && new.1 == old.1 && new.2 > old.2 {
            Level::Patch
        } else {
            Level::None
        }
    }

    /// The smallest version after `v` with this bump.
    pub fn apply(self, v: (u64, u64, u64)) -> String {
        match self {
            Level::Major => format!("{}.0.0", v.0 + 1),
            Level::Minor => format!("{}.{}.0", v.0, v.1 + 1),
            Level::Patch => format!("{}.{}.{}", v.0, v.1, v.2 + 1),
            Level::None => format!("{}.{}.{}", v.0, v.1, v.2),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Level::Major => "MAJOR",
            Level::Minor => "MINOR",
            Level::Patch => "PATCH",
            Level::None => "no",
        }
    }

    fn why(self) -> &'static str {
        match self {
            Level::Major => "backward-incompatible changes",
            Level::Minor => "compatible additions or other changes beyond documentation",
            Level::Patch => "documentation-only changes",
            Level::None => "no change",
        }
    }
}

impl Report {
    /// Applies the versioning policy: the bump from the old to the new `info.version`
    /// must be at least [`Report::required`]. The error says which version to set.
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
        let bump = Level::of_bump(old, new);
        if bump >= self.required {
            return Ok(());
        }
        let mut changes = self.breaking.clone();
        if changes.is_empty() {
            changes.clone_from(&self.other);
        }
        let list = if changes.is_empty() {
            String::new()
        } else {
            format!("\n  {}", changes.join("\n  "))
        };
        let want = self.required.apply(old);
        bail!(
            "the spec has {} since {} and needs a {} bump, but info.version is {} ({} bump).\n\
             To release it: set info.version to {want} in {SPEC_YAML_REL}, add a \
             `## [spec {want}] - YYYY-MM-DD` section to CHANGELOG.md, run \
             `cargo xtask spec bundle && cargo xtask codegen && cargo xtask spec bless`, \
             and commit the lot (openapi/versions/vpcep-{want}.json included).{}{list}",
            self.required.why(),
            self.old_version,
            self.required.name(),
            self.new_version,
            bump.name(),
            if self.required == Level::Major {
                "\nOr make the change compatible. The breaking changes:"
            } else if changes.is_empty() {
                ""
            } else {
                "\nThe changes:"
            },
        )
    }

    pub fn print(&self) {
        eprintln!(
            "spec compat: info.version {} -> {}: {} breaking, {} other change(s), {} of \
             documentation",
            self.old_version,
            self.new_version,
            self.breaking.len(),
            self.other.len(),
            self.documentation
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
            eprintln!(
                "  needs: {} bump ({}); info.version bump: {}",
                self.required.name(),
                self.required.why(),
                Level::of_bump(old, new).name()
            );
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

pub fn info_version(spec: &Value) -> Result<String> {
    spec.pointer("/info/version")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .context("the spec has no info.version")
}

/// Compares two specs (as JSON values of the OpenAPI documents): every change, with its
/// verdict, and the bump they need together.
pub fn compare(old: &Value, new: &Value) -> Result<Report> {
    let mut report = Report {
        old_version: info_version(old)?,
        new_version: info_version(new)?,
        ..Report::default()
    };
    // Each change, with the places (JSON pointers) it names exactly, if any (see
    // `Change::explains`), and the differences it explains (details of drift's terse
    // messages, e.g. "string schema changed").
    let mut found: Vec<Found> = Vec::new();

    // drift 0.2 asserts that a request or response keeps the same media types (it panics
    // on `text/html` added beside `application/json`); those are classified here and
    // hidden from it.
    let (old_common, new_common) = (&mut old.clone(), &mut new.clone());
    media_types(old_common, new_common, &mut String::new(), &mut found);
    let changes =
        drift::compare(old_common, new_common).context("drift could not compare the specs")?;
    for change in changes {
        let Some(path) = change.paths.first() else {
            continue;
        };
        let direction = match path.comparison {
            ChangeComparison::Input => "request",
            ChangeComparison::Output => "response",
            ChangeComparison::Structural => "",
        };
        // What is gone is named where it was (drift's new side is then `#/paths`).
        let gone = path.new.current_pointer() == "#/paths";
        let side = if gone { &path.old } else { &path.new };
        let base = side.current_pointer().trim_start_matches('#');
        for info in change.changes {
            // Metadata (descriptions, `deprecated`, extensions…) is trivial for drift;
            // the differences themselves describe it better (below).
            if info.class == ChangeClass::Trivial && info.details == ChangeDetails::Metadata {
                continue;
            }
            let sub = if gone {
                &info.old_subpath
            } else {
                &info.new_subpath
            };
            let at = if sub.is_empty() {
                base.to_owned()
            } else {
                format!("{base}/{sub}")
            };
            let breaking = matches!(
                info.class,
                ChangeClass::BackwardIncompatible
                    | ChangeClass::Incompatible
                    | ChangeClass::Unhandled
            );
            let mut change = Change {
                at,
                direction,
                what: info.message.clone(),
                breaking,
                rule: Rule::Drift(info.class),
            };
            let mut named = Vec::new();
            // drift 0.2 calls every change of an object's property set "unhandled";
            // one that only adds properties is compatible (a new required one is
            // reported separately, as a change of `required`).
            if info.class == ChangeClass::Unhandled && info.message == "object properties changed" {
                if let Some((added, removed)) = property_diff(old_common, new_common, path, &info) {
                    let names = |list: &[String]| {
                        list.iter()
                            .map(|p| format!("`{p}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    named = added
                        .iter()
                        .chain(&removed)
                        .map(|p| format!("{}/properties/{}", change.at, super::diff::escape(p)))
                        .collect();
                    if removed.is_empty() {
                        change.what = format!("properties added: {}", names(&added));
                        change.breaking = false;
                    } else {
                        change.what = format!("properties removed: {}", names(&removed));
                        if !added.is_empty() {
                            change.what.push_str(&format!("; added: {}", names(&added)));
                        }
                    }
                }
            }
            found.push(Found {
                change,
                named,
                details: Vec::new(),
            });
        }
    }
    // drift does not see `nullable` or `x-extensible-enum`; see keywords.rs.
    for change in super::keywords::compare(old, new) {
        let keyword = if change.what.starts_with("nullable") {
            "nullable"
        } else {
            "x-extensible-enum"
        };
        let named = vec![format!("{}/{keyword}", change.at.trim_end_matches('/'))];
        let direction = direction_of(&change.what);
        found.push(Found {
            change: Change {
                at: change.at,
                direction,
                what: change.what,
                breaking: change.breaking,
                rule: Rule::Keyword,
            },
            named,
            details: Vec::new(),
        });
    }
    // Nor `security`; see security.rs.
    for change in super::security::compare(old, new) {
        found.push(Found {
            change: Change {
                at: change.at,
                direction: "request",
                what: format!("{} (request)", change.what),
                breaking: change.breaking,
                rule: Rule::Security,
            },
            named: Vec::new(),
            details: Vec::new(),
        });
    }
    // Every other difference, so that nothing goes unlisted: documentation (PATCH), or
    // outside the rules above (compatible: MINOR).
    let mut rest = Vec::new();
    for d in super::diff::differences(&without_version(old), &without_version(new)) {
        let documentation = d.is_documentation();
        if !documentation {
            if let Some(f) = found.iter_mut().find(|f| f.explains(&d)) {
                if f.named.is_empty() && matches!(f.change.rule, Rule::Drift(_)) {
                    let key = d.pointer.strip_prefix(f.change.at.as_str()).unwrap_or("");
                    let key = key.trim_start_matches('/');
                    f.details.push(if key.is_empty() {
                        d.describe()
                    } else {
                        format!("`{key}` {}", d.describe())
                    });
                }
                continue;
            }
        }
        rest.push(Change {
            what: d.describe(),
            at: d.pointer,
            direction: "",
            breaking: false,
            rule: if documentation {
                Rule::Documentation
            } else {
                Rule::Other
            },
        });
    }
    let described = found.into_iter().map(|f| {
        let mut change = f.change;
        if !f.details.is_empty() {
            change.what = format!("{}: {}", change.what, f.details.join("; "));
        }
        if matches!(change.rule, Rule::Drift(_)) && !change.direction.is_empty() {
            change.what = format!("{} ({})", change.what, change.direction);
        }
        change
    });
    report.changes = described.chain(rest).collect();
    report
        .changes
        .sort_by(|a, b| (&a.at, &a.what).cmp(&(&b.at, &b.what)));
    report.changes.dedup();
    for change in &report.changes {
        if change.breaking {
            report.breaking.push(change.line());
        } else if change.rule == Rule::Documentation {
            report.documentation += 1;
        } else {
            report.other.push(change.line());
        }
    }
    report.required = if !report.breaking.is_empty() {
        Level::Major
    } else if strip_docs(old, "") != strip_docs(new, "") {
        Level::Minor
    } else if without_version(old) != without_version(new) {
        Level::Patch
    } else {
        Level::None
    };
    Ok(report)
}

/// The direction named at the end of a keyword change's text (`… (response)`).
fn direction_of(what: &str) -> &'static str {
    if what.ends_with("(request and response)") {
        "request and response"
    } else if what.ends_with("(request)") {
        "request"
    } else if what.ends_with("(response)") {
        "response"
    } else {
        ""
    }
}

/// Pairs every `content` map of `old` and `new` at the same JSON pointer, reports media
/// types added or removed, and removes them from both sides so that drift compares the
/// common ones. A media type added to a response is breaking (a client built from the
/// old spec cannot decode it), one removed is not; in a request it is the reverse.
fn media_types(old: &mut Value, new: &mut Value, at: &mut String, found: &mut Vec<Found>) {
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
                let direction = if response { "response" } else { "request" };
                let content = format!("{at}/content");
                let named = vec![format!("{content}/{}", super::diff::escape(&media))];
                found.push(Found {
                    change: Change {
                        at: content,
                        direction,
                        what: format!("media type {what}: {media} ({direction})"),
                        breaking: is_added == response,
                        rule: Rule::MediaType,
                    },
                    named,
                    details: Vec::new(),
                });
            }
        }
    }
    for (key, child) in o.iter_mut() {
        if let Some(other) = n.get_mut(key) {
            let len = at.len();
            at.push('/');
            at.push_str(&key.replace('~', "~0").replace('/', "~1"));
            media_types(child, other, at, found);
            at.truncate(len);
        }
    }
}

/// The properties (added, removed) at a drift change of an object's property set; `None`
/// when the objects cannot be found.
fn property_diff(
    old: &Value,
    new: &Value,
    path: &drift::ChangePath,
    info: &drift::ChangeInfo,
) -> Option<(Vec<String>, Vec<String>)> {
    let props = |doc: &Value, base: &str, sub: &str| -> Option<Vec<String>> {
        let mut pointer = base.strip_prefix('#')?.to_owned();
        if !sub.is_empty() {
            pointer.push('/');
            pointer.push_str(sub);
        }
        let obj = doc.pointer(&pointer)?.get("properties")?.as_object()?;
        Some(obj.keys().cloned().collect())
    };
    let before = props(old, path.old.current_pointer(), &info.old_subpath)?;
    let after = props(new, path.new.current_pointer(), &info.new_subpath)?;
    let removed = before
        .iter()
        .filter(|p| !after.contains(p))
        .cloned()
        .collect();
    let added = after.into_iter().filter(|p| !before.contains(p)).collect();
    Some((added, removed))
}

/// Documentation keywords, removed by [`strip_docs`].
pub const DOC_KEYWORDS: [&str; 6] = [
    "description",
    "summary",
    "title",
    "example",
    "examples",
    "externalDocs",
];

/// Maps whose keys are names chosen by the author (a property may be called
/// `description`), not OpenAPI keywords: their keys are kept.
pub const NAMED_MAPS: [&str; 14] = [
    "properties",
    "schemas",
    "parameters",
    "responses",
    "headers",
    "paths",
    "securitySchemes",
    "requestBodies",
    "content",
    "links",
    "callbacks",
    "variables",
    "encoding",
    "mapping",
];

/// The document without `info` and without documentation keywords: two specs that are
/// equal after this differ in documentation only.
pub fn strip_docs(v: &Value, parent_key: &str) -> Value {
    match v {
        Value::Object(map) => {
            let named = NAMED_MAPS.contains(&parent_key);
            map.iter()
                .filter(|(k, _)| {
                    named
                        || !(DOC_KEYWORDS.contains(&k.as_str())
                            || (parent_key.is_empty() && k.as_str() == "info"))
                })
                .map(|(k, v)| {
                    // Inside a named map the key is a name, so its value is read as if it
                    // were at the top of a keyword object again.
                    let key = if named { "*" } else { k.as_str() };
                    (k.clone(), strip_docs(v, key))
                })
                .collect::<serde_json::Map<_, _>>()
                .into()
        }
        Value::Array(items) => Value::Array(items.iter().map(|i| strip_docs(i, "[]")).collect()),
        other => other.clone(),
    }
}

pub fn without_version(spec: &Value) -> Value {
    let mut spec = spec.clone();
    if let Some(info) = spec.get_mut("info").and_then(Value::as_object_mut) {
        info.remove("version");
    }
    spec
}

pub(crate) fn git(root: &Path, args: &[&str]) -> Result<String> {
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

/// `cargo xtask spec compat --base REF`: the working tree's spec against the one
/// committed at a git revision (e.g. the merge-base with a release branch), under the
/// same policy. Without `--base`, `spec compat` compares with the latest blessed version
/// (`blessed::check`).
pub fn run_against_rev(root: &Path, rev: &str) -> Result<()> {
    let commit = git(root, &["rev-parse", &format!("{rev}^{{commit}}")])?;
    eprintln!(
        "spec compat: {rev} ({}) vs the working tree",
        &commit[..commit.len().min(12)]
    );
    let Some(old) = spec_at(root, &commit)? else {
        bail!("{SPEC_YAML_REL} does not exist at {rev}");
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
        super::super::load_json(&crate::workspace::project_root()).unwrap()
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
    fn adding_a_description_is_compatible_and_needs_a_patch_bump() {
        let mut old = current();
        set_version(&mut old, "1.0.0"); // the version numbers below are relative to it
        let mut new = old.clone();
        new["components"]["schemas"]["EndpointResp"]["properties"]["id"]["description"] =
            Value::String("Endpoint ID (a UUID).".into());
        let report = compare(&old, &new).unwrap();
        assert!(report.breaking.is_empty(), "{report:#?}");
        assert_eq!(report.required, Level::Patch);
        assert!(report.verdict().is_err(), "a changed spec needs a bump");
        set_version(&mut new, "1.0.1");
        compare(&old, &new).unwrap().verdict().unwrap();
    }

    #[test]
    fn adding_an_optional_response_field_needs_a_minor_bump() {
        let mut old = current();
        set_version(&mut old, "1.0.0"); // the version numbers below are relative to it
        let mut new = old.clone();
        new["components"]["schemas"]["EndpointResp"]["properties"]["new_field"] =
            serde_json::json!({"type": "string"});
        let report = compare(&old, &new).unwrap();
        assert!(report.breaking.is_empty(), "{report:#?}");
        assert_eq!(report.required, Level::Minor);
        set_version(&mut new, "1.0.1");
        let err = compare(&old, &new).unwrap().verdict().unwrap_err();
        assert!(
            format!("{err}").contains("set info.version to 1.1.0"),
            "{err}"
        );
        set_version(&mut new, "1.1.0");
        compare(&old, &new).unwrap().verdict().unwrap();
    }

    #[test]
    fn strip_docs_keeps_fields_named_like_keywords() {
        let a = serde_json::json!({"info": {"version": "1"}, "components": {"schemas": {"S":
            {"description": "x", "properties": {"description": {"type": "string"}}}}}});
        let mut b = a.clone();
        b["components"]["schemas"]["S"]["description"] = Value::String("y".into());
        b["info"]["version"] = Value::String("2".into());
        assert_eq!(strip_docs(&a, ""), strip_docs(&b, ""));
        b["components"]["schemas"]["S"]["properties"]
            .as_object_mut()
            .unwrap()
            .remove("description");
        assert_ne!(strip_docs(&a, ""), strip_docs(&b, ""));
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
