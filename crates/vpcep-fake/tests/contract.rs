//! The fake's side of the one contract (issue 12): completeness against the spec.
//!
//! - every query parameter of `vpcep_client::contract::LIST_ENDPOINTS` (the table
//!   `cargo xtask codegen` generates from the spec) changes the fake's answer compared
//!   with not giving it: a parameter added to the spec fails here, naming it, until the
//!   spec says what the service does with it (`x-vpcep-match`, openapi/README.md), which
//!   `store.rs` reads;
//! - every value the table's rules reject is a 400 naming the parameter, with the
//!   parameter's `x-vpcep-error-code`;
//! - the generator fills every property of the spec's `EndpointResp` (and of the objects
//!   in its arrays) in at least one endpoint: a response field added to the spec fails
//!   here, naming it, until `generate.rs` fills it.
//!
//! Values come from the spec and from the data served, never from a list written here.

mod common;

use std::collections::BTreeMap;

use common::{client, get, list_url};
use serde_json::{json, Value};
use vpcep_client::contract::{Kind, Location, Parameter, LIST_ENDPOINTS};
use vpcep_fake::{generate, FakeConfig, FakeServer, DEFAULT_PROJECT_ID};

/// Enough generated endpoints that every categorical value appears and a page of the
/// default size is a small part of them.
const SERVED: usize = 200;
const SEED: u64 = 12;

/// Wire text of a JSON value taken from the data: strings as they are, numbers and
/// booleans as written, a list by its first element; objects have no wire text.
fn wire_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => items.first().and_then(wire_text),
        _ => None,
    }
}

/// A valid value of `p` other than what the server assumes without it.
///
/// A parameter named like a response field (a filter: `vpc_id`, `id`, …) takes that
/// field's value from the data served, its rarest value, so that filtering keeps some
/// endpoints but not all. Any other takes a value from its schema: an enumeration value
/// other than the default, an integer one above the default (or the minimum).
fn value_for(p: &Parameter, served: &[Value]) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for e in served {
        if let Some(v) = e.get(p.name).and_then(wire_text) {
            *counts.entry(v).or_default() += 1;
        }
    }
    if let Some((v, _)) = counts.iter().min_by_key(|(_, n)| **n) {
        return v.clone();
    }
    match p.kind {
        Kind::String if !p.allowed.is_empty() => p
            .allowed
            .iter()
            .find(|v| Some(**v) != p.default)
            .unwrap_or_else(|| panic!("`{}`: no enumeration value but the default", p.name))
            .to_string(),
        Kind::String => "x".repeat(p.min_length.unwrap_or(1).max(1)),
        Kind::Integer => {
            let base = p
                .default
                .map(|d| d.parse::<i64>().expect("an integer default"))
                .or(p.minimum)
                .unwrap_or(0);
            let above = base + 1;
            if p.maximum.is_some_and(|max| above > max) {
                (base - 1).to_string()
            } else {
                above.to_string()
            }
        }
    }
}

#[tokio::test]
async fn every_query_parameter_changes_the_answer() {
    let fake = FakeServer::start(FakeConfig::new().generate(SERVED, SEED)).expect("start fake");
    let served: Vec<Value> = fake
        .endpoints()
        .iter()
        .map(|e| serde_json::to_value(e).expect("JSON"))
        .collect();
    let c = client();
    let url = list_url(&fake.url());
    let (status, _, without) = get(&c, &url, &[], &[]).await;
    assert_eq!(status, 200, "{without}");
    assert_eq!(without["total_count"], SERVED);
    let mut checked = Vec::new();
    for p in LIST_ENDPOINTS
        .iter()
        .filter(|p| p.location == Location::Query)
    {
        let value = value_for(p, &served);
        let (status, _, with) = get(&c, &url, &[(p.name, &value)], &[]).await;
        assert_eq!(
            status, 200,
            "vpcep-fake refuses the valid `{}={value}`: {with}",
            p.name
        );
        // Not assert_ne!: the pages are long, the message says what matters.
        assert!(
            with != without,
            "vpcep-fake: query parameter `{}` does not change the answer (the fake ignores \
             it): say what the service does with it in openapi/vpcep.yaml (`x-vpcep-match`, \
             see openapi/README.md), then `cargo xtask codegen` (tried `{}={value}`)",
            p.name,
            p.name
        );
        checked.push(p.name);
    }
    // The table is not empty, and holds the parameters this test was written with.
    for name in ["vpc_id", "limit", "sort_key"] {
        assert!(checked.contains(&name), "{checked:?}");
    }
    fake.stop();
}

/// Values each rule of `p` rejects: one character too many or too few, one past the
/// range, a value outside the enumeration.
fn invalid_values(p: &Parameter) -> Vec<String> {
    let mut out = Vec::new();
    match p.kind {
        Kind::String => {
            if let Some(max) = p.max_length {
                out.push("x".repeat(max + 1));
            }
            if let Some(min) = p.min_length.filter(|&m| m > 0) {
                out.push("x".repeat(min - 1));
            }
            if let Some(first) = p.allowed.first() {
                let outside = format!("{first}-not-allowed");
                assert!(!p.allowed.contains(&outside.as_str()));
                out.push(outside);
            }
        }
        Kind::Integer => {
            if let Some(min) = p.minimum {
                out.push((min - 1).to_string());
            }
            if let Some(max) = p.maximum {
                out.push((max + 1).to_string());
            }
        }
    }
    out
}

#[tokio::test]
async fn every_value_the_rules_reject_is_a_400_naming_the_parameter() {
    let fake = FakeServer::start(FakeConfig::new()).expect("start fake");
    let c = client();
    let base = fake.url();
    let mut cases = 0;
    for p in LIST_ENDPOINTS {
        for value in invalid_values(p) {
            let (status, _, body) = match p.location {
                Location::Query => get(&c, &list_url(&base), &[(p.name, &value)], &[]).await,
                Location::Path => {
                    assert_eq!(p.name, "project_id", "a path parameter this test knows");
                    let url = format!("{base}/v1/{value}/vpc-endpoints");
                    get(&c, &url, &[], &[]).await
                }
                Location::Header => get(&c, &list_url(&base), &[], &[(p.name, &value)]).await,
            };
            assert_eq!(
                status, 400,
                "vpcep-fake accepts `{}` = {value:?}, which the spec's rules reject: {body}",
                p.name
            );
            let message = body["error"]["message"].as_str().unwrap_or_default();
            assert!(
                message.starts_with(&format!("invalid {}: ", p.name)),
                "vpcep-fake: the 400 for `{}` = {value:?} does not name it: {body}",
                p.name
            );
            assert_eq!(
                body["error"]["code"], p.error_code,
                "vpcep-fake: the 400 for `{}` does not carry its x-vpcep-error-code: {body}",
                p.name
            );
            cases += 1;
        }
    }
    assert!(cases > 0, "the table has no rule to break");
    fake.stop();
}

/// The spec's `EndpointResp` as JSON Schema, converted by the workspace's one OpenAPI
/// 3.0.3 converter (as tests/schema.rs does): the schema, and the root its `$ref`s
/// resolve in.
fn endpoint_schema() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/vpcep.yaml");
    let text = std::fs::read_to_string(path).expect("read openapi/vpcep.yaml");
    let spec: Value = serde_norway::from_str(&text).expect("parse openapi/vpcep.yaml");
    let reference = json!({ "$ref": "#/components/schemas/EndpointResp" });
    oas30_schema::standalone(&spec, &reference).expect("spec converts")
}

/// `schema` with its `$ref` (to the root's `definitions`) followed.
fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.strip_prefix("#/definitions/").expect("a local reference");
            resolve(root, &root["definitions"][name])
        }
        None => schema,
    }
}

/// Whether `v` carries something: not null, not an empty string, list or object.
fn filled(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

/// Adds to `missing` every property of the object schema `schema` (and, below, of the
/// objects in its array properties) that no instance fills; `at` names the object.
fn unfilled(
    root: &Value,
    schema: &Value,
    instances: &[&Value],
    at: &str,
    missing: &mut Vec<String>,
) {
    let schema = resolve(root, schema);
    let Some(properties) = schema["properties"].as_object() else {
        return;
    };
    for (name, sub) in properties {
        let path = format!("{at}{name}");
        let values: Vec<&Value> = instances
            .iter()
            .filter_map(|i| i.get(name))
            .filter(|v| filled(v))
            .collect();
        if values.is_empty() {
            missing.push(path);
            continue;
        }
        let sub = resolve(root, sub);
        let items: Vec<&Value> = values
            .iter()
            .filter_map(|v| v.as_array())
            .flatten()
            .collect();
        if !items.is_empty() && sub["items"].is_object() {
            unfilled(root, &sub["items"], &items, &format!("{path}[]."), missing);
        }
    }
}

#[test]
fn the_generator_fills_every_field_of_the_spec() {
    let root = endpoint_schema();
    let endpoint = &root["allOf"][0];
    assert!(
        resolve(&root, endpoint)["properties"]
            .as_object()
            .is_some_and(|p| p.contains_key("vpc_id")),
        "EndpointResp has properties"
    );
    let generated: Vec<Value> = generate(SERVED, SEED, DEFAULT_PROJECT_ID)
        .iter()
        .map(|e| serde_json::to_value(e).expect("JSON"))
        .collect();
    let instances: Vec<&Value> = generated.iter().collect();
    let mut missing = Vec::new();
    unfilled(&root, endpoint, &instances, "", &mut missing);
    assert!(
        missing.is_empty(),
        "vpcep-fake: the generator fills no endpoint's {missing:?} (of the spec's \
         EndpointResp): fill it in crates/vpcep-fake/src/generate.rs"
    );
}
