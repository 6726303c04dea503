//! `FaultPlan::script` and the faults that make any response (`Fault::Respond`,
//! `Fault::Endless`), read off the wire byte by byte: what a test writes is what the
//! client gets (no compression, no corrected `Content-Length`, no extra body).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use vpcep_fake::{FakeConfig, FakeServer, Fault, MetadataMode};

mod common;
use common::PROJECT;

fn start() -> FakeServer {
    FakeServer::start(FakeConfig::new()).expect("start")
}

/// Sends `GET target` with `headers` (and `Connection: close`), reads until the fake
/// closes the connection; returns the head (status line and headers, lower-cased names)
/// and the body bytes as received.
fn raw(fake: &FakeServer, method: &str, target: &str, headers: &[&str]) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(fake.addr()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut request =
        format!("{method} {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for h in headers {
        request.push_str(h);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    // A reset after a cut-short body is an end too.
    let _ = stream.read_to_end(&mut bytes);
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(&bytes)));
    let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
    (head, bytes[end + 4..].to_vec())
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim() == name)
        .map(|(_, v)| v.trim())
}

fn list_target() -> String {
    format!("/v1/{PROJECT}/vpc-endpoints")
}

#[test]
fn respond_sends_status_headers_and_body_as_given() {
    let fake = start();
    fake.faults().script(|_, _| {
        Some(
            Fault::json(429, r#"{"error_code":"APIGW.0308"}"#)
                .with_header("Retry-After", "7")
                .with_header("X-Custom", "a")
                .with_header("X-Custom", "b"),
        )
    });
    // Asking for gzip changes nothing: a fault's body is never compressed.
    let (head, body) = raw(&fake, "GET", &list_target(), &["Accept-Encoding: gzip"]);
    assert!(head.starts_with("http/1.1 429 "), "{head}");
    assert_eq!(header(&head, "content-type"), Some("application/json"));
    assert_eq!(header(&head, "retry-after"), Some("7"));
    assert_eq!(header(&head, "content-length"), Some("27"));
    assert_eq!(header(&head, "content-encoding"), None, "{head}");
    let custom: Vec<&str> = head
        .lines()
        .filter(|l| l.starts_with("x-custom:"))
        .collect();
    assert_eq!(custom, ["x-custom: a", "x-custom: b"]);
    // The fake's own request id, the one it logged.
    let id = &fake.requests()[0].request_id;
    assert_eq!(header(&head, "x-request-id"), Some(id.as_str()));
    assert_eq!(body, br#"{"error_code":"APIGW.0308"}"#);
}

#[test]
fn respond_keeps_its_own_encoding_request_id_and_bytes() {
    let fake = start();
    // Not valid gzip nor UTF-8: sent as is all the same.
    let bytes: &[u8] = b"\x1f\x8b\xff\xfe not really gzip";
    fake.faults().script(move |_, _| {
        Some(
            Fault::response(200, bytes)
                .with_header("Content-Encoding", "gzip")
                .with_header("X-Request-Id", "req-mine"),
        )
    });
    let (head, body) = raw(&fake, "GET", &list_target(), &["Accept-Encoding: gzip"]);
    assert!(head.starts_with("http/1.1 200 "), "{head}");
    assert_eq!(header(&head, "content-encoding"), Some("gzip"));
    assert_eq!(header(&head, "x-request-id"), Some("req-mine"));
    assert_eq!(header(&head, "content-type"), None, "{head}");
    assert_eq!(body, bytes);
}

#[test]
fn a_redirect_has_its_location_and_an_empty_body() {
    let fake = start();
    fake.faults()
        .script(|_, _| Some(Fault::response(302, "").with_header("Location", "/elsewhere")));
    let (head, body) = raw(&fake, "GET", &list_target(), &[]);
    assert!(head.starts_with("http/1.1 302 "), "{head}");
    assert_eq!(header(&head, "location"), Some("/elsewhere"));
    assert_eq!(header(&head, "content-length"), Some("0"));
    assert!(body.is_empty());
}

#[test]
fn truncated_respond_promises_the_whole_body_and_sends_half() {
    let fake = start();
    let full = "0123456789".repeat(10);
    fake.faults()
        .script(move |_, _| Some(Fault::json(200, full.clone()).truncated()));
    let (head, body) = raw(&fake, "GET", &list_target(), &[]);
    assert_eq!(header(&head, "content-length"), Some("100"), "{head}");
    assert_eq!(body, "0123456789".repeat(5).as_bytes());
}

#[test]
fn endless_is_chunked_and_bounded() {
    let fake = start();
    fake.faults()
        .script(|_, _| Some(Fault::endless("x".repeat(1000), 5_000)));
    let (head, body) = raw(&fake, "GET", &list_target(), &[]);
    assert!(head.starts_with("http/1.1 200 "), "{head}");
    assert_eq!(header(&head, "transfer-encoding"), Some("chunked"));
    assert_eq!(header(&head, "content-length"), None);
    assert_eq!(header(&head, "content-type"), Some("application/json"));
    // Five chunks of 1000 (3E8 in hex, as hyper writes it), then the last chunk.
    let chunk = format!("3E8\r\n{}\r\n", "x".repeat(1000));
    let expected = format!("{}0\r\n\r\n", chunk.repeat(5));
    assert_eq!(String::from_utf8(body).unwrap(), expected);
}

#[test]
fn script_counts_requests_sees_them_and_none_answers_normally() {
    let fake = start();
    let seen = Arc::new(AtomicUsize::new(0));
    let s = seen.clone();
    // Fault queue: used only by requests the script leaves alone.
    fake.faults().push(Fault::status(418));
    fake.faults().script(move |n, request| {
        s.fetch_add(1, Ordering::Relaxed);
        match (n, request.query("offset")) {
            (0, _) => Some(Fault::json(201, "first")),
            (_, Some("5")) => Some(Fault::json(202, "offset 5")),
            _ => None,
        }
    });
    let target = list_target();
    let (head, body) = raw(&fake, "GET", &format!("{target}?offset=5"), &[]);
    assert!(head.starts_with("http/1.1 201 "), "{head}");
    assert_eq!(body, b"first");
    let (head, body) = raw(&fake, "GET", &format!("{target}?offset=5"), &[]);
    assert!(head.starts_with("http/1.1 202 "), "{head}");
    assert_eq!(body, b"offset 5");
    // None: the queue's fault, then the fake's normal answer.
    let (head, _) = raw(&fake, "GET", &target, &[]);
    assert!(head.starts_with("http/1.1 418 "), "{head}");
    let (head, body) = raw(&fake, "GET", &format!("{target}?limit=1"), &[]);
    assert!(head.starts_with("http/1.1 200 "), "{head}");
    let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(page["total_count"], 2);
    assert_eq!(seen.load(Ordering::Relaxed), 4);
    let requests = fake.requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(requests[3].target(), format!("{target}?limit=1"));
    assert_eq!(requests[3].query("limit"), Some("1"));
    assert_eq!(requests[3].header("HOST"), Some("localhost"));

    // Without the script, the fake answers normally again.
    fake.faults().clear_script();
    assert!(!fake.faults().is_scripted());
    let (head, _) = raw(&fake, "GET", &target, &[]);
    assert!(head.starts_with("http/1.1 200 "), "{head}");
    assert_eq!(seen.load(Ordering::Relaxed), 4);
}

#[test]
fn a_script_sees_the_platform_paths_too() {
    let fake = FakeServer::start(FakeConfig::new().metadata(MetadataMode::Open)).unwrap();
    // Without a script: the platform answers, and is not logged.
    let (head, _) = raw(
        &fake,
        "PUT",
        "/meta-data/latest/api/token",
        &["X-Metadata-Token-Ttl-Seconds: 60", "Content-Length: 0"],
    );
    assert!(head.starts_with("http/1.1 200 "), "{head}");
    assert!(fake.requests().is_empty());
    // With one: the script decides (None: the platform answers), and the log has them.
    fake.faults().script(|_, request| {
        (request.uri.path() == "/openstack/latest/securitykey")
            .then(|| Fault::json(401, "Please configure Cloud Service Agency first"))
    });
    let (head, _) = raw(
        &fake,
        "PUT",
        "/meta-data/latest/api/token",
        &["X-Metadata-Token-Ttl-Seconds: 60", "Content-Length: 0"],
    );
    assert!(head.starts_with("http/1.1 200 "), "{head}");
    let (head, body) = raw(&fake, "GET", "/openstack/latest/securitykey", &[]);
    assert!(head.starts_with("http/1.1 401 "), "{head}");
    assert_eq!(body, b"Please configure Cloud Service Agency first");
    let paths: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.target()))
        .collect();
    assert_eq!(
        paths,
        [
            "PUT /meta-data/latest/api/token",
            "GET /openstack/latest/securitykey"
        ]
    );
    assert_eq!(fake.platform().token_calls(), 2);
    assert_eq!(fake.platform().securitykey_calls(), 0);
}

#[test]
#[should_panic(expected = "invalid header")]
fn with_header_refuses_what_cannot_be_sent() {
    let _ = Fault::json(200, "{}").with_header("X-Bad", "line\nbreak");
}
