//! `vpcep endpoints list --all` as a whole listing: throttling as VPCEP sends it, failures
//! named for what they are, the receipt, and interruption by a signal. The real binary
//! against an in-process `vpcep-fake` on 127.0.0.1 whose answers a script decides.

use std::process::Output;

use vpcep_fake::{FakeConfig, FakeServer, Fault};

mod common;
use common::{stderr_text, target, vpcep, TOKEN};

/// A fake with `n` generated endpoints.
fn fake(n: usize) -> FakeServer {
    FakeServer::start(FakeConfig::new().generate(n, 7).token(TOKEN)).expect("fake starts")
}

/// `vpcep endpoints list` against `url` with `args`.
fn list(url: &str, args: &[&str]) -> Output {
    let mut argv = target(url);
    argv.extend_from_slice(&["endpoints", "list"]);
    argv.extend_from_slice(args);
    vpcep(&[], &argv)
}

fn offset_of(request: &vpcep_fake::RecordedRequest) -> u64 {
    request.query("offset").map_or(0, |v| v.parse().unwrap())
}

const ENDPOINT_0022: &str = r#"{"error":{"code":"EndPoint.0022","message":"The number of requests exceeded the limit. Please try later."}}"#;

#[test]
fn a_listing_throttled_with_endpoint_0022_completes() {
    // 5,000 endpoints; the first request at or beyond offset 2000 gets VPCEP's throttling.
    let fake = fake(5000);
    let once = std::sync::atomic::AtomicBool::new(false);
    fake.faults().script(move |_, request| {
        (offset_of(request) >= 2000 && !once.swap(true, std::sync::atomic::Ordering::SeqCst))
            .then(|| Fault::json(400, ENDPOINT_0022))
    });
    let out = list(&fake.url(), &["--all", "--output", "ids"]);
    let stderr = stderr_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let ids: std::collections::HashSet<_> = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(ids.len(), 5000, "{stderr}");
}

#[test]
fn a_retry_after_longer_than_the_timeout_ends_the_call_at_once() {
    let fake = fake(10);
    fake.faults().script(|_, _| {
        Some(
            Fault::json(
                429,
                r#"{"error_code":"APIGW.0308","error_msg":"throttled"}"#,
            )
            .with_header("Retry-After", "86400"),
        )
    });
    let out = list(&fake.url(), &["--all", "--timeout", "10"]);
    let stderr = stderr_text(&out);
    // The server answered at once: the throttling error (5), not a timeout (6).
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("429"), "{stderr}");
    assert!(stderr.contains("86400 s"), "{stderr}");
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn an_interrupted_transfer_is_not_called_unreachable() {
    let fake = fake(10);
    fake.faults().script(|_, _| Some(Fault::Truncate));
    let out = list(&fake.url(), &["--retries", "1", "--no-compression"]);
    let stderr = stderr_text(&out);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(!stderr.contains("could not reach"), "{stderr}");
    assert_eq!(fake.requests().len(), 2);
}

#[test]
fn a_body_that_does_not_decompress_is_undecodable() {
    let fake = fake(10);
    fake.faults().script(|_, _| {
        Some(Fault::json(200, "this is not gzip").with_header("Content-Encoding", "gzip"))
    });
    let out = list(&fake.url(), &[]);
    let stderr = stderr_text(&out);
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    assert!(stderr.contains("decompress"), "{stderr}");
    assert!(!stderr.contains("could not reach"), "{stderr}");
    assert_eq!(fake.requests().len(), 2, "one retry only");
}

#[test]
fn a_page_that_contradicts_itself_is_never_a_silent_partial() {
    // A first page that says total_count 0 but carries endpoints: before, 1,000 of 5,000
    // printed and exit 0. `200 {}`: before, an empty listing and exit 0.
    let zero = {
        let fake = fake(5000);
        let page = fake.select(&{
            let mut q = vpcep_client::ListEndpointsQuery::default();
            q.set("limit", "1000").unwrap();
            q
        });
        let body = serde_json::json!({ "endpoints": page.1, "total_count": 0 });
        body.to_string()
    };
    for (name, body) in [("total_count 0", zero), ("{}", "{}".to_owned())] {
        let fake = fake(5000);
        fake.faults()
            .script(move |_, _| Some(Fault::json(200, body.clone())));
        let out = list(&fake.url(), &["--all", "--output", "ids"]);
        let stderr = stderr_text(&out);
        assert_eq!(out.status.code(), Some(7), "{name}: {stderr}");
        assert!(stderr.contains("contradicts itself"), "{name}: {stderr}");
        assert!(stderr.contains("offset 0"), "{name}: {stderr}");
    }
}

/// A path in a fresh temporary directory of this test process.
fn temp_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("vpcep-listing-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("receipt.json")
}

fn read_receipt(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("the receipt was written");
    serde_json::from_str(&text).expect("the receipt is JSON")
}

#[test]
fn a_clean_listing_writes_its_receipt_and_says_nothing() {
    let fake = fake(2500);
    let path = temp_path("clean");
    let path_text = path.to_str().unwrap();
    let out = list(&fake.url(), &["--all", "-o", "ids", "--receipt", path_text]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_text(&out));
    assert_eq!(stderr_text(&out), "", "a clean listing prints no summary");
    let receipt = read_receipt(&path);
    assert_eq!(receipt["version"], 1);
    assert_eq!(receipt["complete"], true);
    assert_eq!(receipt["reasons"], serde_json::json!([]));
    assert_eq!(receipt["endpoints"], 2500);
    assert_eq!(receipt["total_count_start"], 2500);
    assert_eq!(receipt["pages_fetched"], fake.requests().len());
    assert_eq!(receipt["retries"]["throttled_429"], 0);
    // At -v the summary is printed all the same.
    let out = list(&fake.url(), &["--all", "-o", "ids", "-v"]);
    assert!(
        stderr_text(&out).contains("listing complete: 2500 endpoints"),
        "{}",
        stderr_text(&out)
    );
}

#[test]
fn a_churned_throttled_listing_completes_and_says_how() {
    // 5,000 endpoints, 3 created and 3 deleted after every page, and VPCEP's throttling on
    // two requests: exit 0, every endpoint that existed throughout printed once, and a
    // summary on stderr (the listing was not clean).
    let fake = FakeServer::start(
        FakeConfig::new()
            .generate(5000, 3)
            .token(TOKEN)
            .churn(vpcep_fake::Churn::new(3, 3)),
    )
    .unwrap();
    let throttled = std::sync::atomic::AtomicUsize::new(0);
    fake.faults().script(move |n, request| {
        let throttle = n > 0
            && offset_of(request) > 0
            && throttled.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 2;
        throttle.then(|| Fault::json(400, ENDPOINT_0022).with_header("Retry-After", "0"))
    });
    let path = temp_path("churned");
    let before = fake.generation();
    let out = list(
        &fake.url(),
        &["--all", "-o", "ids", "--receipt", path.to_str().unwrap()],
    );
    let walk = before..fake.generation();
    let stderr = stderr_text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let printed: Vec<&[u8]> = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let unique: std::collections::HashSet<_> = printed.iter().collect();
    assert_eq!(unique.len(), printed.len(), "an endpoint printed twice");
    for id in fake.present_throughout(walk) {
        assert!(unique.contains(&id.as_bytes()), "{id} missing");
    }
    assert!(stderr.contains("listing complete"), "{stderr}");
    assert!(stderr.contains("2 EndPoint.0022"), "{stderr}");
    let receipt = read_receipt(&path);
    assert_eq!(receipt["complete"], true);
    assert_eq!(receipt["retries"]["throttled_endpoint_0022"], 2);
    assert_eq!(receipt["endpoints"], printed.len());
}

#[test]
fn a_failed_listing_writes_an_incomplete_receipt() {
    let fake = fake(3000);
    fake.faults().script(|_, request| {
        (offset_of(request) > 0).then(|| {
            Fault::json(
                403,
                r#"{"error_code":"APIGW.0302","error_msg":"forbidden"}"#,
            )
        })
    });
    let path = temp_path("failed");
    let out = list(
        &fake.url(),
        &["--all", "-o", "jsonl", "--receipt", path.to_str().unwrap()],
    );
    let stderr = stderr_text(&out);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("listing INCOMPLETE"), "{stderr}");
    assert!(
        stderr.contains("the output is partial: 1000 endpoints"),
        "{stderr}"
    );
    let receipt = read_receipt(&path);
    assert_eq!(receipt["complete"], false);
    assert!(
        receipt["reasons"][0].as_str().unwrap().contains("403"),
        "{receipt}"
    );
}

/// Runs `vpcep endpoints list --all` against a fake that answers the first page and then
/// never again, sends `signal` once the first page is out, and returns the exit status,
/// stdout and stderr. Every wait is bounded.
fn interrupted_listing(signal: &str, args: &[&str]) -> (Option<i32>, Vec<u8>, String) {
    use std::time::Duration;
    let fake = FakeServer::start(FakeConfig {
        shutdown_grace: Duration::ZERO,
        ..FakeConfig::new().generate(5000, 7).token(TOKEN)
    })
    .unwrap();
    // Every page after the first hangs: the listing is stuck after printing page one.
    fake.faults()
        .script(|_, request| (offset_of(request) > 0).then_some(Fault::Hang));
    let url = fake.url();
    let mut argv = target(&url);
    argv.extend_from_slice(&["endpoints", "list", "--all"]);
    argv.extend_from_slice(args);
    // The second request goes out once the first page is printed.
    common::signalled(&[], &argv, signal, || fake.requests().len() >= 2)
}

#[test]
fn sigint_closes_the_json_document_writes_the_receipt_and_exits_130() {
    let path = temp_path("sigint");
    let (code, stdout, stderr) =
        interrupted_listing("-INT", &["-o", "json", "--receipt", path.to_str().unwrap()]);
    assert_eq!(code, Some(130), "{stderr}");
    // A valid document with the endpoints printed so far.
    let doc: serde_json::Value = serde_json::from_slice(&stdout).expect("valid JSON");
    assert_eq!(doc["endpoints"].as_array().unwrap().len(), 1000);
    assert!(stderr.contains("interrupted by SIGINT"), "{stderr}");
    assert!(stderr.contains("the output is partial"), "{stderr}");
    let receipt = read_receipt(&path);
    assert_eq!(receipt["complete"], false);
    assert!(
        receipt["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains("interrupted by SIGINT")),
        "{receipt}"
    );
    assert_eq!(receipt["endpoints"], 1000);
}

#[test]
fn sigterm_leaves_whole_lines_and_exits_143() {
    let (code, stdout, stderr) = interrupted_listing("-TERM", &["-o", "jsonl"]);
    assert_eq!(code, Some(143), "{stderr}");
    let text = String::from_utf8(stdout).unwrap();
    assert!(text.ends_with('\n'), "the last line is whole");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1000);
    for line in lines {
        serde_json::from_str::<serde_json::Value>(line).expect("every line is a whole object");
    }
    assert!(stderr.contains("interrupted by SIGTERM"), "{stderr}");
    assert!(stderr.contains("every line whole"), "{stderr}");
}
