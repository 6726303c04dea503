//! How to run a fake: [`FakeConfig`] (data, authentication, faults, link, platform) and
//! the warning for a fake without authentication listening beyond this machine.

use std::net::SocketAddr;
use std::time::Duration;

use secrecy::SecretString;
use vpcep_client::types::EndpointResp;

use crate::auth::AuthConfig;
use crate::churn::Churn;
use crate::data::doc_example_endpoints;
use crate::faults::RandomFaults;
use crate::generate::DEFAULT_PROJECT_ID;
use crate::platform::{MetadataMode, PlatformConfig};
use crate::replay::RecordedEndpoint;
use crate::tls::TlsConfig;

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

/// Endpoints the fake generates when it starts ([`FakeConfig::generate`]): those of
/// [`crate::generate()`]`(count, seed, project_id)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generated {
    /// How many.
    pub count: usize,
    /// The generator's seed.
    pub seed: u64,
    /// Their `project_id`.
    pub project_id: String,
}

/// How to run a fake. Build with [`FakeConfig::new`] and the chained setters.
#[derive(Clone, Debug)]
pub struct FakeConfig {
    /// Address to listen on; port 0 picks a free port (the default, `127.0.0.1:0`).
    pub listen: SocketAddr,
    /// The endpoints served (default: the doc's two examples).
    pub endpoints: Vec<EndpointResp>,
    /// Replayed data ([`FakeConfig::recorded`]): the JSON served for each of `endpoints`,
    /// same order and length (starting a fake panics otherwise); filters, sorts and pages
    /// read its string fields. `None` (the default): `endpoints` are serialized.
    pub recorded_json: Option<Vec<serde_json::Value>>,
    /// Generated data ([`FakeConfig::generate`]), made when the fake starts, straight
    /// into its store; when set, `endpoints` and `recorded_json` are not served.
    pub generated: Option<Generated>,
    /// Authentication (default: none).
    pub auth: AuthConfig,
    /// Random faults and latency (default: none).
    pub faults: RandomFaults,
    /// Serve the doc example's shapes: booleans as strings, one-element lists as strings.
    pub quirks: bool,
    /// List only the endpoints whose `project_id` is the one in the request path, like the
    /// real service (default off: every endpoint is listed whatever the project).
    pub project_scoped: bool,
    /// How many requests [`crate::FakeHandle::requests`] keeps (oldest dropped first); 0 keeps none.
    pub request_log_capacity: usize,
    /// Worker threads of the runtime [`crate::FakeServer::start`] creates.
    pub worker_threads: usize,
    /// How long requests in flight may finish when the server stops.
    pub shutdown_grace: Duration,
    /// Serve HTTPS with this certificate instead of plain HTTP (default: none).
    pub tls: Option<TlsConfig>,
    /// The platform around VPCEP: ECS metadata, IAM projects (see [`crate::Platform`]).
    pub platform: PlatformConfig,
    /// gzip responses whose request accepts it (default on, like API gateways).
    pub compression: bool,
    /// Limit on the bytes sent per second, all connections together, in Mbit/s (default
    /// none); applies with [`crate::FakeServer::start`] and [`crate::FakeHandle::serve`].
    pub bandwidth_mbps: Option<f64>,
    /// Endpoints created and deleted after every page answered (default none); see
    /// [`FakeConfig::churn`].
    pub churn: Option<Churn>,
    /// Time a connection has to deliver a complete request head, from when the fake
    /// starts waiting for it (default 10 s; see the README's "Connections").
    pub header_read_timeout: Duration,
    /// A connection with nothing read or written for this long, and no request the fake
    /// is working on, is closed (default 60 s).
    pub idle_timeout: Duration,
    /// Open connections at most (default 512); at the cap, the one that waited longest
    /// for a request is closed to make room.
    pub max_connections: usize,
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
            generated: None,
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
            churn: None,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 512,
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
        self.generated = None;
        self
    }

    /// Replays these recorded endpoints (see [`crate::load_recorded`]): each is served as
    /// recorded — nulls, unknown fields, odd shapes and values kept — while filters,
    /// sorts and pages use what could be read from it.
    pub fn recorded(mut self, recorded: Vec<RecordedEndpoint>) -> Self {
        let (endpoints, json) = recorded.into_iter().map(|r| (r.endpoint, r.json)).unzip();
        self.endpoints = endpoints;
        self.recorded_json = Some(json);
        self.generated = None;
        self
    }

    /// Serves `n` synthetic endpoints (see [`crate::generate()`]) of the doc's project,
    /// [`DEFAULT_PROJECT_ID`].
    pub fn generate(self, n: usize, seed: u64) -> Self {
        self.generate_for_project(n, seed, DEFAULT_PROJECT_ID)
    }

    /// Serves `n` synthetic endpoints of `project_id` (see [`crate::generate()`]): the same as
    /// `endpoints(generate(n, seed, project_id))`, written straight into the fake's store
    /// when it starts (no typed endpoint is built; see the README's sizing note).
    pub fn generate_for_project(
        mut self,
        n: usize,
        seed: u64,
        project_id: impl Into<String>,
    ) -> Self {
        self.endpoints = Vec::new();
        self.recorded_json = None;
        self.generated = Some(Generated {
            count: n,
            seed,
            project_id: project_id.into(),
        });
        self
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

    /// Time a connection has to deliver a complete request head (default 10 s).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Closes connections idle this long (default 60 s).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Open connections at most (default 512).
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }

    /// Churn: after every page the fake answers, `churn.per_request` endpoints drawn at
    /// random are deleted and as many new ones created, deterministically for
    /// `churn.seed` (see [`Churn`] and the README's "Churn"). Which endpoints existed for
    /// the whole of a walk: [`crate::FakeHandle::present_throughout`].
    pub fn churn(mut self, churn: Churn) -> Self {
        self.churn = Some(churn).filter(|c| c.per_request > 0);
        self
    }
}
