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
