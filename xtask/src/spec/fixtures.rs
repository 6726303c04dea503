//! `cargo xtask spec fixtures` (part of `spec check`): `openapi/fixtures/`, recorded
//! response bodies for consumers, each checked against the spec versions it claims.
//!
//! `openapi/fixtures/index.json` lists every fixture: its file, status, media type, the
//! first spec version it is valid for (`since`; `until`, exclusive, if it stops being
//! valid) and how `vpcep-fake` serves the same response (`fake`). The check:
//!
//! 1. the manifest is whole: every file listed exists and parses (JSON, or text for a
//!    non-JSON media type), every file of the directory is listed, `since`/`until` are
//!    blessed versions (also a `#[test]`, so plain `cargo test` sees it);
//! 2. with the reference `OAS30Validator` (`tests/spec_oas30/validate.py`), every fixture
//!    validates against every blessed version in its range, each against the schema
//!    that version declares for its status and media type;
//! 3. a fixture whose `since` is not the first blessed version is **rejected** by the
//!    version before `since` (so `since` says when it became valid, not merely that it
//!    is valid now).
//!
//! That `vpcep-fake` sends what `fake` says is checked by the wheel's tests
//! (`tests/fake_wheel`, `.ci/wheel.sh`), which start the installed fake that way.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use super::blessed::{self, Blessed};
use super::compat::parse_version;
use super::python;

pub const FIXTURES_DIR_REL: &str = "openapi/fixtures";
const MANIFEST: &str = "index.json";
const SCRIPT: &str = "tests/spec_oas30/validate.py";

type Version = (u64, u64, u64);

/// One fixture of the manifest.
#[derive(Debug)]
pub struct Fixture {
    pub file: String,
    pub status: u16,
    pub content_type: String,
    pub since: Version,
    pub until: Option<Version>,
    /// The body: parsed JSON, or the text for other media types.
    pub body: Value,
}

impl Fixture {
    fn valid_in(&self, v: Version) -> bool {
        self.since <= v && self.until.is_none_or(|u| v < u)
    }

    fn sample(&self) -> Value {
        json!({
            "what": self.file,
            "status": self.status,
            "content_type": self.content_type,
            "body": self.body,
        })
    }
}

/// Reads and checks the manifest (step 1).
pub fn load(root: &Path) -> Result<Vec<Fixture>> {
    let dir = root.join(FIXTURES_DIR_REL);
    let manifest_path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("reading {}", manifest_path.display()))?;
    let manifest: Value = serde_json::from_str(&text)
        .with_context(|| format!("parsing {FIXTURES_DIR_REL}/{MANIFEST}"))?;
    let blessed: Vec<Version> = blessed::list(root)?.iter().map(|b| b.version).collect();
    let version = |f: &Value, key: &str, file: &str| -> Result<Option<Version>> {
        let Some(v) = f.get(key).filter(|v| !v.is_null()) else {
            return Ok(None);
        };
        let v = v
            .as_str()
            .with_context(|| format!("{file}: `{key}` is not a string"))?;
        let v = parse_version(v)?;
        if !blessed.contains(&v) {
            bail!("{file}: `{key}` {v:?} is not a blessed spec version");
        }
        Ok(Some(v))
    };
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let entries = manifest
        .get("fixtures")
        .and_then(Value::as_array)
        .with_context(|| format!("{FIXTURES_DIR_REL}/{MANIFEST}: no `fixtures` array"))?;
    for f in entries {
        let file = f.get("file").and_then(Value::as_str).unwrap_or_default();
        let one = || -> Result<Fixture> {
            if file.is_empty() || file.contains('/') {
                bail!("an entry without a plain `file` name: {f}");
            }
            for key in ["what", "content_type"] {
                if f.get(key).and_then(Value::as_str).is_none_or(str::is_empty) {
                    bail!("{file}: no `{key}`");
                }
            }
            let status = f
                .get("status")
                .and_then(Value::as_u64)
                .filter(|s| (100..600).contains(s))
                .with_context(|| format!("{file}: `status` is not an HTTP status"))?;
            let content_type = f["content_type"].as_str().unwrap_or_default().to_owned();
            let since =
                version(f, "since", file)?.with_context(|| format!("{file}: no `since`"))?;
            let until = version(f, "until", file)?;
            check_fake(file, f.get("fake"))?;
            let path = dir.join(file);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("{file}: listed but not readable"))?;
            let body = if content_type.ends_with("json") {
                serde_json::from_str(&text).with_context(|| format!("{file}: not JSON"))?
            } else {
                Value::String(text)
            };
            Ok(Fixture {
                file: file.to_owned(),
                status: status as u16,
                content_type,
                since,
                until,
                body,
            })
        };
        match one() {
            Ok(fixture) => out.push(fixture),
            Err(e) => problems.push(format!("{e:#}")),
        }
    }
    for entry in std::fs::read_dir(&dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name != MANIFEST
            && !out.iter().any(|f| f.file == name)
            && !problems.iter().any(|p| p.starts_with(&name))
        {
            problems.push(format!(
                "{name}: in {FIXTURES_DIR_REL}/ but not listed in {MANIFEST}"
            ));
        }
    }
    if !problems.is_empty() {
        bail!(
            "{FIXTURES_DIR_REL}/{MANIFEST}: {} problem(s):\n- {}",
            problems.len(),
            problems.join("\n- ")
        );
    }
    Ok(out)
}

/// `fake`: null, or `{"args": [strings], "query": {name: string}, "token": string?}`.
fn check_fake(file: &str, fake: Option<&Value>) -> Result<()> {
    let Some(fake) = fake.filter(|f| !f.is_null()) else {
        return Ok(());
    };
    let args_ok = fake
        .get("args")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().all(Value::is_string));
    let query_ok = fake
        .get("query")
        .and_then(Value::as_object)
        .is_some_and(|q| q.values().all(Value::is_string));
    let token_ok = fake.get("token").is_none_or(Value::is_string);
    if !(args_ok && query_ok && token_ok) {
        bail!("{file}: `fake` must be null or {{\"args\": [strings], \"query\": {{name: string}}, \"token\": string (optional)}}");
    }
    Ok(())
}

/// `cargo xtask spec fixtures`: steps 1 to 3 of the module docs.
pub fn check(root: &Path) -> Result<()> {
    let fixtures = load(root)?;
    let blessed = blessed::list(root)?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let dir = target.join("oas30");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let py = python(root);
    let mut failed = Vec::new();
    for (i, b) in blessed.iter().enumerate() {
        let valid: Vec<&Fixture> = fixtures.iter().filter(|f| f.valid_in(b.version)).collect();
        // Fixtures that become valid with the next version must fail with this one.
        let next = blessed.get(i + 1).map(|n| n.version);
        let not_yet: Vec<&Fixture> = fixtures.iter().filter(|f| Some(f.since) == next).collect();
        if valid.is_empty() && not_yet.is_empty() {
            continue;
        }
        let write = |name: &str, list: &[&Fixture]| -> Result<PathBuf> {
            let path = dir.join(name);
            let lines: Vec<String> = list.iter().map(|f| f.sample().to_string()).collect();
            std::fs::write(&path, lines.join("\n") + "\n")?;
            Ok(path)
        };
        let ok = write(&format!("fixtures-{}.jsonl", show(b)), &valid)?;
        let bad = write(&format!("fixtures-{}-must-fail.jsonl", show(b)), &not_yet)?;
        eprintln!(
            "fixtures vs {}: {} must validate, {} must be rejected (valid only from the next version)",
            b.rel,
            valid.len(),
            not_yet.len()
        );
        let status = Command::new(&py)
            .arg(SCRIPT)
            .arg(&b.rel)
            .arg("--samples-only")
            .arg(&ok)
            .arg("--must-fail")
            .arg(&bad)
            .current_dir(root)
            .status()
            .with_context(|| format!("running {SCRIPT} with {}", py.display()))?;
        if !status.success() {
            failed.push(b.rel.clone());
        }
    }
    if !failed.is_empty() {
        bail!(
            "fixtures in {FIXTURES_DIR_REL}/ do not match their versions ({}): fix the \
             fixture, or its `since`/`until` in {MANIFEST}",
            failed.join(", ")
        );
    }
    eprintln!(
        "fixtures: {} fixture(s) match every version they claim",
        fixtures.len()
    );
    Ok(())
}

fn show(b: &Blessed) -> String {
    format!("{}.{}.{}", b.version.0, b.version.1, b.version.2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::project_root;

    #[test]
    fn the_manifest_lists_every_fixture_and_each_parses() {
        let fixtures = load(&project_root()).unwrap();
        assert!(fixtures.len() >= 10, "{fixtures:#?}");
        // The kinds consumers need are there.
        let has = |pred: &dyn Fn(&Fixture) -> bool| fixtures.iter().any(pred);
        assert!(has(
            &|f| f.status == 200 && f.body["endpoints"][0]["enable_dns"] == "true"
        ));
        assert!(has(
            &|f| f.status == 200 && f.body["endpoints"][0]["enable_dns"].is_null()
        ));
        assert!(has(&|f| f.body["endpoints"][0]
            .get("x_vendor_trace")
            .is_some()));
        assert!(has(&|f| f.body.get("error").is_some_and(Value::is_object)
            && f.body.get("error_code").is_none()));
        assert!(has(
            &|f| f.body.get("error_code").is_some() && f.body.get("error").is_none()
        ));
        assert!(has(&|f| f.content_type == "text/html" && f.status == 502));
    }

    #[test]
    fn every_fixture_is_in_the_consumers_readme() {
        let readme = std::fs::read_to_string(project_root().join("openapi/README.md")).unwrap();
        for f in load(&project_root()).unwrap() {
            assert!(
                readme.contains(&format!("`{}`", f.file)),
                "openapi/README.md (Fixtures) does not name `{}`",
                f.file
            );
        }
    }

    #[test]
    fn an_unlisted_file_and_a_bad_entry_are_named() {
        let scratch = crate::workspace::ScratchDir::new("fixtures");
        let blessed = "openapi/versions/vpcep-1.0.0.json";
        let text = std::fs::read_to_string(project_root().join(blessed)).unwrap();
        scratch.write(blessed, &text);
        let manifest = json!({"fixtures": [
            {"file": "a.json", "what": "a", "status": 200, "content_type": "application/json",
             "since": "1.0.0", "fake": null},
            {"file": "b.json", "what": "b", "status": 200, "content_type": "application/json",
             "since": "7.0.0"}
        ]});
        scratch.write("openapi/fixtures/index.json", &manifest.to_string());
        for file in ["a.json", "b.json", "stray.json"] {
            scratch.write(&format!("openapi/fixtures/{file}"), "{}");
        }
        let root = &scratch.0;
        let err = format!("{:#}", load(root).unwrap_err());
        assert!(
            err.contains("b.json: `since` (7, 0, 0) is not a blessed spec version"),
            "{err}"
        );
        assert!(
            err.contains("stray.json: in openapi/fixtures/ but not listed"),
            "{err}"
        );
        assert!(!err.contains("a.json"), "{err}");
    }
}
