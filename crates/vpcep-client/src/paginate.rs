//! Pagination over `limit`/`offset`.
//!
//! The paginator is generic over "fetch the page at this offset" (a function returning a
//! future), so it knows nothing of HTTP, the client or the request builder: the request
//! builder (`request.rs`) hands it a function over the executor, and the unit tests below
//! hand it pages held in memory.
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
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::pin::Pin;
use std::sync::Arc;

use futures::stream::{self, FuturesOrdered, Stream, StreamExt};

use crate::error::{Error, Result};
use crate::receipt::CallStats;
use crate::types::{EndpointListResp, EndpointResp};
use crate::window::{BodyTurn, BodyWindow};

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

/// A page fetch in progress.
pub(crate) type PageFuture = Pin<Box<dyn Future<Output = Result<EndpointListResp>> + Send>>;

/// Fetches the page at an offset; for a listing whose total is known, the page's
/// [`BodyTurn`] says when its body may be read.
pub(crate) type FetchPage = Arc<dyn Fn(i64, Option<BodyTurn>) -> PageFuture + Send + Sync>;

/// A listing, checked and ready to fetch: where it starts, its page size, how to fetch a
/// page, and the counters its page fetches bump (throttling, timeouts, retries, bytes).
pub(crate) struct Listing {
    /// Offset of the first page.
    pub first_offset: i64,
    /// Page size asked for (`limit`).
    pub limit: i64,
    /// Bumped by `fetch`; the listing lowers its concurrency when its congestion count
    /// (throttled answers, attempt timeouts) grows.
    pub stats: Arc<CallStats>,
    /// Fetches one page.
    pub fetch: FetchPage,
}

/// Pages one after another from `first_offset` until the listing is exhausted: an empty
/// page, `total_count` reached, or (with a `limit`) a page shorter than it.
pub(crate) fn pages<F, Fut>(
    first_offset: i64,
    limit: Option<i64>,
    fetch: F,
) -> impl Stream<Item = Result<EndpointListResp>>
where
    F: FnMut(i64) -> Fut,
    Fut: Future<Output = Result<EndpointListResp>>,
{
    struct State<F> {
        fetch: F,
        offset: i64,
        done: bool,
    }
    let state = State {
        fetch,
        offset: first_offset,
        done: false,
    };
    stream::unfold(state, move |mut st| async move {
        if st.done {
            return None;
        }
        let page = match (st.fetch)(st.offset).await {
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
            || limit.is_some_and(|limit| n < limit);
        st.done = exhausted;
        Some((Ok(page), st))
    })
}

/// The endpoints of a stream of pages; an error ends it.
pub(crate) fn items(
    pages: impl Stream<Item = Result<EndpointListResp>>,
) -> impl Stream<Item = Result<EndpointResp>> {
    pages.flat_map(|page| match page {
        Ok(page) => {
            stream::iter(page.endpoints.unwrap_or_default().into_iter().map(Ok)).left_stream()
        }
        Err(e) => stream::iter(std::iter::once(Err(e))).right_stream(),
    })
}

/// Checks the request and returns its [`Listing`]; called when the listing starts.
type StartListing = Arc<dyn Fn() -> Result<Listing> + Send + Sync>;

/// Lists every matching endpoint. Build it with
/// [`ListEndpoints::list_all`](crate::ListEndpoints::list_all).
#[derive(Clone)]
#[must_use]
pub struct ListAll {
    start: StartListing,
    /// The request's page size, if it is set (it sizes the memory window).
    page_size: Option<i64>,
    concurrency: usize,
    memory_budget: usize,
}

impl fmt::Debug for ListAll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListAll")
            .field("page_size", &self.page_size)
            .field("concurrency", &self.concurrency)
            .field("memory_budget", &self.memory_budget)
            .finish_non_exhaustive()
    }
}

impl ListAll {
    /// A listing of pages of `page_size` (the request's `limit`), checked and started by
    /// `start` when the first page is asked for.
    pub(crate) fn new(
        page_size: Option<i64>,
        start: impl Fn() -> Result<Listing> + Send + Sync + 'static,
    ) -> Self {
        ListAll {
            start: Arc::new(start),
            page_size,
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
        items(self.pages())
    }

    /// A stream of pages in the server's order, already de-duplicated by `id`.
    pub fn pages(self) -> impl Stream<Item = Result<EndpointListResp>> {
        let per_page = self
            .page_size
            .map_or(LIST_ALL_PAGE_SIZE as usize, |l| l as usize)
            .max(1)
            * BYTES_PER_ENDPOINT_HELD;
        let width = (self.memory_budget / per_page).max(1);
        let in_flight_cap = width + self.memory_budget / BYTES_PER_WAITING_REQUEST;
        let state = AllState {
            window: BodyWindow::new(width as u64),
            start: Some(self.start),
            concurrency: Concurrency::new(self.concurrency.min(in_flight_cap)),
            stats: Arc::new(CallStats::default()),
            congestion_seen: 0,
            fetch: None,
            limit: 0,
            next_offset: 0,
            expected_total: None,
            first_offset: 0,
            in_flight: FuturesOrdered::new(),
            seen: SeenIds::default(),
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

/// A page fetch of a listing in progress, with its offset.
type OffsetPage = Pin<Box<dyn Future<Output = (i64, Result<EndpointListResp>)> + Send>>;

struct AllState {
    window: Arc<BodyWindow>,
    /// Until the listing starts: checks the request and gives the [`Listing`].
    start: Option<StartListing>,
    concurrency: Concurrency,
    stats: Arc<CallStats>,
    congestion_seen: u64,
    fetch: Option<FetchPage>,
    limit: i64,
    next_offset: i64,
    expected_total: Option<i64>,
    first_offset: i64,
    in_flight: FuturesOrdered<OffsetPage>,
    seen: SeenIds,
    done: bool,
}

impl AllState {
    fn fetch(&self, offset: i64) -> OffsetPage {
        let fetch = self.fetch.as_ref().expect("started before fetching");
        let turn = self.expected_total.map(|_| {
            self.window
                .turn(((offset - self.first_offset) / self.limit.max(1)) as u64)
        });
        // Each page runs as its own task, so on a multi-threaded runtime pages are decoded
        // in parallel. The handle aborts the task if the listing is dropped.
        let task = AbortOnDrop(tokio::spawn(fetch(offset, turn)));
        Box::pin(async move {
            let result = match task.await {
                Ok(result) => result,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => Err(Error::Cancelled { offset }),
            };
            (offset, result)
        })
    }

    /// Adapts the concurrency: halve after throttling (429, `EndPoint.0022`) or an
    /// attempt timeout, add one after a run of clean pages.
    fn adapt(&mut self) {
        let congestion = self.stats.congestion();
        let congested = congestion > self.congestion_seen;
        self.congestion_seen = congestion;
        let before = self.concurrency.current();
        self.concurrency.on_page(congested);
        if self.concurrency.current() < before {
            tracing::info!(
                concurrency = self.concurrency.current(),
                "throttled or timed out: lowering concurrency"
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
                return Err(Error::ShortPage {
                    offset,
                    expected: promised,
                    found: n,
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
        if let Some(start) = self.start.take() {
            let listing = match start() {
                Ok(listing) => listing,
                Err(e) => return self.fail(e),
            };
            let offset = listing.first_offset;
            self.first_offset = offset;
            self.limit = listing.limit;
            self.stats = listing.stats;
            self.fetch = Some(listing.fetch);
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
            self.window.advance();
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
        self.window.advance();
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
    use super::*;
    use crate::retry::FailureKind;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::sync::Mutex;

    fn page(ids: impl IntoIterator<Item = i64>, total: Option<i64>) -> EndpointListResp {
        EndpointListResp {
            endpoints: Some(
                ids.into_iter()
                    .map(|i| EndpointResp {
                        id: Some(format!("ep-{i}")),
                        ..Default::default()
                    })
                    .collect(),
            ),
            total_count: total,
        }
    }

    /// `n` consecutive ids from `offset`.
    fn ids(offset: i64, n: i64) -> std::ops::Range<i64> {
        offset..offset + n
    }

    /// Everything one in-memory listing saw: the offsets asked for, in order.
    #[derive(Clone, Default)]
    struct Seen {
        offsets: Arc<Mutex<Vec<i64>>>,
    }

    /// A [`ListAll`] over pages served from memory by `serve(offset)`; `hook` runs when a
    /// page fetch is started (synchronously) with the offset and the listing's counters.
    fn list_all_over(
        limit: i64,
        seen: &Seen,
        serve: impl Fn(i64) -> Result<EndpointListResp> + Send + Sync + 'static,
        hook: impl Fn(i64, &CallStats) + Send + Sync + 'static,
    ) -> ListAll {
        let serve = Arc::new(serve);
        let hook = Arc::new(hook);
        let seen = seen.clone();
        ListAll::new(Some(limit), move || {
            let (serve, hook, seen) = (serve.clone(), hook.clone(), seen.clone());
            let stats = Arc::new(CallStats::default());
            let counter = stats.clone();
            Ok(Listing {
                first_offset: 0,
                limit,
                stats,
                fetch: Arc::new(move |offset, turn: Option<BodyTurn>| {
                    seen.offsets.lock().unwrap().push(offset);
                    hook(offset, &counter);
                    let serve = serve.clone();
                    Box::pin(async move {
                        if let Some(turn) = turn {
                            turn.wait().await;
                        }
                        serve(offset)
                    })
                }),
            })
        })
    }

    fn ids_of(pages: &[EndpointListResp]) -> Vec<String> {
        pages
            .iter()
            .flat_map(|p| p.endpoints.iter().flatten())
            .map(|e| e.id.clone().unwrap())
            .collect()
    }

    fn expected_ids(range: std::ops::Range<i64>) -> Vec<String> {
        range.map(|i| format!("ep-{i}")).collect()
    }

    #[tokio::test]
    async fn list_all_yields_every_page_in_order_without_duplicates() {
        let seen = Seen::default();
        // The page at 10 repeats the last endpoint of the page before it.
        let all = list_all_over(
            10,
            &seen,
            |offset| {
                Ok(match offset {
                    10 => page(std::iter::once(9).chain(ids(10, 9)), Some(25)),
                    20 => page(ids(19, 5), Some(25)),
                    _ => page(ids(offset, 10), Some(25)),
                })
            },
            |_, _| {},
        );
        let pages: Vec<_> = all.pages().map(Result::unwrap).collect().await;
        assert_eq!(ids_of(&pages), expected_ids(0..24));
        assert_eq!(*seen.offsets.lock().unwrap(), [0, 10, 20]);
    }

    #[tokio::test]
    async fn a_short_page_is_reported_as_such() {
        let all = list_all_over(
            10,
            &Seen::default(),
            |offset| {
                Ok(page(
                    ids(offset, if offset == 10 { 4 } else { 10 }),
                    Some(30),
                ))
            },
            |_, _| {},
        );
        let err = all.send().await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::ShortPage {
                    offset: 10,
                    expected: 10,
                    found: 4
                }
            ),
            "{err:?}"
        );
        // The last page promises only what is left of the total.
        let all = list_all_over(
            10,
            &Seen::default(),
            |offset| {
                Ok(page(
                    ids(offset, if offset == 20 { 4 } else { 10 }),
                    Some(25),
                ))
            },
            |_, _| {},
        );
        let err = all.send().await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::ShortPage {
                    offset: 20,
                    expected: 5,
                    found: 4
                }
            ),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_changing_total_is_reported() {
        let all = list_all_over(
            10,
            &Seen::default(),
            |offset| {
                Ok(page(
                    ids(offset, 10),
                    Some(if offset == 20 { 31 } else { 30 }),
                ))
            },
            |_, _| {},
        );
        let err = all.send().await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::TotalCountChanged {
                    expected: 30,
                    found: 31,
                    offset: 20
                }
            ),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn without_a_total_pages_follow_one_another_until_a_short_one() {
        let seen = Seen::default();
        let all = list_all_over(
            10,
            &seen,
            |offset| Ok(page(ids(offset, if offset == 20 { 3 } else { 10 }), None)),
            |_, _| {},
        );
        let got = all.send().await.unwrap();
        assert_eq!(got.total_count, Some(23));
        assert_eq!(*seen.offsets.lock().unwrap(), [0, 10, 20]);
    }

    #[tokio::test]
    async fn a_request_that_does_not_check_out_fails_before_any_fetch() {
        let all = ListAll::new(Some(10), || {
            Err(Error::Validation(crate::ValidationError::new(
                "limit",
                "must be between 1 and 1000",
                "0",
            )))
        });
        let results: Vec<_> = all.pages().collect().await;
        assert_eq!(results.len(), 1);
        assert!(
            matches!(&results[0], Err(Error::Validation(_))),
            "{results:?}"
        );
    }

    /// Pages in flight (fetches started, not yet yielded) each time a page is yielded.
    async fn in_flight_at_each_yield(throttle_at: Option<i64>) -> Vec<usize> {
        let started = Arc::new(AtomicUsize::new(0));
        let counter = started.clone();
        let all = list_all_over(
            10,
            &Seen::default(),
            |offset| Ok(page(ids(offset, 10), Some(200))),
            move |offset, stats| {
                counter.fetch_add(1, Ordering::SeqCst);
                if Some(offset) == throttle_at {
                    stats.failed(FailureKind::TooManyRequests);
                }
            },
        )
        .concurrency(8);
        let mut pages = std::pin::pin!(all.pages());
        let mut yielded = 0;
        let mut in_flight = Vec::new();
        while let Some(page) = pages.next().await {
            page.unwrap();
            yielded += 1;
            in_flight.push(started.load(Ordering::SeqCst) - yielded);
        }
        assert_eq!(yielded, 20);
        in_flight
    }

    #[tokio::test]
    async fn throttling_lowers_the_concurrency() {
        // Unthrottled: 8 in flight once the total is known (7 after each yield).
        let plain = in_flight_at_each_yield(None).await;
        assert_eq!(plain[..8], [0, 7, 7, 7, 7, 7, 7, 7], "{plain:?}");
        // A 429 on the first concurrent page halves it to 4: no new fetch until fewer
        // than 4 are in flight.
        let throttled = in_flight_at_each_yield(Some(10)).await;
        assert_eq!(throttled[..8], [0, 7, 6, 5, 4, 3, 3, 3], "{throttled:?}");
    }

    /// The highest page index that had read its body, each time a page is yielded.
    async fn reads_ahead(memory_budget: usize) -> Vec<(usize, u64)> {
        const LIMIT: i64 = LIST_ALL_PAGE_SIZE as i64;
        let read = Arc::new(AtomicU64::new(0));
        let highest = read.clone();
        let serve = move |offset: i64| {
            highest.fetch_max((offset / LIMIT) as u64, Ordering::SeqCst);
            Ok(page(ids(offset, LIMIT), Some(12 * LIMIT)))
        };
        let all = list_all_over(LIMIT, &Seen::default(), serve, |_, _| {})
            .concurrency(8)
            .memory_budget(memory_budget);
        let mut pages = std::pin::pin!(all.pages());
        let mut at_yield = Vec::new();
        while let Some(page) = pages.next().await {
            page.unwrap();
            at_yield.push((at_yield.len() + 1, read.load(Ordering::SeqCst)));
            // Let every fetch that may read do so before the next page is taken.
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
        }
        assert_eq!(at_yield.len(), 12);
        at_yield
    }

    #[tokio::test]
    async fn bodies_are_read_only_within_the_memory_window() {
        // Two pages of 1000 (6 MiB each) fit 12 MiB: a page may read its body only while
        // it is one of the next two to yield, although 8 are requested at once.
        let window = 2;
        for (yielded, highest) in reads_ahead(2 * 1000 * BYTES_PER_ENDPOINT_HELD).await {
            assert!(
                highest < (yielded + window) as u64,
                "page {highest} read its body after {yielded} yielded"
            );
        }
        // With room for every page, bodies are read as soon as they come.
        let roomy = reads_ahead(DEFAULT_MEMORY_BUDGET * 8).await;
        assert!(
            roomy
                .iter()
                .any(|&(yielded, highest)| highest >= (yielded + window) as u64),
            "{roomy:?}"
        );
    }

    #[tokio::test]
    async fn sequential_pages_stop_at_the_total_a_short_page_or_an_empty_one() {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let fetch = |total: Option<i64>, last: i64| {
            let asked = asked.clone();
            move |offset: i64| {
                asked.lock().unwrap().push(offset);
                let n = if offset >= last { 0 } else { 10 };
                std::future::ready(Ok(page(ids(offset, n), total)))
            }
        };
        let by_total: Vec<_> = pages(5, Some(10), fetch(Some(25), 100)).collect().await;
        assert_eq!(by_total.len(), 2);
        assert_eq!(std::mem::take(&mut *asked.lock().unwrap()), [5, 15]);
        let by_empty: Vec<_> = pages(0, None, fetch(None, 20)).collect().await;
        assert_eq!(by_empty.len(), 3);
        assert_eq!(std::mem::take(&mut *asked.lock().unwrap()), [0, 10, 20]);
        let short: Vec<_> = pages(0, Some(20), fetch(None, 100)).collect().await;
        assert_eq!(short.len(), 1, "10 < limit 20: the listing is exhausted");
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
