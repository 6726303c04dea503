//! The CLI against hostile or misconfigured servers: redirects, plain HTTP, oversized and
//! hostile bodies, TLS. Each case runs the real binary and checks its exit code and its
//! one-line message on stderr.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Output;
use std::sync::{Arc, Mutex};

mod common;
use common::{stderr_text as stderr, vpcep, PROJECT, TOKEN};

/// `vpcep ... endpoints list` against `url` with the test token, no retries.
fn list(url: &str, extra: &[&str]) -> Output {
    let mut argv = vec![
        "--endpoint-url",
        url,
        "--project-id",
        PROJECT,
        "--token",
        TOKEN,
        "--retries",
        "0",
    ];
    argv.extend_from_slice(extra);
    argv.extend_from_slice(&["endpoints", "list"]);
    vpcep(&[], &argv)
}

/// Checks a failure: exit code, nothing on stdout, one line on stderr without the token;
/// returns that line.
fn failed(out: &Output, code: i32) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert!(out.stdout.is_empty(), "stdout: {:?}", out.stdout);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(!err.contains(TOKEN), "the token leaked: {err}");
    err
}

/// A server on 127.0.0.1 answering every connection with `response` (raw HTTP, sent
/// as-is); records the request heads it saw. Serves at most `max` connections.
struct RawServer {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl RawServer {
    fn start(response: Vec<u8>, max: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(max) {
                let Ok(mut stream) = stream else { continue };
                let mut buf = [0u8; 8192];
                let n = stream.read(&mut buf).unwrap_or(0);
                log.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&buf[..n]).into_owned());
                let _ = stream.write_all(&response);
            }
        });
        RawServer { url, seen }
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn head(status: &str, extra: &str, body_len: usize) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\nx-request-id: req-sec\r\n\
         {extra}content-length: {body_len}\r\nconnection: close\r\n\r\n"
    )
    .into_bytes()
}

// ---------------------------------------------------------------- redirects

#[test]
fn a_redirect_to_another_host_is_an_error_and_the_token_stays_home() {
    let other = RawServer::start(head("200 OK", "", 2).into_iter().chain(*b"{}").collect(), 4);
    for status in [
        "301 Moved Permanently",
        "302 Found",
        "307 Temporary Redirect",
    ] {
        let location = format!("{}/v1/{PROJECT}/vpc-endpoints", other.url);
        let origin = RawServer::start(head(status, &format!("location: {location}\r\n"), 0), 4);
        let out = list(&origin.url, &[]);
        let err = failed(&out, 5);
        assert!(err.contains(&status[..3]), "{err}");
        assert!(err.contains(&location), "{err}");
        assert!(err.contains("redirects are not followed"), "{err}");
        assert_eq!(origin.requests().len(), 1, "{status}: not retried");
    }
    assert!(other.requests().is_empty(), "{:?}", other.requests());
}

// ---------------------------------------------------------------- plain HTTP

#[test]
fn plain_http_to_another_host_is_refused_before_any_io() {
    // A one-letter typo of the real (https) endpoint.
    let out = list("http://vpcep.cn-north-4.myhuaweicloud.com", &[]);
    let err = failed(&out, 4);
    assert!(err.contains("unencrypted"), "{err}");
    assert!(err.contains("--allow-http"), "{err}");
}

#[test]
fn allow_http_lets_plain_http_through() {
    // The flag is global; a non-loopback http:// URL with it builds (run.rs unit test);
    // here: it parses before the subcommand and the call proceeds.
    let server = RawServer::start(
        head("200 OK", "", 36)
            .into_iter()
            .chain(*br#"{"endpoints":[],"total_count":0}    "#)
            .collect(),
        2,
    );
    let out = list(&server.url, &["--allow-http"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(server.requests().len(), 1);
}

// ---------------------------------------------------------------- response size

/// A server streaming an endless chunked 200 body (bounded at 1 GiB) to one connection.
fn endless_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let Some(Ok(mut stream)) = listener.incoming().next() else {
            return;
        };
        let mut buf = [0u8; 8192];
        let _ = stream.read(&mut buf);
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                    x-request-id: req-endless\r\ntransfer-encoding: chunked\r\n\r\n";
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        let chunk = format!("4000\r\n{}\r\n", " ".repeat(0x4000));
        for _ in 0..(1 << 30) / 0x4000 {
            if stream.write_all(chunk.as_bytes()).is_err() {
                return;
            }
        }
    });
    url
}

#[test]
fn an_endless_body_stops_at_the_limit() {
    let url = endless_server();
    let out = list(&url, &[]);
    let err = failed(&out, 7);
    assert!(
        err.contains("larger than the limit of 33554432 bytes"),
        "{err}"
    );
    assert!(err.contains("req-endless"), "{err}");
}

// ---------------------------------------------------------------- hostile bodies

#[test]
fn hostile_bodies_exit_with_the_decode_code() {
    let deep_known = format!(
        r#"{{"endpoints":[{{"id":"x","tags":{}{}}}],"total_count":1}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "invalid UTF-8",
            b"{\"endpoints\":[{\"id\":\"\xff\"}],\"total_count\":1}".to_vec(),
        ),
        (
            "negative total_count",
            br#"{"endpoints":[],"total_count":-1}"#.to_vec(),
        ),
        (
            "total_count above 2^63",
            br#"{"endpoints":[],"total_count":9223372036854775808}"#.to_vec(),
        ),
        (
            "total_count a string",
            br#"{"endpoints":[],"total_count":"5"}"#.to_vec(),
        ),
        (
            "endpoints not an array",
            br#"{"endpoints":{},"total_count":1}"#.to_vec(),
        ),
        (
            "duplicate keys",
            br#"{"endpoints":[],"total_count":1,"total_count":2}"#.to_vec(),
        ),
        ("deep nesting in a known field", deep_known.into_bytes()),
    ];
    for (what, body) in cases {
        let mut response = head("200 OK", "", body.len());
        response.extend_from_slice(&body);
        let server = RawServer::start(response, 2);
        let out = list(&server.url, &[]);
        let err = failed(&out, 7);
        assert!(
            err.contains("could not decode the VPCEP response"),
            "{what}: {err}"
        );
        assert!(err.contains("req-sec"), "{what}: {err}");
        assert_eq!(server.requests().len(), 1, "{what}: not retried");
    }
}
