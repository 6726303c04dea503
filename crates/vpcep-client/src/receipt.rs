//! What a listing says about itself: the [`Receipt`] of every
//! [`list_all`](crate::ListEndpoints::list_all), and the counters behind it ([`CallStats`],
//! bumped by the page fetches from their tasks; [`Progress`], kept by the listing).
//!
//! The receipt's JSON (`serde_json::to_string(&receipt)`, the CLI's `--receipt FILE`) is
//! versioned by its `version` field ([`RECEIPT_VERSION`]): fields may be added within a
//! version; a field removed, renamed or changed in meaning is a new version.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::retry::FailureKind;

/// The version of the [`Receipt`]'s JSON shape.
pub const RECEIPT_VERSION: u32 = 1;

/// The reason of a receipt taken before its listing ended.
const NOT_ENDED: &str = "the listing has not ended";

/// What one list-all did: whether it is complete, and what it took.
///
/// `complete` is true only when the listing ended under its guarantee: every endpoint
/// that existed for the whole walk was returned, exactly once (see
/// [`ListAll`](crate::ListAll)); otherwise `reasons` says why not (an error, an
/// interruption, a listing stopped before its end). The other fields describe the walk,
/// clean or not. Serialised as one JSON object with these field names (documented in the
/// client's README, "The receipt").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Receipt {
    /// The JSON shape's version: [`RECEIPT_VERSION`].
    pub version: u32,
    /// Whether the listing is complete under its guarantee.
    pub complete: bool,
    /// Why it is not complete (empty when it is).
    pub reasons: Vec<String>,
    /// `total_count` of the first page.
    pub total_count_start: Option<i64>,
    /// `total_count` of the last page received.
    pub total_count_end: Option<i64>,
    /// Endpoints returned (after de-duplication).
    pub endpoints: u64,
    /// Pages received (every page request that returned a page, repairs included;
    /// retried attempts are counted in `retries`).
    pub pages_fetched: u64,
    /// Of those, pages asked for again: repair pages (re-reading a range after a gap) and
    /// second reads of a page that contradicted itself.
    pub pages_fetched_again: u64,
    /// Endpoints dropped because an earlier page had returned them (the overlap between
    /// pages, and endpoints that moved between requests).
    pub duplicates_dropped: u64,
    /// Gaps found between pages (the list moved between two requests) and repaired.
    pub repairs: u64,
    /// Attempts retried, by cause.
    pub retries: Retries,
    /// Time spent waiting before retries of throttled attempts (backoff or
    /// `Retry-After`), in milliseconds, summed over the pages.
    pub throttle_wait_ms: u64,
    /// Response body bytes read whole (after decompression), every attempt included (a
    /// body cut short is not counted).
    pub bytes_received: u64,
    /// Wall-clock time of the listing, in milliseconds.
    pub duration_ms: u64,
    /// Page size asked for (`limit`).
    pub page_size: i64,
    /// Positions consecutive pages shared at the end (it grows when the list moves).
    pub overlap: i64,
}

/// Attempts retried by a listing, by cause.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Retries {
    /// After a 429 Too Many Requests.
    pub throttled_429: u64,
    /// After a 400 with `EndPoint.0022` (VPCEP's own throttling).
    pub throttled_endpoint_0022: u64,
    /// After a 502, 503 or 504.
    pub server_error_5xx: u64,
    /// After the attempt's own timeout.
    pub attempt_timeout: u64,
    /// After a transfer interrupted mid-response (connection reset or closed).
    pub interrupted_transfer: u64,
    /// After a connection could not be made.
    pub connection_failed: u64,
    /// After a body that did not decompress.
    pub corrupt_body: u64,
}

impl Retries {
    /// All retries.
    pub fn total(&self) -> u64 {
        self.throttled_429
            + self.throttled_endpoint_0022
            + self.server_error_5xx
            + self.attempt_timeout
            + self.interrupted_transfer
            + self.connection_failed
            + self.corrupt_body
    }
}

impl Receipt {
    /// Complete, and nothing happened on the way: no retry, no gap repaired, no page read
    /// twice. (`duplicates_dropped` is not looked at: the planned overlap makes some.)
    pub fn is_clean(&self) -> bool {
        self.complete
            && self.retries.total() == 0
            && self.repairs == 0
            && self.pages_fetched_again == 0
    }

    /// Marks the listing incomplete, for `reason` (e.g. an interruption the caller saw);
    /// it replaces the reason of a listing stopped before its end ("the listing has not
    /// ended").
    pub fn mark_incomplete(&mut self, reason: impl Into<String>) {
        self.complete = false;
        self.reasons.retain(|r| r != NOT_ENDED);
        self.reasons.push(reason.into());
    }

    /// One line for a person: complete or not (and why), endpoints, pages, repairs,
    /// retries by cause, waiting, bytes, time.
    pub fn summary(&self) -> String {
        let mut line = if self.complete {
            "listing complete".to_owned()
        } else {
            format!("listing INCOMPLETE ({})", self.reasons.join("; "))
        };
        let _ = write!(
            line,
            ": {} endpoints, {} pages",
            self.endpoints, self.pages_fetched
        );
        if self.pages_fetched_again > 0 {
            let _ = write!(line, " ({} fetched again)", self.pages_fetched_again);
        }
        if self.repairs > 0 {
            let _ = write!(line, ", {} gaps repaired", self.repairs);
        }
        let _ = write!(line, ", {} duplicates dropped", self.duplicates_dropped);
        if let (Some(start), Some(end)) = (self.total_count_start, self.total_count_end) {
            if start != end {
                let _ = write!(line, ", total_count {start} → {end}");
            }
        }
        let r = &self.retries;
        let causes = [
            (r.throttled_429, "429"),
            (r.throttled_endpoint_0022, "EndPoint.0022"),
            (r.server_error_5xx, "5xx"),
            (r.attempt_timeout, "attempt timeout"),
            (r.interrupted_transfer, "interrupted"),
            (r.connection_failed, "connection failed"),
            (r.corrupt_body, "corrupt body"),
        ];
        let retries: Vec<String> = causes
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, cause)| format!("{n} {cause}"))
            .collect();
        if !retries.is_empty() {
            let _ = write!(line, ", retries: {}", retries.join(", "));
        }
        if self.throttle_wait_ms > 0 {
            let _ = write!(
                line,
                ", {:.1} s waiting on throttling",
                self.throttle_wait_ms as f64 / 1000.0
            );
        }
        let _ = write!(
            line,
            ", {:.1} MB, {:.2} s",
            self.bytes_received as f64 / 1e6,
            self.duration_ms as f64 / 1000.0
        );
        line
    }
}

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

    /// Body bytes an attempt read whole (after decompression).
    pub(crate) fn received(&self, bytes: u64) {
        self.bytes_received.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Throttled answers and attempt timeouts so far: the listing halves its concurrency
    /// when this grows.
    pub(crate) fn congestion(&self) -> u64 {
        self.congestion.load(Ordering::Relaxed)
    }

    fn retries(&self) -> Retries {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        Retries {
            throttled_429: get(&self.too_many_requests),
            throttled_endpoint_0022: get(&self.endpoint_throttled),
            server_error_5xx: get(&self.unavailable),
            attempt_timeout: get(&self.attempt_timeout),
            interrupted_transfer: get(&self.interrupted),
            connection_failed: get(&self.unreachable),
            corrupt_body: get(&self.corrupt_body),
        }
    }
}

/// What the listing itself records as it walks (one writer: the listing's stream).
#[derive(Debug)]
pub(crate) struct Progress {
    started: Instant,
    ended: Option<Instant>,
    /// Set when the listing ended under its guarantee.
    pub complete: bool,
    /// Why it did not.
    pub reasons: Vec<String>,
    pub total_count_start: Option<i64>,
    pub total_count_end: Option<i64>,
    pub endpoints: u64,
    pub pages_fetched: u64,
    pub pages_fetched_again: u64,
    pub duplicates_dropped: u64,
    pub repairs: u64,
    pub page_size: i64,
    pub overlap: i64,
}

impl Default for Progress {
    fn default() -> Self {
        Progress {
            started: Instant::now(),
            ended: None,
            complete: false,
            reasons: Vec::new(),
            total_count_start: None,
            total_count_end: None,
            endpoints: 0,
            pages_fetched: 0,
            pages_fetched_again: 0,
            duplicates_dropped: 0,
            repairs: 0,
            page_size: 0,
            overlap: 0,
        }
    }
}

impl Progress {
    /// The listing ended: complete, or failed for `reason`.
    pub(crate) fn end(&mut self, outcome: std::result::Result<(), String>) {
        if self.ended.is_some() {
            return;
        }
        self.ended = Some(Instant::now());
        match outcome {
            Ok(()) => self.complete = true,
            Err(reason) => self.reasons.push(reason),
        }
    }

    /// The receipt as of now, with the calls' counters.
    pub(crate) fn receipt(&self, stats: &CallStats) -> Receipt {
        let mut reasons = self.reasons.clone();
        if self.ended.is_none() {
            reasons.push(NOT_ENDED.to_owned());
        }
        let ended = self.ended.unwrap_or_else(Instant::now);
        Receipt {
            version: RECEIPT_VERSION,
            complete: self.complete,
            reasons,
            total_count_start: self.total_count_start,
            total_count_end: self.total_count_end,
            endpoints: self.endpoints,
            pages_fetched: self.pages_fetched,
            pages_fetched_again: self.pages_fetched_again,
            duplicates_dropped: self.duplicates_dropped,
            repairs: self.repairs,
            retries: stats.retries(),
            throttle_wait_ms: stats.throttle_wait_micros.load(Ordering::Relaxed) / 1000,
            bytes_received: stats.bytes_received.load(Ordering::Relaxed),
            duration_ms: u64::try_from(ended.duration_since(self.started).as_millis())
                .unwrap_or(u64::MAX),
            page_size: self.page_size,
            overlap: self.overlap,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_receipt_counts_retries_by_cause_and_throttling_waits() {
        let stats = CallStats::default();
        stats.retried(FailureKind::TooManyRequests, Duration::from_millis(1500));
        stats.retried(FailureKind::EndpointThrottled, Duration::from_millis(500));
        stats.retried(FailureKind::Unavailable, Duration::from_millis(700));
        stats.retried(FailureKind::AttemptTimeout, Duration::ZERO);
        stats.retried(FailureKind::Final, Duration::from_secs(9));
        stats.failed(FailureKind::AttemptTimeout);
        stats.failed(FailureKind::Unavailable);
        stats.received(1234);
        assert_eq!(stats.congestion(), 1);
        let mut progress = Progress::default();
        let mut unfinished = progress.receipt(&stats);
        assert!(!unfinished.complete);
        assert_eq!(unfinished.reasons, ["the listing has not ended"]);
        unfinished.mark_incomplete("interrupted by SIGTERM");
        assert_eq!(unfinished.reasons, ["interrupted by SIGTERM"]);
        progress.end(Ok(()));
        let receipt = progress.receipt(&stats);
        assert!(receipt.complete && receipt.reasons.is_empty());
        assert_eq!(receipt.retries.total(), 4);
        assert_eq!(receipt.retries.throttled_endpoint_0022, 1);
        // Waits after 5xx or timeouts are not throttling.
        assert_eq!(receipt.throttle_wait_ms, 2000);
        assert_eq!(receipt.bytes_received, 1234);
        assert!(!receipt.is_clean());
        let summary = receipt.summary();
        assert!(
            summary.starts_with("listing complete: 0 endpoints"),
            "{summary}"
        );
        assert!(
            summary.contains("retries: 1 429, 1 EndPoint.0022, 1 5xx, 1 attempt timeout"),
            "{summary}"
        );
    }

    #[test]
    fn an_incomplete_receipt_says_why() {
        let mut progress = Progress::default();
        progress.end(Err("the server failed".to_owned()));
        progress.end(Ok(()));
        let mut receipt = progress.receipt(&CallStats::default());
        assert!(!receipt.complete);
        receipt.mark_incomplete("interrupted by SIGINT");
        assert_eq!(
            receipt.reasons,
            ["the server failed", "interrupted by SIGINT"]
        );
        assert!(receipt
            .summary()
            .starts_with("listing INCOMPLETE (the server failed; interrupted by SIGINT)"));
    }
}
