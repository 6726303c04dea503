//! The fake plays the platform around VPCEP: the ECS metadata service (session tokens and
//! the agency's temporary AK/SK), IAM's project listing, and the checks on requests signed
//! with temporary credentials (`X-Security-Token` must match, expired ones are refused).
//!
//! * `PUT /meta-data/latest/api/token` (header `X-Metadata-Token-Ttl-Seconds`, 1..=21600)
//!   answers a session token;
//! * `GET /openstack/latest/securitykey` answers
//!   `{"credential": {"access", "secret", "securitytoken", "expires_at"}}`; the keys rotate
//!   when less than half their lifetime remains (or on [`Platform::rotate`]);
//! * `GET /v3/projects?name=REGION` (KeystoneListProjects, authenticated like VPCEP calls)
//!   answers the projects configured for that name.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, put};
use axum::Router;
use tokio::sync::watch;

use crate::auth::Authenticator;
use crate::temporary_credentials::TemporaryCredentials;

/// How the fake's metadata service behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MetadataMode {
    /// Session token optional (but a wrong one is refused with 401).
    #[default]
    Open,
    /// `securitykey` answers 401 until a valid session token is sent.
    TokenRequired,
    /// Never answers (requests hang until the client gives up or the fake stops).
    Unreachable,
    /// The metadata paths are not served (404).
    Off,
}

impl std::str::FromStr for MetadataMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "open" => Ok(Self::Open),
            "token-required" => Ok(Self::TokenRequired),
            "unreachable" => Ok(Self::Unreachable),
            "off" => Ok(Self::Off),
            _ => Err("expected open, token-required, unreachable or off".into()),
        }
    }
}

/// The platform part of a [`crate::FakeConfig`].
#[derive(Clone, Debug)]
pub struct PlatformConfig {
    /// Metadata service behaviour (default [`MetadataMode::Open`]).
    pub metadata: MetadataMode,
    /// Lifetime of the temporary credentials handed out (default 1 h).
    pub credential_lifetime: Duration,
    /// IAM projects, as (name, id); the name is the region (e.g. `cn-north-4`).
    pub projects: Vec<(String, String)>,
}

impl Default for PlatformConfig {
    fn default() -> Self {
        Self {
            metadata: MetadataMode::Open,
            credential_lifetime: Duration::from_secs(3600),
            projects: Vec::new(),
        }
    }
}

/// The platform's state: change modes and read counters while the fake runs (see
/// [`crate::FakeHandle::platform`]).
pub struct Platform {
    mode: Mutex<MetadataMode>,
    lifetime: Mutex<Duration>,
    projects: Mutex<Vec<(String, String)>>,
    /// Metadata session tokens and when each expires.
    sessions: Mutex<HashMap<String, Instant>>,
    temporary: Arc<TemporaryCredentials>,
    token_failures: AtomicU64,
    token_calls: AtomicU64,
    securitykey_calls: AtomicU64,
    iam_calls: AtomicU64,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("mode", &self.metadata_mode())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Platform {
    pub(crate) fn new(config: &PlatformConfig, temporary: Arc<TemporaryCredentials>) -> Self {
        Self {
            mode: Mutex::new(config.metadata),
            lifetime: Mutex::new(config.credential_lifetime),
            projects: Mutex::new(config.projects.clone()),
            sessions: Mutex::default(),
            temporary,
            token_failures: AtomicU64::new(0),
            token_calls: AtomicU64::new(0),
            securitykey_calls: AtomicU64::new(0),
            iam_calls: AtomicU64::new(0),
        }
    }

    /// The metadata mode in force.
    pub fn metadata_mode(&self) -> MetadataMode {
        *lock(&self.mode)
    }

    /// Changes the metadata mode.
    pub fn set_metadata_mode(&self, mode: MetadataMode) {
        *lock(&self.mode) = mode;
    }

    /// Lifetime of credentials handed out from now on (the current ones rotate at the next
    /// fetch if less than half of the new lifetime remains).
    pub fn set_credential_lifetime(&self, lifetime: Duration) {
        *lock(&self.lifetime) = lifetime;
    }

    /// The next fetch hands out new keys (the old ones stay valid until they expire).
    pub fn rotate(&self) {
        self.temporary.rotate();
    }

    /// Forgets every metadata session token (the next `securitykey` with one gets 401).
    pub fn revoke_session_tokens(&self) {
        lock(&self.sessions).clear();
    }

    /// The next `n` session token requests answer 503.
    pub fn fail_token_requests(&self, n: u64) {
        self.token_failures.store(n, Ordering::Relaxed);
    }

    /// Adds an IAM project (name = region).
    pub fn add_project(&self, name: impl Into<String>, id: impl Into<String>) {
        lock(&self.projects).push((name.into(), id.into()));
    }

    /// `PUT /meta-data/latest/api/token` requests received.
    pub fn token_calls(&self) -> u64 {
        self.token_calls.load(Ordering::Relaxed)
    }

    /// `GET /openstack/latest/securitykey` requests received.
    pub fn securitykey_calls(&self) -> u64 {
        self.securitykey_calls.load(Ordering::Relaxed)
    }

    /// `GET /v3/projects` requests received.
    pub fn iam_calls(&self) -> u64 {
        self.iam_calls.load(Ordering::Relaxed)
    }

    /// The access key handed out last, if any.
    pub fn current_access_key(&self) -> Option<String> {
        self.temporary.current_access_key()
    }

    /// Every secret handed out so far (secret keys, security tokens, session tokens), for
    /// tests that check that none leaks into logs or errors.
    pub fn issued_secrets(&self) -> Vec<String> {
        let mut out = self.temporary.secrets();
        out.extend(lock(&self.sessions).keys().cloned());
        out
    }

    fn credential_json(&self) -> String {
        let lifetime = *lock(&self.lifetime);
        let credential = self.temporary.current_or_new(lifetime);
        serde_json::json!({"credential": {
            "access": credential.access,
            "secret": credential.secret,
            "securitytoken": credential.security_token,
            "expires_at": expires_text(credential.expires_at),
        }})
        .to_string()
    }
}

/// `2026-11-30T12:00:00.000000Z`, the metadata service's format.
pub(crate) fn expires_text(t: SystemTime) -> String {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let dt = time::OffsetDateTime::from_unix_timestamp(d.as_secs() as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        d.subsec_micros()
    )
}

fn text(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    r
}

fn json(status: StatusCode, body: String) -> Response {
    let mut r = text(status, body);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

/// What the platform's routes share: the platform, authentication (for IAM), and the
/// fake's stop signal (a metadata service that never answers lets go when the fake stops).
#[derive(Clone)]
pub(crate) struct PlatformRoutes {
    pub(crate) platform: Arc<Platform>,
    pub(crate) auth: Arc<Authenticator>,
    pub(crate) stopping: watch::Receiver<bool>,
}

async fn hang_or_404(state: &PlatformRoutes) -> Option<Response> {
    match state.platform.metadata_mode() {
        MetadataMode::Off => Some(text(StatusCode::NOT_FOUND, "not found")),
        MetadataMode::Unreachable => {
            let mut stopping = state.stopping.clone();
            let _ = stopping.wait_for(|s| *s).await;
            Some(text(StatusCode::SERVICE_UNAVAILABLE, ""))
        }
        _ => None,
    }
}

async fn token(AxState(state): AxState<PlatformRoutes>, headers: HeaderMap) -> Response {
    if let Some(r) = hang_or_404(&state).await {
        return r;
    }
    let p = &state.platform;
    p.token_calls.fetch_add(1, Ordering::Relaxed);
    if p.token_failures
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
        .is_ok()
    {
        return text(StatusCode::SERVICE_UNAVAILABLE, "token service unavailable");
    }
    let ttl = headers
        .get("x-metadata-token-ttl-seconds")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|t| (1..=21_600).contains(t));
    let Some(ttl) = ttl else {
        return text(
            StatusCode::BAD_REQUEST,
            "X-Metadata-Token-Ttl-Seconds must be 1..21600",
        );
    };
    let token = format!("mdtoken-{:032x}", fastrand::u128(..));
    lock(&p.sessions).insert(token.clone(), Instant::now() + Duration::from_secs(ttl));
    text(StatusCode::OK, token)
}

async fn securitykey(AxState(state): AxState<PlatformRoutes>, headers: HeaderMap) -> Response {
    if let Some(r) = hang_or_404(&state).await {
        return r;
    }
    let p = &state.platform;
    p.securitykey_calls.fetch_add(1, Ordering::Relaxed);
    let sent = headers
        .get("x-metadata-token")
        .and_then(|v| v.to_str().ok());
    let valid = sent.is_some_and(|t| {
        lock(&p.sessions)
            .get(t)
            .is_some_and(|exp| *exp > Instant::now())
    });
    let refused = match p.metadata_mode() {
        MetadataMode::TokenRequired => !valid,
        _ => sent.is_some() && !valid,
    };
    if refused {
        return text(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: invalid or missing metadata token",
        );
    }
    json(StatusCode::OK, p.credential_json())
}

async fn projects(AxState(state): AxState<PlatformRoutes>, req: Request) -> Response {
    let query: HashMap<String, String> =
        form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let p = &state.platform;
    p.iam_calls.fetch_add(1, Ordering::Relaxed);
    let trace = format!("{:032x}", fastrand::u128(..));
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let mut resp = if let Err(reason) = state.auth.check(&parts, &body) {
        json(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"error": {"code": 401, "title": "Unauthorized", "message": reason}})
                .to_string(),
        )
    } else {
        let name = query.get("name");
        let found: Vec<serde_json::Value> = lock(&p.projects)
            .iter()
            .filter(|(n, _)| name.is_none_or(|want| want == n))
            .map(|(n, id)| {
                serde_json::json!({"id": id, "name": n, "enabled": true, "domain_id": "fakedomain", "is_domain": false, "parent_id": "fakedomain", "description": ""})
            })
            .collect();
        json(
            StatusCode::OK,
            serde_json::json!({"projects": found, "links": {"self": "/v3/projects", "next": null, "previous": null}})
                .to_string(),
        )
    };
    if let Ok(v) = http::HeaderValue::from_str(&trace) {
        resp.headers_mut().insert("x-iam-trace-id", v);
    }
    resp
}

const TOKEN: &str = "/meta-data/latest/api/token";
const SECURITY_KEY: &str = "/openstack/latest/securitykey";
const PROJECTS: &str = "/v3/projects";

/// A `405` with a JSON body for another method on `route`.
fn wrong_method(
    route: &'static str,
    allow: &'static str,
) -> impl Fn(Request) -> std::future::Ready<Response> + Clone + Send + Sync + 'static {
    move |req: Request| {
        std::future::ready(crate::responses::method_not_allowed(
            req.method(),
            route,
            allow,
        ))
    }
}

/// The platform's routes (not subject to the VPCEP fault plan or request log).
pub(crate) fn routes(state: PlatformRoutes) -> Router {
    Router::new()
        .route(TOKEN, put(token).fallback(wrong_method(TOKEN, "PUT")))
        .route(
            SECURITY_KEY,
            get(securitykey).fallback(wrong_method(SECURITY_KEY, "GET, HEAD")),
        )
        .route(
            PROJECTS,
            get(projects).fallback(wrong_method(PROJECTS, "GET, HEAD")),
        )
        .with_state(state)
}
