//! The hand-written validation limits (`crate::validate::limits`, private) agree with the
//! spec's request constraints (read from the committed bundle `openapi/vpcep.json`), and
//! the enumerations the builder accepts are the spec's.

use crate::validate::limits;
use serde_json::Value;

fn spec() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/vpcep.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn parameter_schema(spec: &Value, wire_name: &str) -> Value {
    spec["components"]["parameters"]
        .as_object()
        .unwrap()
        .values()
        .find(|p| p["name"] == wire_name)
        .unwrap_or_else(|| panic!("spec has no parameter {wire_name}"))["schema"]
        .clone()
}

fn as_usize(v: &Value) -> usize {
    v.as_u64().map_or(usize::MAX, |n| n as usize)
}

#[test]
fn string_lengths_match_the_spec() {
    let spec = spec();
    for (name, (min, max)) in [
        ("project_id", limits::PROJECT_ID),
        ("endpoint_service_name", limits::ENDPOINT_SERVICE_NAME),
        ("vpc_id", limits::VPC_ID),
        ("id", limits::ID),
        ("public_border_group", limits::PUBLIC_BORDER_GROUP),
    ] {
        let schema = parameter_schema(&spec, name);
        assert_eq!(as_usize(&schema["minLength"]), min, "{name} minLength");
        assert_eq!(as_usize(&schema["maxLength"]), max, "{name} maxLength");
    }
}

#[test]
fn integer_ranges_match_the_spec() {
    let spec = spec();
    let limit = parameter_schema(&spec, "limit");
    assert_eq!(limit["minimum"].as_i64(), Some(limits::LIMIT.0));
    assert_eq!(limit["maximum"].as_i64(), Some(limits::LIMIT.1));
    let offset = parameter_schema(&spec, "offset");
    assert_eq!(offset["minimum"].as_i64(), Some(limits::OFFSET.0));
    assert_eq!(offset["format"], "int32");
    assert_eq!(limits::OFFSET.1, i64::from(i32::MAX));
}

#[test]
fn auth_token_length_is_documented() {
    let spec = spec();
    let description = spec["components"]["securitySchemes"]["iamToken"]["description"]
        .as_str()
        .unwrap();
    let (min, max) = limits::AUTH_TOKEN;
    assert!(
        description.contains(&format!("Length {min}..{max}")),
        "{description}"
    );
}

#[test]
fn sort_enumerations_match_the_spec() {
    let spec = spec();
    let values = |schema: &str| -> Vec<String> {
        spec["components"]["schemas"][schema]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let keys: Vec<String> = [crate::SortKey::CreateAt, crate::SortKey::UpdateAt]
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(values("SortKey"), keys);
    let dirs: Vec<String> = [crate::SortDir::Desc, crate::SortDir::Asc]
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(values("SortDir"), dirs);
}
