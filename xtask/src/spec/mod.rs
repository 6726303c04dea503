//! `cargo xtask spec …`: publish the spec — validate, lint, bundle, document, keep
//! compatible.
//!
//! - `spec check`: everything CI runs (see [`check`]).
//! - `spec bundle [--check]`: render `openapi/vpcep.json` from `openapi/vpcep.yaml`, and
//!   `openapi/vpcep.deref.json`, the same with every `$ref` inlined ([`deref`]).
//! - `spec lint`: Redocly CLI lint under `redocly.yaml`.
//! - `spec validate`: openapiv3 parse + `openapi-spec-validator` + examples.
//! - `spec oas30`: the reference `OAS30Validator` on every example and every body the
//!   fake sends ([`oas30`]).
//! - `spec fixtures`: `openapi/fixtures/` against every spec version each fixture claims
//!   ([`fixtures`]).
//! - `spec compat [--base REF]`: compatibility with the latest blessed version
//!   ([`blessed::check`]), or with the spec at a git revision ([`compat`]).
//! - `spec bless`: record the current spec as `openapi/versions/vpcep-<version>.json`
//!   (and rewrite `openapi/CHANGES.md`).
//! - `spec changelog [--check]`: `openapi/CHANGES.md`, each blessed version's changes
//!   against the one before ([`changelog`]).
//! - `spec docs [--test]`: HTML reference with `redocly build-docs`, and (`--test`) a
//!   headless-Chromium check of the rendered page.
//!
//! External tools: Python tools are run with `$VPCEP_PY` (a venv's interpreter), else
//! `.venv/bin/python` at the repo root when it exists, else `python3`; Node tools with
//! `npx --no-install` from the root's `node_modules` (`npm ci`). `.ci/spec.sh`
//! installs all of them.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use serde_json::Value;

use crate::codegen;
use crate::workspace::{ensure_file_contents, project_root, Mode};

pub mod blessed;
pub mod changelog;
pub mod compat;
pub mod deref;
mod diff;
pub mod examples;
pub mod fixtures;
mod keywords;
mod oas30;
pub mod schema;
mod security;

/// The spec and its canonical JSON rendering, relative to the workspace root.
pub const SPEC_YAML_REL: &str = codegen::SPEC_YAML;
pub const SPEC_JSON_REL: &str = "openapi/vpcep.json";
/// The bundle with every `$ref` inlined ([`deref`]).
pub const SPEC_DEREF_REL: &str = "openapi/vpcep.deref.json";
/// Where `spec docs` writes the HTML reference, relative to the workspace root.
pub const DOCS_HTML_REL: &str = "target/spec-docs/index.html";
const DOCS_TEST: &str = "tests/spec_docs/check_docs.py";

const PY_INSTALL: &str =
    "python3 -m venv .venv && .venv/bin/pip install -r tests/requirements-spec.txt \
     (then run with VPCEP_PY=.venv/bin/python, or just keep .venv at the repo root); \
     or run .ci/spec.sh, which does all of it";
const NPM_INSTALL: &str = "npm ci   (at the repo root; or run .ci/spec.sh)";

/// `cargo xtask spec <job>`.
#[derive(Debug, Subcommand)]
pub enum SpecJob {
    /// Everything CI runs: openapiv3 parse, openapi-spec-validator, OAS30Validator, the
    /// fixtures against their versions, Redocly lint, examples vs schemas,
    /// openapi/vpcep.json drift, compat against the latest blessed version,
    /// openapi/CHANGES.md drift.
    Check,
    /// Render openapi/vpcep.json from openapi/vpcep.yaml, and openapi/vpcep.deref.json
    /// (every $ref inlined).
    Bundle {
        /// Write nothing; fail if openapi/vpcep.json or vpcep.deref.json is stale.
        #[arg(long)]
        check: bool,
    },
    /// Redocly CLI lint under redocly.yaml.
    Lint,
    /// openapiv3 parse, openapi-spec-validator, examples vs schemas.
    Validate,
    /// The reference OAS30Validator (openapi-schema-validator) on every example and every
    /// body the fake sends (runs cargo test -p vpcep-fake --test schema).
    Oas30,
    /// openapi/fixtures/: the manifest is whole, and every fixture validates against each
    /// blessed version it claims (OAS30Validator) and fails the one before.
    Fixtures,
    /// Versioning policy: the spec against the latest blessed version in openapi/versions/
    /// (bump size, immutable blessed files, CHANGELOG entry), or against --base.
    Compat {
        /// Compare with the spec committed at this git revision instead (bump size only).
        #[arg(long, value_name = "REF")]
        base: Option<String>,
    },
    /// Record the current spec as openapi/versions/vpcep-<info.version>.json (never
    /// overwrites; checks the bump against the latest blessed version first), then
    /// rewrite openapi/CHANGES.md.
    Bless,
    /// Write openapi/CHANGES.md: what changed in each blessed version against the one
    /// before it, breaking or not (by the rules of `spec compat`).
    Changelog {
        /// Write nothing; fail if openapi/CHANGES.md is stale.
        #[arg(long)]
        check: bool,
    },
    /// HTML reference in target/spec-docs/index.html (redocly build-docs).
    Docs {
        /// Also check the page rendered by headless Chromium.
        #[arg(long)]
        test: bool,
    },
}

pub fn run(job: SpecJob) -> Result<()> {
    let root = project_root();
    match job {
        SpecJob::Check => check(&root),
        SpecJob::Bundle { check } => bundle(&root, Mode::check_if(check)),
        SpecJob::Lint => lint(&root),
        SpecJob::Validate => validate(&root),
        SpecJob::Oas30 => oas30::run(&root),
        SpecJob::Fixtures => fixtures::check(&root),
        SpecJob::Compat { base: None } => blessed::check(&root),
        SpecJob::Compat { base: Some(rev) } => compat::run_against_rev(&root, &rev),
        SpecJob::Bless => {
            blessed::bless(&root)?;
            changelog::run(&root, Mode::Write)
        }
        SpecJob::Changelog { check } => changelog::run(&root, Mode::check_if(check)),
        SpecJob::Docs { test: false } => docs(&root).map(|_| ()),
        SpecJob::Docs { test: true } => docs_test(&root),
    }
}

/// `spec check`: each step runs even when an earlier one failed, so one run shows every
/// problem.
pub fn check(root: &Path) -> Result<()> {
    let steps: [(&str, &dyn Fn() -> Result<()>); 7] = [
        ("validate", &|| validate(root)),
        ("oas30", &|| oas30::run(root)),
        ("fixtures", &|| fixtures::check(root)),
        ("lint", &|| lint(root)),
        ("bundle --check", &|| bundle(root, Mode::Check)),
        ("compat", &|| blessed::check(root)),
        ("changelog --check", &|| changelog::run(root, Mode::Check)),
    ];
    let mut failed = Vec::new();
    for (name, step) in steps {
        eprintln!("== spec {name}");
        if let Err(e) = step() {
            eprintln!("spec {name}: FAILED: {e:#}");
            failed.push(name);
        }
    }
    if failed.is_empty() {
        eprintln!("spec check: all passed");
        Ok(())
    } else {
        bail!("spec check failed: {}", failed.join(", "))
    }
}

/// The YAML spec as a JSON value (what `spec bundle` writes and the other checks read).
pub fn load_json(root: &Path) -> Result<Value> {
    let path = root.join(SPEC_YAML_REL);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_norway::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// The canonical JSON rendering: keys sorted (serde_json's default map is ordered by
/// key), 2-space indent, UTF-8 as is, trailing newline. Sorting makes the file
/// independent of how the YAML is laid out, and needs no `preserve_order` feature (which
/// would be unified into the client crate's serde_json too).
pub fn render_json(spec: &Value) -> Result<String> {
    let mut text = serde_json::to_string_pretty(&Canonical(spec))?;
    text.push('\n');
    Ok(text)
}

/// The media type listed first in a `content` map that has it. Keys are otherwise sorted.
///
/// openapi-python-client reads a response with the first media type it supports: with
/// `application/json` first (alphabetical order) its generated client called
/// `response.json()` on a gateway's HTML 502 page and raised `JSONDecodeError`; with
/// `text/html` first it returns the status and the body as text (tests/consumers).
/// Generators that look at every media type (progenitor picks JSON) are unaffected.
const FIRST_MEDIA_TYPE: &str = "text/html";

/// Serializes a JSON value with sorted object keys, except [`FIRST_MEDIA_TYPE`] first.
struct Canonical<'a>(&'a Value);

impl serde::Serialize for Canonical<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort_by_key(|k| (k.as_str() != FIRST_MEDIA_TYPE, k.as_str()));
                let mut out = serializer.serialize_map(Some(keys.len()))?;
                for k in keys {
                    out.serialize_entry(k, &Canonical(&map[k.as_str()]))?;
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&Canonical(item))?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
    }
}

pub fn bundle(root: &Path, mode: Mode) -> Result<()> {
    let spec = load_json(root)?;
    let (inlined, kept) = deref::dereference(&spec)?;
    for (rel, doc) in [(SPEC_JSON_REL, &spec), (SPEC_DEREF_REL, &inlined)] {
        ensure_file_contents(
            &root.join(rel),
            &render_json(doc)?,
            mode,
            "cargo xtask spec bundle",
        )?;
        if mode == Mode::Check {
            eprintln!("{rel} is up to date");
        }
    }
    for at in kept {
        eprintln!("{SPEC_DEREF_REL}: {at} is kept as a $ref (inlining it would recurse)");
    }
    Ok(())
}

pub fn validate(root: &Path) -> Result<()> {
    codegen::load_spec(&root.join(SPEC_YAML_REL))?;
    eprintln!("openapiv3: {SPEC_YAML_REL} parses as OpenAPI 3.0");

    let py = python(root);
    let probe = Command::new(&py)
        .args(["-c", "import openapi_spec_validator"])
        .output();
    if !matches!(&probe, Ok(o) if o.status.success()) {
        bail!(
            "openapi-spec-validator is not installed for `{}`; install it with: {PY_INSTALL}",
            py.display()
        );
    }
    for rel in [SPEC_YAML_REL, SPEC_DEREF_REL] {
        let status = Command::new(&py)
            .args(["-m", "openapi_spec_validator", rel])
            .current_dir(root)
            .status()
            .with_context(|| format!("running {}", py.display()))?;
        if !status.success() {
            bail!("openapi-spec-validator rejected {rel}");
        }
    }

    let n = examples::check(&load_json(root)?)?;
    eprintln!("examples: {n} example(s) and default(s) match their schemas");
    Ok(())
}

/// `$VPCEP_PY`, else `.venv/bin/python` at the root when present, else `python3`.
fn python(root: &Path) -> PathBuf {
    if let Some(p) = std::env::var_os("VPCEP_PY").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let venv = root.join(".venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// `npx --no-install redocly …` at the root, telemetry off. Lines of Redocly's
/// framed banners (e.g. the Node 20 end-of-life notice) are dropped from its output.
fn redocly(root: &Path, args: &[&str]) -> Result<()> {
    if !root.join("node_modules/.bin/redocly").exists() {
        bail!("Redocly CLI is not installed; install it with: {NPM_INSTALL}");
    }
    let out = Command::new("npx")
        .arg("--no-install")
        .arg("redocly")
        .args(args)
        .env("REDOCLY_TELEMETRY", "off")
        .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
        .env("NO_COLOR", "1")
        .current_dir(root)
        .output()
        .context("running npx (is Node.js installed?)")?;
    for stream in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(stream);
        for line in text.lines() {
            if !line.trim_start().starts_with(['║', '╔', '╚']) {
                eprintln!("{line}");
            }
        }
    }
    if !out.status.success() {
        bail!("redocly {} failed ({})", args.join(" "), out.status);
    }
    Ok(())
}

pub fn lint(root: &Path) -> Result<()> {
    redocly(
        root,
        &[
            "lint",
            "--config",
            "redocly.yaml",
            "--format",
            "stylish",
            SPEC_YAML_REL,
        ],
    )
}

/// Renders the HTML reference; returns its path.
pub fn docs(root: &Path) -> Result<PathBuf> {
    let out = root.join(DOCS_HTML_REL);
    redocly(
        root,
        &[
            "build-docs",
            "--config",
            "redocly.yaml",
            // Self-contained: Redoc's scripts are embedded instead of loaded from a CDN.
            "--inlineBundle",
            SPEC_YAML_REL,
            "--output",
            DOCS_HTML_REL,
        ],
    )?;
    eprintln!("wrote {}", out.display());
    Ok(out)
}

pub fn docs_test(root: &Path) -> Result<()> {
    let html = docs(root)?;
    bundle(root, Mode::Check)?;
    let py = python(root);
    let status = Command::new(&py)
        .arg(DOCS_TEST)
        .arg(&html)
        .arg(SPEC_JSON_REL)
        .current_dir(root)
        .status()
        .with_context(|| format!("running {DOCS_TEST} with {}", py.display()))?;
    if !status.success() {
        bail!("{DOCS_TEST} failed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plain `cargo test` fails when the committed openapi/vpcep.json or
    /// openapi/vpcep.deref.json is stale.
    #[test]
    fn bundled_json_is_fresh() {
        bundle(&project_root(), Mode::Check).unwrap();
    }

    #[test]
    fn bundle_round_trips_and_is_stable() {
        let spec = load_json(&project_root()).unwrap();
        let text = render_json(&spec).unwrap();
        assert!(text.ends_with("}\n") && text.starts_with("{\n  \""));
        // Media types: text/html first (openapi-python-client uses the first one).
        let html = text.find("\"text/html\"").expect("a text/html response");
        let json_after = text[html..]
            .find("\"application/json\"")
            .expect("JSON beside it");
        assert!(json_after > 0);
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, spec);
        assert_eq!(render_json(&back).unwrap(), text);
    }
}
