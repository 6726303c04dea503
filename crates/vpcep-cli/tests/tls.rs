//! TLS through the real binary: `--ca-bundle`, certificate errors, `HTTPS_PROXY` through a
//! small CONNECT proxy, and `NO_PROXY`. Proxy variables are process-global, so they are
//! only ever set on the `vpcep` child process, never in this test process.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use vpcep_fake::pki::Pki;
use vpcep_fake::{FakeConfig, FakeServer, TlsConfig};

mod common;
use common::{stderr_text as stderr, target, vpcep, TOKEN};

/// `vpcep ... endpoints list` against `url` with an empty environment plus `env`.
fn list(env: &[(&str, &str)], url: &str, extra: &[&str]) -> Output {
    let mut argv = target(url);
    argv.extend_from_slice(extra);
    argv.extend_from_slice(&["endpoints", "list", "--output", "ids"]);
    vpcep(env, &argv)
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        stderr(out)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// A file in a fresh directory under the system's temp dir.
fn temp_file(name: &str, contents: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "vpcep-cli-tls-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn https_fake(pki: &Pki) -> FakeServer {
    let tls = TlsConfig::from_pem(pki.cert_pem.as_bytes(), pki.key_pem.as_bytes()).unwrap();
    FakeServer::start(FakeConfig::new().token(TOKEN).tls(tls)).unwrap()
}

/// A minimal HTTP CONNECT proxy on 127.0.0.1: records each CONNECT target and tunnels the
/// bytes. Serves at most 8 connections.
struct ConnectProxy {
    url: String,
    targets: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let targets: Arc<Mutex<Vec<String>>> = Arc::default();
        let log = targets.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().take(8) {
                let Ok(client) = client else { continue };
                let log = log.clone();
                std::thread::spawn(move || tunnel(client, &log));
            }
        });
        ConnectProxy { url, targets }
    }

    fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().clone()
    }
}

fn tunnel(mut client: TcpStream, log: &Mutex<Vec<String>>) {
    // The request head, byte by byte so nothing of the tunnel is consumed.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
        if client.read(&mut byte).unwrap_or(0) == 0 {
            return;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut first = head.lines().next().unwrap_or_default().split(' ');
    let (Some("CONNECT"), Some(target)) = (first.next(), first.next()) else {
        let _ = client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n");
        return;
    };
    log.lock().unwrap().push(target.to_owned());
    let Ok(upstream) = TcpStream::connect(target) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
    {
        return;
    }
    let (mut client_r, mut upstream_w) =
        (client.try_clone().unwrap(), upstream.try_clone().unwrap());
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_r, &mut upstream_w);
        let _ = upstream_w.shutdown(std::net::Shutdown::Write);
    });
    let (mut upstream_r, mut client_w) = (upstream, client);
    let _ = std::io::copy(&mut upstream_r, &mut client_w);
    let _ = client_w.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
}

const DOC_IDS: &str =
    "03184a04-95d5-4555-86c4-e767a371ff99\n43b0e3b0-eec9-49da-866b-6687b75f9fe5\n";

#[test]
fn ca_bundle_trusts_a_private_ca() {
    let pki = Pki::localhost();
    let fake = https_fake(&pki);
    let ca = temp_file("ca.pem", &pki.ca_pem);
    let out = list(&[], &fake.url(), &["--ca-bundle", ca.to_str().unwrap()]);
    assert_eq!(ok(&out), DOC_IDS);
    // The same through the environment variable.
    let out = list(
        &[("VPCEP_CA_BUNDLE", ca.to_str().unwrap())],
        &fake.url(),
        &[],
    );
    assert_eq!(ok(&out), DOC_IDS);
    assert_eq!(fake.requests().len(), 2);
}

#[test]
fn an_untrusted_certificate_fails_clearly() {
    let pki = Pki::localhost();
    let fake = https_fake(&pki);
    let out = list(&[], &fake.url(), &[]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("TLS certificate"), "{err}");
    assert!(err.contains("UnknownIssuer"), "{err}");
    assert!(err.contains("--ca-bundle"), "{err}");
    assert!(!err.contains(TOKEN));
    assert!(fake.requests().is_empty());

    let missing = list(&[], &fake.url(), &["--ca-bundle", "/nonexistent/ca.pem"]);
    assert_eq!(missing.status.code(), Some(4));
    assert!(stderr(&missing).contains("cannot read --ca-bundle /nonexistent/ca.pem"));
    let bad = temp_file("bad.pem", "not a certificate");
    let bad = list(&[], &fake.url(), &["--ca-bundle", bad.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(4), "{}", stderr(&bad));
    assert!(
        stderr(&bad).contains("root certificate"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn https_proxy_carries_the_tunnel_and_no_proxy_bypasses_it() {
    let pki = Pki::localhost();
    let fake = https_fake(&pki);
    let ca = temp_file("ca.pem", &pki.ca_pem);
    let ca = ca.to_str().unwrap();
    let proxy = ConnectProxy::start();
    let target = fake.addr().to_string();

    let out = list(
        &[("HTTPS_PROXY", &proxy.url)],
        &fake.url(),
        &["--ca-bundle", ca],
    );
    assert_eq!(ok(&out), DOC_IDS);
    assert_eq!(
        proxy.targets(),
        vec![target.clone()],
        "one tunnel to the fake"
    );

    // Lower-case spelling, and NO_PROXY naming the host: no tunnel.
    for no_proxy in ["127.0.0.1", "localhost,127.0.0.1"] {
        let out = list(
            &[("https_proxy", &proxy.url), ("NO_PROXY", no_proxy)],
            &fake.url(),
            &["--ca-bundle", ca],
        );
        assert_eq!(ok(&out), DOC_IDS);
    }
    assert_eq!(proxy.targets().len(), 1, "NO_PROXY bypassed the proxy");
    assert_eq!(fake.requests().len(), 3);
}

#[test]
fn a_certificate_error_through_the_proxy_is_not_retried() {
    let pki = Pki::localhost();
    let fake = https_fake(&pki);
    let proxy = ConnectProxy::start();
    let out = list(
        &[("HTTPS_PROXY", &proxy.url)],
        &fake.url(),
        &["--retries", "2"],
    );
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    assert!(stderr(&out).contains("TLS certificate"), "{}", stderr(&out));
    assert_eq!(
        proxy.targets().len(),
        1,
        "one attempt only: {:?}",
        proxy.targets()
    );
}
