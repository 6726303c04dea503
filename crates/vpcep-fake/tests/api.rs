//! HTTP behaviour of the fake: semantics, validation, auth, routing, quirks, faults.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime};

use common::{client, get, ids, list_url, PROJECT};
use serde_json::Value;
use vpcep_client::auth::AkSk;
use vpcep_client::signer::sign_request;
use vpcep_fake::{
    generate, parse_endpoints, time_key, FakeConfig, FakeServer, Fault, RandomFaults,
    DOC_EXAMPLE_RESPONSE,
};

fn start(config: FakeConfig) -> FakeServer {
    FakeServer::start(config).expect("start fake")
}

#[tokio::test]
async fn serves_the_doc_example_by_default() {
    let fake = start(FakeConfig::new());
    let (status, headers, body) = get(&client(), &list_url(&fake.url()), &[], &[]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body["total_count"], 2);
    // Default sort: create_at desc.
    assert_eq!(
        ids(&body),
        [
            "03184a04-95d5-4555-86c4-e767a371ff99",
            "43b0e3b0-eec9-49da-866b-6687b75f9fe5"
        ]
    );
    // Normal mode: documented shapes.
    let e = &body["endpoints"][0];
    assert_eq!(e["enable_dns"], true);
    assert_eq!(e["active_status"], serde_json::json!(["active"]));
    assert_eq!(e["dns_names"], serde_json::json!(["test123"]));
    assert_eq!(e["public_border_group"], "br-iaas-odin1raa");
    fake.stop();
}

#[tokio::test]
async fn filters_match_the_documentation() {
    let data = generate(600, 3, PROJECT);
    let fake = start(FakeConfig::new().endpoints(data.clone()));
    let c = client();
    let url = list_url(&fake.url());
    let count = |f: &dyn Fn(&vpcep_client::types::EndpointResp) -> bool| {
        data.iter().filter(|e| f(e)).count() as u64
    };

    // endpoint_service_name: case-insensitive substring.
    let (s, _, body) = get(&c, &url, &[("endpoint_service_name", "PAYMENTS")], &[]).await;
    assert_eq!(s, 200);
    let want = count(&|e| {
        e.endpoint_service_name
            .as_deref()
            .unwrap()
            .to_lowercase()
            .contains("payments")
    });
    assert!(want > 0);
    assert_eq!(body["total_count"], want);
    for e in body["endpoints"].as_array().unwrap() {
        let name = e["endpoint_service_name"].as_str().unwrap().to_lowercase();
        assert!(name.contains("payments"), "{name}");
    }

    // vpc_id: exact.
    let vpc = data[5].vpc_id.clone().unwrap();
    let (_, _, body) = get(&c, &url, &[("vpc_id", &vpc), ("limit", "1000")], &[]).await;
    let want = count(&|e| e.vpc_id.as_deref() == Some(&vpc));
    assert_eq!(body["total_count"], want);
    assert_eq!(body["endpoints"].as_array().unwrap().len() as u64, want);
    let (_, _, body) = get(&c, &url, &[("vpc_id", &vpc[..10])], &[]).await;
    assert_eq!(body["total_count"], 0, "vpc_id is not a substring match");

    // id: exact.
    let id = data[42].id.clone().unwrap();
    let (_, _, body) = get(&c, &url, &[("id", &id)], &[]).await;
    assert_eq!(body["total_count"], 1);
    assert_eq!(ids(&body), vec![id.clone()]);
    let (_, _, body) = get(&c, &url, &[("id", &id.to_uppercase())], &[]).await;
    assert_eq!(body["total_count"], 0);

    // public_border_group: exact.
    let (_, _, body) = get(
        &c,
        &url,
        &[
            ("public_border_group", "br-iaas-odin1raa"),
            ("limit", "1000"),
        ],
        &[],
    )
    .await;
    let want = count(&|e| e.public_border_group.as_deref() == Some("br-iaas-odin1raa"));
    assert!(want > 0);
    assert_eq!(body["total_count"], want);

    // Combined filters are ANDed.
    let (_, _, body) = get(
        &c,
        &url,
        &[("vpc_id", &vpc), ("endpoint_service_name", "ledger")],
        &[],
    )
    .await;
    let want = count(&|e| {
        e.vpc_id.as_deref() == Some(&vpc)
            && e.endpoint_service_name
                .as_deref()
                .unwrap()
                .to_lowercase()
                .contains("ledger")
    });
    assert_eq!(body["total_count"], want);
    // id combined with a filter it does not pass.
    let other_vpc = data
        .iter()
        .find(|e| e.vpc_id != data[42].vpc_id)
        .unwrap()
        .vpc_id
        .clone()
        .unwrap();
    let (_, _, body) = get(&c, &url, &[("id", &id), ("vpc_id", &other_vpc)], &[]).await;
    assert_eq!(body["total_count"], 0);
}

fn model_order(data: &[vpcep_client::types::EndpointResp], update: bool, asc: bool) -> Vec<String> {
    let mut idx: Vec<usize> = (0..data.len()).collect();
    let key = |i: usize| {
        let e = &data[i];
        let t = if update { &e.updated_at } else { &e.created_at };
        (time_key(t.as_deref()), e.id.clone(), i)
    };
    idx.sort_by_key(|&i| key(i));
    if !asc {
        idx.reverse();
    }
    idx.into_iter()
        .map(|i| data[i].id.clone().unwrap())
        .collect()
}

#[tokio::test]
async fn sorts_by_both_keys_and_directions_with_ties_by_id() {
    let data = generate(1500, 9, PROJECT);
    // The generator produces equal timestamps on purpose.
    let created: HashSet<&str> = data
        .iter()
        .map(|e| e.created_at.as_deref().unwrap())
        .collect();
    assert!(created.len() < data.len(), "some equal creation times");
    let fake = start(FakeConfig::new().endpoints(data.clone()));
    let c = client();
    let url = list_url(&fake.url());
    let mut orders = Vec::new();
    for (key, update) in [("create_at", false), ("update_at", true)] {
        for (dir, asc) in [("asc", true), ("desc", false)] {
            let mut got = Vec::new();
            for offset in [0, 1000] {
                let off = offset.to_string();
                let (s, _, body) = get(
                    &c,
                    &url,
                    &[
                        ("sort_key", key),
                        ("sort_dir", dir),
                        ("limit", "1000"),
                        ("offset", &off),
                    ],
                    &[],
                )
                .await;
                assert_eq!(s, 200);
                assert_eq!(body["total_count"], 1500);
                got.extend(ids(&body));
            }
            assert_eq!(got, model_order(&data, update, asc), "{key} {dir}");
            orders.push(got);
        }
    }
    assert_ne!(orders[0], orders[2], "creation and update orders differ");
    // Defaults: create_at desc.
    let (_, _, body) = get(&c, &url, &[("limit", "1000")], &[]).await;
    assert_eq!(ids(&body), orders[1][..1000]);
}

#[tokio::test]
async fn pages_with_limit_and_offset() {
    let data = generate(25, 1, PROJECT);
    let fake = start(FakeConfig::new().endpoints(data.clone()));
    let c = client();
    let url = list_url(&fake.url());
    let all = model_order(&data, false, false);

    let (_, _, body) = get(&c, &url, &[], &[]).await;
    assert_eq!(ids(&body), all[..10], "default limit is 10");
    assert_eq!(body["total_count"], 25);

    let (_, _, body) = get(&c, &url, &[("limit", "7"), ("offset", "21")], &[]).await;
    assert_eq!(ids(&body), all[21..]);
    assert_eq!(body["total_count"], 25);

    for off in ["25", "26", "2147483647"] {
        let (s, _, body) = get(&c, &url, &[("offset", off)], &[]).await;
        assert_eq!(s, 200);
        assert_eq!(body["endpoints"], serde_json::json!([]));
        assert_eq!(body["total_count"], 25, "total whatever the page");
    }
    let (_, _, body) = get(&c, &url, &[("limit", "1")], &[]).await;
    assert_eq!(ids(&body), all[..1]);
    let (_, _, body) = get(&c, &url, &[("limit", "1000")], &[]).await;
    assert_eq!(ids(&body), all);

    // Empty data.
    fake.set_endpoints(Vec::new());
    let (_, _, body) = get(&c, &url, &[], &[]).await;
    assert_eq!(body, serde_json::json!({"endpoints": [], "total_count": 0}));
}

fn project_url(base: &str, project: &str) -> String {
    format!("{base}/v1/{project}/vpc-endpoints")
}

/// Two projects' endpoints interleaved, plus two without a `project_id`.
fn two_projects() -> (
    Vec<vpcep_client::types::EndpointResp>,
    Vec<vpcep_client::types::EndpointResp>,
    Vec<vpcep_client::types::EndpointResp>,
) {
    let a = generate(23, 5, "proj-a");
    let b = generate(12, 6, "proj-b");
    let mut data = Vec::new();
    for i in 0..a.len().max(b.len()) {
        data.extend(a.get(i).cloned());
        data.extend(b.get(i).cloned());
        if i % 10 == 3 {
            let mut orphan = generate(1, 100 + i as u64, "none").remove(0);
            orphan.project_id = None;
            data.push(orphan);
        }
    }
    assert_eq!(data.len(), 37);
    let ids: HashSet<_> = data.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids.len(), data.len(), "disjoint ids");
    (data, a, b)
}

#[tokio::test]
async fn project_scoping_lists_only_the_projects_endpoints() {
    let (data, a, b) = two_projects();
    let fake = start(FakeConfig::new().project_scoped(true));
    fake.set_endpoints(data.clone());
    let c = client();
    let base = fake.url();

    for (project, mine) in [("proj-a", &a), ("proj-b", &b)] {
        let url = project_url(&base, project);
        let (s, _, body) = get(&c, &url, &[("limit", "1000")], &[]).await;
        assert_eq!(s, 200);
        assert_eq!(body["total_count"], mine.len(), "{project}");
        assert_eq!(ids(&body), model_order(mine, false, false), "{project}");
        for e in body["endpoints"].as_array().unwrap() {
            assert_eq!(e["project_id"], project);
        }
        // Other sorts, within the project.
        let (_, _, body) = get(
            &c,
            &url,
            &[
                ("limit", "1000"),
                ("sort_key", "update_at"),
                ("sort_dir", "asc"),
            ],
            &[],
        )
        .await;
        assert_eq!(ids(&body), model_order(mine, true, true), "{project}");
    }

    // Paging within a project: pages of 10 walk project A's 23, total_count 23 each time.
    let url = project_url(&base, "proj-a");
    let all = model_order(&a, false, false);
    let mut walked = Vec::new();
    for offset in ["0", "10", "20"] {
        let (_, _, body) = get(&c, &url, &[("offset", offset)], &[]).await;
        assert_eq!(body["total_count"], 23);
        walked.extend(ids(&body));
    }
    assert_eq!(walked, all);
    let (_, _, body) = get(&c, &url, &[("limit", "7"), ("offset", "21")], &[]).await;
    assert_eq!(ids(&body), all[21..]);
    let (_, _, body) = get(&c, &url, &[("offset", "23")], &[]).await;
    assert_eq!(
        body,
        serde_json::json!({"endpoints": [], "total_count": 23})
    );

    // Filters apply within the project: another project's id is not found.
    let vpc = a[0].vpc_id.clone().unwrap();
    let (_, _, body) = get(&c, &url, &[("vpc_id", &vpc), ("limit", "1000")], &[]).await;
    let want: Vec<_> = a
        .iter()
        .filter(|e| e.vpc_id.as_deref() == Some(&vpc))
        .cloned()
        .collect();
    assert!(!want.is_empty());
    assert_eq!(body["total_count"], want.len());
    assert_eq!(ids(&body), model_order(&want, false, false));
    let b_id = b[0].id.clone().unwrap();
    let (_, _, body) = get(&c, &url, &[("id", &b_id)], &[]).await;
    assert_eq!(body, serde_json::json!({"endpoints": [], "total_count": 0}));
    let (_, _, body) = get(&c, &project_url(&base, "proj-b"), &[("id", &b_id)], &[]).await;
    assert_eq!(ids(&body), [b_id]);

    // An unknown project has nothing (nor do endpoints without a project_id show anywhere).
    for project in ["proj-c", PROJECT, "none"] {
        let url = project_url(&base, project);
        let (s, _, body) = get(&c, &url, &[], &[]).await;
        assert_eq!(s, 200);
        assert_eq!(body, serde_json::json!({"endpoints": [], "total_count": 0}));
    }

    // The library's select scopes the same way.
    let mut query = vpcep_client::ListEndpointsQuery::default();
    query.set("project_id", "proj-b").unwrap();
    query.set("limit", "1000").unwrap();
    let (total, page) = fake.select(&query);
    assert_eq!(total, 12);
    let page: Vec<_> = page.into_iter().map(|e| e.id.unwrap()).collect();
    assert_eq!(page, model_order(&b, false, false));
    fake.stop();
}

#[tokio::test]
async fn project_scoping_is_off_by_default() {
    let (data, _, _) = two_projects();
    let all = model_order(&data, false, false);
    let off = start(FakeConfig::new().endpoints(data.clone()));
    let explicit_off = start(FakeConfig::new().endpoints(data).project_scoped(false));
    let c = client();
    let mut bodies = Vec::new();
    for fake in [&off, &explicit_off] {
        for project in ["proj-a", "proj-b", "proj-c"] {
            let url = project_url(&fake.url(), project);
            let (_, _, body) = get(&c, &url, &[("limit", "1000")], &[]).await;
            assert_eq!(body["total_count"], 37, "{project}");
            assert_eq!(ids(&body), all, "{project}");
            let text = c
                .get(&url)
                .query(&[("limit", "5"), ("offset", "3")])
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            bodies.push(text);
        }
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "same bytes for any project"
    );
}

#[tokio::test]
async fn generated_endpoints_belong_to_the_default_project() {
    let fake = start(FakeConfig::new().generate(40, 9).project_scoped(true));
    let c = client();
    let (_, _, body) = get(&c, &list_url(&fake.url()), &[], &[]).await;
    assert_eq!(PROJECT, vpcep_fake::DEFAULT_PROJECT_ID);
    assert_eq!(body["total_count"], 40);
    let (_, _, body) = get(&c, &project_url(&fake.url(), "other"), &[], &[]).await;
    assert_eq!(body["total_count"], 0);
    // So does the doc example.
    fake.set_endpoints(vpcep_fake::doc_example_endpoints());
    let (_, _, body) = get(&c, &list_url(&fake.url()), &[], &[]).await;
    assert_eq!(body["total_count"], 2);
}

#[tokio::test]
async fn every_violated_constraint_is_a_400_naming_the_parameter() {
    let fake = start(FakeConfig::new());
    let c = client();
    let url = list_url(&fake.url());
    let long = |n: usize| "x".repeat(n);
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (vec![("limit", "0".into())], "limit"),
        (vec![("limit", "1001".into())], "limit"),
        (vec![("limit", "-1".into())], "limit"),
        (vec![("limit", "1.5".into())], "limit"),
        (vec![("limit", "ten".into())], "limit"),
        (vec![("limit", "".into())], "limit"),
        (vec![("limit", "99999999999999999999".into())], "limit"),
        (vec![("offset", "-1".into())], "offset"),
        (vec![("offset", "abc".into())], "offset"),
        (vec![("offset", "2147483648".into())], "offset"),
        (vec![("sort_key", "created_at".into())], "sort_key"),
        (vec![("sort_key", "".into())], "sort_key"),
        (vec![("sort_dir", "DESC".into())], "sort_dir"),
        (vec![("sort_dir", "up".into())], "sort_dir"),
        (
            vec![("endpoint_service_name", "".into())],
            "endpoint_service_name",
        ),
        (
            vec![("endpoint_service_name", long(129))],
            "endpoint_service_name",
        ),
        (vec![("vpc_id", "".into())], "vpc_id"),
        (vec![("vpc_id", long(65))], "vpc_id"),
        (vec![("id", "".into())], "id"),
        (vec![("id", long(65))], "id"),
        (
            vec![("public_border_group", "".into())],
            "public_border_group",
        ),
        (vec![("limit", "5".into()), ("limit", "6".into())], "limit"),
    ];
    for (query, param) in cases {
        let q: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, headers, body) = get(&c, &url, &q, &[]).await;
        assert_eq!(status, 400, "{q:?}: {body}");
        assert!(headers.contains_key("x-request-id"));
        let message = body["error"]["message"].as_str().expect("message");
        assert!(
            message.starts_with(&format!("invalid {param}: ")),
            "{q:?}: message {message:?} does not name {param}"
        );
        // The client's words for the same value (ValidationError), rule included.
        let want = match q[..] {
            [(name, value)] => vpcep_client::ListEndpointsQuery::default()
                .set(name, value)
                .expect_err("the client refuses it too")
                .to_string(),
            _ => format!("invalid {param}: must be given at most once (got \"6\")"),
        };
        assert_eq!(message, want, "{q:?}");
        assert!(body["error"]["code"].is_string());
    }
    // An offset beyond 64 bits breaks the int32 bound, not the minimum (the probe got
    // "must be at least 0").
    let (status, _, body) = get(&c, &url, &[("offset", "99999999999999999999")], &[]).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["message"],
        r#"invalid offset: must be at most 2147483647 (int32) (got "99999999999999999999")"#
    );
    // Boundaries that are fine.
    for (k, v) in [
        ("limit", "1".to_owned()),
        ("limit", "1000".to_owned()),
        ("offset", "0".to_owned()),
        ("endpoint_service_name", long(128)),
        ("vpc_id", long(64)),
        ("id", long(64)),
        ("unknown_param", "whatever".to_owned()),
    ] {
        let (status, _, body) = get(&c, &url, &[(k, v.as_str())], &[]).await;
        assert_eq!(status, 200, "{k}={v}: {body}");
    }
    // Lengths count characters, not bytes.
    let (status, _, _) = get(&c, &url, &[("vpc_id", &"é".repeat(64))], &[]).await;
    assert_eq!(status, 200);

    // project_id: 1..64.
    let base = fake.url();
    for (project, ok) in [
        ("p".repeat(64), true),
        ("p".repeat(65), false),
        (String::new(), false),
        ("%C3%A9".repeat(64), true),
    ] {
        let (status, _, body) =
            get(&c, &format!("{base}/v1/{project}/vpc-endpoints"), &[], &[]).await;
        if ok {
            assert_eq!(status, 200, "{project}: {body}");
        } else {
            assert_eq!(status, 400, "{project}: {body}");
            assert!(body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("invalid project_id: must"));
        }
    }
    // Content-Type header: 1..64.
    let (status, _, body) = get(&c, &url, &[], &[("Content-Type", &long(65))]).await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("invalid Content-Type: must"));
    let (status, _, _) = get(&c, &url, &[], &[("Content-Type", "application/json")]).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn unknown_paths_are_404_and_other_methods_405() {
    let fake = start(FakeConfig::new().token("t"));
    let c = client();
    let base = fake.url();
    for path in [
        "/",
        "/v1",
        "/v2/p/vpc-endpoints",
        "/v1/p/vpc-endpoints/",
        "/v1/p/q/vpc-endpoints",
        "/v1/p/vpc-endpoint",
        "/v1/p/vpc-endpoints/x",
    ] {
        let (status, headers, body) = get(&c, &format!("{base}{path}"), &[], &[]).await;
        assert_eq!(status, 404, "{path}");
        assert!(headers.contains_key("x-request-id"));
        assert!(body["error"]["code"].is_string(), "{body}");
    }
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let resp = c
            .request(method.parse().unwrap(), list_url(&base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 405, "{method}");
        assert!(resp.headers().contains_key("x-request-id"));
        assert_eq!(resp.headers()["allow"], "GET, HEAD");
        let body: Value = resp.json().await.unwrap();
        assert!(body["error"]["message"].as_str().unwrap().contains(method));
    }
}

#[tokio::test]
async fn every_response_has_a_unique_request_id() {
    let fake = start(FakeConfig::new().token("t"));
    let c = client();
    let base = fake.url();
    let mut seen = HashSet::new();
    for (path, query, headers) in [
        (list_url(&base), vec![], vec![("X-Auth-Token", "t")]),
        (
            list_url(&base),
            vec![("limit", "0")],
            vec![("X-Auth-Token", "t")],
        ),
        (list_url(&base), vec![], vec![]),
        (format!("{base}/nope"), vec![], vec![]),
        (list_url(&base), vec![], vec![("X-Auth-Token", "t")]),
    ] {
        let (_, h, _) = get(&c, &path, &query, &headers).await;
        let id = h["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(id.len(), 32);
        assert!(seen.insert(id), "request ids are unique");
    }
    // The log records the id given to each request.
    let logged: HashSet<String> = fake.requests().into_iter().map(|r| r.request_id).collect();
    assert_eq!(logged, seen);
}

#[tokio::test]
async fn token_auth() {
    let fake = start(FakeConfig::new().token("good-token").token("other"));
    let c = client();
    let url = list_url(&fake.url());
    let (status, headers, body) = get(&c, &url, &[], &[]).await;
    assert_eq!(status, 401);
    assert!(headers.contains_key("x-request-id"));
    assert_eq!(body["error_code"], "APIGW.0301");
    assert_eq!(body["error"]["code"], "APIGW.0301");
    assert!(body["error_msg"].is_string());
    assert_eq!(
        body["request_id"].as_str().unwrap(),
        headers["x-request-id"].to_str().unwrap()
    );
    let (status, _, _) = get(&c, &url, &[], &[("X-Auth-Token", "bad")]).await;
    assert_eq!(status, 401);
    for t in ["good-token", "other"] {
        let (status, _, body) = get(&c, &url, &[], &[("X-Auth-Token", t)]).await;
        assert_eq!(status, 200, "{body}");
    }
    // Auth comes before validation: a bad request without credentials is a 401.
    let (status, _, _) = get(&c, &url, &[("limit", "0")], &[]).await;
    assert_eq!(status, 401);
}

async fn signed(
    c: &reqwest::Client,
    url: &str,
    query: &[(&str, &str)],
    creds: &AkSk,
    at: SystemTime,
) -> (u16, Value) {
    let mut req = c.get(url).query(query).build().unwrap();
    sign_request(&mut req, creds, at).expect("sign");
    let resp = c.execute(req).await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

#[tokio::test]
async fn aksk_auth() {
    let fake = start(FakeConfig::new().aksk("AK1", "secret-one").generate(30, 5));
    let c = client();
    let url = list_url(&fake.url());
    let good = AkSk::new("AK1", "secret-one");
    let now = SystemTime::now();

    let (status, body) = signed(&c, &url, &[], &good, now).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total_count"], 30);
    // Query parameters are part of the signature.
    let (status, body) = signed(
        &c,
        &url,
        &[
            ("limit", "5"),
            ("endpoint_service_name", "Ledger PROD/é"),
            ("sort_dir", "asc"),
        ],
        &good,
        now,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Within the 15-minute window.
    let (status, _) = signed(&c, &url, &[], &good, now - Duration::from_secs(600)).await;
    assert_eq!(status, 200);

    for (creds, at, why) in [
        (AkSk::new("AK1", "wrong"), now, "signature"),
        (AkSk::new("AK2", "secret-one"), now, "access key"),
        (good.clone(), now - Duration::from_secs(3600), "skew"),
        (good.clone(), now + Duration::from_secs(3600), "skew"),
    ] {
        let (status, body) = signed(&c, &url, &[], &creds, at).await;
        assert_eq!(status, 401, "{why}: {body}");
        assert!(
            body["error_msg"].as_str().unwrap().contains("AK/SK"),
            "{body}"
        );
    }
    // A signed URL that was changed after signing.
    let mut req = c.get(&url).query(&[("limit", "5")]).build().unwrap();
    sign_request(&mut req, &good, now).unwrap();
    req.url_mut().set_query(Some("limit=6"));
    assert_eq!(c.execute(req).await.unwrap().status(), 401);
}

#[tokio::test]
async fn token_and_aksk_together() {
    let fake = start(FakeConfig::new().token("tok").aksk("AK", "SK"));
    let c = client();
    let url = list_url(&fake.url());
    let (status, _, _) = get(&c, &url, &[], &[("X-Auth-Token", "tok")]).await;
    assert_eq!(status, 200);
    let (status, _) = signed(&c, &url, &[], &AkSk::new("AK", "SK"), SystemTime::now()).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn quirks_mode_serves_the_doc_shapes() {
    let data = generate(60, 2, PROJECT);
    let fake = start(FakeConfig::new().endpoints(data).quirks(true));
    let c = client();
    let url = list_url(&fake.url());
    let (_, _, body) = get(&c, &url, &[("limit", "1000")], &[]).await;
    let endpoints = body["endpoints"].as_array().unwrap();
    let (mut single_dns, mut multi_dns, mut falses) = (0, 0, 0);
    for e in endpoints {
        for key in ["enable_dns", "enable_whitelist"] {
            if let Some(v) = e.get(key) {
                let s = v
                    .as_str()
                    .unwrap_or_else(|| panic!("{key} is a string: {e}"));
                assert!(s == "true" || s == "false");
                falses += usize::from(s == "false");
            }
        }
        assert!(e["active_status"].is_string(), "{e}");
        match &e["dns_names"] {
            Value::String(_) => single_dns += 1,
            Value::Array(a) => {
                assert!(a.len() > 1, "only multi-element lists stay arrays");
                multi_dns += 1;
            }
            Value::Null => {}
            other => panic!("dns_names {other}"),
        }
        if let Some(ws) = e.get("whitelist") {
            assert!(ws.is_array(), "whitelist is untouched");
        }
    }
    assert!(single_dns > 0 && multi_dns > 0 && falses > 0);
    // Every shape decodes with the client's lenient types.
    let decoded: vpcep_client::types::EndpointListResp = serde_json::from_value(body).unwrap();
    assert_eq!(decoded.endpoints.unwrap().len(), 60);

    // The default data in quirks mode is the doc's example, the same in meaning.
    fake.set_endpoints(vpcep_fake::doc_example_endpoints());
    let (_, _, body) = get(&c, &url, &[], &[]).await;
    let mut doc: Value = serde_json::from_str(DOC_EXAMPLE_RESPONSE).unwrap();
    // The doc mixes shapes (`"enable_dns": "true"` but `"enable_whitelist": true`); quirks
    // mode sends every boolean as a string.
    for e in doc["endpoints"].as_array_mut().unwrap() {
        e["enable_whitelist"] = "true".into();
    }
    assert_eq!(body, doc);

    fake.set_quirks(false);
    let (_, _, body) = get(&c, &url, &[], &[]).await;
    assert_eq!(body["endpoints"][0]["enable_dns"], true);
}

#[tokio::test]
async fn scripted_faults_503_then_429_then_ok() {
    let fake = start(FakeConfig::new());
    fake.faults().extend([
        Fault::unavailable(),
        Fault::too_many_requests(1),
        Fault::Pass,
    ]);
    let c = client();
    let url = list_url(&fake.url());
    let (s1, h1, b1) = get(&c, &url, &[], &[]).await;
    assert_eq!(s1, 503);
    assert!(b1["error"]["code"].is_string());
    assert!(h1.contains_key("x-request-id"));
    let (s2, h2, b2) = get(&c, &url, &[], &[]).await;
    assert_eq!(s2, 429);
    assert_eq!(h2["retry-after"], "1");
    assert_eq!(b2["error_code"], "APIGW.0308");
    let (s3, _, _) = get(&c, &url, &[], &[]).await;
    assert_eq!(s3, 200);
    let (s4, _, _) = get(&c, &url, &[], &[]).await;
    assert_eq!(s4, 200);
    assert_eq!(fake.faults().remaining(), 0);
    assert_eq!(fake.requests().len(), 4);
}

#[tokio::test]
async fn hang_never_answers_until_the_client_gives_up() {
    let fake = start(FakeConfig::new());
    fake.faults().extend([Fault::Hang]);
    let c = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let url = list_url(&fake.url());
    let started = Instant::now();
    let err = c.get(&url).send().await.expect_err("no answer");
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    // The next request is answered.
    assert_eq!(c.get(&url).send().await.unwrap().status(), 200);
    // Stopping does not wait for the hanging request.
    fake.faults().extend([Fault::Hang]);
    let pending = tokio::spawn({
        let c = client();
        let url = url.clone();
        async move { c.get(&url).send().await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    tokio::task::spawn_blocking(move || fake.stop())
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(pending.await.unwrap().is_err(), "closed without an answer");
}

#[tokio::test]
async fn drop_closes_without_a_response() {
    let fake = start(FakeConfig::new());
    fake.faults().extend([Fault::Drop]);
    let c = client();
    let url = list_url(&fake.url());
    let started = Instant::now();
    let err = c.get(&url).send().await.expect_err("dropped");
    assert!(!err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(c.get(&url).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn truncate_sends_less_than_content_length() {
    let fake = start(FakeConfig::new().generate(50, 1));
    fake.faults().extend([Fault::Truncate]);
    let c = client();
    let url = list_url(&fake.url());
    let resp = c.get(&url).query(&[("limit", "50")]).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let announced = resp.content_length().expect("Content-Length");
    assert!(announced > 1000);
    assert!(resp.headers().contains_key("x-request-id"));
    let err = resp.bytes().await.expect_err("body cut short");
    assert!(
        err.is_body() || err.is_decode() || err.is_request(),
        "{err:?}"
    );
    assert_eq!(c.get(&url).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn delay_and_latency() {
    let fake = start(FakeConfig::new().faults(RandomFaults {
        latency: Duration::from_millis(150),
        ..RandomFaults::default()
    }));
    let c = client();
    let url = list_url(&fake.url());
    let t = Instant::now();
    let (s, _, _) = get(&c, &url, &[], &[]).await;
    assert_eq!(s, 200);
    assert!(t.elapsed() >= Duration::from_millis(150));
    // Latency applies to errors too.
    let t = Instant::now();
    let (s, _, _) = get(&c, &format!("{}/nope", fake.url()), &[], &[]).await;
    assert_eq!(s, 404);
    assert!(t.elapsed() >= Duration::from_millis(150));

    fake.set_random_faults(RandomFaults::default());
    fake.faults().push(Fault::Delay(Duration::from_millis(200)));
    let t = Instant::now();
    let (s, _, _) = get(&c, &url, &[], &[]).await;
    assert_eq!(s, 200);
    assert!(t.elapsed() >= Duration::from_millis(200));
}

async fn outcomes(fake: &FakeServer, n: usize) -> Vec<String> {
    let c = client();
    let url = list_url(&fake.url());
    let mut out = Vec::new();
    for _ in 0..n {
        let outcome = match c.get(&url).send().await {
            Err(_) => "dropped".to_owned(),
            Ok(resp) => {
                let status = resp.status().as_u16();
                let retry = resp
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_owned());
                match resp.bytes().await {
                    Ok(_) => format!(
                        "{status}{}",
                        retry.map(|r| format!(" ra={r}")).unwrap_or_default()
                    ),
                    Err(_) => format!("{status} truncated"),
                }
            }
        };
        out.push(outcome);
    }
    out
}

#[tokio::test]
async fn random_faults_are_deterministic_per_seed() {
    let faults = RandomFaults {
        fail_rate: 0.3,
        fail_status: 429,
        truncate_rate: 0.2,
        drop_rate: 0.1,
        seed: 77,
        ..RandomFaults::default()
    };
    let a = start(FakeConfig::new().faults(faults.clone()));
    let b = start(FakeConfig::new().faults(faults.clone()));
    let (ra, rb) = (outcomes(&a, 60).await, outcomes(&b, 60).await);
    assert_eq!(ra, rb, "same seed, same sequence");
    for kind in ["200", "429 ra=1", "200 truncated", "dropped"] {
        assert!(ra.iter().any(|o| o == kind), "{kind} in {ra:?}");
    }
    // Resetting the faults restarts the sequence.
    a.set_random_faults(faults.clone());
    assert_eq!(outcomes(&a, 60).await, ra);
    let c = start(FakeConfig::new().faults(RandomFaults { seed: 78, ..faults }));
    assert_ne!(outcomes(&c, 60).await, ra);
}

#[tokio::test]
async fn request_log_keeps_method_uri_and_headers() {
    let fake = start(FakeConfig::new().request_log_capacity(3));
    let c = client();
    let url = list_url(&fake.url());
    get(&c, &url, &[("limit", "2")], &[("X-Test", "one")]).await;
    let log = fake.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].uri.path(), format!("/v1/{PROJECT}/vpc-endpoints"));
    assert_eq!(log[0].uri.query(), Some("limit=2"));
    assert_eq!(log[0].headers["x-test"], "one");
    for _ in 0..5 {
        get(&c, &url, &[], &[]).await;
    }
    assert_eq!(fake.requests().len(), 3, "bounded");
    fake.clear_requests();
    assert!(fake.requests().is_empty());
}

#[test]
fn works_from_synchronous_code_and_loads_data() {
    let fake = FakeServer::start(FakeConfig::new()).unwrap();
    assert!(fake.url().starts_with("http://127.0.0.1:"));
    assert_eq!(fake.len(), 2);
    // Data as an array or as a response body.
    let array = serde_json::to_string(&generate(3, 1, PROJECT)).unwrap();
    assert_eq!(parse_endpoints(&array).unwrap().len(), 3);
    assert_eq!(parse_endpoints(DOC_EXAMPLE_RESPONSE).unwrap().len(), 2);
    drop(fake); // stops
}

#[test]
fn generated_data_covers_every_shape() {
    use vpcep_client::lenient::{EndpointStatus, ServiceType};
    let data = generate(2000, 11, PROJECT);
    let statuses: HashSet<String> = data
        .iter()
        .map(|e| e.status.clone().unwrap().to_string())
        .collect();
    for s in EndpointStatus::KNOWN {
        assert!(statuses.contains(*s), "{s}");
    }
    let vpcs: HashSet<_> = data.iter().map(|e| e.vpc_id.clone()).collect();
    assert!(vpcs.len() >= 5);
    let names: HashSet<_> = data
        .iter()
        .map(|e| e.endpoint_service_name.clone())
        .collect();
    assert!(names.len() >= 10);
    assert!(data.iter().any(|e| e.public_border_group.is_some()));
    assert!(data.iter().any(|e| e.public_border_group.is_none()));
    assert!(data.iter().any(|e| e
        .tags
        .as_ref()
        .unwrap()
        .iter()
        .any(|t| t.value.as_deref() == Some(""))));
    let updated: HashSet<_> = data.iter().map(|e| e.updated_at.clone()).collect();
    assert!(updated.len() < data.len(), "equal update times exist");
    for e in &data {
        let failed = e.status == Some(EndpointStatus::Failed);
        assert_eq!(e.error.is_some(), failed);
        match e.service_type.clone().unwrap() {
            ServiceType::Gateway => {
                assert!(e.routetables.is_some());
                assert!(e.ip.is_none() && e.dns_names.is_none() && e.whitelist.is_none());
                assert_eq!(e.enable_dns.map(|b| b.0), Some(false));
            }
            ServiceType::Interface => {
                assert!(e.routetables.is_none() && e.policy_statement.is_none());
                assert!(e.whitelist.is_some() && e.enable_whitelist.is_some());
                let approved = matches!(
                    e.status,
                    Some(EndpointStatus::Accepted) | Some(EndpointStatus::Rejected)
                );
                assert_eq!(e.ip.is_some(), approved);
                assert_eq!(e.dns_names.is_some(), e.enable_dns.unwrap().0);
            }
            other => panic!("{other}"),
        }
    }
    assert!(data.iter().any(|e| e.policy_statement.is_some()));
}
