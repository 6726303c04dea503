//! The hooks that the generated client runs for every attempt: headers, authentication,
//! per-attempt timeout, tracing, and a record of what the attempt saw.
//!
//! progenitor's generated `Client` carries a [`CallState`] (its "inner type") and calls
//! `ClientHooks::exec` (implemented in `executor.rs`) to send each request; our implementation below does the work.
//! The retry loop and the mapping to [`crate::Error`] live in `retry.rs`, run around the
//! generated builder's `send()` by `executor.rs`.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use progenitor_client::OperationInfo;
use reqwest::header::{HeaderName, HeaderValue, ACCEPT_ENCODING, CONTENT_TYPE, USER_AGENT};
use tracing::Instrument;

use crate::auth::{AkSk, Credentials};
use crate::retry::{parse_retry_after, AttemptProgress, AttemptRecord, RetryConfig, TimeoutConfig};
use crate::window::BodyTurn;

pub(crate) const X_REQUEST_ID: &str = "x-request-id";
const X_AUTH_TOKEN: HeaderName = HeaderName::from_static("x-auth-token");
const X_PROJECT_ID: HeaderName = HeaderName::from_static("x-project-id");

/// Configuration shared by every call of one [`crate::Client`] and its clones.
pub(crate) struct Shared {
    pub http: reqwest::Client,
    pub base_url: String,
    pub project_id: Option<String>,
    pub credentials: Option<Credentials>,
    /// The region (for the IAM project lookup), the IAM endpoint set on the builder, and
    /// the project ID found from the credentials or in IAM (looked up once per client;
    /// set before any request that needs it is sent).
    pub region: Option<String>,
    pub iam_endpoint: Option<String>,
    pub resolved_project: tokio::sync::OnceCell<String>,
    pub retry: RetryConfig,
    pub timeouts: TimeoutConfig,
    pub user_agent: HeaderValue,
    /// Largest response body read, in bytes (after content decoding).
    pub max_response_bytes: u64,
    /// Ask for gzip-compressed responses (`Accept-Encoding: gzip`, decoded by reqwest).
    pub compression: bool,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `Credentials`' own Debug masks every secret.
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .field("project_id", &self.project_id)
            .field("credentials", &self.credentials)
            .field("retry", &self.retry)
            .field("timeouts", &self.timeouts)
            .field("user_agent", &self.user_agent)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("compression", &self.compression)
            .finish()
    }
}

/// State the generated client carries for one operation call: the client's
/// configuration, the attempt number, what the last attempt saw and how far it got.
#[derive(Clone)]
pub struct CallState {
    pub(crate) shared: Arc<Shared>,
    attempt: Arc<AtomicU32>,
    last: Arc<Mutex<Option<AttemptRecord>>>,
    /// How far the current attempt got (headers, its own timeout, body bytes).
    progress: Arc<Mutex<AttemptProgress>>,
    /// Why this call has no credentials to sign with (taken by the retry loop).
    credentials_error: Arc<Mutex<Option<crate::auth::CredentialsError>>>,
    /// For a page of a listing: wait for its turn before reading the body (paginate.rs).
    body_turn: Option<BodyTurn>,
}

impl fmt::Debug for CallState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallState")
            .field("client", &self.shared)
            .field("attempt", &self.attempt.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl CallState {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        CallState {
            shared,
            attempt: Arc::new(AtomicU32::new(1)),
            last: Arc::new(Mutex::new(None)),
            progress: Arc::new(Mutex::new(AttemptProgress::default())),
            credentials_error: Arc::new(Mutex::new(None)),
            body_turn: None,
        }
    }

    pub(crate) fn with_body_turn(mut self, turn: Option<BodyTurn>) -> Self {
        self.body_turn = turn;
        self
    }

    pub(crate) fn start_attempt(&self, n: u32) {
        self.attempt.store(n, Ordering::Relaxed);
        *self.last.lock().expect("attempt record lock") = None;
        *self.progress.lock().expect("attempt progress lock") = AttemptProgress::default();
    }

    /// How far the current (or last) attempt got.
    pub(crate) fn progress(&self) -> AttemptProgress {
        self.progress.lock().expect("attempt progress lock").clone()
    }

    fn update_progress(&self, update: impl FnOnce(&mut AttemptProgress)) {
        update(&mut self.progress.lock().expect("attempt progress lock"));
    }

    /// The number of the current (or last) attempt, from 1.
    pub(crate) fn attempt(&self) -> u32 {
        self.attempt.load(Ordering::Relaxed)
    }

    pub(crate) fn last_record(&self) -> Option<AttemptRecord> {
        self.last.lock().expect("attempt record lock").clone()
    }

    pub(crate) fn take_credentials_error(&self) -> Option<crate::auth::CredentialsError> {
        self.credentials_error
            .lock()
            .expect("credentials error lock")
            .take()
    }

    /// Current credentials of a provider (renewed if due), just before signing. On failure
    /// the reason is kept for the retry loop and the request is not sent.
    async fn provided_keys(&self) -> Result<Option<AkSk>, reqwest::Error> {
        let Some(Credentials::Provider(provider)) = &self.shared.credentials else {
            return Ok(None);
        };
        match provider.identity().await {
            Ok(identity) => Ok(Some(identity.keys().clone())),
            Err(e) => {
                // Debug only: the retry loop returns the reason as the call's error.
                tracing::debug!(error = %e, "no credentials to sign the request with; not sending it");
                *self
                    .credentials_error
                    .lock()
                    .expect("credentials error lock") = Some(e);
                // The retry loop reports the kept reason instead.
                Err(stand_in_error())
            }
        }
    }

    /// Puts the final headers on a request and authenticates it (signing last, over the
    /// final URL and headers). The per-attempt timeout is not reqwest's (which would run
    /// while a listing's page waits for its turn to read): see [`AttemptClock`].
    fn prepare(&self, request: &mut reqwest::Request, provided: Option<&AkSk>) {
        let shared = &self.shared;
        let headers = request.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, shared.user_agent.clone());
        if shared.compression {
            // Set here, before signing, so that the header the signer sees is the one sent
            // (reqwest would otherwise add its own after this hook, outside SignedHeaders).
            headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        }
        match &shared.credentials {
            Some(Credentials::Token(token)) => {
                // Validated as header text when the client was built.
                if let Ok(mut value) = HeaderValue::from_str(token.expose()) {
                    value.set_sensitive(true);
                    request.headers_mut().insert(X_AUTH_TOKEN, value);
                }
            }
            Some(Credentials::AkSk(_) | Credentials::Provider(_)) => {
                let Some(keys) = provided.or(match &shared.credentials {
                    Some(Credentials::AkSk(keys)) => Some(keys),
                    _ => None,
                }) else {
                    return;
                };
                // The resolved project is set before a call that needs it starts; reading
                // it never waits nor misses it under contention.
                let resolved = shared.resolved_project.get();
                if let Some(project) = shared.project_id.as_ref().or(resolved) {
                    if let Ok(value) = HeaderValue::from_str(project) {
                        request.headers_mut().insert(X_PROJECT_ID, value);
                    }
                }
                if let Err(e) = crate::signer::sign_request(request, keys, SystemTime::now()) {
                    tracing::error!(error = %e, "could not sign the request; sending it unsigned");
                }
            }
            None => {}
        }
    }
}

/// Sends one attempt of a call: credentials, headers, signature, the request, the whole
/// body (within the limit, after the body's turn), and a record of what came back. The
/// generated client's `ClientHooks::exec` (implemented in `executor.rs`) calls it.
pub(crate) async fn exec(
    state: &CallState,
    mut request: reqwest::Request,
    info: &OperationInfo,
) -> reqwest::Result<reqwest::Response> {
    {
        let attempt = state.attempt.load(Ordering::Relaxed);
        let span = tracing::info_span!(
            "vpcep.request",
            operation = info.operation_id,
            attempt,
            method = %request.method(),
            path = %request.url().path(),
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        async move {
            let provided = state.provided_keys().await?;
            state.prepare(&mut request, provided.as_ref());
            let started = Instant::now();
            let result = send_buffered(state, request).await;
            let span = tracing::Span::current();
            span.record("duration_ms", started.elapsed().as_millis() as u64);
            match result {
                Ok((response, record)) => {
                    span.record("status", record.status);
                    if let Some(id) = &record.request_id {
                        span.record("request_id", id.as_str());
                    }
                    tracing::debug!("attempt finished");
                    *state.last.lock().expect("attempt record lock") = Some(record);
                    Ok(response)
                }
                Err(e) => {
                    tracing::debug!(error = %e, "attempt failed");
                    Err(e)
                }
            }
        }
        .instrument(span)
        .await
    }
}

/// A reqwest error standing in for a reason the transport keeps itself (no credentials,
/// the attempt's own timeout): reqwest errors cannot be built directly, so a 401 status
/// error is returned, and the retry loop reads the kept reason instead.
fn stand_in_error() -> reqwest::Error {
    let stand_in = http::Response::builder()
        .status(401)
        .body(Bytes::new())
        .expect("a valid response");
    reqwest::Response::from(stand_in)
        .error_for_status()
        .expect_err("401 is an error status")
}

/// The per-attempt timeout, as a budget that runs only while the attempt works: from
/// sending the request to the response headers, and while reading the body; not while a
/// listing's page waits for its turn to read in the memory window (its server has
/// answered; the page is only queued behind the ones before it).
struct AttemptClock {
    left: Option<Duration>,
}

impl AttemptClock {
    fn new(budget: Option<Duration>) -> Self {
        AttemptClock { left: budget }
    }

    /// Runs `work` on what is left of the budget; `None` if the budget ran out first.
    async fn run<F: Future>(&mut self, work: F) -> Option<F::Output> {
        let Some(left) = self.left else {
            return Some(work.await);
        };
        let started = Instant::now();
        let out = tokio::time::timeout(left, work).await.ok();
        self.left = Some(left.saturating_sub(started.elapsed()));
        out
    }
}

/// Sends the request and reads the whole body inside the attempt (so the per-attempt
/// timeout and retries cover a truncated body), then hands progenitor an equivalent
/// response backed by the buffered body.
///
/// The body is read chunk by chunk and never beyond `limit` bytes: a `Content-Length`
/// above it stops before reading, and a body that grows past it (chunked, endless) stops
/// at the chunk that crosses it. The chunks are those reqwest hands out after content
/// decoding, so the limit bounds the decoded size (a small compressed body cannot
/// expand past it). Such a response is handed on with an empty body and
/// `AttemptRecord::too_large` set; the connection is dropped, not reused.
async fn send_buffered(
    state: &CallState,
    request: reqwest::Request,
) -> reqwest::Result<(reqwest::Response, AttemptRecord)> {
    let shared = &state.shared;
    let timed_out = || {
        state.update_progress(|p| p.timed_out = true);
        stand_in_error()
    };
    let mut clock = AttemptClock::new(shared.timeouts.attempt);
    let requested = request.url().clone();
    let mut response = clock
        .run(shared.http.execute(request))
        .await
        .ok_or_else(timed_out)??;
    let request_id = response
        .headers()
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    state.update_progress(|p| {
        p.headers_received = true;
        p.request_id = request_id;
    });
    let followed_to = (response.url() != &requested).then(|| response.url().to_string());
    if let Some(turn) = &state.body_turn {
        // A listing's memory bound: the body stays unread (in the socket) until its page
        // is among the next few the listing yields. The attempt's clock is stopped.
        turn.wait().await;
    }
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();

    let limit = shared.max_response_bytes;
    let (body, too_large) = clock
        .run(read_body(&mut response, limit, state))
        .await
        .ok_or_else(timed_out)??;
    drop(response);

    let header_str = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let record = AttemptRecord {
        status: status.as_u16(),
        request_id: header_str(X_REQUEST_ID).map(str::to_owned),
        retry_after: header_str("retry-after").and_then(parse_retry_after),
        body: body.clone(),
        location: header_str("location").map(str::to_owned),
        followed_to,
        too_large,
    };
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok((reqwest::Response::from(rebuilt), record))
}

/// Reads `response`'s body, never holding more than `limit` bytes of it: returns the body,
/// or an empty one and `Some(limit)` when it is (declared or found) larger.
///
/// With a `Content-Length` the buffer is reserved once at that size; without one (chunked,
/// or decoded from gzip) the chunks are kept as they come and joined at the end, so a
/// body that turns out too large never costs more than the limit (no doubling buffer).
async fn read_body(
    response: &mut reqwest::Response,
    limit: u64,
    state: &CallState,
) -> reqwest::Result<(Bytes, Option<u64>)> {
    let count = |chunk: &Bytes| state.update_progress(|p| p.body_bytes += chunk.len() as u64);
    let too_large = Ok((Bytes::new(), Some(limit)));
    match response.content_length() {
        Some(declared) if declared > limit => too_large,
        Some(declared) => {
            let mut body = BytesMut::with_capacity(declared as usize);
            while let Some(chunk) = response.chunk().await? {
                count(&chunk);
                if (body.len() + chunk.len()) as u64 > limit {
                    return too_large;
                }
                body.extend_from_slice(&chunk);
            }
            Ok((body.freeze(), None))
        }
        None => {
            let mut chunks: Vec<Bytes> = Vec::new();
            let mut len = 0u64;
            while let Some(chunk) = response.chunk().await? {
                count(&chunk);
                len += chunk.len() as u64;
                if len > limit {
                    return too_large;
                }
                chunks.push(chunk);
            }
            Ok(match chunks.len() {
                0 => (Bytes::new(), None),
                1 => (chunks.pop().expect("one chunk"), None),
                _ => {
                    let mut body = BytesMut::with_capacity(len as usize);
                    for chunk in chunks {
                        body.extend_from_slice(&chunk);
                    }
                    (body.freeze(), None)
                }
            })
        }
    }
}
