//! The CLI against hostile or misconfigured servers: redirects, plain HTTP, oversized and
//! hostile bodies, TLS. Each case runs the real binary and checks its exit code and its
//! one-line message on stderr.

use std::process::Output;

use vpcep_fake::{FakeConfig, FakeServer, Fault};

mod common;
use common::{stderr_text as stderr, target, vpcep, PROJECT, TOKEN};

/// `vpcep ... endpoints list` against `url` with the test token, no retries.
fn list(url: &str, extra: &[&str]) -> Output {
    let mut argv = target(url);
    argv.extend_from_slice(&["--retries", "0"]);
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

/// A fake on 127.0.0.1 answering every request with `fault` (its request log says what
/// it saw).
fn serving(fault: Fault) -> FakeServer {
    let fake = FakeServer::start(FakeConfig::new()).expect("fake starts");
    fake.faults().script(move |_, _| Some(fault.clone()));
    fake
}

/// A JSON response with this status and body, under the request id `req-sec`.
fn respond(status: u16, body: impl Into<vpcep_fake::Bytes>) -> Fault {
    Fault::json(status, body).with_header("X-Request-Id", "req-sec")
}

// ---------------------------------------------------------------- redirects

#[test]
fn a_redirect_to_another_host_is_an_error_and_the_token_stays_home() {
    let other = serving(respond(200, "{}"));
    for status in [
        "301 Moved Permanently",
        "302 Found",
        "307 Temporary Redirect",
    ] {
        let location = format!("{}/v1/{PROJECT}/vpc-endpoints", other.url());
        let code: u16 = status[..3].parse().unwrap();
        let origin = serving(respond(code, "").with_header("Location", &location));
        let out = list(&origin.url(), &[]);
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
    let server = serving(respond(200, r#"{"endpoints":[],"total_count":0}    "#));
    let out = list(&server.url(), &["--allow-http"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(server.requests().len(), 1);
}

// ---------------------------------------------------------------- response size

#[test]
fn an_endless_body_stops_at_the_limit() {
    // An endless chunked 200 body of spaces, bounded at 1 GiB.
    let server = serving(Fault::endless(" ".repeat(0x4000), 1 << 30));
    let out = list(&server.url(), &[]);
    let err = failed(&out, 7);
    assert!(
        err.contains("larger than the limit of 33554432 bytes"),
        "{err}"
    );
    // The request id the fake sent.
    assert!(err.contains(&server.requests()[0].request_id), "{err}");
    // The hint names the CLI's flag, not the library's builder method alone.
    assert!(err.contains("--max-response-mib"), "{err}");
}

#[test]
fn max_response_mib_sets_the_limit_and_is_validated() {
    let server = serving(Fault::endless(" ".repeat(0x4000), 1 << 30));
    let out = list(&server.url(), &["--max-response-mib", "1"]);
    let err = failed(&out, 7);
    assert!(
        err.contains("larger than the limit of 1048576 bytes"),
        "{err}"
    );
    for bad in ["0", "-1", "x", "4097"] {
        let out = list(&server.url(), &[&format!("--max-response-mib={bad}")]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(err.contains("--max-response-mib"), "{bad}: {err}");
    }
    assert_eq!(server.requests().len(), 1);
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
        let server = serving(respond(200, body));
        let out = list(&server.url(), &[]);
        let err = failed(&out, 7);
        assert!(
            err.contains("could not decode the VPCEP response"),
            "{what}: {err}"
        );
        assert!(err.contains("req-sec"), "{what}: {err}");
        assert_eq!(server.requests().len(), 1, "{what}: not retried");
    }
}

// ---------------------------------------------------------------- base URL shape

#[test]
fn a_base_url_with_userinfo_a_query_or_a_fragment_is_refused_before_any_io() {
    const PASSWORD: &str = "Pa55w0rdInTheUrl";
    let server = serving(respond(200, r#"{"endpoints":[],"total_count":0}"#));
    let host = server.url().trim_start_matches("http://").to_owned();
    for (url, what) in [
        (
            format!("http://user:{PASSWORD}@{host}"),
            "user name or password",
        ),
        (format!("http://{host}/?x=1"), "query"),
        // Was sent, then misreported as "the HTTP client followed a redirect".
        (format!("http://{host}/#frag"), "fragment"),
    ] {
        let out = list(&url, &["-vv"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(4), "{url}: {err}");
        assert!(out.stdout.is_empty(), "{url}");
        assert!(!err.contains(PASSWORD), "{url}: the password leaked: {err}");
        assert!(err.contains("invalid base URL"), "{url}: {err}");
        assert!(err.contains(what), "{url}: {err}");
        assert!(!err.contains("redirect"), "{url}: {err}");
    }
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

// ---------------------------------------------------------------- proxies

/// A "proxy" on 127.0.0.1 that records the bytes of every connection it gets (at most 8,
/// each read until the request head ends or 1 s passes) and answers 502.
struct CaptureProxy {
    url: String,
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl CaptureProxy {
    fn start() -> Self {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = std::sync::Arc::<std::sync::Mutex<Vec<String>>>::default();
        let log = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().take(8) {
                let Ok(mut conn) = conn else { continue };
                let _ = conn.set_read_timeout(Some(std::time::Duration::from_secs(1)));
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                log.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&head).into_owned());
                let _ = conn.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
            }
        });
        CaptureProxy { url, seen }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// `http://` to this machine is allowed without --allow-http because the bytes stay on
/// it: a proxy from the environment must not carry them (and the token in clear) away.
#[test]
fn a_plain_http_loopback_url_never_goes_through_a_proxy() {
    let fake = FakeServer::start(FakeConfig::new().token(TOKEN)).expect("fake starts");
    let proxy = CaptureProxy::start();
    let port = fake.addr().port();
    let mut runs = 0;
    for variable in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        // The fake listens on 127.0.0.1 only (so not [::1]).
        for host in ["localhost", "127.0.0.1"] {
            let url = format!("http://{host}:{port}");
            let mut argv = target(&url);
            argv.extend_from_slice(&["--retries", "0", "endpoints", "list", "-o", "ids"]);
            let out = vpcep(&[(variable, &proxy.url)], &argv);
            let err = stderr(&out);
            assert!(out.status.success(), "{variable} {url}: {err}");
            assert_eq!(out.stdout.iter().filter(|&&b| b == b'\n').count(), 2);
            runs += 1;
        }
    }
    assert_eq!(
        fake.requests().len(),
        runs,
        "every listing reached the fake"
    );
    let seen = proxy.seen();
    assert!(
        seen.iter().all(|head| !head.contains(TOKEN)),
        "the token went to the proxy: {seen:?}"
    );
    assert!(seen.is_empty(), "the proxy was used: {seen:?}");
}

// ---------------------------------------------------------------- terminal injection

/// What a hostile server puts in text: ESC sequences (clear the screen, set the window
/// title), CR (overwrite the line), NUL, BEL, DEL, a C1 CSI (U+009B), a bidirectional
/// override (U+202E) and isolate (U+2066).
const HOSTILE: &str = "A\u{1b}[2J\u{1b}]0;pwned\u{7}B\rC\u{0}D\u{7f}E\u{9b}2JF\u{202e}G\u{2066}H";

/// The characters a terminal would act on; none may reach stdout or stderr raw.
fn assert_inert(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert!(bad.is_empty(), "{what}: {bad:?} in {text:?}");
}

#[test]
fn server_text_never_reaches_the_terminal_raw() {
    // An error: code and message in both body shapes, and a request id in the body.
    let body = serde_json::json!({
        "error": {"code": HOSTILE, "message": HOSTILE},
        "request_id": HOSTILE,
    })
    .to_string();
    let server = serving(Fault::json(400, body));
    let out = list(&server.url(), &[]);
    let err = failed(&out, 5);
    assert_inert("error", err.as_bytes());
    assert!(err.contains("A\\u{1b}[2J"), "shown, escaped: {err}");
    let flat = serde_json::json!({"error_code": HOSTILE, "error_msg": HOSTILE}).to_string();
    let server = serving(Fault::json(403, flat).with_header("X-Request-Id", "req\u{9b}x"));
    let err = failed(&list(&server.url(), &[]), 5);
    assert_inert("flat error", err.as_bytes());

    // A page whose endpoint ID and service name are hostile, in every format.
    let page = serde_json::json!({
        "endpoints": [{"id": HOSTILE, "endpoint_service_name": HOSTILE, "status": HOSTILE}],
        "total_count": 1,
    })
    .to_string();
    let server = serving(respond(200, page));
    for format in ["ids", "table", "json", "jsonl"] {
        let url = server.url();
        let mut argv = target(&url);
        argv.extend_from_slice(&["endpoints", "list", "-o", format]);
        let out = vpcep(&[], &argv);
        assert!(out.status.success(), "{format}: {}", stderr(&out));
        assert_inert(format, &out.stdout);
        assert_inert(format, &out.stderr);
        if matches!(format, "json" | "jsonl") {
            // Escaped, not changed: the same strings to a JSON reader.
            let text = String::from_utf8(out.stdout.clone()).unwrap();
            let value: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
            let endpoint = if format == "json" {
                &value["endpoints"][0]
            } else {
                &value
            };
            assert_eq!(endpoint["id"], HOSTILE, "{format}");
            assert_eq!(endpoint["endpoint_service_name"], HOSTILE, "{format}");
        }
    }
}
