//! Replay (`--data FILE`, `FakeConfig::recorded`): recorded endpoints are served as
//! recorded — nulls, unknown fields, odd shapes and values kept — while filters, sorts and
//! pages still work on what can be read.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{client, get, ids, list_url};
use serde_json::{json, Value};
use vpcep_fake::{parse_recorded, FakeConfig, FakeServer, RecordedEndpoint};

const RECORDED: &str = include_str!("../data/recorded_example.json");
const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/recorded_example.json");
const A: &str = "5e0b2c1a-1111-4a6e-9d0e-000000000001";
const B: &str = "5e0b2c1a-2222-4a6e-9d0e-000000000002";
const C: &str = "5e0b2c1a-3333-4a6e-9d0e-000000000003";
const D: &str = "5e0b2c1a-4444-4a6e-9d0e-000000000004";

/// The recorded endpoints by id, as JSON values.
fn recorded_by_id(text: &str) -> HashMap<String, Value> {
    let body: Value = serde_json::from_str(text).unwrap();
    let items = match body {
        Value::Array(items) => items,
        body => body["endpoints"].as_array().unwrap().clone(),
    };
    items
        .into_iter()
        .map(|e| (e["id"].as_str().unwrap().to_owned(), e))
        .collect()
}

fn replaying(text: &str) -> FakeServer {
    FakeServer::start(FakeConfig::new().recorded(parse_recorded(text).unwrap())).unwrap()
}

#[tokio::test]
async fn every_endpoint_is_served_as_recorded() {
    let fake = replaying(RECORDED);
    let (status, _, body) = get(&client(), &list_url(&fake.url()), &[("limit", "100")], &[]).await;
    assert_eq!(status, 200);
    assert_eq!(body["total_count"], 4);
    // Default order: created_at descending.
    assert_eq!(ids(&body), [B, A, C, D]);
    let want = recorded_by_id(RECORDED);
    for e in body["endpoints"].as_array().unwrap() {
        assert_eq!(e, &want[e["id"].as_str().unwrap()], "served as recorded");
    }
    // The shapes the client's types would normalise or drop are all there.
    let by_id: HashMap<_, _> = body["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap(), e))
        .collect();
    assert_eq!(by_id[A]["enable_dns"], "false");
    assert_eq!(by_id[A]["dns_names"], Value::Null);
    assert_eq!(
        by_id[A]["x_vendor_trace"],
        json!({"shard": 7, "replica": null})
    );
    assert_eq!(by_id[B]["status"], "deleting");
    assert_eq!(
        by_id[B]["policy_statement"][0]["Action"],
        "obs:object:GetObject"
    );
    assert_eq!(by_id[B]["policy_statement"][0]["Sid"], "read-logs");
    assert_eq!(by_id[B]["policy_document"]["Version"], "5.0");
    assert_eq!(by_id[B]["updated_at"], Value::Null);
    assert_eq!(by_id[C]["active_status"], json!(["active", "suspended"]));
    assert_eq!(by_id[D]["error"][0]["error_message"], Value::Null);
}

#[tokio::test]
async fn filters_sorts_and_pages_read_the_recorded_fields() {
    let fake = replaying(RECORDED);
    let url = list_url(&fake.url());
    let c = client();
    let page = |query: Vec<(&'static str, &'static str)>| {
        let (c, url) = (c.clone(), url.clone());
        async move {
            let (status, _, body) = get(&c, &url, &query, &[]).await;
            assert_eq!(status, 200, "{query:?}: {body}");
            (body["total_count"].as_u64().unwrap(), ids(&body))
        }
    };
    // Case-insensitive substring of the service name.
    assert_eq!(
        page(vec![("endpoint_service_name", "PAYMENTS")]).await,
        (2, vec![A.to_owned(), C.to_owned()])
    );
    assert_eq!(
        page(vec![("vpc_id", "e251b400-2963-4131-b38a-da81e32026ee")]).await,
        (2, vec![B.to_owned(), D.to_owned()])
    );
    assert_eq!(page(vec![("id", C)]).await, (1, vec![C.to_owned()]));
    assert_eq!(
        page(vec![("public_border_group", "br-iaas-odin1raa")]).await,
        (1, vec![C.to_owned()])
    );
    // update_at ascending: the null update time sorts first.
    assert_eq!(
        page(vec![("sort_key", "update_at"), ("sort_dir", "asc")]).await,
        (4, [B, D, A, C].map(str::to_owned).to_vec())
    );
    assert_eq!(
        page(vec![("sort_dir", "asc"), ("limit", "2"), ("offset", "1")]).await,
        (4, vec![C.to_owned(), A.to_owned()])
    );
    assert_eq!(page(vec![("offset", "4")]).await, (4, vec![]));
}

#[tokio::test]
async fn quirks_mode_reshapes_replayed_data_and_keeps_the_rest() {
    let fake = replaying(RECORDED);
    fake.set_quirks(true);
    let (_, _, body) = get(&client(), &list_url(&fake.url()), &[("id", B)], &[]).await;
    let mut want = recorded_by_id(RECORDED).remove(B).unwrap();
    want["enable_dns"] = json!("false");
    assert_eq!(body["endpoints"][0], want);
    let (_, _, body) = get(&client(), &list_url(&fake.url()), &[("id", D)], &[]).await;
    let mut want = recorded_by_id(RECORDED).remove(D).unwrap();
    want["enable_dns"] = json!("true");
    want["enable_whitelist"] = json!("false");
    assert_eq!(body["endpoints"][0], want);
}

#[tokio::test]
async fn shapes_the_client_types_reject_still_replay() {
    // marker_id as a string, a numeric status, a non-object element: the client's
    // EndpointResp rejects the first two, yet the fields filters and sorts use are read.
    let text = r#"[
        {"id": "x1", "vpc_id": "v1", "marker_id": "not-a-number", "status": 42,
         "created_at": "2024-01-02T00:00:00Z", "endpoint_service_name": "Svc-One"},
        {"id": "x2", "vpc_id": "v2", "enable_dns": "maybe", "created_at": "2024-01-03T00:00:00Z"},
        {"id": "x3", "vpc_id": "v1", "created_at": 1704067200},
        null
    ]"#;
    let recorded = parse_recorded(text).unwrap();
    assert_eq!(recorded.len(), 4);
    assert_eq!(recorded[0].endpoint.vpc_id.as_deref(), Some("v1"));
    assert_eq!(recorded[2].endpoint.created_at, None);
    let fake = replaying(text);
    let url = list_url(&fake.url());
    let (status, _, body) = get(&client(), &url, &[("vpc_id", "v1")], &[]).await;
    assert_eq!(status, 200);
    assert_eq!(body["total_count"], 2);
    assert_eq!(body["endpoints"][0]["marker_id"], "not-a-number");
    assert_eq!(body["endpoints"][0]["status"], 42);
    // A created_at that is not a string sorts with the missing ones, first ascending.
    assert_eq!(body["endpoints"][1]["created_at"], 1704067200);
    let (_, _, body) = get(&client(), &url, &[("sort_dir", "asc")], &[]).await;
    let all = body["endpoints"].as_array().unwrap();
    assert_eq!(all.len(), 4);
    assert!(
        all.contains(&Value::Null),
        "the null element is replayed too"
    );
    assert_eq!(all[3]["enable_dns"], "maybe");
    let (_, _, body) = get(&client(), &url, &[("endpoint_service_name", "svc")], &[]).await;
    assert_eq!(body["endpoints"][0]["id"], "x1");
}

#[test]
fn recorded_files_that_are_not_endpoint_lists_are_refused_with_the_reason() {
    assert_eq!(
        parse_recorded(r#"{"endpoints": 3}"#).unwrap_err(),
        "\"endpoints\" must be an array of endpoints (got a number)"
    );
    assert_eq!(
        parse_recorded(r#""x""#).unwrap_err(),
        "expected an array of endpoints or a ListEndpoints response object (got a string)"
    );
    assert!(parse_recorded("{").unwrap_err().contains("EOF"));
    assert_eq!(parse_recorded(r#"{"endpoints": null}"#).unwrap(), vec![]);
    assert_eq!(parse_recorded(r#"{"total_count": 0}"#).unwrap(), vec![]);
    let one = parse_recorded(r#"[{"id": "a", "enable_dns": "true"}]"#).unwrap();
    assert_eq!(
        one,
        vec![RecordedEndpoint::new(
            json!({"id": "a", "enable_dns": "true"})
        )]
    );
    assert_eq!(one[0].endpoint.id.as_deref(), Some("a"));
}

#[test]
fn set_recorded_and_set_endpoints_switch_between_replay_and_typed_data() {
    let fake = FakeServer::start(FakeConfig::new()).unwrap();
    fake.set_recorded(parse_recorded(RECORDED).unwrap());
    assert_eq!(fake.len(), 4);
    let mut query = vpcep_client::ListEndpointsQuery::default();
    query
        .set("vpc_id", "84758cf5-9c62-43ae-a778-3dbd8370c0a4")
        .unwrap();
    let (total, page) = fake.select(&query);
    assert_eq!(total, 2);
    assert_eq!(page[0].id.as_deref(), Some(A));
    fake.set_endpoints(vpcep_fake::doc_example_endpoints());
    assert_eq!(fake.len(), 2);
}

/// Kills the child process when dropped (also when an assertion fails).
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The binary: `--data FILE` replays the file.
#[tokio::test]
async fn the_binary_replays_data_files() {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_vpcep-fake"))
            .args(["--listen", "127.0.0.1:0", "--no-auth", "--data", PATH])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the fake prints its address within 30 s");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let (status, _, body) = get(&client(), &list_url(&base), &[("limit", "100")], &[]).await;
    assert_eq!(status, 200);
    let want = recorded_by_id(RECORDED);
    for e in body["endpoints"].as_array().unwrap() {
        assert_eq!(e, &want[e["id"].as_str().unwrap()]);
    }
    assert_eq!(ids(&body), [B, A, C, D]);
}
