//! Churn (`FakeConfig::churn`, `--churn-per-request`): endpoints created and deleted
//! after every page, deterministically, and the record of who existed for a whole walk.

use std::collections::BTreeSet;

use serde_json::Value;
use vpcep_fake::{Churn, FakeConfig, FakeServer, Fault};

mod common;
use common::{client, get, ids, list_url};

fn start(config: FakeConfig) -> FakeServer {
    FakeServer::start(config).expect("start")
}

fn current(fake: &FakeServer) -> BTreeSet<String> {
    fake.endpoints().into_iter().filter_map(|e| e.id).collect()
}

async fn page(fake: &FakeServer, query: &[(&str, &str)]) -> (u16, Value) {
    let (status, _, body) = get(&client(), &list_url(&fake.url()), query, &[]).await;
    (status, body)
}

#[tokio::test]
async fn each_page_is_followed_by_n_deleted_and_n_created() {
    let fake = start(FakeConfig::new().generate(200, 5).churn(Churn::new(3, 9)));
    let before = current(&fake);
    assert_eq!(fake.generation(), 0);

    let (status, body) = page(&fake, &[("limit", "10")]).await;
    assert_eq!(status, 200);
    assert_eq!(body["total_count"], 200);
    assert_eq!(fake.generation(), 1);
    let after = current(&fake);
    assert_eq!(after.len(), 200);
    let deleted: BTreeSet<_> = before.difference(&after).cloned().collect();
    let created: BTreeSet<_> = after.difference(&before).cloned().collect();
    assert_eq!((deleted.len(), created.len()), (3, 3));
    // The page was answered before the step: from generation 0.
    assert!(ids(&body).iter().all(|id| before.contains(id)));

    assert_eq!(fake.present_throughout(0..1), before);
    assert_eq!(fake.present_throughout(1..2), after);
    assert_eq!(
        fake.present_throughout(0..2),
        before.intersection(&after).cloned().collect()
    );
    assert_eq!(
        fake.present_during(0..2),
        before.union(&after).cloned().collect()
    );

    // A refused request, and a fault answered instead of the data, change nothing.
    let (status, _) = page(&fake, &[("limit", "0")]).await;
    assert_eq!(status, 400);
    fake.faults().push(Fault::unavailable());
    let (status, _) = page(&fake, &[]).await;
    assert_eq!(status, 503);
    assert_eq!(fake.generation(), 1);
    assert_eq!(current(&fake), after);
    // A page a fault delays is a page.
    fake.faults()
        .push(Fault::Delay(std::time::Duration::from_millis(1)));
    let (status, _) = page(&fake, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(fake.generation(), 2);
}

/// The same configuration and the same requests give the same answers, byte for byte;
/// another seed other ones.
#[tokio::test]
async fn churn_is_deterministic_for_a_seed() {
    async fn answers(seed: u64) -> Vec<Value> {
        let fake = start(
            FakeConfig::new()
                .generate(300, 1)
                .churn(Churn::new(4, seed)),
        );
        let mut out = Vec::new();
        for (sort_key, sort_dir) in [("create_at", "desc"), ("update_at", "asc")] {
            for offset in ["0", "50", "100"] {
                let query = [
                    ("limit", "50"),
                    ("offset", offset),
                    ("sort_key", sort_key),
                    ("sort_dir", sort_dir),
                ];
                out.push(page(&fake, &query).await.1);
            }
        }
        out
    }
    let first = answers(11).await;
    assert_eq!(first, answers(11).await);
    assert_ne!(first, answers(12).await);
}

/// `present_throughout(a..b)` is the intersection of generations a..b, `present_during`
/// their union, checked against snapshots of the data taken between pages.
#[tokio::test]
async fn present_throughout_and_during_match_snapshots_of_every_generation() {
    let fake = start(FakeConfig::new().generate(60, 2).churn(Churn::new(5, 3)));
    let mut snapshots = vec![current(&fake)];
    for _ in 0..8 {
        assert_eq!(page(&fake, &[("limit", "7")]).await.0, 200);
        snapshots.push(current(&fake));
    }
    assert_eq!(fake.generation(), 8);
    for from in 0..8u64 {
        for to in from + 1..=9 {
            let seen = &snapshots[from as usize..to as usize];
            let throughout = seen.iter().skip(1).fold(seen[0].clone(), |acc, s| {
                acc.intersection(s).cloned().collect()
            });
            let during = seen
                .iter()
                .fold(BTreeSet::new(), |acc, s| acc.union(s).cloned().collect());
            assert_eq!(
                fake.present_throughout(from..to),
                throughout,
                "{from}..{to}"
            );
            assert_eq!(fake.present_during(from..to), during, "{from}..{to}");
        }
        // An empty range is its start.
        assert_eq!(
            fake.present_throughout(from..from),
            snapshots[from as usize]
        );
    }
}

/// A walk by offsets over churning data misses endpoints that existed for the whole walk,
/// in every sort order, while `total_count` stays the same: the case a client must
/// repair. What it lists is always the fake's.
#[tokio::test]
async fn offset_paging_shifts_in_every_sort_order() {
    let fake = start(FakeConfig::new().generate(500, 1).churn(Churn::new(3, 7)));
    for sort_key in ["create_at", "update_at"] {
        for sort_dir in ["desc", "asc"] {
            let from = fake.generation();
            let mut listed = Vec::new();
            let mut offset = 0;
            loop {
                let offset_text = offset.to_string();
                let query = [
                    ("limit", "50"),
                    ("offset", offset_text.as_str()),
                    ("sort_key", sort_key),
                    ("sort_dir", sort_dir),
                ];
                let (status, body) = page(&fake, &query).await;
                assert_eq!(status, 200);
                assert_eq!(body["total_count"], 500, "creates and deletes balance");
                let got = ids(&body);
                let short = got.len() < 50;
                listed.extend(got);
                offset += 50;
                if short || offset >= 500 {
                    break;
                }
            }
            let to = fake.generation();
            let listed: BTreeSet<String> = listed.into_iter().collect();
            let throughout = fake.present_throughout(from..to);
            let missed = throughout.difference(&listed).count();
            assert!(
                missed > 0,
                "{sort_key} {sort_dir}: an offset walk over churning data missed nothing"
            );
            assert!(listed.is_subset(&fake.present_during(from..to)));
        }
    }
}

/// Replayed data churns too: created endpoints are served alongside the recorded ones.
#[tokio::test]
async fn replayed_data_churns() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/recorded_example.json");
    let recorded = vpcep_fake::load_recorded(&path).unwrap();
    let fake = start(FakeConfig::new().recorded(recorded).churn(Churn::new(1, 4)));
    let before = current(&fake);
    assert_eq!(page(&fake, &[]).await.0, 200);
    let (_, body) = page(&fake, &[]).await;
    assert_eq!(body["total_count"], before.len());
    let served: BTreeSet<String> = ids(&body).into_iter().collect();
    assert_eq!(served.difference(&before).count(), 1, "{served:?}");
    assert_eq!(before.difference(&served).count(), 1);
}

/// Without churn, nothing moves and every endpoint is present throughout.
#[tokio::test]
async fn without_churn_the_data_stays() {
    let fake = start(FakeConfig::new().generate(20, 1));
    let before = current(&fake);
    assert_eq!(page(&fake, &[]).await.0, 200);
    assert_eq!(fake.generation(), 0);
    assert_eq!(current(&fake), before);
    assert_eq!(fake.present_throughout(0..5), before);
    assert_eq!(fake.present_during(0..5), before);
}
