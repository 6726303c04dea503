//! What the fake remembers of the requests it received: [`RecordedRequest`], the bounded
//! log behind [`crate::FakeHandle::requests`], and the `X-Request-Id` of each response.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::SystemTime;

use http::header::HeaderName;
use http::{HeaderMap, Method, Uri};

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

/// The last `capacity` requests, oldest first (0 keeps none).
pub(crate) struct RequestLog {
    capacity: usize,
    entries: Mutex<VecDeque<RecordedRequest>>,
}

impl RequestLog {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(VecDeque::new()),
        }
    }

    /// Whether the log keeps anything at all.
    pub(crate) fn is_on(&self) -> bool {
        self.capacity > 0
    }

    /// Appends `entry`, dropping the oldest entries beyond the capacity.
    pub(crate) fn push(&self, entry: RecordedRequest) {
        if self.capacity == 0 {
            return;
        }
        let mut log = self.lock();
        while log.len() >= self.capacity {
            log.pop_front();
        }
        log.push_back(entry);
    }

    pub(crate) fn entries(&self) -> Vec<RecordedRequest> {
        self.lock().iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<RecordedRequest>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Request ids unique per fake: a random prefix and a counter, 32 hex digits.
pub(crate) struct RequestIds {
    prefix: u64,
    counter: AtomicU64,
}

impl RequestIds {
    pub(crate) fn new() -> Self {
        Self {
            prefix: fastrand::u64(..),
            counter: AtomicU64::new(0),
        }
    }

    pub(crate) fn next(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{:016x}{:016x}", self.prefix, n)
    }
}
