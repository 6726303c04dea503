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

use bytes::Bytes;
use progenitor_client::OperationInfo;
use reqwest::header::{HeaderName, HeaderValue, ACCEPT_ENCODING, CONTENT_TYPE, USER_AGENT};
use tracing::Instrument;

use crate::auth::Credentials;
use crate::body_window::BodyTurn;
use crate::credentials::{Identity, GIVEN_TO_THE_CLIENT};
use crate::http_policy::{BodyError, HttpSettings};
use crate::retry::{parse_retry_after, AttemptProgress, AttemptRecord, RetryConfig, TimeoutConfig};

pub(crate) const X_REQUEST_ID: &str = "x-request-id";
const X_AUTH_TOKEN: HeaderName = HeaderName::from_static("x-auth-token");
const X_PROJECT_ID: HeaderName = HeaderName::from_static("x-project-id");

/// Configuration shared by every call of one [`crate::Client`] and its clones.
pub(crate) struct Shared {
    pub http: reqwest::Client,
    /// How `http` was built, to build clients for other destinations (the IAM lookup);
    /// `None` for a caller-supplied client, which serves those too.
    pub http_settings: Option<HttpSettings>,
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
    /// Where region endpoints are resolved (`Client::for_region`), and whether plain HTTP
    /// beyond loopback is allowed.
    pub env: crate::credentials::Env,
    pub allow_http: bool,
}

impl Shared {
    /// An HTTP client for another destination than VPCEP (the IAM project lookup), built
    /// as `http` was; the caller-supplied client itself when there is one.
    pub(crate) fn http_for(&self, destination: &reqwest::Url) -> crate::Result<reqwest::Client> {
        match &self.http_settings {
            Some(settings) => settings
                .client_for(destination)
                .map_err(crate::Error::Config),
            None => Ok(self.http.clone()),
        }
    }
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
    /// Why an attempt of this call was not sent (no usable credentials, or the request
    /// could not be signed): taken by the retry loop, which returns it as the call's error.
    not_sent: Arc<Mutex<Option<crate::Error>>>,
    /// For a page of a listing: wait for its turn before reading the body (`paginate/walk.rs`); the attempt timeout does not run meanwhile.
    body_turn: Option<BodyTurn>,
    /// The project of the request (the one in its path), for `X-Project-Id`.
    project_id: Option<String>,
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
            not_sent: Arc::new(Mutex::new(None)),
            body_turn: None,
            project_id: None,
        }
    }

    /// The project the request is for (the one in its path): `X-Project-Id` of a signed
    /// request names it.
    pub(crate) fn with_project_id(mut self, project_id: Option<String>) -> Self {
        self.project_id = project_id;
        self
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

    pub(crate) fn take_not_sent(&self) -> Option<crate::Error> {
        self.not_sent.lock().expect("not-sent lock").take()
    }

    /// Keeps why this attempt is not sent, for the retry loop, and returns the error that
    /// stands in for it in the generated client ([`stand_in_error`]; the retry loop
    /// reports the kept reason instead).
    fn not_sent(&self, why: crate::Error) -> reqwest::Error {
        // Debug only: the retry loop returns the reason as the call's error.
        tracing::debug!(error = %why, "not sending the request");
        *self.not_sent.lock().expect("not-sent lock") = Some(why);
        stand_in_error()
    }

    /// Current credentials of a provider (renewed if due, checked), just before signing.
    async fn provided(&self) -> Result<Option<Identity>, crate::Error> {
        match &self.shared.credentials {
            Some(Credentials::Provider(provider)) => Ok(Some(provider.identity().await?)),
            _ => Ok(None),
        }
    }

    /// Puts the final headers on a request and authenticates it (signing last, over the
    /// final URL and headers). A request that cannot carry its credentials is an error,
    /// never sent without them. The per-attempt timeout is not reqwest's (which would run
    /// while a listing's page waits for its turn to read): see [`send_buffered`].
    fn prepare(
        &self,
        request: &mut reqwest::Request,
        provided: Option<&Identity>,
    ) -> Result<(), crate::Error> {
        let shared = &self.shared;
        let headers = request.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, shared.user_agent.clone());
        if shared.compression {
            // Set here, before signing, so that the header the signer sees is the one sent
            // (reqwest would otherwise add its own after this hook, outside SignedHeaders).
            headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        }
        let (keys, provider) =
            match (&shared.credentials, provided) {
                (Some(Credentials::Token(token)), _) => {
                    // Checked when the client was built (credentials::check_token).
                    let mut value = HeaderValue::from_str(token.expose()).map_err(|_| {
                        crate::credentials::check_token(token).err().map_or_else(
                            || unsigned("the token cannot be sent as X-Auth-Token"),
                            crate::Error::from,
                        )
                    })?;
                    value.set_sensitive(true);
                    request.headers_mut().insert(X_AUTH_TOKEN, value);
                    return Ok(());
                }
                (Some(Credentials::AkSk(keys)), _) => (keys, GIVEN_TO_THE_CLIENT),
                (Some(Credentials::Provider(_)), Some(identity)) => {
                    (identity.keys(), identity.provider())
                }
                (Some(Credentials::Provider(_)), None) => return Err(crate::Error::Internal(
                    "a provider's credentials were not fetched before signing; nothing was sent"
                        .to_owned(),
                )),
                (None, _) => return Ok(()),
            };
        // The request's own project (set, or resolved before the call started), which may
        // not be the client's.
        if let Some(project) = &self.project_id {
            // Checked (validate::project_id) before it got here.
            let value = HeaderValue::from_str(project).map_err(|_| {
                crate::Error::Internal(format!(
                    "project ID {project:?} cannot be sent as X-Project-Id; nothing was sent"
                ))
            })?;
            request.headers_mut().insert(X_PROJECT_ID, value);
        }
        // The keys were checked (credentials::check_keys) when they were given or provided:
        // signing fails only on a bug, and the request is not sent then either.
        crate::signer::sign_request(request, keys, SystemTime::now()).map_err(|e| {
            crate::credentials::check_keys(provider, keys)
                .err()
                .map_or_else(|| unsigned(&e), crate::Error::from)
        })
    }
}

/// A request whose credentials were checked but could not be put on it is not sent: an
/// error of this crate.
fn unsigned(why: impl std::fmt::Display) -> crate::Error {
    crate::Error::Internal(format!(
        "could not authenticate the request: {why}; nothing was sent"
    ))
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
            let provided = state.provided().await.map_err(|e| state.not_sent(e))?;
            state
                .prepare(&mut request, provided.as_ref())
                .map_err(|e| state.not_sent(e))?;
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

/// A reqwest error standing in for a reason the transport keeps itself (the request was
/// not sent, the attempt's own timeout fired): reqwest errors cannot be built directly,
/// so a 401 status error is returned, and the retry loop reads the kept reason instead.
fn stand_in_error() -> reqwest::Error {
    let stand_in = http::Response::builder()
        .status(401)
        .body(Bytes::new())
        .expect("a valid response");
    reqwest::Response::from(stand_in)
        .error_for_status()
        .expect_err("401 is an error status")
}

/// Runs `work` within the per-attempt timeout, if any; `None` if it ran out first.
async fn within<F: Future>(timeout: Option<Duration>, work: F) -> Option<F::Output> {
    match timeout {
        Some(limit) => tokio::time::timeout(limit, work).await.ok(),
        None => Some(work.await),
    }
}

/// Sends the request and reads the whole body inside the attempt (so the per-attempt
/// timeout and retries cover a truncated body), then hands progenitor an equivalent
/// response backed by the buffered body.
///
/// The body is read chunk by chunk and never beyond the client's limit
/// (`http_policy::read_body`): a `Content-Length` above it stops before reading, and a
/// body that grows past it (chunked, endless) stops at the chunk that crosses it. The
/// chunks are those reqwest hands out after content decoding, so the limit bounds the
/// decoded size (a small compressed body cannot expand past it). Such a response is
/// handed on with an empty body and `AttemptRecord::too_large` set; the connection is
/// dropped, not reused.
async fn send_buffered(
    state: &CallState,
    request: reqwest::Request,
) -> reqwest::Result<(reqwest::Response, AttemptRecord)> {
    let shared = &state.shared;
    let timed_out = || {
        state.update_progress(|p| p.timed_out = true);
        stand_in_error()
    };
    // The per-attempt timeout is the time the attempt waits on the server: for the
    // response headers, then for each chunk of the body (a body that keeps coming, however
    // slowly because the link is shared, is read to its end; the operation timeout bounds
    // the whole call). Not the time a listing's page waits for its turn in the memory
    // window: its server has answered, the page is only queued behind the ones before.
    let attempt_timeout = shared.timeouts.attempt;
    let requested = request.url().clone();
    // A listing of several targets shares a cap on requests awaiting an answer: the slot
    // is taken before sending (waiting for it is not the server's time: the attempt
    // timeout starts after) and given back when the headers arrive.
    let slot = match &state.body_turn {
        Some(turn) => turn.request_slot().await,
        None => None,
    };
    let mut response = within(attempt_timeout, shared.http.execute(request))
        .await
        .ok_or_else(timed_out)??;
    drop(slot);
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
        // is among the next few the listing yields.
        turn.wait().await;
    }
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();

    let limit = shared.max_response_bytes;
    let (body, too_large) = match crate::http_policy::read_body_unless_idle(
        &mut response,
        limit,
        attempt_timeout,
    )
    .await
    {
        Ok(body) => body,
        Err(BodyError::Http(e)) => return Err(e),
        Err(BodyError::Idle) => return Err(timed_out()),
    };
    drop(response);
    state.update_progress(|p| p.body_bytes = body.len() as u64);

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
