//! Fault injection: random faults at fixed rates (`--fail-rate`, …) and scripted
//! sequences ([`FaultPlan`]) for tests.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
}

/// A script of faults, consumed one per request in arrival order; when it is empty,
/// requests get the random faults (if any) or a normal answer. Cheap to clone: clones share
/// the same queue.
///
/// ```
/// use vpcep_fake::{Fault, FaultPlan};
/// let plan = FaultPlan::default();
/// plan.extend([Fault::unavailable(), Fault::too_many_requests(1), Fault::Pass]);
/// assert_eq!(plan.remaining(), 3);
/// ```
#[derive(Clone, Debug, Default)]
pub struct FaultPlan {
    queue: Arc<Mutex<VecDeque<Fault>>>,
}

impl FaultPlan {
    /// Appends one fault to the script.
    pub fn push(&self, fault: Fault) {
        self.lock().push_back(fault);
    }

    /// Appends faults to the script, in order.
    pub fn extend(&self, faults: impl IntoIterator<Item = Fault>) {
        self.lock().extend(faults);
    }

    /// Forgets the faults not yet used.
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

/// The response of a [`Fault::GatewayHtml`].
pub(crate) fn gateway_html_response(status: u16) -> axum::response::Response {
    let code = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_GATEWAY);
    let mut resp =
        axum::response::Response::new(axum::body::Body::from(gateway_html_page(code.as_u16())));
    *resp.status_mut() = code;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/html"),
    );
    resp
}
