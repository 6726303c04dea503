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
use vpcep_tests::{page_body, scripted};

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
    // Page 2 repeats the last item of page 1 (an insert shifted the listing) but the
    // count is unchanged: the duplicate is dropped, nothing else is.
    let server = scripted(|_, request| {
        let offset: u64 = request.query("offset").unwrap().parse().unwrap();
        let body = match offset {
            0 => page_body(0, 10, 20),
            10 => {
                let mut v: serde_json::Value = serde_json::from_str(&page_body(9, 11, 20)).unwrap();
                v["endpoints"].as_array_mut().unwrap().truncate(10);
                v.to_string()
            }
            _ => page_body(offset, 0, 20),
        };
        Some(Fault::json(200, body))
    });
    let all = client(&server)
        .list_endpoints()
        .limit(10)
        .list_all()
        .send()
        .await
        .unwrap();
    let got = ids_of(all);
    assert_eq!(got, ids(19));
}

#[tokio::test]
async fn list_all_reports_a_changing_total() {
    let server = scripted(|_, request| {
        let offset: u64 = request.query("offset").unwrap().parse().unwrap();
        let total = if offset == 0 { 30 } else { 31 };
        Some(Fault::json(200, page_body(offset, 10, total)))
    });
    let err = client(&server)
        .list_endpoints()
        .limit(10)
        .list_all()
        .send()
        .await
        .unwrap_err();
    match err {
        Error::TotalCountChanged {
            expected, found, ..
        } => {
            assert_eq!((expected, found), (30, 31));
        }
        other => panic!("expected TotalCountChanged, got {other:?}"),
    }
}

#[tokio::test]
async fn list_all_reports_a_short_page() {
    let server = scripted(|_, request| {
        let offset: u64 = request.query("offset").unwrap().parse().unwrap();
        let n = if offset == 10 { 4 } else { 10 };
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
                offset: 10,
                expected: 10,
                found: 4
            }
        ),
        "{err:?}"
    );
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// For any total, page size and concurrency, list-all yields every item exactly once,
    /// in order.
    #[test]
    fn list_all_yields_every_item_once_in_order(
        total in 0u64..700,
        limit in 1u64..120,
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
