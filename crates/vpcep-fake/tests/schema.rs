//! Every kind of response the fake sends validates against our own spec
//! (openapi/vpcep.yaml): pages against `EndpointListResp` (generated data, `--quirks`,
//! replayed data), errors against `ErrorResponse` (400, 401, 404, 405 and the injected
//! 429/5xx). Schemas are converted by the workspace's one OpenAPI 3.0.3 converter
//! (`oas30-schema`); fields the fake itself makes are also checked strictly (no property
//! the spec does not list) to catch typos.
//!
//! With `VPCEP_OAS30_SAMPLES=FILE` set, every body checked here is also appended to FILE
//! as one JSON line (`{"what", "status", "content_type", "body"}`): `cargo xtask spec
//! check` runs this test that way and hands the file to the reference validator
//! (`OAS30Validator`, tests/spec_oas30/validate.py).

mod common;

use std::io::Write;

use common::{client, get, list_url, PROJECT};
use serde_json::{json, Value};
use vpcep_fake::{generate, FakeConfig, FakeServer, Fault};

/// The spec (openapi/vpcep.yaml) as JSON.
fn spec() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/vpcep.yaml");
    let text = std::fs::read_to_string(path).expect("read openapi/vpcep.yaml");
    serde_norway::from_str(&text).expect("parse openapi/vpcep.yaml")
}

/// Forbids properties an object schema does not list (stricter than the spec, whose
/// response objects say `additionalProperties: true`), except in free-form objects
/// (no `properties`, e.g. `policy_document`).
fn forbid_unlisted(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.contains_key("properties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(forbid_unlisted);
        }
        Value::Array(items) => items.iter_mut().for_each(forbid_unlisted),
        _ => {}
    }
}

/// A validator for `#/components/schemas/{name}` of our spec.
fn validator(name: &str, strict: bool) -> oas30_schema::jsonschema::Validator {
    let reference = json!({ "$ref": format!("#/components/schemas/{name}") });
    let mut schema = oas30_schema::standalone(&spec(), &reference).expect("spec converts");
    if strict {
        forbid_unlisted(&mut schema);
    }
    oas30_schema::validator_for(&schema).expect("valid JSON Schema")
}

/// Asserts `body` is valid, and records it for the reference validator when asked to.
fn check(validator: &oas30_schema::jsonschema::Validator, status: u16, body: &Value, what: &str) {
    let errors = oas30_schema::errors(validator, body);
    assert!(errors.is_empty(), "{what}: {errors:#?}\nbody: {body}");
    record(status, "application/json", body, what);
}

/// Records a body the fake sent for the reference validator (`cargo xtask spec oas30`
/// sets `VPCEP_OAS30_SAMPLES`); a no-op otherwise.
fn record(status: u16, content_type: &str, body: &Value, what: &str) {
    if let Some(path) = std::env::var_os("VPCEP_OAS30_SAMPLES") {
        let line = json!({
            "what": what, "status": status, "content_type": content_type, "body": body
        });
        // One write of a whole line: tests run in parallel and append to the same file.
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()))
            .expect("append a sample");
    }
}

#[tokio::test]
async fn pages_validate_against_endpoint_list_resp() {
    let page_schema = validator("EndpointListResp", true);
    let fake = FakeServer::start(FakeConfig::new().generate(3000, 4).token("t")).unwrap();
    let c = client();
    let url = list_url(&fake.url());
    let auth = [("X-Auth-Token", "t")];
    for quirks in [false, true] {
        fake.set_quirks(quirks);
        for offset in ["0", "1000", "2000", "5000"] {
            let (status, _, body) =
                get(&c, &url, &[("limit", "1000"), ("offset", offset)], &auth).await;
            assert_eq!(status, 200);
            check(
                &page_schema,
                status,
                &body,
                &format!("generated page quirks={quirks} offset={offset}"),
            );
        }
    }
    // The doc example, in both shapes.
    fake.set_endpoints(vpcep_fake::doc_example_endpoints());
    for quirks in [false, true] {
        fake.set_quirks(quirks);
        let (status, _, body) = get(&c, &url, &[], &auth).await;
        check(
            &page_schema,
            status,
            &body,
            &format!("doc example quirks={quirks}"),
        );
    }
}

/// Replayed data (what `--data FILE` loads): nulls, unknown fields and the values the
/// doc does not list are served and still valid under the (non-strict) spec.
#[tokio::test]
async fn replayed_pages_validate_against_endpoint_list_resp() {
    let page_schema = validator("EndpointListResp", false);
    let recorded = r#"{"endpoints": [
        {"id": "a", "status": "deleting", "enable_dns": null, "dns_names": null,
         "active_status": null, "tags": [{"key": "k", "value": ""}],
         "policy_document": {"Version": "5.0", "Statement": []},
         "policy_statement": [{"Sid": "s", "Effect": "Allow", "Action": "obs:*",
                               "Resource": ["obs:*"], "Condition": {"Bool": {"x": ["true"]}}}],
         "endpoint_pool_id": null, "field_from_the_future": {"x": 1}},
        {"id": "b", "status": "accepted", "enable_dns": "false", "total": null}
    ], "total_count": 2}"#;
    let endpoints = vpcep_fake::parse_endpoints(recorded).expect("recorded data decodes");
    let fake = FakeServer::start(FakeConfig::new().endpoints(endpoints).token("t")).unwrap();
    let c = client();
    let url = list_url(&fake.url());
    for quirks in [false, true] {
        fake.set_quirks(quirks);
        let (status, _, body) = get(&c, &url, &[], &[("X-Auth-Token", "t")]).await;
        assert_eq!(status, 200);
        let a = body["endpoints"]
            .as_array()
            .expect("endpoints")
            .iter()
            .find(|e| e["id"] == "a")
            .expect("endpoint a");
        assert_eq!(a["status"], "deleting");
        // Fields the spec does not know are replayed too (kept in `EndpointResp::extra`).
        assert_eq!(a["field_from_the_future"], json!({"x": 1}));
        check(
            &page_schema,
            status,
            &body,
            &format!("replayed page quirks={quirks}"),
        );
    }
}

#[test]
fn the_spec_schema_rejects_what_it_should() {
    // Guard against a vacuous validator.
    let page_schema = validator("EndpointListResp", true);
    let lenient = validator("EndpointListResp", false);
    assert!(!page_schema.is_valid(&json!({"endpoints": [{"enable_dns": "maybe"}]})));
    assert!(!page_schema.is_valid(&json!({"total_count": "2"})));
    assert!(!page_schema.is_valid(&json!({"endpoints": [{"unknown": 1}]})));
    assert!(lenient.is_valid(&json!({"endpoints": [{"unknown": 1}]})));
    // Every field admits null, the lenient schemas included (OpenAPI 3.0.3 rule).
    for field in [
        "enable_dns",
        "dns_names",
        "active_status",
        "status",
        "policy_document",
    ] {
        let page = json!({"endpoints": [{ field: null }], "total_count": null});
        assert!(page_schema.is_valid(&page), "{field}: null");
    }
    let data = serde_json::to_value(generate(5, 1, PROJECT)).unwrap();
    assert!(page_schema.is_valid(&json!({"endpoints": data, "total_count": 5})));
    let error_schema = validator("ErrorResponse", true);
    assert!(error_schema.is_valid(&json!({"error": null, "error_code": null, "error_msg": "m"})));
    assert!(!error_schema.is_valid(&json!({"error": {"code": 6}})));
}

#[tokio::test]
async fn errors_validate_against_error_response() {
    let error_schema = validator("ErrorResponse", true);
    let fake = FakeServer::start(FakeConfig::new().token("t")).unwrap();
    let c = client();
    let base = fake.url();
    let url = list_url(&base);
    let auth = [("X-Auth-Token", "t")];
    let mut seen = Vec::new();
    // 400, 401, 404.
    for (u, q, h) in [
        (url.clone(), vec![("limit", "0")], auth.to_vec()),
        (url.clone(), vec![], vec![]),
        (format!("{base}/nope"), vec![], auth.to_vec()),
    ] {
        let (status, headers, body) = get(&c, &u, &q, &h).await;
        assert!(headers.contains_key("x-request-id"));
        check(&error_schema, status, &body, &format!("error {status}"));
        seen.push(status);
    }
    // 405.
    let resp = c
        .post(&url)
        .header("X-Auth-Token", "t")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    let body: Value = resp.json().await.unwrap();
    check(&error_schema, 405, &body, "error 405");
    // Injected statuses.
    for status in [429u16, 500, 502, 503, 504] {
        fake.faults().push(Fault::status(status));
        let (got, _, body) = get(&c, &url, &[], &auth).await;
        assert_eq!(got, status);
        check(&error_schema, got, &body, &format!("injected {status}"));
        seen.push(got);
    }
    assert_eq!(seen, [400, 401, 404, 429, 500, 502, 503, 504]);
}

#[tokio::test]
async fn gateway_html_pages_are_recorded_for_the_reference_validator() {
    // The fake's gateway pages (Fault::GatewayHtml) are text/html: the reference validator
    // checks that the spec declares that media type for each of these statuses.
    let fake = FakeServer::start(FakeConfig::new().token("t")).unwrap();
    let c = client();
    let url = list_url(&fake.url());
    for status in [502u16, 503, 504] {
        fake.faults().push(Fault::gateway_html(status));
        let resp = c
            .get(&url)
            .header("X-Auth-Token", "t")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), status);
        let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/html"), "{content_type}");
        let page = resp.text().await.unwrap();
        assert!(page.contains(&status.to_string()), "{page}");
        record(
            status,
            "text/html",
            &Value::String(page),
            &format!("gateway HTML {status}"),
        );
    }
}
