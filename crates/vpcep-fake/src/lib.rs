//! `vpcep-fake`: a local server that behaves like Huawei Cloud VPCEP's `ListEndpoints`
//! (`GET /v1/{project_id}/vpc-endpoints`), for tests — in the spirit of LocalStack or moto.
//!
//! ```no_run
//! use vpcep_fake::{FakeConfig, FakeServer, Fault};
//!
//! let server = FakeServer::start(FakeConfig::new().generate(2_500, 42).token("t0ken")).unwrap();
//! let url = server.url(); // e.g. "http://127.0.0.1:41234"
//! server.faults().extend([Fault::unavailable(), Fault::too_many_requests(1)]);
//! // Or decide each request: here, any response at all for the page at offset 10.
//! server.faults().script(|_, request| {
//!     (request.query("offset") == Some("10"))
//!         .then(|| Fault::json(200, r#"{"endpoints":[],"total_count":7}"#))
//! });
//! // … point a client at `url`, then inspect what it sent:
//! let requests = server.requests();
//! server.stop();
//! ```
//!
//! See the crate's README for the semantics, the CLI and fault injection.

#![warn(missing_docs)]

mod faults;
mod generate;
mod link;
/// Throw-away CA and server certificates (feature `pki`).
#[cfg(feature = "pki")]
pub mod pki;
mod platform;
mod replay;
mod server;
mod store;
pub mod tls;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use secrecy::SecretString;
use vpcep_client::types::{EndpointListResp, EndpointResp};
use vpcep_client::ListEndpointsQuery;

/// The body type of [`Fault::Respond`] (re-exported so tests need not depend on `bytes`).
pub use bytes::Bytes;
pub use faults::{gateway_html_page, Fault, FaultPlan, RandomFaults};
pub use generate::{format_time, generate, DEFAULT_PROJECT_ID, PUBLIC_BORDER_GROUPS};
pub use platform::{MetadataMode, Platform, PlatformConfig};
pub use replay::{load_recorded, parse_recorded, RecordedEndpoint};
pub use server::{RecordedRequest, X_REQUEST_ID};
pub use store::{quirk_value, time_key};
pub use tls::TlsConfig;

/// The warning to print when a fake without authentication listens beyond this machine
/// (any address but 127.0.0.0/8 and `::1`, e.g. `0.0.0.0`): anyone who can reach the port
/// can list its data. `None` when authentication is on or the address is loopback.
pub fn exposure_warning(listen: SocketAddr, auth_disabled: bool) -> Option<String> {
    if !auth_disabled || listen.ip().is_loopback() {
        return None;
    }
    Some(format!(
        "listening on {listen} with --no-auth: anyone who can reach this address can list \
         the endpoints it serves; use --token or --ak/--sk, or listen on 127.0.0.1"
    ))
}

/// The vendor doc's example response (two endpoints), served by default.
pub const DOC_EXAMPLE_RESPONSE: &str = include_str!("../data/doc_example_response.json");

/// The two endpoints of the vendor doc's example response.
pub fn doc_example_endpoints() -> Vec<EndpointResp> {
    parse_endpoints(DOC_EXAMPLE_RESPONSE).expect("the doc example decodes")
}

/// Decodes endpoints from JSON: either an array of endpoints or a `ListEndpoints` response
/// body (`{"endpoints": […], …}`). Quirky shapes (`"true"`, single strings) are accepted.
pub fn parse_endpoints(json: &str) -> Result<Vec<EndpointResp>, serde_json::Error> {
    let value: serde_json::Value = serde_json::from_str(json)?;
    if value.is_array() {
        serde_json::from_value(value)
    } else {
        let resp: EndpointListResp = serde_json::from_value(value)?;
        Ok(resp.endpoints.unwrap_or_default())
    }
}

/// Reads endpoints from a file (see [`parse_endpoints`]).
pub fn load_endpoints(path: &Path) -> io::Result<Vec<EndpointResp>> {
    let text = std::fs::read_to_string(path)?;
    parse_endpoints(&text).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {e}", path.display()),
        )
    })
}

/// Who may call the fake.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// Accept every request, authenticated or not.
    pub disabled: bool,
    /// Accepted `X-Auth-Token` values.
    pub tokens: Vec<String>,
    /// Accepted AK/SK pairs, checked with `vpcep_client::signer::verify`.
    pub keys: Vec<(String, SecretString)>,
    /// Largest accepted distance between `X-Sdk-Date` and the fake's clock.
    pub max_skew: Duration,
}

impl Default for AuthConfig {
    /// No authentication (the library's default; the CLI asks for a choice).
    fn default() -> Self {
        Self {
            disabled: true,
            tokens: Vec::new(),
            keys: Vec::new(),
            max_skew: Duration::from_secs(15 * 60),
        }
    }
}

/// How to run a fake. Build with [`FakeConfig::new`] and the chained setters.
#[derive(Clone, Debug)]
pub struct FakeConfig {
    /// Address to listen on; port 0 picks a free port (the default, `127.0.0.1:0`).
    pub listen: SocketAddr,
    /// The endpoints served (default: the doc's two examples).
    pub endpoints: Vec<EndpointResp>,
    /// Replayed data ([`FakeConfig::recorded`]): the JSON served for each of `endpoints`,
    /// same order and length (starting a fake panics otherwise), which are then only what
    /// filters, sorts and pages read. `None` (the default): `endpoints` are serialized.
    pub recorded_json: Option<Vec<serde_json::Value>>,
    /// Authentication (default: none).
    pub auth: AuthConfig,
    /// Random faults and latency (default: none).
    pub faults: RandomFaults,
    /// Serve the doc example's shapes: booleans as strings, one-element lists as strings.
    pub quirks: bool,
    /// List only the endpoints whose `project_id` is the one in the request path, like the
    /// real service (default off: every endpoint is listed whatever the project).
    pub project_scoped: bool,
    /// How many requests [`FakeHandle::requests`] keeps (oldest dropped first); 0 keeps none.
    pub request_log_capacity: usize,
    /// Worker threads of the runtime [`FakeServer::start`] creates.
    pub worker_threads: usize,
    /// How long requests in flight may finish when the server stops.
    pub shutdown_grace: Duration,
    /// Serve HTTPS with this certificate instead of plain HTTP (default: none).
    pub tls: Option<TlsConfig>,
    /// The platform around VPCEP: ECS metadata, IAM projects (see [`Platform`]).
    pub platform: PlatformConfig,
    /// gzip responses whose request accepts it (default on, like API gateways).
    pub compression: bool,
    /// Limit on the bytes sent per second, all connections together, in Mbit/s (default
    /// none); applies with [`FakeServer::start`] and [`FakeHandle::serve`].
    pub bandwidth_mbps: Option<f64>,
}

impl Default for FakeConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeConfig {
    /// 127.0.0.1 on a free port, the doc's two endpoints, no auth, no faults.
    pub fn new() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            endpoints: doc_example_endpoints(),
            recorded_json: None,
            auth: AuthConfig::default(),
            faults: RandomFaults::default(),
            quirks: false,
            project_scoped: false,
            request_log_capacity: 10_000,
            worker_threads: 2,
            shutdown_grace: Duration::from_secs(2),
            tls: None,
            platform: PlatformConfig::default(),
            compression: true,
            bandwidth_mbps: None,
        }
    }

    /// Listens on `addr`.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Serves these endpoints.
    pub fn endpoints(mut self, endpoints: Vec<EndpointResp>) -> Self {
        self.endpoints = endpoints;
        self.recorded_json = None;
        self
    }

    /// Replays these recorded endpoints (see [`load_recorded`]): each is served as
    /// recorded — nulls, unknown fields, odd shapes and values kept — while filters,
    /// sorts and pages use what could be read from it.
    pub fn recorded(mut self, recorded: Vec<RecordedEndpoint>) -> Self {
        let (endpoints, json) = recorded.into_iter().map(|r| (r.endpoint, r.json)).unzip();
        self.endpoints = endpoints;
        self.recorded_json = Some(json);
        self
    }

    /// Serves `n` synthetic endpoints (see [`generate()`]) of the doc's project,
    /// [`DEFAULT_PROJECT_ID`].
    pub fn generate(self, n: usize, seed: u64) -> Self {
        self.endpoints(generate(n, seed, DEFAULT_PROJECT_ID))
    }

    /// Accepts this `X-Auth-Token` (and turns authentication on).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.auth.disabled = false;
        self.auth.tokens.push(token.into());
        self
    }

    /// Accepts requests signed with this AK/SK (and turns authentication on).
    pub fn aksk(mut self, ak: impl Into<String>, sk: impl Into<String>) -> Self {
        self.auth.disabled = false;
        self.auth
            .keys
            .push((ak.into(), SecretString::from(sk.into())));
        self
    }

    /// Requires authentication even with no token or key configured (every request 401).
    pub fn require_auth(mut self) -> Self {
        self.auth.disabled = false;
        self
    }

    /// Sets the accepted clock skew of AK/SK signatures.
    pub fn max_skew(mut self, skew: Duration) -> Self {
        self.auth.max_skew = skew;
        self
    }

    /// Random faults and latency.
    pub fn faults(mut self, faults: RandomFaults) -> Self {
        self.faults = faults;
        self
    }

    /// Quirks mode on or off.
    pub fn quirks(mut self, on: bool) -> Self {
        self.quirks = on;
        self
    }

    /// Project scoping on or off (default off). When on, `/v1/{P}/vpc-endpoints` lists
    /// only the endpoints whose `project_id` is `P` (endpoints without one are never
    /// listed), `total_count` counts only those, and filters, sort and paging apply within
    /// the project; an unknown project gets an empty list. Generated endpoints (see
    /// [`FakeConfig::generate`]) all belong to [`DEFAULT_PROJECT_ID`].
    pub fn project_scoped(mut self, on: bool) -> Self {
        self.project_scoped = on;
        self
    }

    /// Serves HTTPS with this certificate and key ([`TlsConfig::from_pem`]).
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Size of the request log.
    pub fn request_log_capacity(mut self, n: usize) -> Self {
        self.request_log_capacity = n;
        self
    }

    /// How the metadata service behaves (default [`MetadataMode::Open`]).
    pub fn metadata(mut self, mode: MetadataMode) -> Self {
        self.platform.metadata = mode;
        self
    }

    /// Lifetime of the temporary credentials the metadata service hands out (default 1 h).
    pub fn credential_lifetime(mut self, lifetime: Duration) -> Self {
        self.platform.credential_lifetime = lifetime;
        self
    }

    /// An IAM project named `region` (e.g. `cn-north-4`) with this ID.
    pub fn iam_project(mut self, region: impl Into<String>, id: impl Into<String>) -> Self {
        self.platform.projects.push((region.into(), id.into()));
        self
    }

    /// gzip responses when the request accepts it (default `true`).
    pub fn compression(mut self, on: bool) -> Self {
        self.compression = on;
        self
    }

    /// Limits the bytes sent per second, all connections together, to `mbps` Mbit/s
    /// (10⁶ bits; headers and compressed bodies count as sent). `None` (the default): no limit.
    pub fn bandwidth_mbps(mut self, mbps: Option<f64>) -> Self {
        self.bandwidth_mbps = mbps;
        self
    }
}

/// Controls a fake while it runs: data, quirks, faults, request log. Cheap to clone.
#[derive(Clone)]
pub struct FakeHandle {
    state: Arc<server::State>,
}

impl FakeHandle {
    /// Builds the fake's state (indexes the endpoints) without serving it yet.
    pub fn new(config: FakeConfig) -> Self {
        Self {
            state: Arc::new(server::State::new(config)),
        }
    }

    /// The HTTP application, to mount in another server. Connection-level faults
    /// ([`Fault::Drop`], [`Fault::Truncate`]) need [`FakeHandle::serve`] to close the
    /// connection; elsewhere the body just fails.
    pub fn router(&self) -> axum::Router {
        server::router(self.state.clone())
    }

    /// Serves on `listener` until `shutdown` completes, then stops accepting, gives
    /// requests in flight `grace` to finish and closes the remaining connections.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send,
        grace: Duration,
    ) {
        server::serve(listener, self.state.clone(), shutdown, grace).await
    }

    /// Replaces the endpoints served (indexes are rebuilt; requests in flight finish
    /// with the old data).
    pub fn set_endpoints(&self, endpoints: Vec<EndpointResp>) {
        self.state.set_endpoints(endpoints, None);
    }

    /// Replaces the data served with recorded endpoints, replayed as recorded (see
    /// [`FakeConfig::recorded`]).
    pub fn set_recorded(&self, recorded: Vec<RecordedEndpoint>) {
        let (endpoints, json) = recorded.into_iter().map(|r| (r.endpoint, r.json)).unzip();
        self.state.set_endpoints(endpoints, Some(json));
    }

    /// The endpoints served, in the order given (for replayed data: what was read from
    /// the recorded JSON).
    pub fn endpoints(&self) -> Vec<EndpointResp> {
        self.state.store().endpoints().to_vec()
    }

    /// Number of endpoints served.
    pub fn len(&self) -> usize {
        self.state.store().len()
    }

    /// Whether no endpoints are served.
    pub fn is_empty(&self) -> bool {
        self.state.store().is_empty()
    }

    /// What the fake answers to `query`, without HTTP: `total_count` and the page.
    /// `query` holds a request's parameters as the fake parses them (build it with
    /// [`ListEndpointsQuery::set`]); those it leaves out take the spec's defaults. With
    /// project scoping on ([`FakeConfig::project_scoped`]), only the endpoints of
    /// `query.project_id` are listed, as for a request to that project's path.
    pub fn select(&self, query: &ListEndpointsQuery) -> (usize, Vec<EndpointResp>) {
        let store = self.state.store();
        let (total, page) = self.state.select(&store, query);
        let all = store.endpoints();
        (total, page.into_iter().map(|i| all[i].clone()).collect())
    }

    /// Turns quirks mode on or off.
    pub fn set_quirks(&self, on: bool) {
        self.state.quirks.store(on, Ordering::Relaxed);
    }

    /// The faults tests inject: push to its queue to make the next requests fail, or set
    /// a script ([`FaultPlan::script`]) that decides each request.
    pub fn faults(&self) -> &FaultPlan {
        &self.state.plan
    }

    /// Replaces the random faults (the random sequence restarts from their seed).
    pub fn set_random_faults(&self, faults: RandomFaults) {
        self.state.set_random_faults(faults);
    }

    /// The random faults in force.
    pub fn random_faults(&self) -> RandomFaults {
        self.state.random_faults()
    }

    /// Bytes sent to clients so far, all connections together: status lines, headers and
    /// bodies as they went on the wire (compressed when they were).
    pub fn bytes_sent(&self) -> u64 {
        self.state.link.bytes_sent()
    }

    /// The requests received so far (up to the log's capacity), oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// The platform around VPCEP (metadata service, IAM projects): modes and counters.
    pub fn platform(&self) -> &Platform {
        &self.state.platform
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.state
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

/// A fake running on its own thread and Tokio runtime, so it works from synchronous and
/// asynchronous tests alike. Dereferences to its [`FakeHandle`]. Stops when dropped.
pub struct FakeServer {
    handle: FakeHandle,
    addr: SocketAddr,
    https: bool,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// Binds `config.listen`, indexes the data and starts serving; returns once the port
    /// accepts connections.
    pub fn start(config: FakeConfig) -> io::Result<FakeServer> {
        let listener = std::net::TcpListener::bind(config.listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let grace = config.shutdown_grace;
        let https = config.tls.is_some();
        let workers = config.worker_threads.max(1);
        let handle = FakeHandle::new(config);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("vpcep-fake")
            .enable_all()
            .build()?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let serving = handle.clone();
        let thread = std::thread::Builder::new()
            .name("vpcep-fake".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .expect("a fresh non-blocking listener");
                    let shutdown = async {
                        let _ = stop_rx.await;
                    };
                    serving.serve(listener, shutdown, grace).await;
                });
            })?;
        Ok(FakeServer {
            handle,
            addr,
            https,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The address the fake listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, `http://ADDR:PORT` (`https://` with TLS; no trailing slash).
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The handle controlling this fake.
    pub fn handle(&self) -> &FakeHandle {
        &self.handle
    }

    /// Stops serving and waits for the server thread to end.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::ops::Deref for FakeServer {
    type Target = FakeHandle;
    fn deref(&self) -> &FakeHandle {
        &self.handle
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}
