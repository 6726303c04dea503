//! The hooks that the generated client runs for every attempt: headers, authentication,
//! per-attempt timeout, tracing, and a record of what the attempt saw.
//!
//! progenitor's generated `Client` carries a [`CallState`] (its "inner type") and calls
//! [`ClientHooks::exec`] to send each request; our implementation below does the work.
//! The retry loop and the mapping to [`crate::Error`] live in `client.rs`, around the
//! generated builder's `send()`.

use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{HeaderName, HeaderValue, ACCEPT_ENCODING, CONTENT_TYPE, USER_AGENT};
use tracing::Instrument;

use crate::auth::Credentials;
use crate::retry::{parse_retry_after, RetryConfig, TimeoutConfig};

pub(crate) const X_REQUEST_ID: &str = "x-request-id";
const X_AUTH_TOKEN: HeaderName = HeaderName::from_static("x-auth-token");
const X_PROJECT_ID: HeaderName = HeaderName::from_static("x-project-id");

/// Configuration shared by every call of one [`crate::Client`] and its clones.
pub(crate) struct Shared {
    pub http: reqwest::Client,
    pub base_url: String,
    pub project_id: Option<String>,
    pub credentials: Option<Credentials>,
    pub retry: RetryConfig,
    pub timeouts: TimeoutConfig,
    pub user_agent: HeaderValue,
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
            .field("compression", &self.compression)
            .finish()
    }
}

/// What one attempt saw of the response, kept for error reporting.
#[derive(Clone, Debug)]
pub(crate) struct AttemptRecord {
    pub status: u16,
    pub request_id: Option<String>,
    pub retry_after: Option<Duration>,
    pub body: Bytes,
}

/// State the generated client carries for one operation call: the client's
/// configuration, the attempt number, what the last attempt saw, and an optional
/// throttling counter that a listing watches to lower its concurrency.
#[derive(Clone)]
pub struct CallState {
    pub(crate) shared: Arc<Shared>,
    attempt: Arc<AtomicU32>,
    last: Arc<Mutex<Option<AttemptRecord>>>,
    throttled: Option<Arc<AtomicU64>>,
    /// For a page of a listing: wait for its turn before reading the body (paginate.rs).
    body_turn: Option<crate::paginate::BodyTurn>,
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
    pub(crate) fn new(shared: Arc<Shared>, throttled: Option<Arc<AtomicU64>>) -> Self {
        CallState {
            shared,
            attempt: Arc::new(AtomicU32::new(1)),
            last: Arc::new(Mutex::new(None)),
            throttled,
            body_turn: None,
        }
    }

    pub(crate) fn with_body_turn(mut self, turn: Option<crate::paginate::BodyTurn>) -> Self {
        self.body_turn = turn;
        self
    }

    pub(crate) fn start_attempt(&self, n: u32) {
        self.attempt.store(n, Ordering::Relaxed);
        *self.last.lock().expect("attempt record lock") = None;
    }

    /// The number of the current (or last) attempt, from 1.
    pub(crate) fn attempt(&self) -> u32 {
        self.attempt.load(Ordering::Relaxed)
    }

    pub(crate) fn last_record(&self) -> Option<AttemptRecord> {
        self.last.lock().expect("attempt record lock").clone()
    }

    /// Puts the final headers on a request, authenticates it (signing last, over the
    /// final URL and headers) and sets the per-attempt timeout.
    fn prepare(&self, request: &mut reqwest::Request) {
        let shared = &self.shared;
        let headers = request.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, shared.user_agent.clone());
        if shared.compression {
            // Set here, before signing, so that the header the signer sees is the one sent
            // (reqwest would otherwise add its own after this hook, outside SignedHeaders).
            headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        }
        if let Some(t) = shared.timeouts.attempt {
            *request.timeout_mut() = Some(t);
        }
        match &shared.credentials {
            Some(Credentials::Token(token)) => {
                // Validated as header text when the client was built.
                if let Ok(mut value) = HeaderValue::from_str(token.expose()) {
                    value.set_sensitive(true);
                    request.headers_mut().insert(X_AUTH_TOKEN, value);
                }
            }
            Some(Credentials::AkSk(keys)) => {
                if let Some(project) = &shared.project_id {
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

impl ClientHooks<CallState> for crate::generated::Client {
    async fn exec(
        &self,
        mut request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let state = &self.inner;
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
            state.prepare(&mut request);
            let started = Instant::now();
            let result = send_buffered(&state.shared.http, request, state.body_turn.as_ref()).await;
            let span = tracing::Span::current();
            span.record("duration_ms", started.elapsed().as_millis() as u64);
            match result {
                Ok((response, record)) => {
                    span.record("status", record.status);
                    if let Some(id) = &record.request_id {
                        span.record("request_id", id.as_str());
                    }
                    tracing::debug!("attempt finished");
                    if record.status == 429 {
                        if let Some(counter) = &state.throttled {
                            counter.fetch_add(1, Ordering::Relaxed);
                        }
                    }
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

/// Sends the request and reads the whole body inside the attempt (so the per-attempt
/// timeout and retries cover a truncated body), then hands progenitor an equivalent
/// response backed by the buffered body.
async fn send_buffered(
    http: &reqwest::Client,
    request: reqwest::Request,
    body_turn: Option<&crate::paginate::BodyTurn>,
) -> reqwest::Result<(reqwest::Response, AttemptRecord)> {
    let response = http.execute(request).await?;
    if let Some(turn) = body_turn {
        // A listing's memory bound: the body stays unread (in the socket) until its page
        // is among the next few the listing yields.
        turn.wait().await;
    }
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let body = response.bytes().await?;

    let header_str = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let record = AttemptRecord {
        status: status.as_u16(),
        request_id: header_str(X_REQUEST_ID).map(str::to_owned),
        retry_after: header_str("retry-after").and_then(parse_retry_after),
        body: body.clone(),
    };
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    Ok((reqwest::Response::from(rebuilt), record))
}
