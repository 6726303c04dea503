//! What a listing reports about itself: the counters its page fetches bump as they go
//! ([`CallStats`], shared by the page tasks, read by the listing's concurrency control).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::retry::FailureKind;

/// Counters a listing's calls bump from their tasks: retries by kind of failure, time
/// spent waiting on throttling, body bytes received, and signs of congestion.
#[derive(Debug, Default)]
pub(crate) struct CallStats {
    too_many_requests: AtomicU64,
    endpoint_throttled: AtomicU64,
    unavailable: AtomicU64,
    attempt_timeout: AtomicU64,
    interrupted: AtomicU64,
    unreachable: AtomicU64,
    corrupt_body: AtomicU64,
    /// Throttled answers and attempt timeouts, retried or not.
    congestion: AtomicU64,
    throttle_wait_micros: AtomicU64,
    bytes_received: AtomicU64,
}

impl CallStats {
    /// An attempt failed this way (retried or not).
    pub(crate) fn failed(&self, kind: FailureKind) {
        if kind.is_congestion() {
            self.congestion.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// An attempt that failed this way is tried again after `wait`.
    pub(crate) fn retried(&self, kind: FailureKind, wait: Duration) {
        let counter = match kind {
            FailureKind::TooManyRequests => &self.too_many_requests,
            FailureKind::EndpointThrottled => &self.endpoint_throttled,
            FailureKind::Unavailable => &self.unavailable,
            FailureKind::AttemptTimeout => &self.attempt_timeout,
            FailureKind::Interrupted => &self.interrupted,
            FailureKind::Unreachable => &self.unreachable,
            FailureKind::CorruptBody => &self.corrupt_body,
            FailureKind::Final => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if kind.is_throttling() {
            let micros = u64::try_from(wait.as_micros()).unwrap_or(u64::MAX);
            self.throttle_wait_micros
                .fetch_add(micros, Ordering::Relaxed);
        }
    }

    /// Body bytes read by an attempt (after decompression).
    pub(crate) fn received(&self, bytes: u64) {
        self.bytes_received.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Throttled answers and attempt timeouts so far: the listing halves its concurrency
    /// when this grows.
    pub(crate) fn congestion(&self) -> u64 {
        self.congestion.load(Ordering::Relaxed)
    }
}
