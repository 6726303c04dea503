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
