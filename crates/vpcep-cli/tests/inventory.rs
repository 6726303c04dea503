//! Inventory work with the real `vpcep` binary against an in-process `vpcep-fake`:
//! `--fields` in every format, `-o csv`, `--query`, `endpoints diff` and `list --all --diff`.
//! (Python's `csv` and reference `jmespath` check the same outputs in
//! `tests/python/test_cli_inventory.py`.)

use std::path::PathBuf;
use std::process::Output;

use serde_json::{json, Value};
use vpcep_fake::{FakeConfig, FakeServer};

mod common;
use common::{list, stderr_text as stderr, stdout, success, vpcep};

/// A usage error (exit 2) with nothing on stdout and no request sent.
fn usage_error(out: &Output, fake: &FakeServer) -> String {
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(out));
    assert!(out.stdout.is_empty(), "{}", stdout(out));
    assert!(
        fake.requests().is_empty(),
        "nothing is sent on a usage error"
    );
    stderr(out)
}

fn generated_fake(n: usize, quirks: bool) -> FakeServer {
    FakeServer::start(
        FakeConfig::new()
            .generate(n, 11)
            .quirks(quirks)
            .token(common::TOKEN),
    )
    .expect("fake starts")
}

/// The endpoints of `-o json`, the reference every other output is checked against.
fn json_endpoints(url: &str) -> Vec<Value> {
    let doc: Value = serde_json::from_str(&success(&list(url, &["--all", "-o", "json"]))).unwrap();
    doc["endpoints"].as_array().unwrap().clone()
}

/// What `--fields` should give for `field` of `endpoint`: the value, through arrays a
/// projection (JMESPath's `a[].b`), `null` when absent.
fn expected_field(endpoint: &Value, field: &str) -> Value {
    fn walk(v: &Value, path: &[&str]) -> Option<Value> {
        match path.split_first() {
            None => Some(v.clone()),
            Some((head, rest)) => match v {
                Value::Object(m) => walk(m.get(*head)?, rest),
                Value::Array(items) => Some(Value::Array(
                    items
                        .iter()
                        .filter_map(|i| walk(i, path))
                        .filter(|v| !v.is_null())
                        .collect(),
                )),
                _ => None,
            },
        }
    }
    let path: Vec<&str> = field.split('.').collect();
    walk(endpoint, &path).unwrap_or(Value::Null)
}

const FIELDS: &str = "status,id,tags.key,enable_dns,dns_names,marker_id,description";

// ---------------------------------------------------------------- --fields

#[test]
fn fields_in_json_and_jsonl_are_the_fields_of_the_json_output_in_order() {
    let fake = generated_fake(40, true);
    let all = json_endpoints(&fake.url());
    let names: Vec<&str> = FIELDS.split(',').collect();

    let doc: Value = serde_json::from_str(&success(&list(
        &fake.url(),
        &["--all", "-o", "json", "--fields", FIELDS],
    )))
    .unwrap();
    let jsonl = success(&list(
        &fake.url(),
        &["--all", "-o", "jsonl", "--fields", FIELDS],
    ));
    let lines: Vec<&str> = jsonl.lines().collect();
    assert_eq!(doc["endpoints"].as_array().unwrap().len(), all.len());
    assert_eq!(lines.len(), all.len());
    assert_eq!(doc["total_count"], json!(all.len()));
    for ((endpoint, selected), line) in all
        .iter()
        .zip(doc["endpoints"].as_array().unwrap())
        .zip(&lines)
    {
        for name in &names {
            assert_eq!(selected[*name], expected_field(endpoint, name), "{name}");
        }
        // Keys in the order asked, in both formats.
        let keys: Vec<&str> = line
            .trim_start_matches('{')
            .split(",\"")
            .filter_map(|part| part.trim_start_matches('"').split("\":").next())
            .filter(|k| names.contains(k))
            .collect();
        assert_eq!(keys, names, "{line}");
        let parsed: Value = serde_json::from_str(line).unwrap();
        assert_eq!(&parsed, selected);
    }
}

#[test]
fn fields_in_a_table_are_columns_in_order() {
    let fake = generated_fake(12, false);
    let all = json_endpoints(&fake.url());
    let table = success(&list(
        &fake.url(),
        &["--all", "-o", "table", "--fields", "id,status,tags.key"],
    ));
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["ID", "STATUS", "TAGS.KEY"]);
    for (endpoint, line) in all.iter().zip(lines) {
        let (id, rest) = line.split_once("  ").unwrap();
        assert_eq!(id, endpoint["id"].as_str().unwrap());
        let rest = rest.trim_start();
        let (status, tags) = rest.split_once("  ").unwrap_or((rest, ""));
        assert_eq!(status, endpoint["status"].as_str().unwrap());
        let want = expected_field(endpoint, "tags.key");
        if want.as_array().is_some_and(|a| !a.is_empty()) || !want.is_null() {
            assert_eq!(tags.trim(), serde_json::to_string(&want).unwrap(), "{line}");
        }
    }
}

#[test]
fn the_default_table_is_unchanged_by_the_new_flags() {
    let fake = generated_fake(12, false);
    let plain = success(&list(&fake.url(), &["-o", "table"]));
    assert!(plain.starts_with("ID "), "{plain}");
    assert!(plain.lines().next().unwrap().contains("SERVICE NAME"));
}

#[test]
fn an_unknown_field_is_a_usage_error_listing_the_known_ones() {
    let fake = generated_fake(3, false);
    for format in ["table", "csv", "json", "jsonl"] {
        let out = list(&fake.url(), &["-o", format, "--fields", "id,stauts"]);
        let err = usage_error(&out, &fake);
        assert!(err.contains("unknown field \"stauts\""), "{err}");
        for known in ["endpoint_service_name", "status", "tags.key", "updated_at"] {
            assert!(err.contains(known), "{known} in {err}");
        }
    }
    let err = usage_error(&list(&fake.url(), &["-o", "ids", "--fields", "id"]), &fake);
    assert!(err.contains("-o ids"), "{err}");
}

// ---------------------------------------------------------------- -o csv

#[test]
fn csv_reads_back_to_the_values_of_json() {
    let fake = generated_fake(60, true);
    let all = json_endpoints(&fake.url());
    let text = success(&list(&fake.url(), &["--all", "--limit", "25", "-o", "csv"]));
    assert!(text.contains("\r\n"), "RFC 4180 line ends");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    // Default columns: the table's first, then every other property of the spec.
    assert_eq!(&header[..3], ["id", "status", "endpoint_service_name"]);
    for must in ["tags", "enable_dns", "updated_at", "policy_document"] {
        assert!(header.iter().any(|h| h == must), "{must}: {header:?}");
    }
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), all.len());
    for (endpoint, row) in all.iter().zip(&rows) {
        for (name, cell) in header.iter().zip(row.iter()) {
            let want = &endpoint.get(name).cloned().unwrap_or(Value::Null);
            let got: Value = match want {
                Value::Null => {
                    assert_eq!(cell, "", "{name}");
                    continue;
                }
                Value::String(_) => Value::String(cell.to_owned()),
                _ => serde_json::from_str(cell).unwrap_or_else(|e| panic!("{name}: {cell:?}: {e}")),
            };
            assert_eq!(&got, want, "{name}");
        }
    }
}

#[test]
fn csv_with_fields_quotes_what_rfc_4180_says() {
    let endpoints = json!([
        {"id": "a,b", "description": "say \"hi\"\nsecond line", "tags": [{"key": "k", "value": "v,w"}],
         "created_at": "2026-01-02T00:00:00Z"},
        {"id": "c", "description": "bell\u{7} and \u{1b}[31m", "created_at": "2026-01-01T00:00:00Z"}
    ]);
    let fake = FakeServer::start(
        FakeConfig::new()
            .token(common::TOKEN)
            .endpoints(serde_json::from_value(endpoints).unwrap()),
    )
    .unwrap();
    let text = success(&list(
        &fake.url(),
        &["-o", "csv", "--fields", "id,description,tags"],
    ));
    assert_eq!(
        text,
        "id,description,tags\r\n\
         \"a,b\",\"say \"\"hi\"\"\nsecond line\",\"[{\"\"key\"\":\"\"k\"\",\"\"value\"\":\"\"v,w\"\"}]\"\r\n\
         c,bell\\u{7} and \\u{1b}[31m,\r\n"
    );
    // No endpoint: still the header.
    let empty =
        FakeServer::start(FakeConfig::new().token(common::TOKEN).endpoints(Vec::new())).unwrap();
    assert_eq!(
        success(&list(&empty.url(), &["-o", "csv", "--fields", "id,status"])),
        "id,status\r\n"
    );
}

// ---------------------------------------------------------------- --query

#[test]
fn query_on_the_document_and_on_each_endpoint() {
    let fake = generated_fake(30, false);
    let all = json_endpoints(&fake.url());
    let out = success(&list(
        &fake.url(),
        &["--all", "--query", "endpoints[?status=='accepted'].id"],
    ));
    let got: Value = serde_json::from_str(&out).unwrap();
    let want: Vec<&Value> = all
        .iter()
        .filter(|e| e["status"] == "accepted")
        .map(|e| &e["id"])
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, json!(want));

    let out = success(&list(
        &fake.url(),
        &[
            "--all",
            "-o",
            "jsonl",
            "--query",
            "status=='accepted' && {id: id} || null",
        ],
    ));
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let want: Vec<Value> = want.iter().map(|id| json!({"id": id})).collect();
    assert_eq!(lines, want, "null results are left out");

    let count = success(&list(
        &fake.url(),
        &["--all", "--query", "length(endpoints)"],
    ));
    assert_eq!(count, format!("{}\n", all.len()));
}

#[test]
fn a_bad_query_is_a_usage_error_that_points_at_it() {
    let fake = generated_fake(3, false);
    let err = usage_error(
        &list(&fake.url(), &["--query", "endpoints[?status=="]),
        &fake,
    );
    assert!(
        err.contains("--query") && err.contains("at character"),
        "{err}"
    );
    let err = usage_error(
        &list(&fake.url(), &["-o", "csv", "--query", "endpoints"]),
        &fake,
    );
    assert_eq!(
        err,
        "error: --query works with -o json (on the whole document) and -o jsonl (on each \
         endpoint), not -o csv\n"
    );
    let both = list(&fake.url(), &["--query", "endpoints", "--fields", "id"]);
    assert_eq!(both.status.code(), Some(2));
    // Known at run time only: a function given the wrong type (exit 2 too).
    let out = list(&fake.url(), &["--query", "abs(endpoints)"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--query"), "{}", stderr(&out));
}

// ---------------------------------------------------------------- diff

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let dir =
            std::env::temp_dir().join(format!("vpcep-inventory-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn jsonl(&self, name: &str, records: &[Value]) -> String {
        let text: String = records.iter().map(|r| format!("{r}\n")).collect();
        self.file(name, &text)
    }

    fn json(&self, name: &str, records: &[Value]) -> String {
        let doc = json!({"endpoints": records, "total_count": records.len()});
        self.file(name, &serde_json::to_string_pretty(&doc).unwrap())
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn endpoint(id: &str, status: &str, updated: &str) -> Value {
    json!({"id": id, "status": status, "endpoint_service_name": "svc", "vpc_id": "vpc-1",
           "project_id": "p", "updated_at": updated, "tags": [{"key": "env", "value": "prod"}]})
}

fn diff(args: &[&str]) -> Output {
    let mut argv = vec!["endpoints", "diff"];
    argv.extend_from_slice(args);
    vpcep(&[], &argv)
}

fn diff_json(args: &[&str]) -> Value {
    let mut argv = vec!["-o", "json"];
    argv.extend_from_slice(args);
    serde_json::from_str(&success(&diff(&argv))).unwrap()
}

#[test]
fn diff_finds_added_removed_and_changed_fields_in_any_order() {
    let dir = Dir::new("pairs");
    let old = [
        endpoint("a", "accepted", "t1"),
        endpoint("b", "pendingAcceptance", "t1"),
        endpoint("c", "accepted", "t1"),
    ];
    let mut changed = endpoint("b", "accepted", "t2");
    changed["description"] = json!("now described");
    changed["tags"] = json!([{"key": "env", "value": "dev"}]);
    // Reordered, `a` with a new updated_at only, `c` gone, `d` new.
    let new = [
        endpoint("d", "creating", "t2"),
        changed,
        endpoint("a", "accepted", "t9"),
    ];
    let one_line = |name: &str, records: &[Value]| {
        let doc = json!({"endpoints": records, "total_count": records.len()});
        dir.file(name, &format!("{doc}\n"))
    };
    let olds = [
        dir.jsonl("old.jsonl", &old),
        dir.json("old.json", &old),
        one_line("old-line.json", &old),
    ];
    let news = [
        dir.jsonl("new.jsonl", &new),
        dir.json("new.json", &new),
        one_line("new-line.json", &new),
    ];
    let old_path = olds[0].clone();
    for (old_path, new_path) in olds.iter().flat_map(|o| news.iter().map(move |n| (o, n))) {
        let doc = diff_json(&[old_path, new_path]);
        assert_eq!(doc["added"], json!([new[0]]));
        assert_eq!(doc["removed"], json!([old[2]]));
        assert_eq!(doc["unchanged"], 1, "`a` differs in updated_at only");
        assert_eq!(doc["ignored"], json!(["updated_at"]));
        assert_eq!(
            doc["changed"],
            json!([{"id": "b", "changes": {
                "description": {"new": "now described"},
                "status": {"old": "pendingAcceptance", "new": "accepted"},
                "tags": {"old": [{"key": "env", "value": "prod"}], "new": [{"key": "env", "value": "dev"}]}
            }}])
        );
    }
    let text = success(&diff(&[&old_path, &dir.jsonl("new2.jsonl", &new)]));
    assert_eq!(
        text,
        "+ d  creating  svc\n\
         - c  accepted  svc\n\
         ~ b\n    \
         description: (absent) → \"now described\"\n    \
         status: \"pendingAcceptance\" → \"accepted\"\n    \
         tags: [{\"key\":\"env\",\"value\":\"prod\"}] → [{\"key\":\"env\",\"value\":\"dev\"}]\n\
         1 added, 1 removed, 1 changed, 1 unchanged (ignored: updated_at; --include to compare)\n"
    );
}

#[test]
fn diff_ignores_updated_at_unless_included_and_exit_code_says_so() {
    let dir = Dir::new("updated");
    let old = dir.json(
        "old.json",
        &[
            endpoint("a", "accepted", "t1"),
            endpoint("b", "accepted", "t1"),
        ],
    );
    // Reordered, updated_at changed: no difference.
    let new = dir.jsonl(
        "new.jsonl",
        &[
            endpoint("b", "accepted", "t5"),
            endpoint("a", "accepted", "t5"),
        ],
    );
    let same = diff(&["--exit-code", &old, &new]);
    assert_eq!(same.status.code(), Some(0), "{}", stderr(&same));
    assert_eq!(
        stdout(&same),
        "0 added, 0 removed, 0 changed, 2 unchanged (ignored: updated_at; --include to compare)\n"
    );

    let included = diff(&["--exit-code", "--include", "updated_at", &old, &new]);
    assert_eq!(included.status.code(), Some(1), "{}", stderr(&included));
    assert!(stderr(&included).is_empty(), "a difference is not an error");
    assert!(stdout(&included).contains("updated_at: \"t1\" → \"t5\""));
    // Without --exit-code a difference exits 0.
    assert_eq!(
        diff(&["--include", "updated_at", &old, &new]).status.code(),
        Some(0)
    );
    // --ignore leaves a field out.
    let status_only = dir.jsonl(
        "status.jsonl",
        &[
            endpoint("a", "rejected", "t1"),
            endpoint("b", "accepted", "t1"),
        ],
    );
    assert_eq!(
        diff(&["--exit-code", &old, &status_only]).status.code(),
        Some(1)
    );
    assert_eq!(
        diff(&["--exit-code", "--ignore", "status", &old, &status_only])
            .status
            .code(),
        Some(0)
    );
    let unknown = diff(&["--ignore", "stauts", &old, &new]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("unknown field \"stauts\""),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn diff_of_multi_target_listings_keys_by_target_and_id() {
    let dir = Dir::new("multi");
    let at = |region: &str, status: &str| {
        // As `vpcep --region a,b endpoints list --all -o jsonl` writes it (issue 22).
        let mut e = endpoint("same-id", status, "t");
        e["target"] = json!({"account": "acme", "region": region, "project_id": "p"});
        e
    };
    let old = dir.jsonl(
        "old.jsonl",
        &[
            at("cn-north-4", "accepted"),
            at("ap-southeast-1", "accepted"),
        ],
    );
    let new = dir.jsonl(
        "new.jsonl",
        &[
            at("ap-southeast-1", "rejected"),
            at("cn-north-4", "accepted"),
        ],
    );
    let doc = diff_json(&[&old, &new]);
    assert_eq!(doc["unchanged"], 1);
    assert_eq!(
        doc["changed"],
        json!([{"id": "same-id",
                "target": {"account": "acme", "region": "ap-southeast-1", "project_id": "p"},
                "changes": {"status": {"old": "accepted", "new": "rejected"}}}])
    );
    let text = success(&diff(&[&old, &new]));
    assert!(
        text.starts_with("~ same-id [acme/ap-southeast-1/p]\n"),
        "{text}"
    );
}

#[test]
fn diff_refuses_what_is_not_a_listing() {
    let dir = Dir::new("bad");
    let good = dir.jsonl("good.jsonl", &[endpoint("a", "accepted", "t")]);
    let cases = [
        (
            "truncated.json",
            "{\"endpoints\": [{\"id\": \"a\"},\n",
            "truncated.json",
        ),
        (
            "no_id.jsonl",
            "{\"status\": \"accepted\"}\n",
            "without an \"id\"",
        ),
        (
            "twice.jsonl",
            "{\"id\": \"a\"}\n{\"id\": \"a\"}\n",
            "appears twice",
        ),
        ("line.jsonl", "{\"id\": \"a\"}\nnot json\n", "line 2"),
        (
            "other.json",
            "{\n\"items\": []\n}\n",
            "without \"endpoints\"",
        ),
    ];
    for (name, text, says) in cases {
        let bad = dir.file(name, text);
        let out = diff(&[&bad, &good]);
        assert_eq!(out.status.code(), Some(7), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{name}: {}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
    let missing = diff(&[&format!("{good}.missing"), &good]);
    assert_eq!(missing.status.code(), Some(4), "{}", stderr(&missing));
    // An empty file is a listing of nothing: everything was added.
    let empty = dir.file("empty.jsonl", "");
    assert_eq!(
        diff_json(&[&empty, &good])["added"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn list_all_diff_compares_the_fresh_listing_with_old() {
    let fake = generated_fake(50, true);
    let dir = Dir::new("listdiff");
    let all = json_endpoints(&fake.url());
    fake.clear_requests();
    let same = dir.file(
        "same.json",
        &success(&list(&fake.url(), &["--all", "-o", "json"])),
    );
    fake.clear_requests();
    let out = list(&fake.url(), &["--all", "--diff", &same, "--exit-code"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("0 added, 0 removed, 0 changed, 50 unchanged"),
        "{}",
        stdout(&out)
    );

    // OLD without the first endpoint, with an extra one, and the second one changed.
    let mut old: Vec<Value> = all[1..].to_vec();
    old[0]["status"] = json!("failed");
    old.push(endpoint("gone", "accepted", "t"));
    let old_path = dir.jsonl("old.jsonl", &old);
    let out = list(
        &fake.url(),
        &["--all", "--diff", &old_path, "--exit-code", "-o", "json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["added"].as_array().unwrap().len(), 1);
    assert_eq!(doc["added"][0]["id"], all[0]["id"]);
    assert_eq!(doc["removed"][0]["id"], "gone");
    assert_eq!(doc["changed"][0]["id"], all[1]["id"]);
    assert_eq!(doc["changed"][0]["changes"]["status"]["old"], "failed");
    assert_eq!(doc["unchanged"], 48);

    // A bad OLD fails before anything is sent; --diff needs --all; --exit-code needs --diff.
    fake.clear_requests();
    let bad = dir.file("bad.jsonl", "nope\n");
    let out = list(&fake.url(), &["--all", "--diff", &bad]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert!(fake.requests().is_empty());
    assert_eq!(list(&fake.url(), &["--diff", &same]).status.code(), Some(2));
    usage_error(&list(&fake.url(), &["--all", "--exit-code"]), &fake);
    usage_error(
        &list(&fake.url(), &["--all", "--diff", &same, "-o", "csv"]),
        &fake,
    );
}
