//! A plain `http://` base URL on this machine never goes through a proxy, whatever the
//! environment says: such a URL needs no `allow_http` because its bytes stay here, and a
//! proxy would carry them (the token in clear) elsewhere.
//!
//! The default HTTP client reads the proxy variables from the process environment, which a
//! multi-threaded test process must not change: the client runs in a child process (this
//! test binary again, running only [`loopback_never_goes_through_a_proxy`] with the
//! variables set on it), and the parent checks what the fake and the "proxy" saw.

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use vpcep_client::{Client, RetryConfig};
use vpcep_fake::{FakeConfig, FakeServer};
use vpcep_integration_tests::list_page;

/// Set on the child: the base URL it lists.
const CHILD_BASE_URL: &str = "VPCEP_TEST_PROXY_CHILD_BASE_URL";
const TOKEN: &str = "proxy-test-token-Secret";

#[test]
fn loopback_never_goes_through_a_proxy() {
    if let Ok(base_url) = std::env::var(CHILD_BASE_URL) {
        return list_once(&base_url);
    }
    let fake = FakeServer::start(FakeConfig::new().token(TOKEN)).unwrap();
    // A "proxy" that never accepts: a connection to it would wait in its backlog (and the
    // child's attempt time out), and is found below.
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let port = fake.addr().port();
    let mut runs = 0;
    for variable in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        for host in ["localhost", "127.0.0.1"] {
            let base_url = format!("http://{host}:{port}");
            let out = Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "loopback_never_goes_through_a_proxy",
                    "--nocapture",
                ])
                .env_remove("NO_PROXY")
                .env_remove("no_proxy")
                .env(CHILD_BASE_URL, &base_url)
                .env(variable, &proxy_url)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{variable} {base_url}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            runs += 1;
        }
    }
    assert_eq!(
        fake.requests().len(),
        runs,
        "every listing reached the fake"
    );
    proxy.set_nonblocking(true).unwrap();
    let connected = proxy.accept();
    assert!(
        matches!(&connected, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "a request went to the proxy: {connected:?}"
    );
}

/// The child: one listing, which must succeed.
fn list_once(base_url: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let page = runtime.block_on(async {
        list_page(
            Client::builder()
                .base_url(base_url)
                .project_id(vpcep_fake::DEFAULT_PROJECT_ID)
                .token(TOKEN)
                .retry(RetryConfig::disabled())
                .attempt_timeout(Duration::from_secs(2)),
        )
        .await
    });
    let page = page.unwrap_or_else(|e| panic!("{base_url}: {e}"));
    assert_eq!(page.endpoints.unwrap_or_default().len(), 2);
}
