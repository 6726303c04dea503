//! Fault injection: random faults at fixed rates (`--fail-rate`, …), scripted sequences
//! and per-request scripts ([`FaultPlan`]) for tests.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

use crate::request_log::RecordedRequest;

/// What the fake does with one request instead of (or before) answering it normally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer normally (useful as the last step of a script, for readability).
    Pass,
    /// Answer with this HTTP status and a JSON error body, without looking at the request;
    /// `retry_after` adds a `Retry-After: N` header.
    Status {
        /// HTTP status code.
        status: u16,
        /// Seconds for the `Retry-After` header, if any.
        retry_after: Option<u64>,
    },
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Never answer: the connection stays open, silent, until the client gives up or the
    /// fake stops (then it is closed without a response).
    Hang,
    /// Close the connection without sending anything.
    Drop,
    /// Answer normally, but send only the first half of the body (the `Content-Length`
    /// header announces all of it), then close the connection.
    Truncate,
    /// Answer with this HTTP status and an HTML page (`text/html`), as a gateway or load
    /// balancer in front of the service does (e.g. nginx's `502 Bad Gateway` page),
    /// without looking at the request. See [`gateway_html_page`].
    GatewayHtml {
        /// HTTP status code (502, 503 and 504 are the usual ones).
        status: u16,
    },
    /// Answer with exactly this response, without looking at the request: any status
    /// (a redirect, an error, a 200 the fake would never send), these headers in this
    /// order (e.g. `Location`, `Retry-After`, `Content-Encoding: gzip` over a body that
    /// is already gzipped) and these bytes (invalid UTF-8 included), under a
    /// `Content-Length` of the body's length. The fake adds only its `X-Request-Id`
    /// (unless `headers` has one) and the `Date` hyper sends; it never compresses it.
    /// With `truncate`, like [`Fault::Truncate`]: the full `Content-Length`, only the
    /// first half of the body, then the connection is closed.
    /// Build with [`Fault::json`] or [`Fault::response`], then [`Fault::with_header`],
    /// [`Fault::truncated`].
    Respond {
        /// HTTP status code.
        status: u16,
        /// Header names and values, sent in this order.
        headers: Vec<(String, String)>,
        /// The body, sent as is.
        body: Bytes,
        /// Send the first half of the body under the full `Content-Length`, then close.
        truncate: bool,
    },
    /// Answer `200` with `Content-Type: application/json` and a chunked body (no
    /// `Content-Length`) that repeats `chunk` until the client hangs up or `max_bytes`
    /// have been sent (a bound for the test's sake; then the body ends normally).
    Endless {
        /// What each chunk carries.
        chunk: Bytes,
        /// Stop after at least this many bytes of body.
        max_bytes: u64,
    },
}

impl Fault {
    /// An error status without `Retry-After`.
    pub fn status(status: u16) -> Self {
        Fault::Status {
            status,
            retry_after: None,
        }
    }

    /// `503 Service Unavailable`.
    pub fn unavailable() -> Self {
        Fault::status(503)
    }

    /// An HTML error page with this status, as a gateway sends (see [`Fault::GatewayHtml`]).
    pub fn gateway_html(status: u16) -> Self {
        Fault::GatewayHtml { status }
    }

    /// `429 Too Many Requests` with `Retry-After: {secs}`.
    pub fn too_many_requests(secs: u64) -> Self {
        Fault::Status {
            status: 429,
            retry_after: Some(secs),
        }
    }

    /// A response with this status and body and no header (see [`Fault::Respond`]);
    /// e.g. `Fault::response(302, "").with_header("Location", "/elsewhere")`.
    pub fn response(status: u16, body: impl Into<Bytes>) -> Self {
        Fault::Respond {
            status,
            headers: Vec::new(),
            body: body.into(),
            truncate: false,
        }
    }

    /// A response with this status and body, `Content-Type: application/json` (the body
    /// is sent as given, JSON or not).
    pub fn json(status: u16, body: impl Into<Bytes>) -> Self {
        Fault::response(status, body).with_header("Content-Type", "application/json")
    }

    /// Adds a header to a [`Fault::Respond`] (after those it has; other faults are
    /// returned unchanged).
    ///
    /// # Panics
    /// If `name` or `value` cannot be sent in an HTTP header (a header built into
    /// `Respond` by hand that cannot be sent is left out of the response).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        assert!(
            http::HeaderName::from_bytes(name.as_bytes()).is_ok()
                && http::HeaderValue::from_str(value).is_ok(),
            "Fault::with_header: invalid header {name:?}: {value:?}"
        );
        if let Fault::Respond { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// Cuts a [`Fault::Respond`]'s body short: the full `Content-Length`, half of the
    /// body, then the connection is closed (other faults are returned unchanged).
    pub fn truncated(mut self) -> Self {
        if let Fault::Respond { truncate, .. } = &mut self {
            *truncate = true;
        }
        self
    }

    /// A `200` whose chunked body repeats `chunk` for ever (up to `max_bytes`; see
    /// [`Fault::Endless`]).
    pub fn endless(chunk: impl Into<Bytes>, max_bytes: u64) -> Self {
        Fault::Endless {
            chunk: chunk.into(),
            max_bytes,
        }
    }
}

/// A script's function: gets the 0-based number of the request (counted from when the
/// script was set) and the request, and says what to do with it (`None`: what the fake
/// would do without the script).
type ScriptFn = dyn Fn(usize, &RecordedRequest) -> Option<Fault> + Send + Sync;

struct Script {
    decide: Box<ScriptFn>,
    count: AtomicUsize,
}

/// The faults tests inject: a script deciding per request ([`FaultPlan::script`]), then a
/// queue of faults consumed one per request in arrival order; when neither has one,
/// requests get the random faults (if any) or a normal answer. Cheap to clone: clones
/// share the same script and queue.
///
/// ```
/// use vpcep_fake::{Fault, FaultPlan};
/// let plan = FaultPlan::default();
/// plan.extend([Fault::unavailable(), Fault::too_many_requests(1), Fault::Pass]);
/// assert_eq!(plan.remaining(), 3);
/// // Every request asking for offset 10 gets a 503, the others their normal answer.
/// plan.script(|_, request| {
///     (request.query("offset") == Some("10")).then(Fault::unavailable)
/// });
/// ```
#[derive(Clone, Default)]
pub struct FaultPlan {
    queue: Arc<Mutex<VecDeque<Fault>>>,
    script: Arc<Mutex<Option<Arc<Script>>>>,
}

impl std::fmt::Debug for FaultPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultPlan")
            .field("queue", &*self.lock())
            .field("scripted", &self.is_scripted())
            .finish()
    }
}

impl FaultPlan {
    /// Decides each request from now on with `decide(n, request)`, `n` counting from 0
    /// the requests it has seen; `Some(fault)` applies that fault, `None` lets the queue,
    /// the random faults or the normal answer have the request. Replaces any earlier
    /// script.
    ///
    /// A script sees every request, the platform's too (metadata service, IAM: see the
    /// README), and every request it sees is in [`crate::FakeHandle::requests`]; without
    /// a script, platform requests bypass faults and the request log.
    pub fn script(
        &self,
        decide: impl Fn(usize, &RecordedRequest) -> Option<Fault> + Send + Sync + 'static,
    ) {
        let script = Script {
            decide: Box::new(decide),
            count: AtomicUsize::new(0),
        };
        *self.lock_script() = Some(Arc::new(script));
    }

    /// Removes the script (the queue is kept).
    pub fn clear_script(&self) {
        *self.lock_script() = None;
    }

    /// Whether a script is set.
    pub fn is_scripted(&self) -> bool {
        self.lock_script().is_some()
    }

    /// What the script says of this request (`None` without a script).
    pub(crate) fn scripted(&self, request: &RecordedRequest) -> Option<Fault> {
        let script = self.lock_script().clone()?;
        let n = script.count.fetch_add(1, Ordering::Relaxed);
        (script.decide)(n, request)
    }

    fn lock_script(&self) -> std::sync::MutexGuard<'_, Option<Arc<Script>>> {
        self.script.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends one fault to the script.
    pub fn push(&self, fault: Fault) {
        self.lock().push_back(fault);
    }

    /// Appends faults to the script, in order.
    pub fn extend(&self, faults: impl IntoIterator<Item = Fault>) {
        self.lock().extend(faults);
    }

    /// Forgets the faults not yet used (the script, if any, stays).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Number of faults not yet used.
    pub fn remaining(&self) -> usize {
        self.lock().len()
    }

    pub(crate) fn next(&self) -> Option<Fault> {
        self.lock().pop_front()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Fault>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Faults drawn at random for every request (after the [`FaultPlan`] is used up),
/// deterministic for a given `seed` and request order.
#[derive(Clone, Debug, PartialEq)]
pub struct RandomFaults {
    /// Added to every response (`--latency-ms`).
    pub latency: Duration,
    /// Probability that a request is answered with `fail_status` (`--fail-rate`).
    pub fail_rate: f64,
    /// Status of failed requests (`--fail-status`, default 503); 429 adds `Retry-After: 1`.
    pub fail_status: u16,
    /// Failed requests get a gateway's HTML page ([`Fault::GatewayHtml`]) instead of a
    /// JSON error body (`--fail-html`).
    pub fail_html: bool,
    /// Probability that a response body is cut short (`--truncate-rate`).
    pub truncate_rate: f64,
    /// Probability that the connection is closed without a response (`--drop-rate`).
    pub drop_rate: f64,
    /// Seed of the random draws (`--seed`).
    pub seed: u64,
}

impl Default for RandomFaults {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            fail_rate: 0.0,
            fail_status: 503,
            fail_html: false,
            truncate_rate: 0.0,
            drop_rate: 0.0,
            seed: 0,
        }
    }
}

impl RandomFaults {
    fn any_rate(&self) -> bool {
        self.fail_rate > 0.0 || self.truncate_rate > 0.0 || self.drop_rate > 0.0
    }
}

/// [`RandomFaults`] with their random number generator.
pub(crate) struct Dice {
    config: RandomFaults,
    rng: fastrand::Rng,
}

impl Dice {
    pub(crate) fn new(config: RandomFaults) -> Self {
        let rng = fastrand::Rng::with_seed(config.seed);
        Self { config, rng }
    }

    pub(crate) fn config(&self) -> &RandomFaults {
        &self.config
    }

    /// Draws the fault of the next request. Three numbers are drawn per request whatever
    /// the outcome, so the sequence depends only on the seed and the request count.
    pub(crate) fn draw(&mut self) -> Option<Fault> {
        if !self.config.any_rate() {
            return None;
        }
        let (drop, fail, truncate) = (self.rng.f64(), self.rng.f64(), self.rng.f64());
        if drop < self.config.drop_rate {
            Some(Fault::Drop)
        } else if fail < self.config.fail_rate {
            let status = self.config.fail_status;
            if self.config.fail_html {
                return Some(Fault::GatewayHtml { status });
            }
            Some(Fault::Status {
                status,
                retry_after: (status == 429).then_some(1),
            })
        } else if truncate < self.config.truncate_rate {
            Some(Fault::Truncate)
        } else {
            None
        }
    }
}

/// The HTML page of a [`Fault::GatewayHtml`]: what nginx (in front of many cloud APIs)
/// sends for an error status, e.g. `<title>502 Bad Gateway</title>`.
pub fn gateway_html_page(status: u16) -> String {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    format!(
        "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n\
         <center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n\
         </body>\r\n</html>\r\n"
    )
}
