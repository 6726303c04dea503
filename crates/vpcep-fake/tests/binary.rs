//! The `vpcep-fake` binary itself: HTTPS with `--tls-cert/--tls-key`; the warning about
//! `--no-auth` beyond loopback; `--churn-per-request`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use vpcep_fake::pki::Pki;

mod common;
use common::{get_list_and_close, PROJECT};

/// The fake's binary, killed when dropped.
struct Fake(Child);

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary with `args` on a free loopback port; returns it and the URL it
/// printed on stdout.
fn start(args: &[&str]) -> (Fake, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vpcep-fake"));
    command.args(["--listen", "127.0.0.1:0"]).args(args);
    start_command(command)
}

/// Starts `command` (the binary, or a shell that runs it); returns it and the URL it
/// printed on stdout.
fn start_command(mut command: Command) -> (Fake, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("vpcep-fake runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (Fake(child), url)
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vpcep-fake-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn tls_cert_and_key_serve_https() {
    let pki = Pki::localhost();
    let dir = temp_dir();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, &pki.cert_pem).unwrap();
    std::fs::write(&key, &pki.key_pem).unwrap();
    let (_fake, url) = start(&[
        "--no-auth",
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap()])
        .build()
        .unwrap();
    let response = client
        .get(format!("{url}/v1/p/vpc-endpoints"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["total_count"], 2);
}

#[test]
fn unusable_tls_files_are_refused() {
    let dir = temp_dir();
    let junk = dir.join("junk.pem");
    std::fs::write(&junk, "not PEM").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vpcep-fake"))
        .args(["--listen", "127.0.0.1:0", "--no-auth", "--tls-cert"])
        .arg(&junk)
        .arg("--tls-key")
        .arg(&junk)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot load --tls-cert/--tls-key"), "{err}");
    // One without the other is a usage error.
    let out = Command::new(env!("CARGO_BIN_EXE_vpcep-fake"))
        .args(["--no-auth", "--tls-cert"])
        .arg(&junk)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn no_auth_beyond_loopback_is_warned_about() {
    use std::net::SocketAddr;
    let at = |s: &str| s.parse::<SocketAddr>().unwrap();
    for exposed in ["0.0.0.0:8080", "[::]:8080", "192.168.1.10:80", "10.0.0.1:0"] {
        let warning = vpcep_fake::exposure_warning(at(exposed), true)
            .unwrap_or_else(|| panic!("{exposed}: no warning"));
        assert!(warning.contains("--no-auth"), "{warning}");
        assert!(warning.contains(exposed), "{warning}");
        // With authentication, nothing to warn about.
        assert_eq!(vpcep_fake::exposure_warning(at(exposed), false), None);
    }
    for local in ["127.0.0.1:8080", "127.0.0.2:1", "[::1]:8080"] {
        assert_eq!(
            vpcep_fake::exposure_warning(at(local), true),
            None,
            "{local}"
        );
    }
}

#[test]
fn the_binary_is_quiet_with_no_auth_on_loopback() {
    // Tests bind loopback only: check the quiet case on the binary; the exposed case is
    // the function above, which main() prints as "vpcep-fake: warning: ...".
    let mut child = Command::new(env!("CARGO_BIN_EXE_vpcep-fake"))
        .args(["--listen", "127.0.0.1:0", "--no-auth"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("listening on http://127.0.0.1:"), "{line}");
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("warning"), "{err}");
}

#[tokio::test]
async fn churn_per_request_changes_the_data_after_each_page() {
    let (_fake, url) = start(&[
        "--no-auth",
        "--generate",
        "40",
        "--seed",
        "3",
        "--churn-per-request",
        "2",
    ]);
    let client = reqwest::Client::new();
    let mut seen = Vec::new();
    for _ in 0..2 {
        let body: serde_json::Value = client
            .get(format!("{url}/v1/p/vpc-endpoints?limit=1000"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["total_count"], 40);
        let ids: std::collections::BTreeSet<String> = body["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect();
        seen.push(ids);
    }
    assert_eq!(seen[0].difference(&seen[1]).count(), 2, "2 deleted");
    assert_eq!(seen[1].difference(&seen[0]).count(), 2, "2 created");
}

/// Every flag is checked before the fake starts: exit 2 and a message naming the flag
/// and its rule, never a panic (the probe: `--generate 18446744073709551615` overflowed,
/// `--credential-lifetime-secs 18446744073709551615` and `--bandwidth-mbps 1e-300`
/// started, then panicked in request tasks).
#[test]
fn every_flag_is_checked_at_start_with_a_clear_error() {
    let huge = "18446744073709551615";
    let cases: &[(&[&str], &str)] = &[
        (&["--generate", huge], "--generate"),
        (
            &["--credential-lifetime-secs", huge],
            "--credential-lifetime-secs",
        ),
        (
            &["--credential-lifetime-secs", "0"],
            "--credential-lifetime-secs",
        ),
        (&["--bandwidth-mbps", "1e-300"], "--bandwidth-mbps"),
        (&["--bandwidth-mbps", "NaN"], "--bandwidth-mbps"),
        (&["--bandwidth-mbps", "1e300"], "--bandwidth-mbps"),
        (&["--latency-ms", huge], "--latency-ms"),
        (&["--max-skew-secs", huge], "--max-skew-secs"),
        (&["--grace-secs", huge], "--grace-secs"),
        (&["--churn-per-request", huge], "--churn-per-request"),
        (&["--project-id", ""], "--project-id"),
        (
            &["--header-read-timeout-secs", "0"],
            "--header-read-timeout-secs",
        ),
        (&["--idle-timeout-secs", "0"], "--idle-timeout-secs"),
        (&["--max-connections", "0"], "--max-connections"),
        (&["--fail-rate", "2"], "--fail-rate"),
        (&["--fail-status", "99"], "--fail-status"),
    ];
    for (args, flag) in cases {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vpcep-fake"))
            .args(["--listen", "127.0.0.1:0", "--no-auth"])
            .args(*args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > std::time::Duration::from_secs(20) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{args:?}: the fake started instead of refusing");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert_eq!(status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(flag), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// A `--generate` that cannot fit in the memory the fake may use is refused at start,
/// saying what it needs (it was an allocation failure and an abort half-way).
#[test]
fn a_generate_beyond_the_memory_allowed_is_refused_with_what_it_needs() {
    let command =
        "ulimit -v 1048576 && exec \"$0\" --listen 127.0.0.1:0 --no-auth --generate 5000000";
    let out = Command::new("sh")
        .args(["-c", command, env!("CARGO_BIN_EXE_vpcep-fake")])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--generate 5000000 needs about"), "{err}");
    assert!(err.contains("ulimit -v"), "{err}");
}

/// The soft limit on open files this test process has (and its children inherit).
fn open_files_limit() -> usize {
    let out = Command::new("sh")
        .args(["-c", "ulimit -n"])
        .output()
        .expect("sh runs");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(1024)
}

/// The probe's case (issue 19): more half-sent requests from one client than the fake has
/// file descriptors (the binary under `ulimit -n 1024`, 1,100 connections, when this
/// process may open that many; proportionally fewer otherwise). Another client is
/// answered.
#[test]
fn more_half_sent_requests_than_open_files_starve_nobody() {
    use std::io::Write;
    let ours = open_files_limit();
    let fakes_limit = 1024.min(ours.saturating_sub(200) / 2).max(64);
    let attackers = fakes_limit + fakes_limit * 76 / 1024;
    let mut command = Command::new("sh");
    command.args([
        "-c",
        &format!("ulimit -n {fakes_limit} && exec \"$0\" --listen 127.0.0.1:0 --no-auth"),
        env!("CARGO_BIN_EXE_vpcep-fake"),
    ]);
    let (_fake, url) = start_command(command);
    let addr: std::net::SocketAddr = url.strip_prefix("http://").unwrap().parse().unwrap();
    let mut half_sent = Vec::new();
    for _ in 0..attackers {
        let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
            break; // the backlog is full: that is the attack
        };
        let _ = write!(
            stream,
            "GET /v1/{PROJECT}/vpc-endpoints HTTP/1.1\r\nHost: x\r\n"
        );
        half_sent.push(stream);
    }
    assert!(
        half_sent.len() > fakes_limit,
        "{} connections",
        half_sent.len()
    );
    get_list_and_close(addr);
}
