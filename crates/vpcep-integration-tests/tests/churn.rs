//! list-all against a fake whose endpoints are created and deleted while it serves
//! (`vpcep_fake::Churn`): every listing is compared with the endpoints that existed for the
//! whole walk (`present_throughout`), in every sort order, and with what the fake ever
//! held (`present_during`).

use std::collections::HashMap;

use proptest::prelude::*;
use vpcep_client::{Client, EndpointListResp, Receipt, RetryConfig};
use vpcep_fake::{Churn, FakeConfig, FakeServer};

const SORTS: [(&str, &str); 4] = [
    ("create_at", "desc"),
    ("create_at", "asc"),
    ("update_at", "desc"),
    ("update_at", "asc"),
];

fn fake(n: usize, churn: usize, seed: u64) -> FakeServer {
    let config = FakeConfig::new()
        .generate(n, seed)
        .churn(Churn::new(churn, seed));
    FakeServer::start(config).expect("a fake on 127.0.0.1")
}

fn client(fake: &FakeServer) -> Client {
    Client::builder()
        .base_url(fake.url())
        .project_id(vpcep_fake::DEFAULT_PROJECT_ID)
        .token("t")
        .retry(RetryConfig::standard().with_initial_backoff(std::time::Duration::from_millis(5)))
        .build()
        .unwrap()
}

/// One list-all of `fake` in the order `(sort_key, sort_dir)`: the result, its receipt,
/// and the generations its pages were answered from.
async fn list_all(
    fake: &FakeServer,
    (sort_key, sort_dir): (&str, &str),
    limit: i64,
    concurrency: usize,
) -> (
    vpcep_client::Result<EndpointListResp>,
    Receipt,
    std::ops::Range<u64>,
) {
    let before = fake.generation();
    let (result, receipt) = client(fake)
        .list_endpoints()
        .sort_key(sort_key)
        .sort_dir(sort_dir)
        .limit(limit)
        .list_all()
        .concurrency(concurrency)
        .send_with_receipt()
        .await;
    (result, receipt, before..fake.generation())
}

/// The listing holds every endpoint present throughout `walk` exactly once, and nothing
/// the fake never held; panics naming what is wrong.
fn check(fake: &FakeServer, listing: &EndpointListResp, walk: std::ops::Range<u64>, case: &str) {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for e in listing.endpoints.iter().flatten() {
        *count.entry(e.id.as_deref().expect("an id")).or_default() += 1;
    }
    let repeated: Vec<_> = count.iter().filter(|(_, &n)| n > 1).collect();
    assert!(repeated.is_empty(), "{case}: listed twice: {repeated:?}");
    let throughout = fake.present_throughout(walk.clone());
    let missing: Vec<_> = throughout
        .iter()
        .filter(|id| !count.contains_key(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{case}: {} of {} endpoints present throughout are missing: {missing:?}",
        missing.len(),
        throughout.len()
    );
    let during = fake.present_during(walk);
    let foreign: Vec<_> = count.keys().filter(|id| !during.contains(**id)).collect();
    assert!(
        foreign.is_empty(),
        "{case}: never held by the fake: {foreign:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issues_churn_completes_in_every_order_within_five_times_the_requests() {
    // 5,000 endpoints, 3 created and 3 deleted after every page the fake serves: the total
    // stays the same, so before, nothing noticed, and endpoints present for the whole walk
    // went missing with exit 0.
    for sort in SORTS {
        let clean = fake(5000, 0, 11);
        let (result, receipt, _) = list_all(&clean, sort, 1000, 8).await;
        result.unwrap();
        assert!(receipt.is_clean(), "{receipt:?}");
        let churn_free = clean.requests().len();

        let busy = fake(5000, 3, 11);
        let (result, receipt, walk) = list_all(&busy, sort, 1000, 8).await;
        let case = format!("{sort:?}");
        let listing = result.unwrap_or_else(|e| panic!("{case}: {e}"));
        check(&busy, &listing, walk, &case);
        assert!(receipt.complete, "{case}: {receipt:?}");
        let requests = busy.requests().len();
        assert!(
            requests <= 5 * churn_free,
            "{case}: {requests} requests, {churn_free} without churn: {}",
            receipt.summary()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, .. ProptestConfig::default() })]

    /// Random churn (0 to 10 created and as many deleted per page, up to 1% of a page),
    /// random size, page size, order and concurrency: the listing completes, with every
    /// endpoint that existed throughout exactly once.
    #[test]
    fn random_churn_in_random_order_lists_every_endpoint_present_throughout(
        n in 0usize..3000,
        limit in 100i64..1000,
        churn_per_mille in 0usize..=10,
        sort in 0usize..4,
        concurrency in 1usize..12,
        seed: u64,
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let churn = limit as usize * churn_per_mille / 1000;
        let busy = fake(n, churn, seed);
        let (result, receipt, walk) =
            runtime.block_on(list_all(&busy, SORTS[sort], limit, concurrency));
        let case = format!("n {n}, limit {limit}, churn {churn}, {:?}, concurrency {concurrency}", SORTS[sort]);
        let listing = result.map_err(|e| TestCaseError::fail(format!("{case}: {e}")))?;
        check(&busy, &listing, walk, &case);
        prop_assert!(receipt.complete, "{}: {:?}", case, receipt);
    }
}
