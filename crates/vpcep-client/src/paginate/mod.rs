//! Pagination over `limit`/`offset`.
//!
//! The paginator is generic over "fetch the page at this offset" (a function returning a
//! future), so it knows nothing of HTTP, the client or the request builder: the request
//! builder (`request.rs`) hands it a function over the executor, and the unit tests hand
//! it pages held in memory.
//!
//! - [`ListEndpoints::pages`](crate::ListEndpoints::pages): a lazy stream of pages, one
//!   request at a time.
//! - [`ListEndpoints::items`](crate::ListEndpoints::items): the endpoints of those pages.
//! - [`ListAll`]: every endpoint, under a guarantee, with a [`Receipt`]. After the first
//!   page gives `total_count`, the other pages are fetched concurrently (bounded,
//!   adaptive: halved on throttling or an attempt timeout, one more after a run of clean
//!   pages) and yielded in the server's order, with memory bounded by bytes: any number
//!   of requests may wait on the network, but only the pages that fit a budget
//!   ([`ListAll::memory_budget`], default [`DEFAULT_MEMORY_BUDGET`]) counted from the
//!   next page to yield read their bodies and decode; the others leave theirs in the
//!   socket until their turn, their attempt timeout stopped (plus a 16-byte hash per
//!   endpoint seen, for de-duplication by `id`).
//!
//! # The guarantee of a list-all
//!
//! A list-all that succeeds (`Ok`, every page yielded, the CLI exits 0) contains every
//! endpoint that existed for the whole walk, exactly once; endpoints created or deleted
//! during the walk may or may not appear. When the client cannot establish that, it says
//! so: an error, never a silent success.
//!
//! Offset paging shifts under churn: an endpoint created before offset `o` pushes the
//! rest one place on, one deleted pulls them one place back, so consecutive requests may
//! re-read or skip endpoints, and a `total_count` that stays the same (as many created as
//! deleted) hides it. So the listing does not trust offsets; it checks that the pages fit
//! together:
//!
//! 1. **Overlap.** Consecutive pages are asked for `overlap` positions apart less than a
//!    page (1% of the page at first, at least 1, so a list-all's `limit` is at least
//!    [`MIN_LIST_ALL_PAGE_SIZE`]): without churn each page repeats the last `overlap`
//!    endpoints of the one before it (dropped as duplicates).
//! 2. **A page links to the chain** of pages accepted so far when it holds an endpoint one
//!    of them held (the first page starts the chain, and so does any page at offset 0 of a
//!    listing from 0: it covers a prefix of the list). A page that contradicts itself is
//!    read once more first (rule 5).
//! 3. **A gap is repaired.** A page that holds nothing the chain holds (the list moved by
//!    more than the overlap between the two requests) is held back, and the range is read
//!    again: a repair page `overlap` before the end of the last accepted page, moved back
//!    by the endpoints deleted since (its `total_count` minus the latest), twice as far
//!    back at each repair page that does not link either. A repair page that links is
//!    accepted; then the held page is tried again, and dropped once the chain has read
//!    past its range. The overlap doubles after a gap, and grows by twice the drift seen
//!    when a page links with fewer duplicates than planned.
//! 4. **The end.** The listing is complete when a page that links reached the end of the
//!    list when it was served: shorter than `limit`, or reaching its own `total_count`.
//!    Pages still in flight are dropped.
//! 5. **Pages that contradict themselves** prove nothing and are read once more: no
//!    `endpoints` array (`{}`, unless its `total_count` says nothing is left), more
//!    endpoints than `limit`, a `total_count` below its offset plus its length (e.g. a
//!    first page with `total_count: 0` and 1,000 endpoints), or a page shorter than
//!    `limit` while its own `total_count` says more follow. Read again and still so, the
//!    listing fails ([`Error::InconsistentPage`](crate::Error::InconsistentPage),
//!    [`Error::ShortPage`](crate::Error::ShortPage)).
//!
//! **Why it holds.** Take the endpoints in the server's sort order. A page served at one
//! moment is a contiguous run of the list as it was then: every endpoint that existed
//! then and sorts between the page's first and last endpoint is in it. An endpoint that
//! exists for the whole walk keeps its place in the order relative to every other such
//! endpoint (creating or deleting others does not reorder them; see the note on
//! `update_at` below). The chain covers, by induction, one contiguous stretch of the
//! order from its start: the first page starts at the start (offset 0: nothing sorted
//! before its first endpoint when it was served), and a page that holds an endpoint `X`
//! the chain holds spans an interval containing `X`, which is inside the covered
//! stretch; the union of two intervals that share a point is an interval. When a linked
//! page reached the end of the list, nothing sorted after its last endpoint at that
//! moment, so an endpoint existing throughout sorts at or before it, inside the covered
//! stretch: some accepted page covered its place while it existed, so it is in that page,
//! and yielded once (duplicates are dropped by `id`). Repair pages are ordinary pages: the
//! argument does not depend on where they are read, only on linking, so no guess about
//! how the list moved can break it; a bad guess only costs requests.
//!
//! **Bounded.** Re-reads (repair pages and second reads) are limited to twice the pages
//! read in plan, plus 8, and pages in plan to four times what the listing needs without
//! churn (by its first `total_count`), plus 8; past that, or when a gap cannot be closed (a listing from an
//! offset other than 0 whose pages no longer link back to its start), the listing fails
//! with [`Error::ListingIncomplete`](crate::Error::ListingIncomplete) saying why. Measured: 3 endpoints created and 3
//! deleted after every request of a 5,000-endpoint listing completes in well under 5× the
//! requests of the same listing without churn (tests in `tests/tests/list_all.rs` and the
//! figures in `bench/README.md`).
//!
//! **What remains an error.** A page that contradicts itself twice in a row; a gap that
//! cannot be closed within the bound; any failed request (after its retries); a
//! cancelled page fetch. The changed `total_count` and the short page at the end of a
//! list that shrank are no longer errors: they are churn, repaired as above.
//!
//! **Limits.** `id` is what pages link by: endpoints without one are returned but cannot
//! link pages. With `sort_key=update_at`, an endpoint updated during the walk changes its
//! place in the order; it counts as deleted and created again, so it may or may not
//! appear. A listing from an `offset` other than 0 has no fixed start under churn: the
//! guarantee covers what sorts from its first page's first endpoint on.

mod chain;
#[cfg(test)]
mod test_pages;
mod walk;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures::stream::{self, Stream, StreamExt};

use crate::body_window::{BodyTurn, SharedLimits};
use crate::error::Result;
use crate::generated::types::{EndpointListResp, EndpointResp};
use crate::receipt::{CallStats, Progress, Receipt};

/// Page size used by [`ListAll`] when the request sets none: the largest allowed.
pub const LIST_ALL_PAGE_SIZE: u32 = 1000;
/// The smallest page size [`ListAll`] accepts: its pages overlap by at least one endpoint.
pub const MIN_LIST_ALL_PAGE_SIZE: i64 = 2;
/// Default number of pages [`ListAll`] fetches at once. Over a WAN link (50 ms, 100 Mbit/s,
/// `bench/network.sh`) 4 left the link idle while requests waited out the latency (1.30×
/// the link's floor); 8 keeps it busy (1.08×). Still modest, because gateways throttle (and
/// throttling halves it).
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

/// Fetches the page at an offset; for a page fetched ahead, its [`BodyTurn`] says when
/// its body may be read.
pub(crate) type FetchPage = Arc<dyn Fn(i64, Option<BodyTurn>) -> PageFuture + Send + Sync>;

/// A listing, checked and ready to fetch: where it starts, its page size, and how to fetch
/// a page.
pub(crate) struct Listing {
    /// Offset of the first page.
    pub first_offset: i64,
    /// Page size asked for (`limit`).
    pub limit: i64,
    /// Fetches one page.
    pub fetch: FetchPage,
}

/// Checks the request and returns its [`Listing`]; called when the listing starts, with
/// the counters its page fetches are to bump (throttling, timeouts, retries, bytes).
type StartListing = Arc<dyn Fn(Arc<CallStats>) -> Result<Listing> + Send + Sync>;

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

/// Lists every matching endpoint, under the guarantee in this module's documentation
/// (complete, or an error), with a [`Receipt`]. Build it with
/// [`ListEndpoints::list_all`](crate::ListEndpoints::list_all).
#[derive(Clone)]
#[must_use]
pub struct ListAll {
    start: StartListing,
    /// The request's page size, if it is set (it sizes the memory window).
    page_size: Option<i64>,
    concurrency: usize,
    memory_budget: usize,
    /// Limits shared with the listings of other targets (`estate.rs`).
    shared: Option<SharedLimits>,
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
        start: impl Fn(Arc<CallStats>) -> Result<Listing> + Send + Sync + 'static,
    ) -> Self {
        ListAll {
            start: Arc::new(start),
            page_size,
            concurrency: DEFAULT_CONCURRENCY,
            memory_budget: DEFAULT_MEMORY_BUDGET,
            shared: None,
        }
    }

    /// What one page of this listing costs while it is held (read and not yet yielded).
    pub(crate) fn bytes_per_page(&self) -> usize {
        self.page_size
            .map_or(LIST_ALL_PAGE_SIZE as usize, |l| l as usize)
            .max(1)
            * BYTES_PER_ENDPOINT_HELD
    }

    /// Shares the cap on requests in flight and the memory budget with the listings of
    /// other targets: the listing's own window is then one page (its next to yield), and
    /// its pages read their bodies within the shared budget.
    pub(crate) fn shared_limits(mut self, shared: SharedLimits) -> Self {
        self.shared = Some(shared);
        self
    }

    /// Pages requested at once, at least 1 (default 8).
    pub fn concurrency(mut self, pages_in_flight: usize) -> Self {
        self.concurrency = pages_in_flight.max(1);
        self
    }

    /// Memory for pages read and not yet yielded, in bytes (default
    /// 16 MiB); at least one page is always read. Requests beyond it
    /// still go out (to hide latency) but leave their bodies in the socket until their turn
    /// (their attempt timeout does not run meanwhile); the budget also caps those (for
    /// pages of 1000: 2 read at once, 23 requests in flight by default), so a larger
    /// [`concurrency`](Self::concurrency) is lowered. A gap being repaired holds one more
    /// page.
    pub fn memory_budget(mut self, bytes: usize) -> Self {
        self.memory_budget = bytes;
        self
    }

    /// Collects every endpoint into one response (`total_count` from the first page).
    pub async fn send(self) -> Result<EndpointListResp> {
        self.send_with_receipt().await.0
    }

    /// Collects every endpoint into one response, with the listing's [`Receipt`] (also
    /// when it failed: `complete` is false and `reasons` says why).
    pub async fn send_with_receipt(self) -> (Result<EndpointListResp>, Receipt) {
        let mut pages = self.pages();
        let mut total = None;
        let mut endpoints = Vec::new();
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) => {
                    total = total.or(page.total_count);
                    endpoints.extend(page.endpoints.unwrap_or_default());
                }
                Err(e) => return (Err(e), pages.receipt()),
            }
        }
        let listing = EndpointListResp {
            total_count: Some(total.unwrap_or(endpoints.len() as i64)),
            endpoints: Some(endpoints),
        };
        (Ok(listing), pages.receipt())
    }

    /// A stream of endpoints, in the server's order.
    pub fn stream(self) -> impl Stream<Item = Result<EndpointResp>> {
        items(self.pages())
    }

    /// A stream of pages in the server's order, already de-duplicated by `id` (a page may
    /// come out empty when all its endpoints had been yielded), with the listing's
    /// [`Receipt`] at any moment ([`ListAllPages::receipt`]).
    pub fn pages(self) -> ListAllPages {
        let per_page = self.bytes_per_page();
        let (width, in_flight_cap) = match self.shared {
            // The shared budget bounds the pages read; the listing reads its next page only.
            Some(_) => (1, self.concurrency),
            None => {
                let width = (self.memory_budget / per_page).max(1);
                (
                    width,
                    width + self.memory_budget / BYTES_PER_WAITING_REQUEST,
                )
            }
        };
        let stats = Arc::new(CallStats::default());
        let progress = Arc::new(Mutex::new(Progress::default()));
        let walk = walk::Walk::new(
            self.start,
            stats.clone(),
            progress.clone(),
            width as u64,
            self.concurrency.min(in_flight_cap),
            self.shared,
        );
        let inner = stream::unfold(walk, |mut walk| async move {
            let item = walk.next_page().await?;
            Some((item, walk))
        });
        ListAllPages {
            inner: Box::pin(inner),
            stats,
            progress,
        }
    }
}

/// The pages of a [`ListAll`], in the server's order (a [`Stream`]), and its
/// [`Receipt`].
#[must_use = "streams do nothing unless polled"]
pub struct ListAllPages {
    inner: Pin<Box<dyn Stream<Item = Result<EndpointListResp>> + Send>>,
    stats: Arc<CallStats>,
    progress: Arc<Mutex<Progress>>,
}

impl fmt::Debug for ListAllPages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListAllPages")
            .field("receipt", &self.receipt())
            .finish_non_exhaustive()
    }
}

impl ListAllPages {
    /// The listing's receipt as of now: `complete` once the stream has ended under the
    /// guarantee; while it runs, or if it was stopped early, `complete` is false and
    /// `reasons` says so.
    pub fn receipt(&self) -> Receipt {
        let progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        progress.receipt(&self.stats)
    }
}

impl Stream for ListAllPages {
    type Item = Result<EndpointListResp>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// A spawned task that is aborted when its handle is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::test_pages::{ids, page};
    use super::*;

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
}
