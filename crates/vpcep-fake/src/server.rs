//! HTTP side: routing, authentication, validation, faults, and the accept loop.
//!
//! Validation restates no rule of the spec: [`validate`] parses a request into the
//! client's [`ListEndpointsQuery`] (the generated types and the contract table of
//! `vpcep-client`), and a 400 carries the client's [`ValidationError`] text with VPCEP's
//! error code for the parameter ([`bad_request_code`]).

use std::collections::{HashMap, HashSet, VecDeque};
use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State as AxState};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, HOST};
use http::{HeaderMap, Method, StatusCode, Uri};
use hyper_util::rt::{TokioExecutor, TokioIo};
use secrecy::SecretString;
use tokio::sync::{watch, Notify};
use vpcep_client::contract::{self, Location};
use vpcep_client::types::EndpointResp;
use vpcep_client::{ListEndpointsQuery, ValidationError};

use crate::faults::{Dice, Fault, FaultPlan, RandomFaults};
use crate::store::Store;
use crate::FakeConfig;

/// Header carrying the request id on every response.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// One request as the fake received it (see [`crate::FakeHandle::requests`]).
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: Method,
    /// Request target (path and query) as received.
    pub uri: Uri,
    /// Request headers.
    pub headers: HeaderMap,
    /// The `X-Request-Id` the fake gave (or would have given) the response.
    pub request_id: String,
    /// When the request arrived.
    pub received_at: SystemTime,
}

impl RecordedRequest {
    /// The first value of a header (name case-insensitive), if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The value of a query parameter as sent (not percent-decoded); the first one if the
    /// parameter is repeated.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.uri
            .query()?
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }

    /// Path and query, as sent (e.g. `/v1/p/vpc-endpoints?limit=10`).
    pub fn target(&self) -> &str {
        self.uri
            .path_and_query()
            .map_or_else(|| self.uri.path(), |pq| pq.as_str())
    }
}

pub(crate) struct Auth {
    pub(crate) disabled: bool,
    pub(crate) tokens: HashSet<String>,
    pub(crate) keys: HashMap<String, SecretString>,
    pub(crate) max_skew: Duration,
}

pub(crate) struct State {
    pub(crate) store: RwLock<Arc<Store>>,
    pub(crate) quirks: AtomicBool,
    /// List only the endpoints of the project in the path.
    pub(crate) project_scoped: bool,
    pub(crate) auth: Auth,
    pub(crate) dice: Mutex<Dice>,
    pub(crate) latency_ms: AtomicU64,
    pub(crate) plan: FaultPlan,
    pub(crate) log_capacity: usize,
    pub(crate) log: Mutex<VecDeque<RecordedRequest>>,
    id_prefix: u64,
    id_counter: AtomicU64,
    /// Becomes true when the server stops; hanging requests then close their connection.
    pub(crate) stopping: watch::Sender<bool>,
    /// Serve HTTPS with this certificate.
    pub(crate) tls: Option<crate::tls::TlsConfig>,
    /// Metadata service, IAM projects, temporary credentials (platform.rs).
    pub(crate) platform: crate::platform::Platform,
    /// Compression, bandwidth limit and bytes sent (link.rs).
    pub(crate) compression: bool,
    pub(crate) link: Arc<crate::link::Link>,
}

impl State {
    pub(crate) fn new(mut config: FakeConfig) -> Self {
        let auth = Auth {
            disabled: config.auth.disabled,
            tokens: config.auth.tokens.iter().cloned().collect(),
            keys: config.auth.keys.iter().cloned().collect(),
            max_skew: config.auth.max_skew,
        };
        Self {
            store: RwLock::new(new_store(
                std::mem::take(&mut config.endpoints),
                config.recorded_json.take(),
            )),
            quirks: AtomicBool::new(config.quirks),
            project_scoped: config.project_scoped,
            tls: config.tls.take(),
            auth,
            latency_ms: AtomicU64::new(config.faults.latency.as_millis() as u64),
            dice: Mutex::new(Dice::new(config.faults.clone())),
            plan: FaultPlan::default(),
            log_capacity: config.request_log_capacity,
            log: Mutex::new(VecDeque::new()),
            id_prefix: fastrand::u64(..),
            id_counter: AtomicU64::new(0),
            stopping: watch::channel(false).0,
            platform: crate::platform::Platform::new(&config.platform),
            compression: config.compression,
            link: Arc::new(crate::link::Link::new(config.bandwidth_mbps)),
        }
    }

    pub(crate) fn store(&self) -> Arc<Store> {
        self.store.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn set_endpoints(
        &self,
        endpoints: Vec<EndpointResp>,
        json: Option<Vec<serde_json::Value>>,
    ) {
        let store = new_store(endpoints, json);
        *self.store.write().unwrap_or_else(|e| e.into_inner()) = store;
    }

    pub(crate) fn set_random_faults(&self, faults: RandomFaults) {
        self.latency_ms
            .store(faults.latency.as_millis() as u64, Ordering::Relaxed);
        *self.dice.lock().unwrap_or_else(|e| e.into_inner()) = Dice::new(faults);
    }

    pub(crate) fn random_faults(&self) -> RandomFaults {
        self.dice
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .config()
            .clone()
    }

    fn next_request_id(&self) -> String {
        let n = self.id_counter.fetch_add(1, Ordering::Relaxed);
        format!("{:016x}{:016x}", self.id_prefix, n)
    }

    /// Logs the request, and asks the script (if any) what to do with it.
    fn record(&self, req: &Request, request_id: &str) -> Option<Fault> {
        let scripted = self.plan.is_scripted();
        if self.log_capacity == 0 && !scripted {
            return None;
        }
        let entry = RecordedRequest {
            method: req.method().clone(),
            uri: req.uri().clone(),
            headers: req.headers().clone(),
            request_id: request_id.to_owned(),
            received_at: SystemTime::now(),
        };
        let fault = if scripted {
            self.plan.scripted(&entry)
        } else {
            None
        };
        if self.log_capacity > 0 {
            let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
            while log.len() >= self.log_capacity {
                log.pop_front();
            }
            log.push_back(entry);
        }
        fault
    }

    /// The page the server answers to `query`: [`Store::select`] with the project of the
    /// path as scope when project scoping is on. Scoped pages take the filtered path (and
    /// are copied): unscoped ones are not affected at all.
    pub(crate) fn select(&self, store: &Store, query: &ListEndpointsQuery) -> (usize, Vec<usize>) {
        let scope = match &query.project_id {
            Some(project) if self.project_scoped => Some(project.as_str()),
            _ => None,
        };
        store.select(query, scope)
    }

    /// The fault of a request the script left alone: the queue's next, else the dice's.
    fn draw_fault(&self) -> Option<Fault> {
        if let Some(f) = self.plan.next() {
            return Some(f);
        }
        self.dice.lock().unwrap_or_else(|e| e.into_inner()).draw()
    }
}

/// Indexes the endpoints, and makes their JSON text on a background thread (pages made
/// before it gets there make their own). `json`: replayed data, served as is.
fn new_store(endpoints: Vec<EndpointResp>, json: Option<Vec<serde_json::Value>>) -> Arc<Store> {
    let raw = json.map(|json| {
        json.iter()
            .map(|v| {
                serde_json::to_vec(v)
                    .expect("serializing JSON never fails")
                    .into_boxed_slice()
            })
            .collect()
    });
    let store = Arc::new(Store::with_raw(endpoints, raw));
    if store.len() > 1000 {
        let warming = store.clone();
        let _ = std::thread::Builder::new()
            .name("vpcep-fake-warm".into())
            .spawn(move || warming.warm());
    } else {
        store.warm();
    }
    store
}

/// The request id of the current request, for error bodies.
#[derive(Clone)]
struct RequestId(String);

/// Closes the connection a request came on, without a response.
#[derive(Clone)]
struct ConnKill(Arc<Notify>);

/// The fake's router (routing, auth, validation, faults), usable on its own with any
/// server; connection-level faults (`Drop`, `Truncate`) are best effort then.
pub(crate) fn router(state: Arc<State>) -> Router {
    // Faults are applied outside the compression layer: a fault's response goes out as
    // the fault says (a `Respond` body with its own `Content-Encoding` untouched), while
    // `Truncate` cuts what compression made of the normal answer.
    Router::new()
        .fallback(dispatch)
        .layer(crate::link::compression(state.compression))
        .layer(axum::middleware::from_fn_with_state(state.clone(), front))
        .merge(
            crate::platform::routes().layer(axum::middleware::from_fn_with_state(
                state.clone(),
                platform_front,
            )),
        )
        .with_state(state)
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

fn error_body(code: &str, message: &str, gateway_request_id: Option<&str>) -> Vec<u8> {
    let mut body = serde_json::json!({ "error": { "code": code, "message": message } });
    if let Some(request_id) = gateway_request_id {
        // API gateways answer with the flat shape; send both so either reading works.
        body["error_code"] = code.into();
        body["error_msg"] = message.into();
        body["request_id"] = request_id.into();
    }
    serde_json::to_vec(&body).expect("JSON")
}

fn fault_status_response(status: u16, retry_after: Option<u64>, request_id: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let reason = code.canonical_reason().unwrap_or("Error");
    let body = if code == StatusCode::TOO_MANY_REQUESTS {
        error_body(
            "APIGW.0308",
            "The throttling threshold has been reached",
            Some(request_id),
        )
    } else {
        error_body(
            &format!("VPCEP.0{}", code.as_u16()),
            &format!("{reason} (injected fault)"),
            None,
        )
    };
    let mut resp = json_response(code, body);
    if let Some(secs) = retry_after {
        resp.headers_mut()
            .insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

/// Outermost layer of VPCEP's route: request id, request log, latency and faults.
async fn front(AxState(state): AxState<Arc<State>>, req: Request, next: Next) -> Response {
    apply_faults(&state, req, next, true).await
}

/// Outermost layer of the platform's routes: only a script's faults (and then the request
/// is logged); without a script the platform answers untouched.
async fn platform_front(AxState(state): AxState<Arc<State>>, req: Request, next: Next) -> Response {
    if !state.plan.is_scripted() {
        return next.run(req).await;
    }
    apply_faults(&state, req, next, false).await
}

/// Logs the request, draws its fault (the script's; for VPCEP's route, else the queue's
/// or the dice's) and applies it, or runs `next`.
async fn apply_faults(state: &State, mut req: Request, next: Next, vpcep: bool) -> Response {
    let request_id = state.next_request_id();
    let scripted = state.record(&req, &request_id);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let kill = req.extensions().get::<ConnKill>().cloned();
    let fault = match scripted {
        Some(fault) => Some(fault),
        None if vpcep => state.draw_fault(),
        None => None,
    };
    let latency = state.latency_ms.load(Ordering::Relaxed);
    if latency > 0 && vpcep {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let mut truncate = false;
    let mut resp = match fault {
        None | Some(Fault::Pass) => next.run(req).await,
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(d).await;
            next.run(req).await
        }
        Some(Fault::Status {
            status,
            retry_after,
        }) => fault_status_response(status, retry_after, &request_id),
        Some(Fault::GatewayHtml { status }) => crate::faults::gateway_html_response(status),
        Some(Fault::Hang) => {
            let mut stopping = state.stopping.subscribe();
            async {
                let _ = stopping.wait_for(|s| *s).await;
            }
            .await;
            return kill_connection(kill).await;
        }
        Some(Fault::Drop) => return kill_connection(kill).await,
        Some(Fault::Truncate) => {
            truncate = true;
            next.run(req).await
        }
        Some(Fault::Respond {
            status,
            headers,
            body,
            truncate: cut,
        }) => {
            truncate = cut;
            fault_response(status, &headers, body)
        }
        Some(Fault::Endless { chunk, max_bytes }) => endless_response(chunk, max_bytes),
    };
    if !resp.headers().contains_key(X_REQUEST_ID) {
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            resp.headers_mut().insert(X_REQUEST_ID, v);
        }
    }
    if truncate {
        resp = truncated(resp, kill).await;
    }
    resp
}

/// The response of a [`Fault::Respond`]: status, headers in order, body as given.
fn fault_response(status: u16, headers: &[(String, String)], body: Bytes) -> Response {
    let mut resp = Response::new(Body::from(body));
    // An invalid status (outside 100..=999) is the test's mistake: say so on the wire.
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in headers {
        // `Fault::with_header` refuses invalid ones; one built by hand is not sent.
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            resp.headers_mut().append(name, value);
        }
    }
    resp
}

/// The response of a [`Fault::Endless`]: a chunked body of `chunk` repeated up to
/// `max_bytes`, produced as the client reads it.
fn endless_response(chunk: Bytes, max_bytes: u64) -> Response {
    let step = (chunk.len() as u64).max(1);
    let stream = futures::stream::unfold(0u64, move |sent| {
        let chunk = chunk.clone();
        async move { (sent < max_bytes).then(|| (Ok::<Bytes, Infallible>(chunk), sent + step)) }
    });
    let mut resp = Response::new(Body::from_stream(stream));
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// Closes the connection without a response (when served by [`serve`]); elsewhere, a
/// response whose body fails at once.
async fn kill_connection(kill: Option<ConnKill>) -> Response {
    match kill {
        Some(ConnKill(notify)) => {
            notify.notify_one();
            std::future::pending().await
        }
        None => {
            let stream = futures::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped"))
            });
            Response::new(Body::from_stream(stream))
        }
    }
}

/// The response with its full `Content-Length` but only the first half of its body, after
/// which the connection is closed.
async fn truncated(resp: Response, kill: Option<ConnKill>) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let full = bytes.len().max(1);
    let half = bytes.slice(..bytes.len() / 2);
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(full));
    let stream = futures::stream::unfold((Some(half), kill), |(half, kill)| async move {
        match half {
            Some(chunk) => Some((Ok::<Bytes, std::io::Error>(chunk), (None, kill))),
            None => {
                // Give the connection time to flush the partial body, then close it.
                tokio::time::sleep(Duration::from_millis(50)).await;
                if let Some(ConnKill(notify)) = &kill {
                    notify.notify_one();
                    std::future::pending::<()>().await;
                }
                Some((Err(std::io::Error::other("truncated")), (None, kill)))
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

/// The one route: `/v1/{project_id}/vpc-endpoints`.
fn project_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/v1/")?;
    let project = rest.strip_suffix("/vpc-endpoints")?;
    (!project.contains('/')).then_some(project)
}

async fn dispatch(AxState(state): AxState<Arc<State>>, req: Request) -> Response {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let Some(raw_project) = project_of(req.uri().path()) else {
        let message = format!(
            "The API does not exist or has not been published in the environment: {} {}",
            req.method(),
            req.uri().path()
        );
        return json_response(
            StatusCode::NOT_FOUND,
            error_body("APIGW.0101", &message, Some(&request_id)),
        );
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let message = format!(
            "Method {} is not allowed on /v1/{{project_id}}/vpc-endpoints; use GET",
            req.method()
        );
        let mut resp = json_response(
            StatusCode::METHOD_NOT_ALLOWED,
            error_body("VPCEP.0405", &message, None),
        );
        resp.headers_mut()
            .insert(http::header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return resp;
    }
    let project_id = percent_decode(raw_project);

    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    if let Err(reason) = authenticate(&state.auth, &state.platform, &parts, &body) {
        let message = format!("Incorrect IAM authentication information: {reason}");
        return json_response(
            StatusCode::UNAUTHORIZED,
            error_body("APIGW.0301", &message, Some(&request_id)),
        );
    }
    let query = match validate(&project_id, parts.uri.query(), &parts.headers) {
        Ok(q) => q,
        Err(rejected) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                error_body(
                    bad_request_code(rejected.parameter),
                    &rejected.message,
                    None,
                ),
            )
        }
    };
    let store = state.store();
    let (total, page) = state.select(&store, &query);
    let rendered = store.render(total, &page, state.quirks.load(Ordering::Relaxed));
    let mut resp = json_response(StatusCode::OK, Vec::new());
    *resp.body_mut() = Body::new(Chunks(rendered.into()));
    resp
}

/// A body made of a few shared buffers (a page mostly sent straight from the store's
/// JSON text), of known length so that it goes out with a `Content-Length` exactly like a
/// body in one buffer.
struct Chunks(VecDeque<Bytes>);

impl hyper::body::Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        let next = loop {
            match self.0.pop_front() {
                Some(chunk) if chunk.is_empty() => continue,
                other => break other,
            }
        };
        std::task::Poll::Ready(next.map(|chunk| Ok(hyper::body::Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.iter().all(Bytes::is_empty)
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(self.0.iter().map(|c| c.len() as u64).sum())
    }
}

fn percent_decode(s: &str) -> String {
    // `form_urlencoded` would turn `+` into a space, which a path does not do.
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            let hi = (bytes[i + 1] as char).to_digit(16);
            let lo = (bytes[i + 2] as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn authenticate(
    auth: &Auth,
    platform: &crate::platform::Platform,
    parts: &http::request::Parts,
    body: &[u8],
) -> Result<(), String> {
    if auth.disabled {
        return Ok(());
    }
    let mut reason = String::from("no X-Auth-Token and no AK/SK signature");
    if let Some(token) = parts.headers.get("x-auth-token") {
        match token.to_str() {
            Ok(t) if auth.tokens.contains(t) => return Ok(()),
            _ => reason = "the X-Auth-Token is not valid".to_owned(),
        }
    }
    if parts.headers.contains_key(http::header::AUTHORIZATION) {
        // HTTP/2 carries the host in the URI, not in a Host header.
        let mut headers;
        let headers = if parts.headers.contains_key(HOST) {
            &parts.headers
        } else {
            headers = parts.headers.clone();
            if let Some(authority) = parts.uri.authority() {
                if let Ok(v) = HeaderValue::from_str(authority.as_str()) {
                    headers.insert(HOST, v);
                }
            }
            &headers
        };
        match vpcep_client::signer::verify(
            parts.method.as_str(),
            parts.uri.path(),
            parts.uri.query(),
            headers,
            body,
            |ak| {
                auth.keys
                    .get(ak)
                    .cloned()
                    .or_else(|| platform.secret_of(ak))
            },
            SystemTime::now(),
            auth.max_skew,
        ) {
            Ok(ak) => match platform.check_temporary(&ak, &parts.headers) {
                Ok(()) => return Ok(()),
                Err(e) => reason = e,
            },
            Err(e) => reason = format!("AK/SK signature rejected: {e}"),
        }
    }
    Err(reason)
}

/// VPCEP's error code for a rejected parameter (the service's error code table), keyed by
/// the parameter's wire name. `EndPoint.2001` is "the VPC does not exist", not a bad
/// parameter.
fn bad_request_code(parameter: &str) -> &'static str {
    match parameter {
        "limit" => "EndPoint.0006",
        "offset" => "EndPoint.0010",
        "project_id" => "EndPoint.0014",
        "sort_key" => "EndPoint.0017",
        "sort_dir" => "EndPoint.0018",
        "vpc_id" => "EndPoint.0020",
        // "Parameter error.", the table's code for any other bad parameter.
        _ => "EndPoint.0002",
    }
}

/// A request the fake refuses with a 400: the parameter (wire name) and what is wrong,
/// in the client's words ([`ValidationError`]'s text).
#[derive(Debug)]
pub(crate) struct Rejected {
    pub(crate) parameter: &'static str,
    pub(crate) message: String,
}

impl From<ValidationError> for Rejected {
    fn from(e: ValidationError) -> Self {
        Rejected {
            parameter: e.parameter,
            message: e.to_string(),
        }
    }
}

/// Checks the request against the spec's rules (the contract table of `vpcep-client`,
/// through [`ListEndpointsQuery::set`], the parsing the client's own validation uses)
/// and returns its parameters: the path's `project_id`, the `Content-Type` header, and
/// every query parameter of the spec. Query parameters the spec does not list are
/// ignored, as the service ignores them; one given twice is refused.
pub(crate) fn validate(
    project_id: &str,
    raw_query: Option<&str>,
    headers: &HeaderMap,
) -> Result<ListEndpointsQuery, Rejected> {
    let mut q = ListEndpointsQuery::default();
    q.set("project_id", project_id)?;
    if let Some(ct) = headers.get(CONTENT_TYPE) {
        let parameter = contract::LIST_ENDPOINTS
            .iter()
            .find(|p| p.location == Location::Header && CONTENT_TYPE == p.name)
            .expect("the spec lists the Content-Type header");
        parameter.check(&String::from_utf8_lossy(ct.as_bytes()))?;
    }
    let mut seen: Vec<&'static str> = Vec::new();
    for (name, value) in form_urlencoded::parse(raw_query.unwrap_or("").as_bytes()) {
        let Some(parameter) = contract::parameter(&name).filter(|p| p.location == Location::Query)
        else {
            continue; // not a query parameter of the spec: ignored, as by the real service
        };
        if seen.contains(&parameter.name) {
            return Err(Rejected {
                parameter: parameter.name,
                message: format!(
                    "invalid {}: must be given at most once (got {value:?})",
                    parameter.name
                ),
            });
        }
        seen.push(parameter.name);
        // `Ok(false)`, a parameter of the spec the contract cannot hold yet, is ignored
        // like an unknown one (tests/contract.rs names it).
        q.set(parameter.name, &value)?;
    }
    Ok(q)
}

/// Serves `router` on `listener` until `shutdown` completes; then stops accepting, lets
/// requests in flight finish for up to `grace`, and closes every connection.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<State>,
    shutdown: impl Future<Output = ()> + Send,
    grace: Duration,
) {
    let router = router(state.clone());
    let mut conns = tokio::task::JoinSet::new();
    let (closing_tx, closing_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // e.g. too many open files: back off instead of spinning.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let stream = crate::link::Throttled::new(stream, state.link.clone());
                let kill = Arc::new(Notify::new());
                let router = router.clone();
                let conn_kill = kill.clone();
                let service = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let mut req = req.map(Body::new);
                    req.extensions_mut().insert(ConnKill(conn_kill.clone()));
                    let mut router = router.clone();
                    async move {
                        let resp: Result<Response, Infallible> =
                            tower_service::Service::call(&mut router, req).await;
                        resp
                    }
                });
                let mut closing = closing_rx.clone();
                let tls = state.tls.clone();
                conns.spawn(async move {
                    let Some(stream) = crate::tls::accept(tls.as_ref(), stream).await else {
                        return;
                    };
                    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = kill.notified() => {}
                        () = async { let _ = closing.wait_for(|c| *c).await; } => {
                            conn.as_mut().graceful_shutdown();
                            tokio::select! {
                                _ = conn.as_mut() => {}
                                _ = kill.notified() => {}
                            }
                        }
                    }
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = closing_tx.send(true);
    state.stopping.send_replace(true);
    let _ = tokio::time::timeout(grace, async { while conns.join_next().await.is_some() {} }).await;
    conns.abort_all();
    while conns.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(project_id: &str, query: &str) -> (&'static str, String) {
        let rejected = validate(project_id, Some(query), &HeaderMap::new()).unwrap_err();
        (bad_request_code(rejected.parameter), rejected.message)
    }

    #[test]
    fn rejections_carry_the_parameter_code_and_the_clients_words() {
        assert_eq!(
            refused("p", "limit=0"),
            (
                "EndPoint.0006",
                r#"invalid limit: must be between 1 and 1000 (got "0")"#.to_owned()
            )
        );
        assert_eq!(refused("p", "sort_dir=up").0, "EndPoint.0018");
        assert_eq!(refused("", "").0, "EndPoint.0014");
        assert_eq!(refused("p", "id=").0, "EndPoint.0002");
        assert_eq!(
            refused("p", "vpc_id=a&vpc_id=b"),
            (
                "EndPoint.0020",
                r#"invalid vpc_id: must be given at most once (got "b")"#.to_owned()
            )
        );
    }

    #[test]
    fn unknown_parameters_and_non_query_names_are_ignored() {
        let q = validate(
            "p1",
            Some("project_id=p2&Content-Type=&whatever=1&limit=5"),
            &HeaderMap::new(),
        )
        .unwrap();
        assert_eq!(q.project_id.as_deref().map(String::as_str), Some("p1"));
        assert_eq!(q.limit.map(|n| n.get()), Some(5));
        assert_eq!(
            q.query_pairs(),
            vec![("limit", "5".to_owned())],
            "nothing else was set"
        );
    }
}
