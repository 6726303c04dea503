//! The fake plays an organisation: several accounts, each with projects in several
//! regions (a region's project `cn-north-4`, sub-projects `cn-north-4_dev`, IAM's own
//! `MOS`), endpoints per project, IAM (every project of an account, paged; the caller's
//! account; agencies assumed with CreateTemporaryAccessKeyByAgency) and faults per region.
//! One server, paths by prefix:
//!
//! * `{url}/iam` is IAM: `GET /v3/projects` (`name`, `page`, `per_page`), `GET
//!   /v3/auth/domains`, `POST /v3.0/OS-CREDENTIAL/securitytokens` (`assume_role`: the
//!   base credentials' signature is checked, and `X-Domain-Id` when sent; the answer is a
//!   new temporary AK/SK + security token of the agency's account, every call);
//! * `{url}/r/{region}` is that region's VPCEP: `GET /v1/{project_id}/vpc-endpoints`
//!   (`offset`, `limit`), for a project of that region in the caller's account.
//!
//! Every request is signed (AK/SK, `vpcep_client::signer::verify`): an account's own
//! keys, or temporary keys issued for it (with their `X-Security-Token`, refused once
//! expired). Point clients at it the official way: [`OrgServer::region_env`] gives
//! `HUAWEICLOUD_SDK_REGION_VPCEP_{REGION}` for every region, and
//! `HUAWEICLOUD_SDK_IAM_ENDPOINT` is [`OrgServer::iam_url`].

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use secrecy::SecretString;
use serde_json::json;

use crate::temporary_credentials::TemporaryCredentials;

/// A project of an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgProject {
    /// The project ID.
    pub id: String,
    /// Its name: the region (`cn-north-4`), a sub-project (`cn-north-4_dev`), or `MOS`.
    pub name: String,
    /// Endpoints in it (generated from `seed`).
    pub endpoints: usize,
    /// The seed of its endpoints.
    pub seed: u64,
    /// Whether IAM says it is enabled.
    pub enabled: bool,
}

impl OrgProject {
    /// The region the project is in (`None` for `MOS`).
    pub fn region(&self) -> Option<&str> {
        vpcep_client::region::region_of_project(&self.name)
    }
}

/// An account (an IAM domain).
#[derive(Clone, Debug)]
pub struct OrgAccount {
    /// Its domain name (`acme-prod`).
    pub domain_name: String,
    /// Its domain ID.
    pub domain_id: String,
    /// Permanent keys of a user of the account, if it has any (AK, SK).
    pub keys: Option<(String, String)>,
    /// Its projects, `MOS` included.
    pub projects: Vec<OrgProject>,
    /// Its agencies: (agency name, the domain name of the account it trusts).
    pub agencies: Vec<(String, String)>,
}

/// A whole organisation.
#[derive(Clone, Debug)]
pub struct OrgConfig {
    /// The accounts.
    pub accounts: Vec<OrgAccount>,
    /// Time each VPCEP request waits before it is answered (default none).
    pub latency: Duration,
    /// Lifetime of the temporary credentials agencies hand out (default 1 h).
    pub credential_lifetime: Duration,
}

/// The name of the agency [`OrgConfig::generated`] creates in every account but the first,
/// trusting the first.
pub const GENERATED_AGENCY: &str = "vpcep-reader";

impl OrgConfig {
    /// `accounts` accounts (`acct-0`, `acct-1`, …; the first has keys `AK-ACCT-0` /
    /// `SK-ACCT-0`, the others an agency [`GENERATED_AGENCY`] trusting it), each with a
    /// project per region and `sub_projects` sub-projects per region (`{region}_sub{i}`),
    /// plus `MOS`; `endpoints` endpoints per project.
    pub fn generated(
        accounts: usize,
        regions: &[&str],
        sub_projects: usize,
        endpoints: usize,
    ) -> Self {
        let mut all = Vec::new();
        for a in 0..accounts {
            let domain_name = format!("acct-{a}");
            let mut projects = vec![OrgProject {
                id: format!("{a:02}{:030x}", 0xdead_u64),
                name: "MOS".to_owned(),
                endpoints: 0,
                seed: 0,
                enabled: true,
            }];
            for (r, region) in regions.iter().enumerate() {
                for s in 0..=sub_projects {
                    let name = match s {
                        0 => (*region).to_owned(),
                        s => format!("{region}_sub{s}"),
                    };
                    projects.push(OrgProject {
                        id: format!("{a:02}{r:04}{s:02}{:024x}", 0x7e57_u64),
                        name,
                        endpoints,
                        seed: (a * 10_000 + r * 100 + s) as u64,
                        enabled: true,
                    });
                }
            }
            all.push(OrgAccount {
                domain_id: format!("{a:02}{:030x}", 0xd0_u64),
                keys: (a == 0).then(|| (format!("AK-ACCT-{a}"), format!("SK-ACCT-{a}"))),
                agencies: if a == 0 {
                    Vec::new()
                } else {
                    vec![(GENERATED_AGENCY.to_owned(), "acct-0".to_owned())]
                },
                domain_name,
                projects,
            });
        }
        OrgConfig {
            accounts: all,
            latency: Duration::ZERO,
            credential_lifetime: Duration::from_secs(3600),
        }
    }

    /// Gives every account permanent keys `AK-ACCT-{i}` / `SK-ACCT-{i}` (by default only
    /// the first has keys; the others are reached through their agency), e.g. to compare
    /// with single-account runs.
    pub fn keys_for_every_account(mut self) -> Self {
        for (i, account) in self.accounts.iter_mut().enumerate() {
            account.keys = Some((format!("AK-ACCT-{i}"), format!("SK-ACCT-{i}")));
        }
        self
    }

    /// Every VPCEP request waits `latency` before it is answered.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }
}

/// What a region answers instead of pages, until cleared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegionFault {
    /// `503` from the gateway.
    Unavailable,
    /// `429` with `Retry-After` in seconds.
    Throttled(u64),
    /// `400` `EndPoint.0022` (VPCEP's own throttling), with `Retry-After` in seconds.
    ThrottledEndpoint0022(u64),
}

/// A rendered page: (account, project, offset, limit, gzipped).
type PageKey = (usize, usize, i64, i64, bool);

struct OrgState {
    config: OrgConfig,
    /// Per account: the temporary credentials issued for it.
    temporary: Vec<Arc<TemporaryCredentials>>,
    faults: Mutex<HashMap<String, RegionFault>>,
    requests: Mutex<HashMap<String, u64>>,
    assume_calls: AtomicU64,
    iam_calls: AtomicU64,
    /// Rendered pages.
    pages: Mutex<HashMap<PageKey, Bytes>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl OrgState {
    /// The account whose keys signed the request, or why none.
    fn caller(&self, parts: &http::request::Parts, body: &[u8]) -> Result<usize, String> {
        if !parts.headers.contains_key(http::header::AUTHORIZATION) {
            return Err("no AK/SK signature".to_owned());
        }
        let mut headers = parts.headers.clone();
        if !headers.contains_key(http::header::HOST) {
            if let Some(authority) = parts.uri.authority() {
                if let Ok(v) = http::HeaderValue::from_str(authority.as_str()) {
                    headers.insert(http::header::HOST, v);
                }
            }
        }
        let lookup = |ak: &str| -> Option<SecretString> {
            self.config
                .accounts
                .iter()
                .enumerate()
                .find_map(|(i, a)| match &a.keys {
                    Some((k, s)) if k == ak => Some(SecretString::from(s.clone())),
                    _ => self.temporary[i].secret_of(ak),
                })
        };
        let ak = vpcep_client::signer::verify(
            parts.method.as_str(),
            parts.uri.path(),
            parts.uri.query(),
            &headers,
            body,
            lookup,
            SystemTime::now(),
            Duration::from_secs(15 * 60),
        )
        .map_err(|e| format!("AK/SK signature rejected: {e}"))?;
        for (i, account) in self.config.accounts.iter().enumerate() {
            if account.keys.as_ref().is_some_and(|(k, _)| *k == ak) {
                return Ok(i);
            }
            if self.temporary[i].secret_of(&ak).is_some() {
                self.temporary[i].check(&ak, &parts.headers)?;
                return Ok(i);
            }
        }
        Err("unknown access key".to_owned())
    }
}

fn json_response(status: StatusCode, value: serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::from(value.to_string()))
        .expect("a valid response")
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(status, json!({"error": {"code": code, "message": message}}))
}

fn query_pairs(uri: &http::Uri) -> HashMap<String, String> {
    form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

async fn split(req: Request) -> (http::request::Parts, Bytes) {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    (parts, body)
}

/// `GET /iam/v3/projects`: the caller's account's projects, paged.
async fn iam_projects(State(state): State<Arc<OrgState>>, req: Request) -> Response {
    state.iam_calls.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = split(req).await;
    let account = match state.caller(&parts, &body) {
        Ok(a) => a,
        Err(e) => return error(StatusCode::UNAUTHORIZED, "IAM.0001", &e),
    };
    let q = query_pairs(&parts.uri);
    let all = &state.config.accounts[account];
    let matching: Vec<&OrgProject> = all
        .projects
        .iter()
        .filter(|p| q.get("name").is_none_or(|n| *n == p.name))
        .collect();
    let per_page: usize = q
        .get("per_page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let page: usize = q.get("page").and_then(|v| v.parse().ok()).unwrap_or(1);
    if per_page == 0 || per_page > 5000 || page == 0 {
        return error(
            StatusCode::BAD_REQUEST,
            "IAM.0007",
            "invalid page or per_page",
        );
    }
    let start = (page - 1).saturating_mul(per_page).min(matching.len());
    let end = (start + per_page).min(matching.len());
    let projects: Vec<_> = matching[start..end]
        .iter()
        .map(|p| {
            json!({"id": p.id, "name": p.name, "domain_id": all.domain_id,
                   "enabled": p.enabled, "parent_id": all.domain_id, "is_domain": false,
                   "description": ""})
        })
        .collect();
    let next = (end < matching.len())
        .then(|| format!("/v3/projects?page={}&per_page={per_page}", page + 1));
    json_response(
        StatusCode::OK,
        json!({"projects": projects, "links": {"self": "/v3/projects", "next": next, "previous": null}}),
    )
}

/// `GET /iam/v3/auth/domains`: the caller's account.
async fn iam_domains(State(state): State<Arc<OrgState>>, req: Request) -> Response {
    state.iam_calls.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = split(req).await;
    match state.caller(&parts, &body) {
        Ok(a) => {
            let account = &state.config.accounts[a];
            json_response(
                StatusCode::OK,
                json!({"domains": [{"id": account.domain_id, "name": account.domain_name, "enabled": true}]}),
            )
        }
        Err(e) => error(StatusCode::UNAUTHORIZED, "IAM.0001", &e),
    }
}

/// `POST /iam/v3.0/OS-CREDENTIAL/securitytokens`: assume an agency.
async fn assume(State(state): State<Arc<OrgState>>, req: Request) -> Response {
    state.assume_calls.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = split(req).await;
    let caller = match state.caller(&parts, &body) {
        Ok(a) => a,
        Err(e) => return error(StatusCode::UNAUTHORIZED, "IAM.0001", &e),
    };
    let caller_account = &state.config.accounts[caller];
    if let Some(sent) = parts.headers.get("x-domain-id") {
        if sent.as_bytes() != caller_account.domain_id.as_bytes() {
            return error(
                StatusCode::FORBIDDEN,
                "IAM.0002",
                "X-Domain-Id is not the caller's account",
            );
        }
    }
    let request: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return error(StatusCode::BAD_REQUEST, "IAM.0011", &format!("body: {e}")),
    };
    let identity = &request["auth"]["identity"];
    if identity["methods"] != json!(["assume_role"]) {
        return error(
            StatusCode::BAD_REQUEST,
            "IAM.0011",
            "methods must be [\"assume_role\"]",
        );
    }
    let role = &identity["assume_role"];
    let (Some(domain_name), Some(agency_name)) =
        (role["domain_name"].as_str(), role["agency_name"].as_str())
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "IAM.0011",
            "domain_name and agency_name are required",
        );
    };
    let duration = role["duration_seconds"].as_u64().unwrap_or(900);
    if !(900..=86_400).contains(&duration) {
        return error(
            StatusCode::BAD_REQUEST,
            "IAM.0011",
            "duration_seconds must be 900 to 86400",
        );
    }
    let target = state.config.accounts.iter().position(|a| {
        a.domain_name == domain_name
            && a.agencies.iter().any(|(name, trusted)| {
                name == agency_name && *trusted == caller_account.domain_name
            })
    });
    let Some(target) = target else {
        return error(
            StatusCode::FORBIDDEN,
            "IAM.0003",
            "no such agency trusting the caller's account",
        );
    };
    let lifetime = state
        .config
        .credential_lifetime
        .min(Duration::from_secs(duration));
    let issued = &state.temporary[target];
    issued.rotate();
    let credential = issued.current_or_new(lifetime);
    let expires = crate::platform::expires_text(credential.expires_at);
    json_response(
        StatusCode::CREATED,
        json!({"credential": {"access": credential.access, "secret": credential.secret,
               "securitytoken": credential.security_token, "expires_at": expires}}),
    )
}

/// `GET /r/{region}/v1/{project_id}/vpc-endpoints`.
async fn list(State(state): State<Arc<OrgState>>, req: Request) -> Response {
    let (parts, body) = split(req).await;
    let mut segments = parts.uri.path().trim_start_matches('/').split('/');
    let (Some("r"), Some(region), Some("v1"), Some(project_id), Some("vpc-endpoints"), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return error(
            StatusCode::NOT_FOUND,
            "APIGW.0101",
            "The API does not exist",
        );
    };
    *lock(&state.requests).entry(region.to_owned()).or_default() += 1;
    if !state.config.latency.is_zero() {
        tokio::time::sleep(state.config.latency).await;
    }
    let fault = lock(&state.faults).get(region).cloned();
    match fault {
        Some(RegionFault::Unavailable) => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "APIGW.0303",
                "Service Unavailable",
            )
        }
        Some(RegionFault::Throttled(after)) => {
            let mut r = error(StatusCode::TOO_MANY_REQUESTS, "APIGW.0308", "throttled");
            r.headers_mut().insert("retry-after", after.into());
            return r;
        }
        Some(RegionFault::ThrottledEndpoint0022(after)) => {
            let mut r = error(
                StatusCode::BAD_REQUEST,
                "EndPoint.0022",
                "The number of requests exceeded the limit. Please try later.",
            );
            r.headers_mut().insert("retry-after", after.into());
            return r;
        }
        None => {}
    }
    let account = match state.caller(&parts, &body) {
        Ok(a) => a,
        Err(e) => return error(StatusCode::UNAUTHORIZED, "APIGW.0301", &e),
    };
    let Some(project) = state.config.accounts[account]
        .projects
        .iter()
        .position(|p| p.id == project_id && p.region() == Some(region))
    else {
        return error(
            StatusCode::FORBIDDEN,
            "EndPoint.0003",
            "the project is not the caller's in this region",
        );
    };
    let q = query_pairs(&parts.uri);
    let offset: i64 = q.get("offset").and_then(|v| v.parse().ok()).unwrap_or(0);
    let limit: i64 = q.get("limit").and_then(|v| v.parse().ok()).unwrap_or(10);
    if offset < 0 || !(1..=1000).contains(&limit) {
        return error(
            StatusCode::BAD_REQUEST,
            "EndPoint.2001",
            "invalid offset or limit",
        );
    }
    let gzip = accepts_gzip(&parts.headers);
    let key = (account, project, offset, limit, gzip);
    let cached = lock(&state.pages).get(&key).cloned();
    let body = match cached {
        Some(body) => body,
        None => {
            let p = &state.config.accounts[account].projects[project];
            let endpoints = crate::generate(p.endpoints, p.seed, &p.id);
            let start = (offset as usize).min(endpoints.len());
            let end = (start + limit as usize).min(endpoints.len());
            let page = json!({"endpoints": &endpoints[start..end], "total_count": endpoints.len()});
            let text = page.to_string().into_bytes();
            let body = if gzip {
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                encoder.write_all(&text).expect("writing to memory");
                Bytes::from(encoder.finish().expect("writing to memory"))
            } else {
                Bytes::from(text)
            };
            lock(&state.pages).insert(key, body.clone());
            body
        }
    };
    let mut response = Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/json");
    if gzip {
        response = response.header(http::header::CONTENT_ENCODING, "gzip");
    }
    response.body(Body::from(body)).expect("a valid response")
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(http::header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|e| e.trim().starts_with("gzip")))
}

/// An organisation served on `127.0.0.1`, on its own thread and runtime; stops when
/// dropped.
pub struct OrgServer {
    state: Arc<OrgState>,
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl OrgServer {
    /// Serves `config` on `listen` (e.g. `127.0.0.1:0` for a free port).
    pub fn start(config: OrgConfig, listen: SocketAddr) -> std::io::Result<OrgServer> {
        let listener = std::net::TcpListener::bind(listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let state = Arc::new(OrgState {
            temporary: config.accounts.iter().map(|_| Arc::default()).collect(),
            config,
            faults: Mutex::default(),
            requests: Mutex::default(),
            assume_calls: AtomicU64::new(0),
            iam_calls: AtomicU64::new(0),
            pages: Mutex::default(),
        });
        let router = Router::new()
            .route("/iam/v3/projects", get(iam_projects))
            .route("/iam/v3/auth/domains", get(iam_domains))
            .route("/iam/v3.0/OS-CREDENTIAL/securitytokens", post(assume))
            .fallback(list)
            .with_state(state.clone());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("vpcep-fake-org")
            .enable_all()
            .build()?;
        let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("vpcep-fake-org".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .expect("a fresh non-blocking listener");
                    let mut conns = tokio::task::JoinSet::new();
                    loop {
                        tokio::select! {
                            accepted = listener.accept() => {
                                let Ok((stream, _)) = accepted else {
                                    tokio::time::sleep(Duration::from_millis(10)).await;
                                    continue;
                                };
                                let _ = stream.set_nodelay(true);
                                let router = router.clone();
                                let service = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                                    let mut router = router.clone();
                                    async move {
                                        let resp: Result<Response, Infallible> =
                                            tower_service::Service::call(&mut router, req.map(Body::new)).await;
                                        resp
                                    }
                                });
                                conns.spawn(async move {
                                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                                        .serve_connection(TokioIo::new(stream), service)
                                        .await;
                                });
                            }
                            Some(_) = conns.join_next(), if !conns.is_empty() => {}
                            _ = &mut stop_rx => break,
                        }
                    }
                    conns.abort_all();
                });
            })?;
        Ok(OrgServer {
            state,
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// IAM's endpoint: `{url}/iam` (for `HUAWEICLOUD_SDK_IAM_ENDPOINT`).
    pub fn iam_url(&self) -> String {
        format!("{}/iam", self.url())
    }

    /// A region's VPCEP endpoint: `{url}/r/{region}`.
    pub fn region_url(&self, region: &str) -> String {
        format!("{}/r/{region}", self.url())
    }

    /// The environment that points the official SDKs (and our client) at this
    /// organisation: `HUAWEICLOUD_SDK_REGION_VPCEP_{REGION}` for every region of every
    /// account, and `HUAWEICLOUD_SDK_IAM_ENDPOINT`.
    pub fn region_env(&self) -> Vec<(String, String)> {
        let mut regions: Vec<&str> = self
            .state
            .config
            .accounts
            .iter()
            .flat_map(|a| a.projects.iter().filter_map(OrgProject::region))
            .collect();
        regions.sort_unstable();
        regions.dedup();
        let mut env: Vec<(String, String)> = regions
            .iter()
            .map(|r| (vpcep_client::region::env_var_name(r), self.region_url(r)))
            .collect();
        env.push((
            vpcep_client::credentials::ENV_IAM_ENDPOINT.to_owned(),
            self.iam_url(),
        ));
        env
    }

    /// The organisation served.
    pub fn config(&self) -> &OrgConfig {
        &self.state.config
    }

    /// From now on, `region` answers with `fault` (`None`: pages again).
    pub fn set_region_fault(&self, region: &str, fault: Option<RegionFault>) {
        let mut faults = lock(&self.state.faults);
        match fault {
            Some(f) => faults.insert(region.to_owned(), f),
            None => faults.remove(region),
        };
    }

    /// VPCEP requests received by `region`.
    pub fn requests_in(&self, region: &str) -> u64 {
        lock(&self.state.requests).get(region).copied().unwrap_or(0)
    }

    /// CreateTemporaryAccessKeyByAgency calls received.
    pub fn assume_calls(&self) -> u64 {
        self.state.assume_calls.load(Ordering::Relaxed)
    }

    /// Every secret handed out (temporary SKs and security tokens), for leak checks.
    pub fn issued_secrets(&self) -> Vec<String> {
        self.state
            .temporary
            .iter()
            .flat_map(|t| t.secrets())
            .collect()
    }

    /// The IDs of the endpoints of a project, in the order served.
    pub fn endpoint_ids(&self, account: usize, project_id: &str) -> Vec<String> {
        let a = &self.state.config.accounts[account];
        a.projects
            .iter()
            .find(|p| p.id == project_id)
            .map(|p| {
                crate::generate(p.endpoints, p.seed, &p.id)
                    .into_iter()
                    .filter_map(|e| e.id)
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for OrgServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
