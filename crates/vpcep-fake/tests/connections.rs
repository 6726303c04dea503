//! The fake as a service other teams run: a header-read timeout, an idle timeout and a
//! cap on connections (`FakeConfig::header_read_timeout/idle_timeout/max_connections`,
//! the binary's `--header-read-timeout-secs`, `--idle-timeout-secs`, `--max-connections`),
//! connections released when their client goes, and a JSON body on hyper's own 400, 414
//! and 431 answers. Everything on 127.0.0.1, every wait bounded. (The binary under an
//! open-files limit: tests/binary.rs, `more_half_sent_requests_than_open_files_starve_nobody`.)

use std::io::{BufRead, BufReader, Read, Write};
use std::time::{Duration, Instant};

use vpcep_fake::{FakeConfig, FakeServer, Fault};

mod common;
use common::{connect, get_list_and_close, read_to_close, PROJECT};

fn list_target() -> String {
    format!("/v1/{PROJECT}/vpc-endpoints")
}

/// Waits (at most 20 s) until `done` holds.
fn eventually(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(20), "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Status line, lower-cased head and body of one response read off `stream`.
fn response(bytes: &[u8]) -> (String, String, serde_json::Value) {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(bytes)));
    let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
    let status = head.lines().next().unwrap().to_owned();
    let body = serde_json::from_slice(&bytes[end + 4..]).unwrap_or_else(|e| {
        panic!(
            "{status}: body is not JSON ({e}): {:?}",
            String::from_utf8_lossy(&bytes[end + 4..])
        )
    });
    (status, head, body)
}

#[test]
fn a_half_sent_request_is_closed_after_the_header_read_timeout() {
    let fake =
        FakeServer::start(FakeConfig::new().header_read_timeout(Duration::from_secs(1))).unwrap();
    let mut stream = connect(fake.addr());
    write!(
        stream,
        "GET {} HTTP/1.1\r\nHost: localhost\r\n",
        list_target()
    )
    .unwrap();
    let bytes = read_to_close(&mut stream).expect("the fake closes a half-sent request");
    assert!(
        bytes.is_empty(),
        "no answer: {:?}",
        String::from_utf8_lossy(&bytes)
    );
    eventually("the connection is released", || fake.connections() == 0);
    // A connection that never sends a byte is waiting for a request head too.
    let mut silent = connect(fake.addr());
    assert!(read_to_close(&mut silent).unwrap().is_empty());
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let fake = FakeServer::start(FakeConfig::new().idle_timeout(Duration::from_secs(1))).unwrap();
    let mut stream = connect(fake.addr());
    write!(
        stream,
        "GET {} HTTP/1.1\r\nHost: localhost\r\n\r\n",
        list_target()
    )
    .unwrap();
    // Answered, and the connection kept open for the next request…
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap();
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    assert_eq!(fake.connections(), 1);
    // … until it has been idle for the timeout.
    let rest = read_to_close(&mut stream).expect("the fake closes an idle connection");
    assert!(rest.is_empty());
    eventually("the connection is released", || fake.connections() == 0);
}

#[test]
fn a_request_the_fake_holds_is_not_idle() {
    // A `Delay` longer than the idle timeout: the request is answered all the same.
    let fake = FakeServer::start(FakeConfig::new().idle_timeout(Duration::from_secs(1))).unwrap();
    fake.faults()
        .push(Fault::Delay(Duration::from_millis(2500)));
    get_list_and_close(fake.addr());
}

/// Clients that ask for a 1,000-endpoint page and never read it hold a connection each
/// while they stay (until the idle timeout), and nothing once they leave.
#[test]
fn clients_that_never_read_their_page_are_released_when_they_go() {
    let fake = FakeServer::start(FakeConfig::new().generate(1000, 1)).unwrap();
    let mut clients = Vec::new();
    for _ in 0..50 {
        let mut stream = connect(fake.addr());
        write!(
            stream,
            "GET {}?limit=1000&sort_dir=asc HTTP/1.1\r\nHost: localhost\r\n\r\n",
            list_target()
        )
        .unwrap();
        clients.push(stream);
    }
    eventually("every request is being answered", || {
        fake.requests().len() == 50
    });
    assert_eq!(fake.connections(), 50);
    drop(clients);
    eventually("every connection is released", || fake.connections() == 0);

    // One that stays without reading is closed after the idle timeout.
    let fake = FakeServer::start(
        FakeConfig::new()
            .generate(1000, 1)
            .idle_timeout(Duration::from_secs(1)),
    )
    .unwrap();
    let mut stream = connect(fake.addr());
    write!(
        stream,
        "GET {}?limit=1000 HTTP/1.1\r\nHost: localhost\r\n\r\n",
        list_target()
    )
    .unwrap();
    eventually("the stalled connection is closed", || {
        fake.connections() == 0
    });
}

#[test]
fn at_the_cap_the_connection_waiting_longest_makes_room() {
    let fake = FakeServer::start(FakeConfig::new().max_connections(20)).unwrap();
    let mut half_sent = Vec::new();
    for _ in 0..60 {
        let mut stream = connect(fake.addr());
        write!(stream, "GET {} HTTP/1.1\r\n", list_target()).unwrap();
        half_sent.push(stream);
    }
    eventually("at most the cap is open", || fake.connections() <= 21);
    // A well-behaved client is answered at once.
    get_list_and_close(fake.addr());
    // The oldest half-sent ones were closed.
    let mut first = half_sent.remove(0);
    assert!(read_to_close(&mut first).unwrap().is_empty());
}

#[test]
fn at_the_cap_with_every_connection_busy_a_new_one_gets_a_503() {
    let fake = FakeServer::start(FakeConfig::new().max_connections(2)).unwrap();
    fake.faults().extend([Fault::Hang, Fault::Hang]);
    let mut hanging = Vec::new();
    for _ in 0..2 {
        let mut stream = connect(fake.addr());
        write!(stream, "GET {} HTTP/1.1\r\nHost: x\r\n\r\n", list_target()).unwrap();
        hanging.push(stream);
    }
    eventually("both requests hang", || fake.requests().len() == 2);
    let mut stream = connect(fake.addr());
    let (status, head, body) = response(&read_to_close(&mut stream).unwrap());
    assert!(status.starts_with("http/1.1 503 "), "{status}");
    assert!(head.contains("\r\nretry-after: 1"), "{head}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("too many connections"));
}

/// hyper answers what it cannot parse itself (a bad request line, a target over 64 KiB,
/// a head over ~400 KiB or with over 100 headers); the fake gives those answers VPCEP's
/// JSON error body and an `X-Request-Id`.
#[test]
fn hypers_own_400_414_and_431_carry_a_json_body() {
    let fake = FakeServer::start(FakeConfig::new()).unwrap();
    let long_target = format!("{}?vpc_id={}", list_target(), "a".repeat(70_000));
    let many_headers: String = (0..120).map(|i| format!("X-H{i}: v\r\n")).collect();
    let cases = [
        ("400", "NOT A REQUEST LINE\r\n\r\n".to_owned()),
        (
            "414",
            format!("GET {long_target} HTTP/1.1\r\nHost: x\r\n\r\n"),
        ),
        (
            "431",
            format!(
                "GET {} HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
                list_target(),
                "b".repeat(500_000)
            ),
        ),
        (
            "431",
            format!(
                "GET {} HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n",
                list_target()
            ),
        ),
    ];
    for (want, request) in cases {
        let mut stream = connect(fake.addr());
        // The fake may answer and close before reading everything.
        let _ = stream.write_all(request.as_bytes());
        let (status, head, body) = response(&read_to_close(&mut stream).unwrap());
        assert!(status.starts_with(&format!("http/1.1 {want} ")), "{status}");
        assert!(
            head.contains("\r\ncontent-type: application/json"),
            "{head}"
        );
        assert!(head.contains("\r\nx-request-id: "), "{head}");
        assert_eq!(body["error"]["code"], format!("VPCEP.0{want}"), "{body}");
        assert!(body["error"]["message"].is_string());
    }
}

#[test]
fn other_methods_on_the_platform_paths_get_a_json_405() {
    let fake = FakeServer::start(FakeConfig::new()).unwrap();
    for (method, path, allow) in [
        ("DELETE", "/v3/projects", "GET, HEAD"),
        ("POST", "/openstack/latest/securitykey", "GET, HEAD"),
        ("GET", "/meta-data/latest/api/token", "PUT"),
    ] {
        let mut stream = connect(fake.addr());
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let (status, head, body) = response(&read_to_close(&mut stream).unwrap());
        assert!(
            status.starts_with("http/1.1 405 "),
            "{method} {path}: {status}"
        );
        assert!(head.contains(&format!("\r\nallow: {}", allow.to_ascii_lowercase())));
        assert!(body["error"]["message"].as_str().unwrap().contains(method));
    }
}
