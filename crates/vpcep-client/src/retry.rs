//! Retries: the settings, the classifier and the loop.
//!
//! `ListEndpoints` is an idempotent GET, so retries are on by default: up to 3 attempts,
//! exponential backoff with full jitter, on 429, 502, 503, 504, connection failures,
//! truncated bodies and per-attempt timeouts. `Retry-After` is honoured. No other 4xx is
//! ever retried.
//!
//! As in smithy-rs, the classifier (what an attempt's outcome means: done, fail, or worth
//! another attempt; `classify`) is kept apart from the strategy (when and how often to
//! try again; `run` with a [`RetryConfig`]).

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use progenitor_client::Error as GenError;

use serde::de::DeserializeOwned;

use crate::error::{error_chain, ApiError, Error, Result, TimeoutKind};

/// How failed attempts are retried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryConfig {
    /// Attempts in all, the first included (1 = no retries).
    pub max_attempts: u32,
    /// Backoff before the first retry; doubles each retry (before jitter).
    pub initial_backoff: Duration,
    /// Longest backoff between two attempts (before jitter). `Retry-After` may ask for
    /// longer, up to `max_retry_after`.
    pub max_backoff: Duration,
    /// Longest `Retry-After` honoured; a server asking for longer gets this.
    pub max_retry_after: Duration,
}

impl RetryConfig {
    /// The default: 3 attempts, 200 ms initial backoff, 5 s maximum, `Retry-After` up to
    /// 30 s.
    pub fn standard() -> Self {
        RetryConfig {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }

    /// No retries: one attempt.
    pub fn disabled() -> Self {
        RetryConfig {
            max_attempts: 1,
            ..Self::standard()
        }
    }

    /// Sets the number of attempts (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the initial backoff.
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// Sets the maximum backoff.
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The wait before attempt `attempt + 1`, after `attempt` attempts failed (1-based):
    /// the server's `Retry-After` if it gave one (capped), else full jitter over an
    /// exponentially growing window.
    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_retry_after);
        }
        let exp = attempt.saturating_sub(1).min(20);
        let window = self
            .initial_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        window.mul_f64(fastrand::f64())
    }
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self::standard()
    }
}

/// Whether a response status is worth another attempt.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// Parses `Retry-After`: delay-seconds, or an HTTP date (relative to now).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when =
        time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    let now = time::OffsetDateTime::now_utc();
    Some(Duration::try_from(when - now).unwrap_or(Duration::ZERO))
}

/// Timeouts. `None` means no limit of that kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeoutConfig {
    /// Establishing a connection (TCP + TLS).
    pub connect: Option<Duration>,
    /// One attempt: connect, send, and read the whole body.
    pub attempt: Option<Duration>,
    /// The whole operation, retries and backoff included.
    pub operation: Option<Duration>,
}

impl Default for TimeoutConfig {
    /// Connect 10 s, attempt 30 s, operation 120 s.
    fn default() -> Self {
        TimeoutConfig {
            connect: Some(Duration::from_secs(10)),
            attempt: Some(Duration::from_secs(30)),
            operation: Some(Duration::from_secs(120)),
        }
    }
}

/// What one attempt saw of the response (recorded by the transport), the classifier's
/// input beside the generated client's outcome.
#[derive(Clone, Debug)]
pub(crate) struct AttemptRecord {
    pub status: u16,
    pub request_id: Option<String>,
    pub retry_after: Option<Duration>,
    pub body: Bytes,
    /// The `Location` header of a 3xx response.
    pub location: Option<String>,
    /// Set when the HTTP client followed a redirect itself (only a caller-supplied
    /// `reqwest::Client` does): the final URL.
    pub followed_to: Option<String>,
    /// Set when the body was larger than this limit: reading stopped there and `body` is
    /// empty.
    pub too_large: Option<u64>,
}

/// What an attempt's outcome means.
#[derive(Debug)]
pub(crate) enum Verdict<T> {
    /// Success.
    Done(T),
    /// Failure that another attempt would not change.
    Fail(Error),
    /// Failure worth another attempt, after the server's `Retry-After` if it gave one.
    Retry(Error, Option<Duration>),
}

/// The attempt being classified: its number and what the errors name.
pub(crate) struct Attempt<'a> {
    /// The URL requested.
    pub url: &'a str,
    /// Attempts made so far, this one included.
    pub attempts: u32,
    /// The per-attempt timeout, if any.
    pub attempt_timeout: Option<Duration>,
    /// The connect timeout, when known (not with a caller-supplied HTTP client).
    pub connect_timeout: Option<Duration>,
}

/// The generated client's outcome of one attempt: a decoded `T`, or why not.
pub(crate) type Outcome<T, E> =
    std::result::Result<progenitor_client::ResponseValue<T>, GenError<E>>;

/// Classifies one attempt's outcome, with what the transport recorded of the response.
/// Generic over the operation's types (`T` decoded on success, `E` the documented error
/// body), so that it depends on no generated type.
pub(crate) fn classify<T: DeserializeOwned, E: std::fmt::Debug>(
    outcome: Outcome<T, E>,
    record: Option<AttemptRecord>,
    attempt: &Attempt<'_>,
) -> Verdict<T> {
    let url = || attempt.url.to_owned();
    let request_id = record.as_ref().and_then(|r| r.request_id.clone());
    // Redirects are never followed (the HTTP client is built with
    // `redirect::Policy::none()`): a 3xx is the answer, and an error. A caller-supplied
    // client may have followed one already: its answer is refused all the same.
    if let Some(record) = &record {
        if let Some(limit) = record.too_large {
            return Verdict::Fail(Error::ResponseTooLarge {
                limit,
                url: url(),
                request_id,
            });
        }
        let followed = record.followed_to.is_some();
        if followed || (300..400).contains(&record.status) {
            return Verdict::Fail(Error::Redirect {
                status: record.status,
                location: record.followed_to.clone().or(record.location.clone()),
                url: url(),
                request_id,
                followed,
            });
        }
    }
    // An error status, as the server said it (its body parsed once).
    let api_error = |record: &AttemptRecord| -> Verdict<T> {
        let mut e = ApiError::from_body(record.status, &record.body, record.request_id.clone());
        e.retry_after = record.retry_after;
        e.attempts = attempt.attempts;
        let retry_after = e.retry_after;
        if is_retryable_status(e.status) {
            Verdict::Retry(Error::Api(Box::new(e)), retry_after)
        } else {
            Verdict::Fail(Error::Api(Box::new(e)))
        }
    };
    let error_status = record.as_ref().filter(|r| !(200..300).contains(&r.status));
    match outcome {
        Ok(value) => Verdict::Done(value.into_inner()),
        Err(
            GenError::ErrorResponse(_)
            | GenError::UnexpectedResponse(_)
            | GenError::InvalidResponsePayload(..),
        ) if error_status.is_some() => api_error(error_status.expect("checked")),
        Err(GenError::InvalidResponsePayload(bytes, _)) => {
            Verdict::Fail(decode_error::<T>(&bytes, request_id))
        }
        Err(GenError::CommunicationError(e) | GenError::ResponseBodyError(e)) => {
            // Our message names the URL once; reqwest's would repeat it.
            let e = e.without_url();
            if e.is_timeout() {
                // The connector (TCP and TLS) times out as a connect error; the attempt's
                // own timeout does not.
                let (kind, after) = match attempt.connect_timeout {
                    Some(connect) if e.is_connect() => (TimeoutKind::Connect, connect),
                    _ => (
                        TimeoutKind::Attempt,
                        attempt.attempt_timeout.unwrap_or_default(),
                    ),
                };
                Verdict::Retry(
                    Error::Timeout {
                        kind,
                        after,
                        attempts: attempt.attempts,
                        url: url(),
                    },
                    None,
                )
            } else if let Some(message) = certificate_error(&e) {
                Verdict::Fail(Error::Tls {
                    url: url(),
                    message,
                    source: Some(e),
                })
            } else {
                // `is_decode` is how reqwest reports a body cut short (we decode JSON ourselves).
                let retryable = e.is_connect() || e.is_request() || e.is_body() || e.is_decode();
                let err = Error::Transport {
                    url: url(),
                    attempts: attempt.attempts,
                    message: error_chain(&e),
                    source: Some(e),
                };
                if retryable {
                    Verdict::Retry(err, None)
                } else {
                    Verdict::Fail(err)
                }
            }
        }
        Err(GenError::InvalidUpgrade(e)) => {
            let e = e.without_url();
            Verdict::Fail(Error::Transport {
                url: url(),
                attempts: attempt.attempts,
                message: error_chain(&e),
                source: Some(e),
            })
        }
        // The generated client refused to build the request (a parameter its types reject):
        // our validation let through what the spec forbids. Nothing was sent.
        Err(GenError::InvalidRequest(message)) => Verdict::Fail(Error::Internal(format!(
            "the request passed this client's validation but the generated client (from \
             the spec) refused it: {message}; nothing was sent (the validation and the spec \
             disagree)"
        ))),
        // Statuses the spec lists decode as ErrorResponse; everything is handled above, but
        // a 2xx that is not 200 (or a hook's custom error, which ours never raise) lands here.
        Err(other) => Verdict::Fail(Error::Internal(format!(
            "unexpected outcome of the generated client: {other}"
        ))),
    }
}

/// The strategy: runs `attempt(n)` for n = 1, 2, … while its verdict is
/// [`Verdict::Retry`] and attempts remain, waiting [`RetryConfig::backoff`] in between.
pub(crate) async fn run<T, F, Fut>(config: &RetryConfig, mut attempt: F) -> Result<T>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Verdict<T>>,
{
    let mut n = 1;
    loop {
        match attempt(n).await {
            Verdict::Done(value) => return Ok(value),
            Verdict::Fail(e) => return Err(e),
            Verdict::Retry(e, retry_after) => {
                if n >= config.max_attempts {
                    return Err(e);
                }
                let wait = config.backoff(n, retry_after);
                tracing::info!(attempt = n, wait_ms = wait.as_millis() as u64, error = %e, "retrying");
                tokio::time::sleep(wait).await;
                n += 1;
            }
        }
    }
}

/// Decodes `bytes` again, tracking the path, to say which field failed.
fn decode_error<T: DeserializeOwned>(bytes: &[u8], request_id: Option<String>) -> Error {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => Error::Decode {
            path: match e.path().to_string().as_str() {
                "." => "(body)".to_owned(),
                p => p.to_owned(),
            },
            message: e.into_inner().to_string(),
            request_id,
        },
        Ok(_) => Error::Decode {
            path: "(body)".to_owned(),
            message: "the response could not be decoded".to_owned(),
            request_id,
        },
    }
}

/// The reason, when `e` (or one of its causes) is rustls rejecting the server's
/// certificate: retrying would meet the same certificate.
#[cfg(feature = "rustls")]
fn certificate_error(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let rejected =
        |err: &(dyn std::error::Error + 'static)| match err.downcast_ref::<rustls::Error>() {
            Some(tls @ rustls::Error::InvalidCertificate(_)) => Some(tls.to_string()),
            _ => None,
        };
    let mut current = Some(e);
    while let Some(err) = current {
        if let Some(reason) = rejected(err) {
            return Some(reason);
        }
        // io::Error's `source()` skips the error it wraps (tokio-rustls puts the rustls
        // error there, and hyper wraps that io::Error in another), so step inside.
        current = match err.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    None
}

#[cfg(not(feature = "rustls"))]
fn certificate_error(_: &(dyn std::error::Error + 'static)) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: u16, body: &str) -> AttemptRecord {
        AttemptRecord {
            status,
            request_id: Some("req-1".to_owned()),
            retry_after: None,
            body: Bytes::from(body.to_owned()),
            location: None,
            followed_to: None,
            too_large: None,
        }
    }

    fn attempt() -> Attempt<'static> {
        Attempt {
            url: "http://127.0.0.1:1/v1/p/vpc-endpoints",
            attempts: 2,
            attempt_timeout: None,
            connect_timeout: None,
        }
    }

    type Outcome = super::Outcome<serde_json::Value, ()>;

    // The outcome's error type is progenitor's, as the generated client returns it.
    #[allow(clippy::result_large_err)]
    fn error_outcome(status: u16) -> Outcome {
        let response = http::Response::builder()
            .status(status)
            .body(Bytes::new())
            .unwrap();
        Err(GenError::UnexpectedResponse(reqwest::Response::from(
            response,
        )))
    }

    #[test]
    fn classifier_keeps_what_the_server_said() {
        let body = r#"{"error":{"code":"VPCEP.0001","message":"slow down"}}"#;
        match classify(error_outcome(429), Some(record(429, body)), &attempt()) {
            Verdict::Retry(Error::Api(e), None) => {
                assert_eq!(e.status, 429);
                assert_eq!(e.code.as_deref(), Some("VPCEP.0001"));
                assert_eq!(e.request_id.as_deref(), Some("req-1"));
                assert_eq!(e.attempts, 2);
            }
            other => panic!("expected a retryable API error, got {other:?}"),
        }
        match classify(error_outcome(403), Some(record(403, body)), &attempt()) {
            Verdict::Fail(Error::Api(e)) => assert_eq!(e.status, 403),
            other => panic!("expected a final API error, got {other:?}"),
        }
    }

    #[test]
    fn classifier_refuses_redirects_and_oversized_bodies() {
        let mut redirect = record(302, "");
        redirect.location = Some("https://elsewhere.example/".to_owned());
        assert!(matches!(
            classify(error_outcome(302), Some(redirect), &attempt()),
            Verdict::Fail(Error::Redirect {
                status: 302,
                followed: false,
                ..
            })
        ));
        let mut large = record(200, "");
        large.too_large = Some(10);
        assert!(matches!(
            classify(error_outcome(200), Some(large), &attempt()),
            Verdict::Fail(Error::ResponseTooLarge { limit: 10, .. })
        ));
    }

    #[test]
    fn a_request_the_generated_client_refused_is_an_internal_error() {
        let refused: Outcome = Err(GenError::InvalidRequest("limit: zero".to_owned()));
        match classify(refused, None, &attempt()) {
            Verdict::Fail(e @ Error::Internal(_)) => {
                let message = e.to_string();
                assert!(message.contains("limit: zero"), "{message}");
                assert!(message.contains("nothing was sent"), "{message}");
            }
            other => panic!("expected Error::Internal, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_loop_retries_only_retry_verdicts_and_stops_at_max_attempts() {
        let config = RetryConfig::standard()
            .with_max_attempts(3)
            .with_initial_backoff(Duration::ZERO);
        let mut calls = Vec::new();
        let result: Result<u32> = run(&config, |n| {
            calls.push(n);
            async move { Verdict::Retry(Error::Config(format!("attempt {n}")), None) }
        })
        .await;
        assert_eq!(calls, [1, 2, 3]);
        assert_eq!(result.unwrap_err().to_string(), "attempt 3");

        let mut calls = Vec::new();
        let result: Result<u32> = run(&config, |n| {
            calls.push(n);
            async move {
                if n == 1 {
                    Verdict::Retry(Error::Config("again".to_owned()), None)
                } else {
                    Verdict::Done(n)
                }
            }
        })
        .await;
        assert_eq!((calls, result.unwrap()), (vec![1, 2], 2));

        let mut calls = 0;
        let result: Result<u32> = run(&config, |_| {
            calls += 1;
            async { Verdict::Fail(Error::Config("final".to_owned())) }
        })
        .await;
        assert_eq!(
            (calls, result.unwrap_err().to_string()),
            (1, "final".to_owned())
        );
    }

    #[test]
    fn retryable_statuses() {
        for s in [429, 502, 503, 504] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 405, 408, 409, 500, 501] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let cfg = RetryConfig::standard();
        for attempt in 1..10 {
            let window = cfg
                .initial_backoff
                .saturating_mul(1 << (attempt - 1))
                .min(cfg.max_backoff);
            for _ in 0..50 {
                assert!(cfg.backoff(attempt, None) <= window);
            }
        }
        assert_eq!(
            cfg.backoff(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            cfg.backoff(1, Some(Duration::from_secs(3600))),
            cfg.max_retry_after
        );
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("1"), Some(Duration::from_secs(1)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn disabled_means_one_attempt() {
        assert_eq!(RetryConfig::disabled().max_attempts, 1);
        assert_eq!(RetryConfig::standard().with_max_attempts(0).max_attempts, 1);
    }
}
