//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

pub const PROJECT: &str = "295dacf46a4842fcbf7844dc2dc2489d";

pub fn client() -> reqwest::Client {
    // Plain bodies, as the fake sends when not asked for gzip (tests/link.rs covers that).
    reqwest::Client::builder()
        .gzip(false)
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

pub fn list_url(base: &str) -> String {
    format!("{base}/v1/{PROJECT}/vpc-endpoints")
}

/// GET `url` with the query pairs; returns status, headers and the JSON body.
pub async fn get(
    client: &reqwest::Client,
    url: &str,
    query: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> (u16, HeaderMap, Value) {
    let mut req = client.get(url).query(query);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}

pub fn ids(body: &Value) -> Vec<String> {
    body["endpoints"]
        .as_array()
        .expect("endpoints array")
        .iter()
        .map(|e| e["id"].as_str().expect("id").to_owned())
        .collect()
}

/// The spec (openapi/vpcep.yaml) as JSON.
pub fn spec() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/vpcep.yaml");
    let text = std::fs::read_to_string(path).expect("read openapi/vpcep.yaml");
    serde_norway::from_str(&text).expect("parse openapi/vpcep.yaml")
}

/// OpenAPI 3.0 schema → JSON Schema (draft 4): `nullable: true` also allows null.
/// `strict` forbids properties the spec does not list (stricter than the spec, to catch
/// typos in what the fake sends).
fn convert(v: &Value, strict: bool) -> Value {
    match v {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            let mut nullable = false;
            for (k, v) in map {
                match k.as_str() {
                    "nullable" => nullable = v.as_bool().unwrap_or(false),
                    "example" | "x-extensible-enum" => {}
                    "properties" => {
                        let props = v
                            .as_object()
                            .expect("properties object")
                            .iter()
                            .map(|(name, s)| (name.clone(), convert(s, strict)))
                            .collect();
                        out.insert(k.clone(), Value::Object(props));
                    }
                    _ => {
                        out.insert(k.clone(), convert(v, strict));
                    }
                }
            }
            if strict && out.contains_key("properties") {
                out.insert("additionalProperties".into(), Value::Bool(false));
            }
            if nullable {
                serde_json::json!({ "anyOf": [Value::Object(out), { "type": "null" }] })
            } else {
                Value::Object(out)
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(|i| convert(i, strict)).collect()),
        other => other.clone(),
    }
}

/// A validator for `#/components/schemas/{name}` of our spec.
pub fn validator(name: &str, strict: bool) -> jsonschema::Validator {
    let spec = spec();
    let schemas = convert(&spec["components"]["schemas"], strict);
    let root = serde_json::json!({
        "$ref": format!("#/components/schemas/{name}"),
        "components": { "schemas": schemas },
    });
    jsonschema::draft4::new(&root).expect("valid JSON Schema")
}

pub fn assert_valid(validator: &jsonschema::Validator, body: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}\nbody: {body}");
}
