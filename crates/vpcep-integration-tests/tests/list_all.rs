//! Pagination: lazy pages/items, and list-all's order, de-duplication, consistency checks
//! and reaction to throttling, against a fake whose pages a script makes.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use proptest::prelude::*;
use vpcep_client::{Client, Error, RetryConfig};
use vpcep_fake::{FakeServer, Fault, RecordedRequest};
use vpcep_integration_tests::{page_body, scripted};

fn paging(total: u64) -> impl Fn(usize, &RecordedRequest) -> Option<Fault> + Send + Sync + 'static {
    move |_, request| {
        let offset: u64 = request.query("offset").map_or(0, |v| v.parse().unwrap());
        let limit: u64 = request.query("limit").map_or(10, |v| v.parse().unwrap());
        let n = limit.min(total.saturating_sub(offset));
        Some(Fault::json(200, page_body(offset, n, total)))
    }
}

fn client(server: &FakeServer) -> Client {
    Client::builder()
        .base_url(server.url())
        .project_id("p")
        .token("t")
        .retry(RetryConfig::standard().with_initial_backoff(Duration::from_millis(5)))
        .build()
        .unwrap()
}

/// The ids of a listing, in order.
fn ids_of(listing: vpcep_client::EndpointListResp) -> Vec<String> {
    let endpoints = listing.endpoints.unwrap_or_default();
    endpoints.into_iter().map(|e| e.id.unwrap()).collect()
}

fn ids(n: u64) -> Vec<String> {
    (0..n).map(|i| format!("ep-{i:06}")).collect()
}

#[tokio::test]
async fn items_walks_every_page_lazily() {
    let server = scripted(paging(25));
    let items: Vec<_> = client(&server)
        .list_endpoints()
        .limit(10)
        .items()
        .map(|e| e.unwrap().id.unwrap())
        .collect()
        .await;
    assert_eq!(items, ids(25));
    assert_eq!(server.requests().len(), 3);

    // Lazy: taking 3 items fetches one page.
    let server = scripted(paging(25));
    let first: Vec<_> = client(&server)
        .list_endpoints()
        .limit(10)
        .items()
        .take(3)
        .collect()
        .await;
    assert_eq!(first.len(), 3);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn list_all_collects_in_order() {
    let server = scripted(paging(2345));
    let all = client(&server)
        .list_endpoints()
        .limit(100)
        .list_all()
        .concurrency(8)
        .send()
        .await
        .unwrap();
    assert_eq!(all.total_count, Some(2345));
    let got = ids_of(all);
    assert_eq!(got, ids(2345));
    assert_eq!(server.requests().len(), 24);
}

#[tokio::test]
async fn list_all_drops_duplicates_by_id() {
    // The page at offset 9 starts one endpoint early (the listing shifted), the count
    // unchanged: the duplicates (the planned overlap and the shifted one) are dropped,
    // nothing else is. (The next page, unshifted, shares nothing with it: the gap is
    // read again.)
    let serve = paging(20);
    let server = scripted(move |n, request| {
        let offset: u64 = request.query("offset").unwrap().parse().unwrap();
        if offset == 9 {
            return Some(Fault::json(200, page_body(8, 10, 20)));
        }
        serve(n, request)
    });
    let (all, receipt) = client(&server)
        .list_endpoints()
        .limit(10)
        .list_all()
        .send_with_receipt()
        .await;
    assert_eq!(ids_of(all.unwrap()), ids(20));
    assert!(receipt.duplicates_dropped >= 2, "{receipt:?}");
    assert!(receipt.complete, "{receipt:?}");
}

#[tokio::test]
async fn a_changing_total_is_not_fatal_when_the_pages_fit() {
    // The list grows by one at its end after the first page (the total goes from 30 to
    // 31): before, the listing failed with TotalCountChanged; the pages still fit
    // together, so it completes with every endpoint that existed throughout.
    let grown = Arc::new(AtomicU64::new(0));
    let g = grown.clone();
    let server = scripted(move |_, request| {
        let offset: u64 = request.query("offset").unwrap().parse().unwrap();
        let total = if g.fetch_add(1, Ordering::SeqCst) == 0 {
            30
        } else {
            31
        };
        let n = 10.min(total - offset.min(total));
        Some(Fault::json(200, page_body(offset, n, total)))
    });
    let (all, receipt) = client(&server)
        .list_endpoints()
        .limit(10)
        .list_all()
        .send_with_receipt()
        .await;
    let got = ids_of(all.unwrap());
    assert_eq!(got[..30], ids(30)[..]);
    assert!(receipt.complete);
    assert_eq!(
        (receipt.total_count_start, receipt.total_count_end),
        (Some(30), Some(31))
    );
}

#[tokio::test]
async fn list_all_reports_a_page_short_by_its_own_count() {
    // The page at offset 9 holds 4 endpoints while its own total says 30: a server that
    // pages short, read twice, then an error (never a silent partial).
    let server = scripted(|_, request| {
        let offset: u64 = request.query("offset").unwrap().parse().unwrap();
        let n = if offset == 9 {
            4
        } else {
            10.min(30 - offset.min(30))
        };
        Some(Fault::json(200, page_body(offset, n, 30)))
    });
    let err = client(&server)
        .list_endpoints()
        .limit(10)
        .list_all()
        .send()
        .await
        .unwrap_err();
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
    let at_9 = server
        .requests()
        .iter()
        .filter(|r| r.query("offset") == Some("9"))
        .count();
    assert_eq!(at_9, 2);
}

#[tokio::test]
async fn pages_that_contradict_themselves_never_end_a_listing_as_a_success() {
    // The issue's cases: a first page that says total_count 0 but carries 1,000 endpoints
    // (1,000 of 5,000 printed, exit 0 before), and `200 {}` (an empty success before).
    type Body = Box<dyn Fn(u64) -> String + Send + Sync>;
    let cases: Vec<(&str, Body)> = vec![
        (
            "total_count 0",
            Box::new(|offset| page_body(offset, 1000, 0)),
        ),
        ("{}", Box::new(|_| "{}".to_owned())),
        (
            "no endpoints",
            Box::new(|_| r#"{"total_count": 5000}"#.to_owned()),
        ),
    ];
    for (name, body) in cases {
        let server = scripted(move |_, request| {
            let offset: u64 = request.query("offset").unwrap().parse().unwrap();
            Some(Fault::json(200, body(offset)))
        });
        let (result, receipt) = client(&server)
            .list_endpoints()
            .list_all()
            .send_with_receipt()
            .await;
        match result {
            Err(Error::InconsistentPage { offset: 0, .. }) => {}
            other => panic!("{name}: expected an inconsistent page, got {other:?}"),
        }
        assert!(!receipt.complete, "{name}");
        assert_eq!(server.requests().len(), 2, "{name}: read twice");
    }
}

#[tokio::test]
async fn a_page_size_of_one_cannot_overlap_and_is_refused_before_any_request() {
    let server = scripted(paging(10));
    let err = client(&server)
        .list_endpoints()
        .limit(1)
        .list_all()
        .send()
        .await
        .unwrap_err();
    match err {
        Error::Validation(v) => {
            assert_eq!(v.parameter, "limit");
            assert!(v.rule.contains("at least 2"), "{v}");
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn list_all_completes_in_order_when_throttled() {
    // Every third request is throttled (429, Retry-After 0): each is retried, the listing
    // lowers its concurrency, and still completes in order. A page is throttled once at
    // most: the fake serves requests in parallel, so their arrival order varies, and a
    // page whose retries kept arriving third (three pages in flight) would use up its
    // attempts.
    let throttled = Arc::new(AtomicU64::new(0));
    let t = throttled.clone();
    let throttled_pages = Mutex::new(HashSet::new());
    let server = scripted(move |n, request| {
        let offset: u64 = request.query("offset").unwrap().parse().unwrap();
        if n > 0 && n % 3 == 0 && throttled_pages.lock().unwrap().insert(offset) {
            t.fetch_add(1, Ordering::Relaxed);
            return Some(
                Fault::json(
                    429,
                    r#"{"error_code":"APIGW.0308","error_msg":"throttled"}"#,
                )
                .with_header("Retry-After", "0"),
            );
        }
        Some(Fault::json(
            200,
            page_body(offset, 100.min(1000 - offset.min(1000)), 1000),
        ))
    });
    let all = client(&server)
        .list_endpoints()
        .limit(100)
        .list_all()
        .concurrency(8)
        .send()
        .await
        .unwrap();
    let got = ids_of(all);
    assert_eq!(got, ids(1000));
    assert!(throttled.load(Ordering::Relaxed) > 0);
}

#[tokio::test]
async fn list_all_retries_endpoint_0022_and_completes() {
    // 5,000 endpoints in pages of 1000; the first request at or beyond offset 2000 is
    // throttled the way VPCEP does it (400, EndPoint.0022), in each body shape.
    for body in [
        r#"{"error":{"code":"EndPoint.0022","message":"The number of requests exceeded the limit. Please try later."}}"#,
        r#"{"error_code":"EndPoint.0022","error_msg":"The number of requests exceeded the limit. Please try later."}"#,
    ] {
        let throttled = Arc::new(AtomicU64::new(0));
        let t = throttled.clone();
        let serve = paging(5000);
        let server = scripted(move |n, request| {
            let offset: u64 = request.query("offset").unwrap().parse().unwrap();
            if offset >= 2000 && t.fetch_add(1, Ordering::SeqCst) == 0 {
                return Some(Fault::json(400, body));
            }
            serve(n, request)
        });
        let all = client(&server)
            .list_endpoints()
            .list_all()
            .send()
            .await
            .unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(ids_of(all), ids(5000));
        assert!(throttled.load(Ordering::SeqCst) > 0);
    }
}

#[tokio::test]
async fn waiting_for_the_memory_window_is_not_timing_out() {
    // Pages of 1000 with a memory budget of one page (6 MiB): one page reads its body at a
    // time while 8 requests are out, the others waiting for their turn with their answer
    // in the socket. The consumer takes a page every 400 ms, so the last pages wait ~3 s
    // for their turn; the attempt timeout is 1 s. Before, the attempt clock ran while a
    // page waited: those pages were declared timed out and downloaded again.
    let server = scripted(paging(8000));
    let client = Client::builder()
        .base_url(server.url())
        .project_id("p")
        .token("t")
        .attempt_timeout(Duration::from_secs(1))
        .retry(RetryConfig::standard().with_initial_backoff(Duration::from_millis(5)))
        .build()
        .unwrap();
    let mut pages = client
        .list_endpoints()
        .list_all()
        .concurrency(8)
        .memory_budget(6 << 20)
        .pages();
    let mut listed = Vec::new();
    while let Some(page) = pages.next().await {
        listed.extend(
            page.unwrap()
                .endpoints
                .unwrap()
                .into_iter()
                .map(|e| e.id.unwrap()),
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert_eq!(listed, ids(8000));
    let offsets: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.query("offset").unwrap_or("0").to_owned())
        .collect();
    let distinct: HashSet<&String> = offsets.iter().collect();
    assert_eq!(
        distinct.len(),
        offsets.len(),
        "a page was asked for twice: {offsets:?}"
    );
    let receipt = pages.receipt();
    assert_eq!(receipt.retries.attempt_timeout, 0, "{receipt:?}");
    assert!(receipt.is_clean(), "{receipt:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// For any total, page size and concurrency, list-all yields every item exactly once,
    /// in order.
    #[test]
    fn list_all_yields_every_item_once_in_order(
        total in 0u64..700,
        limit in 2u64..120,
        concurrency in 1usize..12,
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let got = runtime.block_on(async {
            let server = scripted(paging(total));
            let stream = client(&server)
                .list_endpoints()
                .limit(limit as i64)
                .list_all()
                .concurrency(concurrency)
                .stream();
            stream.map(|e| e.unwrap().id.unwrap()).collect::<Vec<_>>().await
        });
        prop_assert_eq!(got, ids(total));
    }
}
