//! Helpers of the integration tests (the client's behaviour against the fake, which the
//! client's own tests cannot use: the fake depends on the client; see tests/README.md at
//! the workspace root): a fake whose answers a script decides ([`scripted`]; the faults
//! are `vpcep_fake::Fault`), a client for it, one page or its error ([`list_page`],
//! [`list_page_error`], [`page_error`]), synthetic pages, captured logs (throw-away
//! certificates are `vpcep_fake::pki`, feature `pki`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use vpcep_fake::{FakeConfig, FakeServer, Fault, RecordedRequest};

/// A fake (no authentication, the doc's two endpoints) whose every request is decided by
/// `script`: it gets the 0-based request number and the request, and returns the fault
/// to answer with (e.g. [`Fault::json`], [`Fault::Hang`]), or `None` for the fake's
/// normal answer. See `vpcep_fake::FaultPlan::script`.
pub fn scripted(
    script: impl Fn(usize, &RecordedRequest) -> Option<Fault> + Send + Sync + 'static,
) -> FakeServer {
    let config = FakeConfig {
        // Stopping waits for no request in flight: the test's client may still hold a
        // connection (an endless body it stopped reading) that only the test's runtime,
        // blocked while the fake stops, would close.
        shutdown_grace: Duration::ZERO,
        ..FakeConfig::new()
    };
    let server = FakeServer::start(config).expect("start a fake on 127.0.0.1");
    server.faults().script(script);
    server
}

/// What a TRACE-level tracing subscriber writes, for tests that read the logs (e.g. that
/// no secret appears in them).
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    /// Captures this thread's tracing, every level, until the guard is dropped.
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        let writer = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    /// What was written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// The project ID of the scripted tests.
pub const PROJECT_ID: &str = "0123456789abcdef0123456789abcdef";

/// A client for `server`: the test project, token authentication, fast retries.
pub fn client_builder(server: &FakeServer) -> vpcep_client::ClientBuilder {
    client_builder_at(&server.url())
}

/// [`client_builder`] for a server at `url` (a test's own small server).
pub fn client_builder_at(url: &str) -> vpcep_client::ClientBuilder {
    vpcep_client::Client::builder()
        .base_url(url)
        .project_id(PROJECT_ID)
        .token("test-token")
        .retry(
            vpcep_client::RetryConfig::standard()
                .with_initial_backoff(Duration::from_millis(10))
                .with_max_backoff(Duration::from_millis(50)),
        )
}

/// One ListEndpoints page with the client `builder` makes (which must build): the chain
/// `builder.build().unwrap().list_endpoints().send().await` of the tests.
pub async fn list_page(
    builder: vpcep_client::ClientBuilder,
) -> vpcep_client::Result<vpcep_client::EndpointListResp> {
    builder
        .build()
        .expect("the test's client builds")
        .list_endpoints()
        .send()
        .await
}

/// One ListEndpoints call with the default test client ([`client_builder`]).
pub async fn send(server: &FakeServer) -> vpcep_client::Result<vpcep_client::EndpointListResp> {
    list_page(client_builder(server)).await
}

/// The error of [`list_page`], which must fail.
pub async fn list_page_error(builder: vpcep_client::ClientBuilder) -> vpcep_client::Error {
    list_page(builder)
        .await
        .expect_err("the ListEndpoints page should fail")
}

/// The error of one ListEndpoints page of `client`, which must fail.
pub async fn page_error(client: &vpcep_client::Client) -> vpcep_client::Error {
    client
        .list_endpoints()
        .send()
        .await
        .expect_err("the ListEndpoints page should fail")
}

/// A page body of `n` synthetic endpoints numbered from `start`, with `total`.
pub fn page_body(start: u64, n: u64, total: u64) -> String {
    let endpoints: Vec<serde_json::Value> = (start..start + n)
        .map(|i| {
            serde_json::json!({
                "id": format!("ep-{i:06}"),
                "status": "accepted",
                "service_type": "interface",
                "enable_dns": "true",
                "dns_names": format!("ep-{i}.example"),
                "active_status": "active",
            })
        })
        .collect();
    serde_json::json!({ "endpoints": endpoints, "total_count": total }).to_string()
}
