//! Property: for random data, filters, sorts and page sizes, walking the pages over HTTP
//! yields exactly the filtered, sorted set of a straightforward model, and every page
//! reports the same `total_count`.

mod common;

use std::sync::OnceLock;

use proptest::prelude::*;
use vpcep_client::types::EndpointResp;
use vpcep_fake::{format_time, time_key, FakeConfig, FakeServer};

const VPCS: [&str; 3] = ["vpc-a", "vpc-b", "vpc-c"];
const NAMES: [&str; 4] = ["cn-north-4.OBS", "cn-north-4.obs-batch", "Payments", "dns"];
const BORDERS: [&str; 2] = ["br-1", "br-2"];
// Few distinct times, so ties are frequent.
const TIMES: [i64; 4] = [1_539_845_386, 1_539_845_387, 1_600_000_000, 1_000_000_000];

fn endpoint() -> impl Strategy<Value = EndpointResp> {
    (
        0..6u8, // id from a small pool: duplicates happen
        0..VPCS.len(),
        0..NAMES.len(),
        proptest::option::of(0..BORDERS.len()),
        proptest::option::of(0..TIMES.len()),
        proptest::option::of(0..TIMES.len()),
    )
        .prop_map(|(id, vpc, name, border, created, updated)| EndpointResp {
            id: Some(format!("id-{id}")),
            vpc_id: Some(VPCS[vpc].to_owned()),
            endpoint_service_name: Some(NAMES[name].to_owned()),
            public_border_group: border.map(|b| BORDERS[b].to_owned()),
            created_at: created.map(|t| format_time(TIMES[t])),
            updated_at: updated.map(|t| format_time(TIMES[t])),
            ..Default::default()
        })
}

#[derive(Clone, Debug)]
struct Ask {
    name: Option<&'static str>,
    vpc: Option<&'static str>,
    id: Option<String>,
    border: Option<&'static str>,
    update: bool,
    asc: Option<bool>,
    limit: Option<usize>,
}

fn ask() -> impl Strategy<Value = Ask> {
    (
        proptest::option::of(prop::sample::select(vec!["obs", "OBS", "pay", "x", "n"])),
        proptest::option::of(prop::sample::select(VPCS.to_vec())),
        proptest::option::of((0..7u8).prop_map(|i| format!("id-{i}"))),
        proptest::option::of(prop::sample::select(BORDERS.to_vec())),
        any::<bool>(),
        proptest::option::of(any::<bool>()),
        proptest::option::of(1usize..8),
    )
        .prop_map(|(name, vpc, id, border, update, asc, limit)| Ask {
            name,
            vpc,
            id,
            border,
            update,
            asc,
            limit,
        })
}

fn model(data: &[EndpointResp], a: &Ask) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..data.len())
        .filter(|&i| {
            let e = &data[i];
            a.name.is_none_or(|n| {
                e.endpoint_service_name
                    .as_deref()
                    .unwrap()
                    .to_lowercase()
                    .contains(&n.to_lowercase())
            }) && a.vpc.is_none_or(|v| e.vpc_id.as_deref() == Some(v))
                && a.id.as_deref().is_none_or(|v| e.id.as_deref() == Some(v))
                && a.border
                    .is_none_or(|b| e.public_border_group.as_deref() == Some(b))
        })
        .collect();
    idx.sort_by_key(|&i| {
        let e = &data[i];
        let t = if a.update {
            &e.updated_at
        } else {
            &e.created_at
        };
        (time_key(t.as_deref()), e.id.clone(), i)
    });
    if !a.asc.unwrap_or(false) {
        idx.reverse();
    }
    idx
}

struct Env {
    runtime: tokio::runtime::Runtime,
    fake: FakeServer,
    client: reqwest::Client,
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| Env {
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        fake: FakeServer::start(FakeConfig::new().request_log_capacity(0)).unwrap(),
        client: common::client(),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn walking_pages_yields_the_model(
        data in proptest::collection::vec(endpoint(), 0..40),
        a in ask(),
    ) {
        let env = env();
        env.fake.set_endpoints(data.clone());
        let want: Vec<EndpointResp> = model(&data, &a).into_iter().map(|i| data[i].clone()).collect();
        let url = common::list_url(&env.fake.url());
        let got: Vec<EndpointResp> = env.runtime.block_on(async {
            let mut got = Vec::new();
            let mut offset = 0usize;
            loop {
                let mut q: Vec<(&str, String)> = vec![("offset", offset.to_string())];
                if let Some(n) = a.name { q.push(("endpoint_service_name", n.into())); }
                if let Some(v) = a.vpc { q.push(("vpc_id", v.into())); }
                if let Some(i) = &a.id { q.push(("id", i.clone())); }
                if let Some(b) = a.border { q.push(("public_border_group", b.into())); }
                if a.update { q.push(("sort_key", "update_at".into())); }
                if let Some(asc) = a.asc { q.push(("sort_dir", if asc { "asc" } else { "desc" }.into())); }
                if let Some(l) = a.limit { q.push(("limit", l.to_string())); }
                let resp = env.client.get(&url).query(&q).send().await.unwrap();
                assert_eq!(resp.status(), 200);
                let page: vpcep_client::types::EndpointListResp = resp.json().await.unwrap();
                assert_eq!(page.total_count, Some(want.len() as i64), "total_count on every page");
                let endpoints = page.endpoints.unwrap();
                assert!(endpoints.len() <= a.limit.unwrap_or(10));
                if endpoints.is_empty() {
                    break;
                }
                offset += endpoints.len();
                got.extend(endpoints);
            }
            got
        });
        prop_assert_eq!(got, want);
    }
}
