//! OpenAPI Generator 7.26.0 `rust` (reqwest 0.13, serde) from openapi/vpcep.json against
//! vpcep-fake. Run by .ci/consumers.sh: it generates `generated/` (packageName vpcep-oag,
//! packageVersion 0.0.0), builds this crate and runs these tests with the fakes' URLs in
//! the environment; see tests/consumers/README.md.

use std::collections::HashMap;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vpcep_oag::apis::configuration::{ApiKey, Configuration};
use vpcep_oag::apis::endpoints_api::{list_endpoints, ListEndpointsError};
use vpcep_oag::apis::Error;
use vpcep_oag::models::{
    ActiveStatusList, EndpointListResp, EndpointResp, ErrorResponse, LenientBoolean, StringOrList,
};

const PROJECT: &str = "295dacf46a4842fcbf7844dc2dc2489d";
const REC_A: &str = "5e0b2c1a-1111-4a6e-9d0e-000000000001";
const REC_B: &str = "5e0b2c1a-2222-4a6e-9d0e-000000000002";
const REC_C: &str = "5e0b2c1a-3333-4a6e-9d0e-000000000003";
const REC_D: &str = "5e0b2c1a-4444-4a6e-9d0e-000000000004";

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set (run .ci/consumers.sh)"))
}

fn token() -> String {
    std::env::var("VPCEP_TOKEN").unwrap_or_else(|_| "consumer-token".into())
}

/// The iamToken scheme: the generator puts `api_key` in X-Auth-Token (and, with spec
/// 2.x's AK/SK alternative, it put it in Authorization too: see `auth_headers_sent`).
fn config(base: &str, token: &str) -> Configuration {
    Configuration {
        base_path: base.to_owned(),
        api_key: Some(ApiKey {
            prefix: None,
            key: token.to_owned(),
        }),
        ..Configuration::new()
    }
}

async fn call(
    base: &str,
    token: &str,
    limit: Option<i32>,
) -> Result<EndpointListResp, Error<ListEndpointsError>> {
    let c = config(base, token);
    list_endpoints(
        &c, PROJECT, None, None, None, limit, None, None, None, None, None,
    )
    .await
}

async fn page(base: &str, limit: i32) -> EndpointListResp {
    call(base, &token(), Some(limit)).await.expect("a page")
}

/// The page as plain JSON, read without generated code (the reference).
async fn raw_page(base: &str, limit: i32) -> Value {
    let url = format!("{base}/v1/{PROJECT}/vpc-endpoints?limit={limit}");
    let c = Configuration::new();
    let text = c
        .client
        .get(url)
        .header("X-Auth-Token", token())
        .send()
        .await
        .unwrap();
    serde_json::from_str(&text.text().await.unwrap()).unwrap()
}

fn recorded() -> HashMap<String, Value> {
    let body: Value =
        serde_json::from_str(&std::fs::read_to_string(env("RECORDED_FILE")).unwrap()).unwrap();
    let list = body["endpoints"].as_array().unwrap();
    list.iter()
        .map(|e| (e["id"].as_str().unwrap().to_owned(), e.clone()))
        .collect()
}

// The normalisers (openapi/README.md): never test the raw value of enable_dns.
fn lenient(v: &Option<Box<LenientBoolean>>) -> Option<bool> {
    match v.as_deref() {
        Some(LenientBoolean::Boolean(b)) => Some(*b),
        Some(LenientBoolean::String(s)) if s == "true" => Some(true),
        Some(LenientBoolean::String(s)) if s == "false" => Some(false),
        _ => None,
    }
}
fn raw_lenient(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}
fn str_list(v: &Option<Box<StringOrList>>) -> Vec<String> {
    match v.as_deref() {
        Some(StringOrList::String(s)) => vec![s.clone()],
        Some(StringOrList::ArrayVecString(l)) => l.clone(),
        None => vec![],
    }
}
fn active(v: &Option<Box<ActiveStatusList>>) -> Vec<String> {
    match v.as_deref() {
        Some(ActiveStatusList::AccountStatus(s)) => vec![s.clone()],
        Some(ActiveStatusList::ArrayVecString(l)) => l.clone(),
        None => vec![],
    }
}
fn raw_list(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(l) => l.iter().map(|s| s.as_str().unwrap().to_owned()).collect(),
        _ => vec![],
    }
}
fn text(v: &Option<Option<String>>) -> Option<&str> {
    v.as_ref().and_then(|s| s.as_deref())
}

fn endpoints(p: &EndpointListResp) -> &[EndpointResp] {
    p.endpoints
        .as_ref()
        .and_then(|e| e.as_deref())
        .unwrap_or_default()
}

fn check_against_raw(p: &EndpointListResp, raw: &Value) {
    assert_eq!(p.total_count.flatten(), raw["total_count"].as_i64());
    let list = raw["endpoints"].as_array().unwrap();
    assert_eq!(endpoints(p).len(), list.len());
    for (e, r) in endpoints(p).iter().zip(list) {
        assert_eq!(text(&e.id), r["id"].as_str());
        assert_eq!(text(&e.status), r["status"].as_str());
        assert_eq!(lenient(&e.enable_dns), raw_lenient(&r["enable_dns"]));
        assert_eq!(
            lenient(&e.enable_whitelist),
            raw_lenient(&r["enable_whitelist"])
        );
        assert_eq!(str_list(&e.dns_names), raw_list(&r["dns_names"]));
        assert_eq!(active(&e.active_status), raw_list(&r["active_status"]));
    }
}

/// The error of a failed call: status, body text, and the variant serde picked.
fn failure(
    r: Result<EndpointListResp, Error<ListEndpointsError>>,
) -> (u16, String, Option<ListEndpointsError>) {
    match r {
        Err(Error::ResponseError(c)) => (c.status.as_u16(), c.content, c.entity),
        other => panic!("expected a ResponseError, got {other:?}"),
    }
}

/// The ErrorResponse inside whichever variant serde picked, and the variant's status.
fn error_body(e: Option<ListEndpointsError>) -> (u16, ErrorResponse) {
    match e {
        Some(ListEndpointsError::Status400(b)) => (400, b),
        Some(ListEndpointsError::Status401(b)) => (401, b),
        other => panic!("unexpected variant {other:?}"),
    }
}

#[tokio::test]
async fn plain_page() {
    let p = page(&env("FAKE_PLAIN"), 40).await;
    check_against_raw(&p, &raw_page(&env("FAKE_PLAIN"), 40).await);
    assert_eq!(p.total_count.flatten(), Some(40));
}

#[tokio::test]
async fn quirky_page_reads_like_the_plain_one_after_normalisation() {
    let plain = page(&env("FAKE_PLAIN"), 40).await;
    let quirky = page(&env("FAKE_QUIRKS"), 40).await;
    let raw = raw_page(&env("FAKE_QUIRKS"), 40).await;
    check_against_raw(&quirky, &raw);
    let mut falses = 0;
    for (a, b) in endpoints(&plain).iter().zip(endpoints(&quirky)) {
        assert_eq!(text(&a.id), text(&b.id));
        assert_eq!(lenient(&a.enable_dns), lenient(&b.enable_dns));
        assert_eq!(str_list(&a.dns_names), str_list(&b.dns_names));
        if matches!(b.enable_dns.as_deref(), Some(LenientBoolean::String(s)) if s == "false") {
            falses += 1;
            assert_eq!(lenient(&b.enable_dns), Some(false));
        }
    }
    assert!(falses > 0);
}

#[tokio::test]
async fn replayed_page_keeps_nulls_and_unknown_values_and_ignores_unknown_fields() {
    let rec = recorded();
    let p = page(&env("FAKE_REPLAY"), 10).await;
    assert_eq!(p.total_count.flatten(), Some(4));
    let by: HashMap<&str, &EndpointResp> = endpoints(&p)
        .iter()
        .map(|e| (text(&e.id).unwrap(), e))
        .collect();
    assert_eq!(by.len(), rec.len());
    let (a, b, c, d) = (by[REC_A], by[REC_B], by[REC_C], by[REC_D]);
    assert_eq!(lenient(&a.enable_dns), Some(false));
    assert_eq!(lenient(&a.enable_whitelist), Some(true));
    assert!(a.dns_names.is_none()); // null
    assert_eq!(a.description, Some(None)); // present and null
                                           // x_vendor_trace (a field the spec does not list) is ignored: serde drops it, the
                                           // endpoint still decodes. The structs have no place to keep it.
    assert_eq!(text(&b.status), Some("deleting"));
    assert_eq!(active(&c.active_status), ["active", "suspended"]);
    assert_eq!(
        (b.ip.clone(), b.marker_id, b.updated_at.clone()),
        (Some(None), Some(None), Some(None))
    );
    assert_eq!(lenient(&b.enable_whitelist), None);
    assert_eq!(b.error, Some(None));
    assert_eq!(d.tags, Some(None));
    let d_error = d.error.clone().flatten().unwrap();
    assert_eq!(d_error[0].error_message, Some(None));
    let statements = b.policy_statement.clone().flatten().unwrap();
    assert_eq!(str_list(&statements[0].action), ["obs:object:GetObject"]);
    assert_eq!(
        str_list(&statements[1].action),
        ["obs:object:PutObject", "obs:object:DeleteObject"]
    );
    assert_eq!(text(&statements[0].sid), Some("read-logs"));
    let condition = serde_json::to_value(statements[0].condition.clone().flatten()).unwrap();
    assert_eq!(
        condition,
        serde_json::json!({"StringEquals": {"obs:prefix": ["logs/"]}})
    );
    let document = serde_json::to_value(b.policy_document.clone().flatten()).unwrap();
    assert_eq!(document, rec[REC_B]["policy_document"]);
}

#[tokio::test]
async fn error_401_is_decoded_but_into_the_first_variant_that_fits() {
    let (status, _, entity) = failure(call(&env("FAKE_PLAIN"), "wrong", None).await);
    assert_eq!(status, 401);
    let (variant, body) = error_body(entity);
    // OpenAPI Generator issue 10977: the error enum is #[serde(untagged)], so serde picks
    // the first variant whose type fits the body, whatever the status: Status400 for a 401.
    // Read the status from ResponseContent.status, never from the variant.
    assert_eq!(variant, 400);
    assert_eq!(text(&body.error_code), Some("APIGW.0301"));
    assert!(text(&body.error_msg).is_some());
}

#[tokio::test]
async fn error_400_for_limit_1001_names_the_parameter() {
    // The generated function takes an i32: maximum 1000 is not checked before sending.
    let (status, _, entity) = failure(call(&env("FAKE_PLAIN"), &token(), Some(1001)).await);
    assert_eq!(status, 400);
    let (_, body) = error_body(entity);
    let detail = body.error.flatten().unwrap();
    assert!(text(&detail.code).unwrap().starts_with("EndPoint."));
    assert!(text(&detail.message).unwrap().contains("limit"));
}

#[tokio::test]
async fn error_429_is_decoded_but_its_retry_after_is_not_reachable() {
    let (status, _, entity) = failure(call(&env("FAKE_THROTTLED"), &token(), None).await);
    assert_eq!(status, 429);
    assert_eq!(text(&error_body(entity).1.error_code), Some("APIGW.0308"));
    // ResponseContent has status, content and entity only: the Retry-After header the
    // fake sent is not available to the caller.
}

#[tokio::test]
async fn html_502_is_an_error_holding_the_page() {
    let (status, content, entity) = failure(call(&env("FAKE_GATEWAY"), &token(), None).await);
    assert_eq!(status, 502);
    assert!(content.contains("502 Bad Gateway"), "{content}");
    // Not JSON: no variant (Status502(String) would need a JSON string).
    assert!(entity.is_none());
}

#[test]
fn error_body_with_null_members_decodes() {
    let body = r#"{"error": null, "error_code": "APIGW.0101", "error_msg": "not found", "request_id": null}"#;
    let e: ErrorResponse = serde_json::from_str(body).unwrap();
    assert_eq!(e.error, Some(None));
    assert_eq!(text(&e.error_code), Some("APIGW.0101"));
}

/// One request to a listener on 127.0.0.1: its header lines, lower-cased names.
async fn headers_of_one_request(token: &str) -> HashMap<String, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 65536 {
            let n = sock.read(&mut chunk).await.unwrap();
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let body = r#"{"endpoints":[],"total_count":0}"#;
        let resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        sock.write_all(resp.as_bytes()).await.unwrap();
        String::from_utf8_lossy(&buf).into_owned()
    });
    call(&base, token, None).await.unwrap();
    let request = server.await.unwrap();
    request
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
        .collect()
}

#[tokio::test]
async fn auth_headers_sent() {
    let headers = headers_of_one_request("secret-token").await;
    assert_eq!(
        headers.get("x-auth-token").map(String::as_str),
        Some("secret-token")
    );
    // Spec 2.x listed akskSignature (an apiKey in Authorization) beside iamToken, and
    // Configuration has one api_key: the token went in Authorization as well. Not since
    // 3.0.0 (`security`: iamToken only).
    assert_eq!(headers.get("authorization"), None);
}
