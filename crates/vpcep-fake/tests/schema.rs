//! Every kind of response the fake sends validates against our own spec
//! (openapi/vpcep.yaml), with `jsonschema`: pages against `EndpointListResp`, errors
//! against `ErrorResponse`. Objects are checked strictly (no property the spec does not
//! list) to catch typos.

mod common;

use common::{assert_valid, client, get, list_url, validator, PROJECT};
use vpcep_fake::{generate, FakeConfig, FakeServer, Fault};

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
            assert_valid(
                &page_schema,
                &body,
                &format!("page quirks={quirks} offset={offset}"),
            );
        }
    }
    // The doc example, in both shapes.
    fake.set_endpoints(vpcep_fake::doc_example_endpoints());
    for quirks in [false, true] {
        fake.set_quirks(quirks);
        let (_, _, body) = get(&c, &url, &[], &auth).await;
        assert_valid(&page_schema, &body, "doc example");
    }
}

#[test]
fn the_spec_schema_rejects_what_it_should() {
    // Guard against a vacuous validator.
    let page_schema = validator("EndpointListResp", true);
    assert!(!page_schema.is_valid(&serde_json::json!({"endpoints": [{"enable_dns": "maybe"}]})));
    assert!(!page_schema.is_valid(&serde_json::json!({"total_count": "2"})));
    assert!(!page_schema.is_valid(&serde_json::json!({"endpoints": [{"unknown": 1}]})));
    assert!(page_schema.is_valid(&serde_json::json!({"endpoints": [{"enable_dns": null}]})));
    let data = serde_json::to_value(generate(5, 1, PROJECT)).unwrap();
    assert!(page_schema.is_valid(&serde_json::json!({"endpoints": data, "total_count": 5})));
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
        assert_valid(&error_schema, &body, &format!("{status}"));
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
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_valid(&error_schema, &body, "405");
    // Injected statuses.
    for status in [429u16, 500, 502, 503, 504] {
        fake.faults().push(Fault::status(status));
        let (got, _, body) = get(&c, &url, &[], &auth).await;
        assert_eq!(got, status);
        assert_valid(&error_schema, &body, &format!("{status}"));
        seen.push(got);
    }
    assert_eq!(seen, [400, 401, 404, 429, 500, 502, 503, 504]);
}
