//! Pagination over `limit`/`offset`.
//!
//! - [`ListEndpoints::pages`](crate::ListEndpoints::pages): a lazy stream of pages, one request at a time.
//! - [`ListEndpoints::items`](crate::ListEndpoints::items): the endpoints of those pages.
//! - [`ListAll`]: every endpoint; after the first page gives `total_count`, the remaining
//!   pages are fetched concurrently (bounded, adaptive), yielded in the server's order,
//!   with memory bounded by bytes, not by the pages in flight: any number of requests may
//!   wait on the network, but only the pages that fit a budget ([`ListAll::memory_budget`],
//!   default [`DEFAULT_MEMORY_BUDGET`]) counted from the next page to yield read their bodies
//!   and decode; the others leave theirs in the socket until their turn (plus a 16-byte
//!   hash per endpoint seen, for de-duplication by `id`). A `total_count`
//!   that changes mid-listing, or a page shorter than the count promises, is an error,
//!   never a silently partial list. A 429 halves the concurrency (the request itself backs
//!   off and retries); it grows back by one after a run of unthrottled pages.

use std::collections::HashSet;
use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures::stream::{self, FuturesOrdered, Stream, StreamExt};

use crate::contract::ListEndpointsQuery as Query;
use crate::error::{Error, Result};
use crate::request::ListEndpoints;
use crate::types::{EndpointListResp, EndpointResp};

/// Page size used by [`ListAll`] when the request sets none: the largest allowed.
pub const LIST_ALL_PAGE_SIZE: u32 = 1000;
/// Default number of pages [`ListAll`] fetches at once. Over a WAN link (50 ms, 100 Mbit/s,
/// `bench/network.sh`) 4 left the link idle while requests waited out the latency (1.30×
/// the link's floor); 8 keeps it busy (1.08×). Still modest, because gateways throttle (and
/// a 429 halves it).
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Default memory [`ListAll`] gives to pages read and not yet yielded: 16 MiB, i.e. 2 pages
/// of 1000 endpoints (the CLI's `--all` stays under 64 MB of peak RSS at any concurrency).
pub const DEFAULT_MEMORY_BUDGET: usize = 16 << 20;
/// What a listed endpoint costs while its page is held, measured: peak RSS of
/// `bench/cli_jsonl_memory.sh` grows by ~6 MB per page of 1000 read at once (the body as
/// received and decompressed, its buffer's growth, the decoded strings, allocator slack).
const BYTES_PER_ENDPOINT_HELD: usize = 6 << 10;
/// What a request costs while it waits for its turn to read: the HTTP stack buffers what
/// has arrived of its (compressed) body; measured ~0.6 MB each at 64 requests in flight.
/// The budget therefore also caps the requests in flight: the read window plus as many
/// waiting requests as the budget again pays for (23 by default for pages of 1000).
const BYTES_PER_WAITING_REQUEST: usize = 768 << 10;

/// The pages of a listing that may read their bodies now: those less than `width` pages
/// after the next page to yield (`head`). The next page always may, so the listing never
/// waits on itself.
#[derive(Debug)]
struct BodyWindow {
    head: tokio::sync::watch::Sender<u64>,
    width: u64,
}

/// A page's place in its listing's [`BodyWindow`]; the transport waits on it between the
/// response's headers and its body.
#[derive(Clone, Debug)]
pub(crate) struct BodyTurn {
    window: Arc<BodyWindow>,
    index: u64,
}

impl BodyTurn {
    pub(crate) async fn wait(&self) {
        let width = self.window.width;
        let mut head = self.window.head.subscribe();
        // The sender lives as long as the listing; if it is gone, nobody waits for the page.
        let _ = head.wait_for(|h| self.index < h + width).await;
    }
}

pub(crate) fn pages(request: ListEndpoints) -> impl Stream<Item = Result<EndpointListResp>> {
    struct State {
        request: ListEndpoints,
        query: Option<Query>,
        offset: i64,
        done: bool,
    }
    let state = State {
        request,
        query: None,
        offset: 0,
        done: false,
    };
    stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        if st.query.is_none() {
            match st.request.validated() {
                Ok(q) => {
                    st.offset = q.offset.map_or(0, i64::from);
                    st.query = Some(q);
                }
                Err(e) => {
                    st.done = true;
                    return Some((Err(e), st));
                }
            }
        }
        let mut query = st.query.clone().expect("validated above");
        query.offset = Some(i32::try_from(st.offset).unwrap_or(i32::MAX));
        let page = match st.request.client.execute(&query, None).await {
            Ok(page) => page,
            Err(e) => {
                st.done = true;
                return Some((Err(e), st));
            }
        };
        let n = page.endpoints.as_ref().map_or(0, Vec::len) as i64;
        st.offset += n;
        let exhausted = n == 0
            || page.total_count.is_some_and(|total| st.offset >= total)
            || query.limit.is_some_and(|limit| n < i64::from(limit.get()));
        st.done = exhausted;
        Some((Ok(page), st))
    })
}

pub(crate) fn items(request: ListEndpoints) -> impl Stream<Item = Result<EndpointResp>> {
    pages(request).flat_map(|page| match page {
        Ok(page) => {
            stream::iter(page.endpoints.unwrap_or_default().into_iter().map(Ok)).left_stream()
        }
        Err(e) => stream::iter(std::iter::once(Err(e))).right_stream(),
    })
}

/// Lists every matching endpoint. Build it with
/// [`ListEndpoints::list_all`](crate::request::ListEndpoints::list_all).
#[derive(Clone, Debug)]
#[must_use]
pub struct ListAll {
    request: ListEndpoints,
    concurrency: usize,
    memory_budget: usize,
}

type PageFuture = Pin<Box<dyn Future<Output = (i64, Result<EndpointListResp>)> + Send>>;

impl ListAll {
    pub(crate) fn new(request: ListEndpoints) -> Self {
        let request = match request.limit_value() {
            Some(_) => request,
            None => request.limit(LIST_ALL_PAGE_SIZE),
        };
        ListAll {
            request,
            concurrency: DEFAULT_CONCURRENCY,
            memory_budget: DEFAULT_MEMORY_BUDGET,
        }
    }

    /// Pages requested at once, at least 1 (default [`DEFAULT_CONCURRENCY`]).
    pub fn concurrency(mut self, pages_in_flight: usize) -> Self {
        self.concurrency = pages_in_flight.max(1);
        self
    }

    /// Memory for pages read and not yet yielded, in bytes (default
    /// [`DEFAULT_MEMORY_BUDGET`]); at least one page is always read. Requests beyond it
    /// still go out (to hide latency) but leave their bodies in the socket until their turn;
    /// the budget also caps those (for pages of 1000: 2 read at once, 23 requests in
    /// flight by default), so a larger [`concurrency`](Self::concurrency) is lowered.
    pub fn memory_budget(mut self, bytes: usize) -> Self {
        self.memory_budget = bytes;
        self
    }

    /// Collects every endpoint into one response (`total_count` from the first page).
    pub async fn send(self) -> Result<EndpointListResp> {
        let mut total = None;
        let mut endpoints = Vec::new();
        let mut pages = std::pin::pin!(self.pages());
        while let Some(page) = pages.next().await {
            let page = page?;
            total = total.or(page.total_count);
            endpoints.extend(page.endpoints.unwrap_or_default());
        }
        Ok(EndpointListResp {
            total_count: Some(total.unwrap_or(endpoints.len() as i64)),
            endpoints: Some(endpoints),
        })
    }

    /// A stream of endpoints, in the server's order.
    pub fn stream(self) -> impl Stream<Item = Result<EndpointResp>> {
        self.pages().flat_map(|page| match page {
            Ok(page) => {
                stream::iter(page.endpoints.unwrap_or_default().into_iter().map(Ok)).left_stream()
            }
            Err(e) => stream::iter(std::iter::once(Err(e))).right_stream(),
        })
    }

    /// A stream of pages in the server's order, already de-duplicated by `id`.
    pub fn pages(self) -> impl Stream<Item = Result<EndpointListResp>> {
        let per_page = self
            .request
            .limit_value()
            .map_or(LIST_ALL_PAGE_SIZE as usize, |l| l as usize)
            .max(1)
            * BYTES_PER_ENDPOINT_HELD;
        let width = (self.memory_budget / per_page).max(1);
        let window = Arc::new(BodyWindow {
            head: tokio::sync::watch::channel(0).0,
            width: width as u64,
        });
        let in_flight_cap = width + self.memory_budget / BYTES_PER_WAITING_REQUEST;
        let state = AllState {
            window,
            request: self.request,
            concurrency: Concurrency::new(self.concurrency.min(in_flight_cap)),
            throttled: Arc::new(AtomicU64::new(0)),
            throttles_seen: 0,
            query: None,
            limit: 0,
            next_offset: 0,
            expected_total: None,
            first_offset: 0,
            in_flight: FuturesOrdered::new(),
            seen: SeenIds::default(),
            started: false,
            done: false,
        };
        stream::unfold(state, |mut st| async move {
            let item = st.next_page().await?;
            Some((item, st))
        })
    }
}

/// A spawned task that is aborted when its handle is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;
    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The ids a listing has yielded, for de-duplication, kept as 128-bit keyed hashes (two
/// SipHash keys chosen at random per listing): 16 bytes an endpoint instead of the id
/// itself, so a listing's memory is the pages in flight plus ~20 bytes per endpoint seen.
/// Two different ids collide with probability about n²/2¹²⁹ (1e-29 for 100,000 ids).
#[derive(Default)]
struct SeenIds {
    keys: [RandomState; 2],
    hashes: HashSet<u128>,
}

impl SeenIds {
    /// Records `id`; false if it was seen before.
    fn insert(&mut self, id: &str) -> bool {
        let high = u128::from(self.keys[0].hash_one(id));
        let low = u128::from(self.keys[1].hash_one(id));
        self.hashes.insert(high << 64 | low)
    }
}

/// Pages in flight, additive-increase / multiplicative-decrease: halved (down to 1) when a
/// page met a 429, one more after twice as many clean pages as are in flight, never above
/// the configured maximum.
#[derive(Clone, Debug)]
struct Concurrency {
    max: usize,
    current: usize,
    clean_pages: usize,
}

impl Concurrency {
    fn new(max: usize) -> Self {
        Concurrency {
            max,
            current: max,
            clean_pages: 0,
        }
    }

    fn current(&self) -> usize {
        self.current
    }

    fn on_page(&mut self, throttled: bool) {
        if throttled {
            self.current = (self.current / 2).max(1);
            self.clean_pages = 0;
        } else {
            self.clean_pages += 1;
            if self.clean_pages >= 2 * self.current && self.current < self.max {
                self.current += 1;
                self.clean_pages = 0;
            }
        }
    }
}

struct AllState {
    window: Arc<BodyWindow>,
    request: ListEndpoints,
    concurrency: Concurrency,
    throttled: Arc<AtomicU64>,
    throttles_seen: u64,
    query: Option<Query>,
    limit: i64,
    next_offset: i64,
    expected_total: Option<i64>,
    first_offset: i64,
    in_flight: FuturesOrdered<PageFuture>,
    seen: SeenIds,
    started: bool,
    done: bool,
}

impl AllState {
    fn fetch(&self, offset: i64) -> PageFuture {
        let client = self.request.client.clone();
        let mut query = self.query.clone().expect("validated before fetching");
        query.offset = Some(i32::try_from(offset).unwrap_or(i32::MAX));
        let throttled = self.throttled.clone();
        let turn = self.expected_total.map(|_| BodyTurn {
            window: self.window.clone(),
            index: ((offset - self.first_offset) / self.limit.max(1)) as u64,
        });
        // Each page runs as its own task, so on a multi-threaded runtime pages are decoded
        // in parallel. The handle aborts the task if the listing is dropped.
        let task = AbortOnDrop(tokio::spawn(async move {
            client.execute_paged(&query, Some(throttled), turn).await
        }));
        Box::pin(async move {
            let result = match task.await {
                Ok(result) => result,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => Err(Error::Config(format!("a page fetch was cancelled: {e}"))),
            };
            (offset, result)
        })
    }

    /// Adapts the concurrency: halve after a 429, add one after a run of clean pages.
    fn adapt(&mut self) {
        let throttles = self.throttled.load(Ordering::Relaxed);
        let throttled = throttles > self.throttles_seen;
        self.throttles_seen = throttles;
        let before = self.concurrency.current();
        self.concurrency.on_page(throttled);
        if self.concurrency.current() < before {
            tracing::info!(
                concurrency = self.concurrency.current(),
                "throttled: lowering concurrency"
            );
        }
    }

    fn more_to_fetch(&self) -> bool {
        match self.expected_total {
            Some(total) => self.next_offset < total,
            // Without a total, pages are fetched one at a time until a short page.
            None => false,
        }
    }

    fn fail(&mut self, e: Error) -> Option<Result<EndpointListResp>> {
        self.done = true;
        Some(Err(e))
    }

    /// Checks a page against the first page's total, drops endpoints already seen.
    fn accept(&mut self, offset: i64, mut page: EndpointListResp) -> Result<EndpointListResp> {
        let n = page.endpoints.as_ref().map_or(0, Vec::len) as i64;
        if let (Some(expected), Some(found)) = (self.expected_total, page.total_count) {
            if expected != found {
                return Err(Error::TotalCountChanged {
                    expected,
                    found,
                    offset,
                });
            }
        }
        if let Some(total) = self.expected_total {
            let promised = self.limit.min(total - offset).max(0);
            if n < promised {
                return Err(Error::TotalCountChanged {
                    expected: total,
                    found: offset + n,
                    offset,
                });
            }
        }
        if let Some(endpoints) = page.endpoints.as_mut() {
            endpoints.retain(|e| match &e.id {
                Some(id) => self.seen.insert(id),
                None => true,
            });
        }
        Ok(page)
    }

    async fn next_page(&mut self) -> Option<Result<EndpointListResp>> {
        if self.done {
            return None;
        }
        if !self.started {
            self.started = true;
            let query = match self.request.validated() {
                Ok(q) => q,
                Err(e) => return self.fail(e),
            };
            let offset = query.offset.map_or(0, i64::from);
            self.first_offset = offset;
            self.limit = i64::from(query.limit.map_or(LIST_ALL_PAGE_SIZE, |l| l.get()));
            self.query = Some(query);
            let (_, first) = self.fetch(offset).await;
            let first = match first {
                Ok(page) => page,
                Err(e) => return self.fail(e),
            };
            self.expected_total = first.total_count;
            let n = first.endpoints.as_ref().map_or(0, Vec::len) as i64;
            if self.expected_total.is_some() {
                self.next_offset = offset + self.limit;
            } else {
                self.next_offset = offset + n;
                self.done = n < self.limit;
            }
            self.window.head.send_modify(|h| *h += 1);
            return match self.accept(offset, first) {
                Ok(page) => Some(Ok(page)),
                Err(e) => self.fail(e),
            };
        }
        // Without a total: sequential, stop at a short page.
        if self.expected_total.is_none() {
            let offset = self.next_offset;
            let (_, page) = self.fetch(offset).await;
            return match page {
                Ok(page) => {
                    let n = page.endpoints.as_ref().map_or(0, Vec::len) as i64;
                    self.next_offset += n;
                    if n < self.limit {
                        self.done = true;
                    }
                    match self.accept(offset, page) {
                        Ok(page) => Some(Ok(page)),
                        Err(e) => self.fail(e),
                    }
                }
                Err(e) => self.fail(e),
            };
        }
        while self.in_flight.len() < self.concurrency.current() && self.more_to_fetch() {
            let fut = self.fetch(self.next_offset);
            self.in_flight.push_back(fut);
            self.next_offset += self.limit;
        }
        let (offset, page) = self.in_flight.next().await?;
        // This page is out of the window: the next one may read its body.
        self.window.head.send_modify(|h| *h += 1);
        self.adapt();
        match page.and_then(|page| self.accept(offset, page)) {
            Ok(page) => {
                if self.in_flight.is_empty() && !self.more_to_fetch() {
                    self.done = true;
                }
                Some(Ok(page))
            }
            Err(e) => {
                self.in_flight = FuturesOrdered::new();
                self.fail(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{BodyTurn, BodyWindow, Concurrency};
    use futures::FutureExt;
    use std::sync::Arc;

    #[tokio::test]
    async fn bodies_wait_until_their_page_is_within_the_window() {
        let window = Arc::new(BodyWindow {
            head: tokio::sync::watch::channel(0).0,
            width: 2,
        });
        let turn = |index| BodyTurn {
            window: window.clone(),
            index,
        };
        assert!(turn(0).wait().now_or_never().is_some());
        assert!(turn(1).wait().now_or_never().is_some());
        let third = turn(2);
        let mut waiting = Box::pin(third.wait());
        assert!(futures::poll!(waiting.as_mut()).is_pending());
        window.head.send_modify(|h| *h += 1);
        assert!(futures::poll!(waiting.as_mut()).is_ready());
        assert!(turn(3).wait().now_or_never().is_none());
    }

    #[test]
    fn seen_ids_detect_repeats_only() {
        let mut seen = super::SeenIds::default();
        assert!(seen.insert("ep-1"));
        assert!(seen.insert("ep-2"));
        assert!(!seen.insert("ep-1"));
        assert!(seen.insert("ep-10"));
    }

    #[test]
    fn concurrency_halves_on_throttling_and_grows_back_slowly() {
        let mut c = Concurrency::new(16);
        c.on_page(true);
        assert_eq!(c.current(), 8);
        c.on_page(true);
        c.on_page(true);
        c.on_page(true);
        c.on_page(true);
        assert_eq!(c.current(), 1, "never below one");
        c.on_page(true);
        assert_eq!(c.current(), 1);
        // One more after 2 × current clean pages.
        c.on_page(false);
        assert_eq!(c.current(), 1);
        c.on_page(false);
        assert_eq!(c.current(), 2);
        for _ in 0..3 {
            c.on_page(false);
        }
        assert_eq!(c.current(), 2);
        c.on_page(false);
        assert_eq!(c.current(), 3);
        for _ in 0..1000 {
            c.on_page(false);
        }
        assert_eq!(c.current(), 16, "never above the maximum");
    }
}
