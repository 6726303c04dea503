//! The walk of a list-all: which pages to ask for, in what order, and what to make of
//! each (the rules and why they hold are in the module doc of `paginate`). One job per
//! method: [`Walk::begin`] (the first page), [`Walk::launch`] (pages ahead, within the
//! concurrency), [`Walk::next_candidate`] (the next page to consider: planned, held back
//! or a repair), [`Walk::checked`] (a page that contradicts itself is read once more),
//! [`Walk::accept`] (link it to the chain — [`Walk::on_linked`] — or hold it back —
//! [`Walk::on_gap`]), [`Walk::next_repair_offset`] (where to read again after a gap),
//! [`Walk::adapt`] (the concurrency).

use std::sync::{Arc, Mutex};

use futures::stream::{FuturesOrdered, StreamExt};

use super::chain::{self, Chain, Link, Overlap};
use super::{AbortOnDrop, FetchPage, StartListing};
use crate::body_window::{BodyWindow, SharedLimits};
use crate::error::{Error, Result};
use crate::generated::types::EndpointListResp;
use crate::receipt::{CallStats, Progress};

/// A page fetch of a listing in progress, with its offset and the overlap it was planned
/// with.
type OffsetPage = std::pin::Pin<
    Box<dyn std::future::Future<Output = (i64, i64, Result<EndpointListResp>)> + Send>,
>;

/// Where a page to consider comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// Asked for ahead, in plan (or the first page), sharing this many positions with the
    /// page planned before it.
    Planned(i64),
    /// A page that did not link, tried again after a repair page linked.
    Held,
    /// A page read again to close a gap.
    Repair,
}

/// Pages in flight, additive-increase / multiplicative-decrease: halved (down to 1) when a
/// page met throttling or an attempt timeout, one more after twice as many clean pages as
/// are in flight, never above the configured maximum.
#[derive(Clone, Debug)]
pub(super) struct Concurrency {
    max: usize,
    current: usize,
    clean_pages: usize,
}

impl Concurrency {
    pub(super) fn new(max: usize) -> Self {
        Concurrency {
            max,
            current: max,
            clean_pages: 0,
        }
    }

    pub(super) fn current(&self) -> usize {
        self.current
    }

    pub(super) fn on_page(&mut self, congested: bool) {
        if congested {
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

/// A list-all in progress.
pub(super) struct Walk {
    /// Until the listing starts: checks the request and gives the [`super::Listing`].
    start: Option<StartListing>,
    fetch: Option<FetchPage>,
    stats: Arc<CallStats>,
    progress: Arc<Mutex<Progress>>,
    window: Arc<BodyWindow>,
    concurrency: Concurrency,
    congestion_seen: u64,
    first_offset: i64,
    limit: i64,
    /// Positions consecutive planned pages share.
    overlap: Overlap,
    /// Offset of the next page to plan.
    next_offset: i64,
    /// Pages planned so far (each page's turn in the memory window).
    planned: u64,
    /// Pages the listing needs without churn, by the first page's total (if it gave one).
    pages_needed: Option<u64>,
    /// The latest `total_count` the server gave.
    latest_total: Option<i64>,
    /// The first page gave a total: pages are asked for ahead, concurrently; without one,
    /// one at a time.
    ahead: bool,
    in_flight: FuturesOrdered<OffsetPage>,
    chain: Chain,
    /// A page that did not link, held back while the gap before it is read again.
    held: Option<(i64, EndpointListResp)>,
    /// A repair page linked since the page was held: try it again.
    retry_held: bool,
    /// Repair pages read for the current gap that did not link either.
    repair_attempt: u32,
    /// The offset of the last repair page that did not link.
    last_failed_repair: Option<i64>,
    /// The chain reached the end of the list.
    complete: bool,
    /// Nothing more to yield (complete, or failed).
    done: bool,
}

impl Walk {
    pub(super) fn new(
        start: StartListing,
        stats: Arc<CallStats>,
        progress: Arc<Mutex<Progress>>,
        window_width: u64,
        concurrency: usize,
        shared: Option<SharedLimits>,
    ) -> Self {
        Walk {
            start: Some(start),
            fetch: None,
            stats,
            progress,
            window: BodyWindow::new(window_width, shared),
            concurrency: Concurrency::new(concurrency),
            congestion_seen: 0,
            first_offset: 0,
            limit: 1,
            overlap: Overlap::new(2),
            next_offset: 0,
            planned: 0,
            pages_needed: None,
            latest_total: None,
            ahead: false,
            in_flight: FuturesOrdered::new(),
            chain: Chain::new(0, 1),
            held: None,
            retry_held: false,
            repair_attempt: 0,
            last_failed_repair: None,
            complete: false,
            done: false,
        }
    }

    /// The next page to yield (de-duplicated), `None` once the listing is complete, or the
    /// error that ends it. The receipt's progress ends with it.
    pub(super) async fn next_page(&mut self) -> Option<Result<EndpointListResp>> {
        if self.done {
            return None;
        }
        let step = self.step().await;
        let outcome = match &step {
            Ok(Some(_)) => return step.transpose(),
            Ok(None) => Ok(()),
            Err(e) => Err(e.to_string()),
        };
        self.done = true;
        self.in_flight = FuturesOrdered::new();
        self.record(|p| p.end(outcome));
        step.transpose()
    }

    fn record(&self, update: impl FnOnce(&mut Progress)) {
        update(&mut self.progress.lock().unwrap_or_else(|e| e.into_inner()));
    }

    async fn step(&mut self) -> Result<Option<EndpointListResp>> {
        if self.fetch.is_none() {
            return self.begin().await.map(Some);
        }
        while !self.complete {
            let (offset, page, source) = self.next_candidate().await?;
            if let Some(page) = self.accept(offset, page, source) {
                return Ok(Some(page));
            }
        }
        Ok(None)
    }

    /// Starts the listing: checks the request, reads the first page (alone: its
    /// `total_count` says whether to read ahead) and plans the rest.
    async fn begin(&mut self) -> Result<EndpointListResp> {
        let start = self.start.take().expect("begun once");
        let listing = start(self.stats.clone())?;
        if listing.limit < super::MIN_LIST_ALL_PAGE_SIZE {
            return Err(Error::Validation(crate::ValidationError::new(
                "limit",
                format!(
                    "must be at least {} with list_all (its pages overlap by at least one \
                     endpoint, so that it can tell the listing is complete)",
                    super::MIN_LIST_ALL_PAGE_SIZE
                ),
                &listing.limit.to_string(),
            )));
        }
        self.first_offset = listing.first_offset;
        self.limit = listing.limit;
        self.overlap = Overlap::new(self.limit);
        self.chain = Chain::new(self.first_offset, self.limit);
        self.fetch = Some(listing.fetch);
        let offset = self.first_offset;
        let first = self.fetch_now(offset, Some(self.window.turn(0))).await?;
        let first = self.checked(offset, first).await?;
        self.window.advance();
        self.planned = 1;
        self.ahead = first.total_count.is_some();
        self.next_offset = offset + self.limit - self.overlap.current();
        self.pages_needed = first.total_count.map(|total| {
            let rest = (total - offset - self.limit).max(0);
            let stride = self.limit - self.overlap.current();
            1 + ((rest + stride - 1) / stride) as u64
        });
        let (limit, overlap, total) = (self.limit, self.overlap.current(), first.total_count);
        self.record(|p| {
            p.page_size = limit;
            p.overlap = overlap;
            p.total_count_start = total;
        });
        match self.accept(offset, first, Source::Planned(0)) {
            Some(page) => Ok(page),
            None => unreachable!("the first page starts the chain"),
        }
    }

    /// Whether planned pages remain: the next offset is below the latest total.
    fn more_to_plan(&self) -> bool {
        self.ahead && self.latest_total.is_some_and(|t| self.next_offset < t)
    }

    /// Asks for pages ahead, up to the concurrency (one at a time without a total). When
    /// nothing planned is left but the chain has not reached the end (the list grew, or
    /// moved), the next page continues from the chain's head.
    fn launch(&mut self) -> Result<()> {
        if self.in_flight.is_empty() && !self.more_to_plan() {
            let head = self.chain.head().expect("begun");
            self.next_offset = head.end() - self.overlap.current();
            self.plan_one()?;
        }
        while self.in_flight.len() < self.concurrency.current() && self.more_to_plan() {
            self.plan_one()?;
        }
        Ok(())
    }

    /// Asks for the next page in plan, within the bound: four times the pages the listing
    /// needs without churn, plus 8 (a list that grows or moves faster than the walk
    /// advances would otherwise keep it going).
    fn plan_one(&mut self) -> Result<()> {
        if let Some(needed) = self.pages_needed {
            if self.planned >= 4 * needed + 8 {
                return Err(Error::ListingIncomplete {
                    reason: format!(
                        "the list moved faster than the walk: {} pages asked for, where {} \
                         would do without changes",
                        self.planned, needed
                    ),
                });
            }
        }
        let (offset, overlap) = (self.next_offset, self.overlap.current());
        let turn = self.window.turn(self.planned);
        self.planned += 1;
        self.next_offset += self.limit - overlap;
        let task = self.spawn(offset, Some(turn));
        self.in_flight
            .push_back(Box::pin(async move { (offset, overlap, task.await) }));
        Ok(())
    }

    /// Runs one page fetch as its own task (so that, on a multi-threaded runtime, pages
    /// decode in parallel); the task is aborted if the listing is dropped.
    fn spawn(
        &self,
        offset: i64,
        turn: Option<crate::body_window::BodyTurn>,
    ) -> impl std::future::Future<Output = Result<EndpointListResp>> + Send + 'static {
        let fetch = self.fetch.as_ref().expect("started before fetching");
        let task = AbortOnDrop(tokio::spawn(fetch(offset, turn)));
        async move {
            match task.await {
                Ok(result) => result,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => Err(Error::Cancelled { offset }),
            }
        }
    }

    /// Fetches the page at `offset` now: the first page (its turn is the first), or a page
    /// outside the plan (`None`: no turn to wait for).
    async fn fetch_now(
        &mut self,
        offset: i64,
        turn: Option<crate::body_window::BodyTurn>,
    ) -> Result<EndpointListResp> {
        let turn = turn.unwrap_or_else(|| self.window.unplanned());
        let page = self.spawn(offset, Some(turn)).await?;
        self.record(|p| p.pages_fetched += 1);
        Ok(page)
    }

    /// Counts one page read again (a repair, a second read), within the bound: twice the
    /// pages read in plan, plus 8.
    fn read_again(&mut self, why: impl FnOnce() -> String) -> Result<()> {
        let mut progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        let in_plan = progress.pages_fetched - progress.pages_fetched_again;
        if progress.pages_fetched_again >= 2 * in_plan + 8 {
            return Err(Error::ListingIncomplete {
                reason: format!(
                    "the list kept moving: {} pages read again ({} in plan) without {}",
                    progress.pages_fetched_again,
                    in_plan,
                    why()
                ),
            });
        }
        progress.pages_fetched_again += 1;
        Ok(())
    }

    /// The next page to consider: after a gap, a repair page (or the held page again once
    /// a repair page linked); otherwise the next planned page, in order.
    async fn next_candidate(&mut self) -> Result<(i64, EndpointListResp, Source)> {
        if let Some((held_offset, held)) = self.held.take() {
            let head = self.chain.head().expect("begun");
            let held_end = held_offset + held.endpoints.as_ref().map_or(0, Vec::len) as i64;
            if self.retry_held && head.end() < held_end {
                self.retry_held = false;
                return Ok((held_offset, held, Source::Held));
            }
            if !self.retry_held {
                // Still a gap before the held page: read the range again.
                self.held = Some((held_offset, held));
                let offset = self.next_repair_offset(held_offset)?;
                self.read_again(|| format!("closing the gap before offset {held_offset}"))?;
                let page = self.fetch_now(offset, None).await?;
                let page = self.checked(offset, page).await?;
                return Ok((offset, page, Source::Repair));
            }
            // The chain has read past the held page's range since: it is not needed.
            self.retry_held = false;
        }
        self.launch()?;
        let (offset, overlap, page) = self.in_flight.next().await.expect("launched a page");
        // This page is out of the window: the next one may read its body.
        self.window.advance();
        self.adapt();
        self.record(|p| p.pages_fetched += 1);
        let page = self.checked(offset, page?).await?;
        Ok((offset, page, Source::Planned(overlap)))
    }

    /// A page that contradicts itself is read once more; if it still does, the listing
    /// fails (never a silent partial).
    async fn checked(&mut self, offset: i64, page: EndpointListResp) -> Result<EndpointListResp> {
        let Some(first) = chain::contradiction(offset, self.limit, &page) else {
            return Ok(page);
        };
        tracing::info!(offset, reason = %first, "page contradicts itself: reading it again");
        self.read_again(|| format!("a consistent page at offset {offset}"))?;
        let again = self.fetch_now(offset, None).await?;
        match chain::contradiction(offset, self.limit, &again) {
            None => Ok(again),
            Some(e) => Err(e),
        }
    }

    /// Where to read after a gap before the page at `held_offset`; an error when the gap
    /// cannot be closed (the repair would read where one already failed to link, i.e. the
    /// listing's first offset, other than 0).
    fn next_repair_offset(&mut self, held_offset: i64) -> Result<i64> {
        let head = self.chain.head().expect("begun");
        let offset = chain::repair_offset(
            head,
            self.latest_total,
            self.overlap.current(),
            self.repair_attempt,
            self.first_offset,
        );
        if self.last_failed_repair == Some(offset) {
            return Err(Error::ListingIncomplete {
                reason: format!(
                    "the page at offset {held_offset} shares no endpoint with the pages before \
                     it, and no page from offset {} on does: the list moved past the \
                     listing's start",
                    self.first_offset
                ),
            });
        }
        Ok(offset)
    }

    /// Links a page to the chain and returns what to yield, or holds it back (a gap) and
    /// returns `None`.
    fn accept(
        &mut self,
        offset: i64,
        page: EndpointListResp,
        source: Source,
    ) -> Option<EndpointListResp> {
        if page.total_count.is_some() {
            self.latest_total = page.total_count;
        }
        let first = self.chain.head().is_none();
        match self.chain.link(offset, page) {
            Link::Linked {
                page,
                duplicates,
                at_end,
            } => {
                self.on_linked(source, first, duplicates, at_end);
                let fresh = page.endpoints.as_ref().map_or(0, Vec::len) as u64;
                let (latest, overlap) = (self.latest_total, self.overlap.current());
                self.record(|p| {
                    p.endpoints += fresh;
                    p.duplicates_dropped += duplicates as u64;
                    p.total_count_end = latest;
                    p.overlap = overlap;
                });
                Some(page)
            }
            Link::Gap(page) => {
                self.on_gap(offset, page, source);
                None
            }
        }
    }

    /// A page linked: the overlap learns the drift it showed (a page in plan), a repair
    /// page closes the repair (the held page is tried again), a page at the end completes
    /// the listing (the pages still in flight are dropped).
    fn on_linked(&mut self, source: Source, first: bool, duplicates: i64, at_end: bool) {
        match source {
            Source::Planned(planned) if !first => self.overlap.linked(planned, duplicates),
            Source::Repair => {
                self.repair_attempt = 0;
                self.last_failed_repair = None;
                self.retry_held = self.held.is_some();
            }
            _ => {}
        }
        if at_end {
            self.complete = true;
            self.held = None;
            self.in_flight = FuturesOrdered::new();
        }
    }

    /// A page shared nothing with the chain: a page in plan is held back (a new gap: the
    /// overlap grows), a held page stays held (a gap from the new head), a repair page is
    /// dropped (the next one looks further back).
    fn on_gap(&mut self, offset: i64, page: EndpointListResp, source: Source) {
        match source {
            Source::Planned(planned) => {
                tracing::info!(offset, "gap before this page: reading the range again");
                self.overlap.gap(planned);
                self.held = Some((offset, page));
                self.repair_attempt = 0;
                self.last_failed_repair = None;
                let overlap = self.overlap.current();
                self.record(|p| {
                    p.repairs += 1;
                    p.overlap = overlap;
                });
            }
            Source::Held => {
                self.held = Some((offset, page));
                self.repair_attempt = 0;
                self.last_failed_repair = None;
            }
            Source::Repair => {
                self.repair_attempt += 1;
                self.last_failed_repair = Some(offset);
            }
        }
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
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

    use futures::StreamExt;

    use super::super::test_pages::{ids, page};
    use super::super::{ListAll, Listing, DEFAULT_MEMORY_BUDGET, LIST_ALL_PAGE_SIZE};
    use super::*;
    use crate::body_window::BodyTurn;
    use crate::receipt::Receipt;
    use crate::retry::FailureKind;

    /// Everything one in-memory listing saw: the offsets asked for, in order.
    #[derive(Clone, Default)]
    struct Seen {
        offsets: Arc<Mutex<Vec<i64>>>,
    }

    /// A [`ListAll`] over pages served from memory by `serve(offset)` (called when the
    /// page may read its body); `hook` runs when a page fetch is started (synchronously)
    /// with the offset and the listing's counters.
    fn list_all_over(
        limit: i64,
        seen: &Seen,
        serve: impl Fn(i64) -> Result<EndpointListResp> + Send + Sync + 'static,
        hook: impl Fn(i64, &CallStats) + Send + Sync + 'static,
    ) -> ListAll {
        let serve = Arc::new(serve);
        let hook = Arc::new(hook);
        let seen = seen.clone();
        ListAll::new(Some(limit), move |stats: Arc<CallStats>| {
            let (serve, hook, seen) = (serve.clone(), hook.clone(), seen.clone());
            Ok(Listing {
                first_offset: 0,
                limit,
                fetch: Arc::new(move |offset, turn: Option<BodyTurn>| {
                    seen.offsets.lock().unwrap().push(offset);
                    hook(offset, &stats);
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

    /// Pages of a fixed list of `total` ids, by offset.
    fn fixed(total: i64) -> impl Fn(i64) -> Result<EndpointListResp> + Send + Sync + 'static {
        move |offset| {
            let n = 10.min(total - offset).max(0);
            Ok(page(ids(offset, n), Some(total)))
        }
    }

    #[tokio::test]
    async fn list_all_yields_every_page_in_order_without_duplicates() {
        let seen = Seen::default();
        // Pages of 10 overlap by 1: each repeats the last endpoint of the one before it.
        let all = list_all_over(10, &seen, fixed(25), |_, _| {});
        let mut pages = all.pages();
        let mut got = Vec::new();
        while let Some(page) = pages.next().await {
            got.push(page.unwrap());
        }
        assert_eq!(ids_of(&got), expected_ids(0..25));
        assert_eq!(*seen.offsets.lock().unwrap(), [0, 9, 18]);
        let receipt = pages.receipt();
        assert!(receipt.complete && receipt.is_clean(), "{receipt:?}");
        assert_eq!(
            (
                receipt.endpoints,
                receipt.pages_fetched,
                receipt.duplicates_dropped
            ),
            (25, 3, 2)
        );
        assert_eq!(
            (receipt.total_count_start, receipt.total_count_end),
            (Some(25), Some(25))
        );
    }

    #[tokio::test]
    async fn a_page_shorter_than_its_own_count_is_read_again_then_reported() {
        let seen = Seen::default();
        let all = list_all_over(
            10,
            &seen,
            |offset| {
                Ok(page(
                    ids(offset, if offset == 9 { 4 } else { 10 }),
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
                    offset: 9,
                    expected: 10,
                    found: 4
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            seen.offsets
                .lock()
                .unwrap()
                .iter()
                .filter(|&&o| o == 9)
                .count(),
            2,
            "read twice"
        );
        // The last page promises only what is left of its total.
        let all = list_all_over(
            10,
            &Seen::default(),
            |offset| {
                Ok(page(
                    ids(offset, if offset == 18 { 4 } else { 10 }),
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
                    offset: 18,
                    expected: 7,
                    found: 4
                }
            ),
            "{err:?}"
        );
        // Short once (a server between two states): read again, the listing completes.
        let once = Arc::new(AtomicUsize::new(0));
        let all = list_all_over(
            10,
            &Seen::default(),
            move |offset| {
                let n = if offset == 9 && once.fetch_add(1, Ordering::SeqCst) == 0 {
                    4
                } else {
                    10.min(30 - offset)
                };
                Ok(page(ids(offset, n), Some(30)))
            },
            |_, _| {},
        );
        let (got, receipt) = all.send_with_receipt().await;
        assert_eq!(ids_of(&[got.unwrap()]), expected_ids(0..30));
        assert_eq!(receipt.pages_fetched_again, 1);
    }

    #[tokio::test]
    async fn pages_that_contradict_themselves_are_never_a_silent_partial() {
        // The first page says 0 but carries endpoints; `{}`; an object without endpoints;
        // a page longer than the limit: each read twice, then an error.
        type Serve = Box<dyn Fn(i64) -> EndpointListResp + Send + Sync>;
        let cases: Vec<(&str, Serve)> = vec![
            ("total 0", Box::new(|o| page(ids(o, 10), Some(0)))),
            ("{}", Box::new(|_| EndpointListResp::default())),
            (
                "no endpoints",
                Box::new(|_| EndpointListResp {
                    endpoints: None,
                    total_count: Some(50),
                }),
            ),
            ("too long", Box::new(|o| page(ids(o, 11), Some(50)))),
        ];
        for (name, serve) in cases {
            let seen = Seen::default();
            let all = list_all_over(10, &seen, move |o| Ok(serve(o)), |_, _| {});
            let (result, receipt) = all.send_with_receipt().await;
            let err = result.expect_err(name);
            assert!(
                matches!(err, Error::InconsistentPage { offset: 0, .. }),
                "{name}: {err:?}"
            );
            assert_eq!(*seen.offsets.lock().unwrap(), [0, 0], "{name}");
            assert!(!receipt.complete, "{name}");
            assert_eq!(receipt.reasons, [err.to_string()], "{name}");
        }
        // A total_count below what the pages before proved, on a later page.
        let all = list_all_over(
            10,
            &Seen::default(),
            |o| Ok(page(ids(o, 10), Some(if o == 0 { 50 } else { 12 }))),
            |_, _| {},
        );
        let err = all.send().await.unwrap_err();
        assert!(
            matches!(err, Error::InconsistentPage { offset: 9, .. }),
            "{err:?}"
        );
        // An empty listing may say so without an array.
        let all = list_all_over(
            10,
            &Seen::default(),
            |_| {
                Ok(EndpointListResp {
                    endpoints: None,
                    total_count: Some(0),
                })
            },
            |_, _| {},
        );
        let (got, receipt) = all.send_with_receipt().await;
        assert_eq!(got.unwrap().endpoints.unwrap().len(), 0);
        assert!(receipt.complete);
    }

    #[tokio::test]
    async fn without_a_total_pages_follow_one_another_until_a_short_one() {
        let seen = Seen::default();
        let all = list_all_over(
            10,
            &seen,
            |offset| Ok(page(ids(offset, 10.min(23 - offset)), None)),
            |_, _| {},
        );
        let got = all.send().await.unwrap();
        assert_eq!(got.total_count, Some(23));
        assert_eq!(ids_of(&[got]), expected_ids(0..23));
        assert_eq!(*seen.offsets.lock().unwrap(), [0, 9, 18]);
    }

    #[tokio::test]
    async fn a_request_that_does_not_check_out_fails_before_any_fetch() {
        let all = ListAll::new(Some(10), |_| {
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

    /// Pages in flight (fetches started, not yet yielded) each time a page is yielded;
    /// the page at `congested_at` meets throttling (`EndPoint.0022`).
    async fn in_flight_at_each_yield(congested_at: Option<i64>) -> Vec<usize> {
        in_flight_when(congested_at, FailureKind::EndpointThrottled).await
    }

    /// Pages in flight each time a page is yielded, the page at `congested_at` meeting a
    /// failure of `kind`.
    async fn in_flight_when(congested_at: Option<i64>, kind: FailureKind) -> Vec<usize> {
        let started = Arc::new(AtomicUsize::new(0));
        let counter = started.clone();
        let all = list_all_over(10, &Seen::default(), fixed(200), move |offset, stats| {
            counter.fetch_add(1, Ordering::SeqCst);
            if Some(offset) == congested_at {
                stats.failed(kind);
            }
        })
        .concurrency(8);
        let mut pages = all.pages();
        let mut yielded = 0;
        let mut in_flight = Vec::new();
        while let Some(page) = pages.next().await {
            page.unwrap();
            yielded += 1;
            in_flight.push(started.load(Ordering::SeqCst) - yielded);
        }
        // 200 endpoints in pages of 10 that overlap by 1: offsets 0, 9, …, 198.
        assert_eq!(yielded, 23);
        in_flight
    }

    #[tokio::test]
    async fn throttling_lowers_the_concurrency() {
        // Unthrottled: 8 in flight once the total is known (7 after each yield).
        let plain = in_flight_at_each_yield(None).await;
        assert_eq!(plain[..8], [0, 7, 7, 7, 7, 7, 7, 7], "{plain:?}");
        // Throttling (here EndPoint.0022) on the first concurrent page halves it to 4: no
        // new fetch until fewer than 4 are in flight.
        let throttled = in_flight_at_each_yield(Some(9)).await;
        assert_eq!(throttled[..8], [0, 7, 6, 5, 4, 3, 3, 3], "{throttled:?}");
    }

    #[tokio::test]
    async fn an_attempt_timeout_lowers_the_concurrency_as_throttling_does() {
        let timed_out = in_flight_when(Some(9), FailureKind::AttemptTimeout).await;
        assert_eq!(timed_out[..8], [0, 7, 6, 5, 4, 3, 3, 3], "{timed_out:?}");
        // A 5xx is not congestion: the concurrency stays.
        let unavailable = in_flight_when(Some(9), FailureKind::Unavailable).await;
        assert_eq!(
            unavailable[..8],
            [0, 7, 7, 7, 7, 7, 7, 7],
            "{unavailable:?}"
        );
    }

    /// The highest page index (in plan) that had read its body, each time a page is
    /// yielded.
    async fn reads_ahead(memory_budget: usize) -> Vec<(usize, u64)> {
        const LIMIT: i64 = LIST_ALL_PAGE_SIZE as i64;
        const STRIDE: i64 = LIMIT - LIMIT / 100;
        let read = Arc::new(AtomicU64::new(0));
        let highest = read.clone();
        let serve = move |offset: i64| {
            highest.fetch_max((offset / STRIDE) as u64, Ordering::SeqCst);
            let n = LIMIT.min(12 * LIMIT - offset);
            Ok(page(ids(offset, n), Some(12 * LIMIT)))
        };
        let all = list_all_over(LIMIT, &Seen::default(), serve, |_, _| {})
            .concurrency(8)
            .memory_budget(memory_budget);
        let mut pages = all.pages();
        let mut at_yield = Vec::new();
        while let Some(page) = pages.next().await {
            page.unwrap();
            at_yield.push((at_yield.len() + 1, read.load(Ordering::SeqCst)));
            // Let every fetch that may read do so before the next page is taken.
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
        }
        assert_eq!(at_yield.len(), 13);
        at_yield
    }

    #[tokio::test]
    async fn bodies_are_read_only_within_the_memory_window() {
        // Two pages of 1000 (6 MiB each) fit 12 MiB: a page may read its body only while
        // it is one of the next two to yield, although 8 are requested at once.
        let window = 2;
        for (yielded, highest) in
            reads_ahead(2 * 1000 * super::super::BYTES_PER_ENDPOINT_HELD).await
        {
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

    #[test]
    fn concurrency_halves_on_congestion_and_grows_back_slowly() {
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

    /// A list that churns while it is read: `creates` new endpoints and `deletes` random
    /// ones after every request it serves, new ones at the front (newest first) or at the
    /// end (oldest first), deterministically from `seed`.
    struct Churning {
        ids: Vec<i64>,
        next_id: i64,
        rng: fastrand::Rng,
        creates: usize,
        deletes: usize,
        newest_first: bool,
        deleted: HashSet<i64>,
        requests: usize,
    }

    impl Churning {
        fn new(n: i64, creates: usize, deletes: usize, newest_first: bool, seed: u64) -> Self {
            Churning {
                ids: (0..n).collect(),
                next_id: n,
                rng: fastrand::Rng::with_seed(seed),
                creates,
                deletes,
                newest_first,
                deleted: HashSet::new(),
                requests: 0,
            }
        }

        fn serve(&mut self, offset: i64, limit: i64) -> EndpointListResp {
            let total = self.ids.len() as i64;
            let from = offset.clamp(0, total) as usize;
            let to = (offset + limit).clamp(0, total) as usize;
            let served = page(self.ids[from..to].iter().copied(), Some(total));
            self.requests += 1;
            for _ in 0..self.creates {
                let id = self.next_id;
                self.next_id += 1;
                if self.newest_first {
                    self.ids.insert(0, id);
                } else {
                    self.ids.push(id);
                }
            }
            for _ in 0..self.deletes.min(self.ids.len()) {
                let at = self.rng.usize(..self.ids.len());
                self.deleted.insert(self.ids.remove(at));
            }
            served
        }
    }

    /// Lists a churning list: the ids listed (with repeats, if any), the ids that existed
    /// throughout, the requests served, and the receipt.
    async fn list_churning(
        list: Churning,
        limit: i64,
        concurrency: usize,
    ) -> (Result<Vec<String>>, HashSet<String>, usize, Receipt) {
        let initial: Vec<i64> = list.ids.clone();
        let list = Arc::new(Mutex::new(list));
        let server = list.clone();
        let all = list_all_over(
            limit,
            &Seen::default(),
            move |offset| Ok(server.lock().unwrap().serve(offset, limit)),
            |_, _| {},
        )
        .concurrency(concurrency);
        let (result, receipt) = all.send_with_receipt().await;
        let list = list.lock().unwrap();
        let throughout = initial
            .into_iter()
            .filter(|id| !list.deleted.contains(id))
            .map(|id| format!("ep-{id}"))
            .collect();
        let listed = result.map(|r| {
            r.endpoints
                .unwrap()
                .into_iter()
                .map(|e| e.id.unwrap())
                .collect()
        });
        (listed, throughout, list.requests, receipt)
    }

    /// Every endpoint that existed throughout is listed exactly once.
    fn assert_listed_once(listed: &[String], throughout: &HashSet<String>) {
        let mut count: HashMap<&str, usize> = HashMap::new();
        for id in listed {
            *count.entry(id.as_str()).or_default() += 1;
        }
        let repeated: Vec<_> = count.iter().filter(|(_, &n)| n > 1).collect();
        assert!(repeated.is_empty(), "listed more than once: {repeated:?}");
        let missing: Vec<_> = throughout
            .iter()
            .filter(|id| !count.contains_key(id.as_str()))
            .collect();
        assert!(missing.is_empty(), "missing: {missing:?}");
    }

    #[tokio::test]
    async fn a_gap_left_by_deletions_is_repaired() {
        // 5 deleted after each request, pages of 10 overlapping by 1: the second page
        // starts past the first's end, sharing nothing with it.
        let list = Churning::new(60, 0, 5, true, 1);
        let (listed, throughout, _, receipt) = list_churning(list, 10, 1).await;
        let listed = listed.unwrap();
        assert_listed_once(&listed, &throughout);
        assert!(receipt.complete, "{receipt:?}");
        assert!(
            receipt.repairs > 0 && receipt.pages_fetched_again > 0,
            "{receipt:?}"
        );
    }

    #[tokio::test]
    async fn the_issues_churn_completes_in_both_orders_within_five_times_the_requests() {
        // 5,000 endpoints, 3 created and 3 deleted after every request (the issue's case):
        // before, nothing noticed (the total stays the same) and endpoints went missing.
        for newest_first in [true, false] {
            for concurrency in [1, 8] {
                let (_, _, clean, _) = list_churning(
                    Churning::new(5000, 0, 0, newest_first, 7),
                    1000,
                    concurrency,
                )
                .await;
                let list = Churning::new(5000, 3, 3, newest_first, 7);
                let (listed, throughout, requests, receipt) =
                    list_churning(list, 1000, concurrency).await;
                let case = format!("newest first {newest_first}, concurrency {concurrency}");
                let listed = listed.unwrap_or_else(|e| panic!("{case}: {e}"));
                assert_listed_once(&listed, &throughout);
                assert!(receipt.complete, "{case}: {receipt:?}");
                assert!(
                    requests <= 5 * clean,
                    "{case}: {requests} requests, {clean} without churn"
                );
            }
        }
    }

    /// [`list_churning`] on a runtime of its own, for a property test's case.
    fn churn_case(
        list: Churning,
        limit: i64,
        concurrency: usize,
    ) -> (Result<Vec<String>>, HashSet<String>, Receipt) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (listed, throughout, _, receipt) =
            runtime.block_on(list_churning(list, limit, concurrency));
        (listed, throughout, receipt)
    }

    #[test]
    fn moderate_random_churn_completes_with_every_endpoint_that_existed_throughout() {
        use proptest::prelude::*;
        let config = ProptestConfig {
            cases: 200,
            ..ProptestConfig::default()
        };
        proptest!(config, |(
            n in 0i64..1500,
            limit in 20i64..200,
            creates_per_mille in 0usize..50,
            deletes_per_mille in 0usize..50,
            newest_first: bool,
            concurrency in 1usize..10,
            seed: u64,
        )| {
            // Up to 5% of a page created and as many deleted after every request.
            let creates = limit as usize * creates_per_mille / 1000;
            let deletes = limit as usize * deletes_per_mille / 1000;
            let list = Churning::new(n, creates, deletes, newest_first, seed);
            let (listed, throughout, receipt) = churn_case(list, limit, concurrency);
            let listed = listed.map_err(|e| TestCaseError::fail(e.to_string()))?;
            assert_listed_once(&listed, &throughout);
            prop_assert!(receipt.complete);
        });
    }

    #[test]
    fn any_churn_is_listed_whole_or_fails_saying_so() {
        use proptest::prelude::*;
        let config = ProptestConfig {
            cases: 100,
            ..ProptestConfig::default()
        };
        proptest!(config, |(
            n in 0i64..400,
            limit in 2i64..60,
            creates in 0usize..8,
            deletes in 0usize..8,
            newest_first: bool,
            concurrency in 1usize..10,
            seed: u64,
        )| {
            let list = Churning::new(n, creates, deletes, newest_first, seed);
            let (listed, throughout, receipt) = churn_case(list, limit, concurrency);
            match listed {
                Ok(listed) => {
                    assert_listed_once(&listed, &throughout);
                    prop_assert!(receipt.complete);
                }
                // The list moved faster than the walk can follow: an error that says so,
                // never a listing that misses an endpoint.
                Err(e) => {
                    prop_assert!(matches!(e, Error::ListingIncomplete { .. }), "{e:?}");
                    prop_assert!(!receipt.complete);
                }
            }
        });
    }
}
