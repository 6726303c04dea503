//! Decoding tests: one test per response shape the server (or its documentation) sends,
//! asserting the decoded values, and the failures that must stay failures.

use serde_json::json;
use vpcep_client::lenient::{
    AccountStatus, ActiveStatusList, EndpointStatus, LenientBool, OneOrMany, ServiceType,
    StringList,
};
use vpcep_client::types::{EndpointListResp, EndpointResp, ErrorDetail, ErrorResponse};

const DOC_EXAMPLE: &str = include_str!("data/doc_example_response.json");

/// Decodes like the client does, with the path of the offending field on failure.
fn try_decode<T: serde::de::DeserializeOwned>(
    text: &str,
) -> Result<T, serde_path_to_error::Error<serde_json::Error>> {
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text))
}

fn decode<T: serde::de::DeserializeOwned>(text: &str) -> T {
    try_decode(text).unwrap_or_else(|e| panic!("{text}\n{}: {}", e.path(), e.inner()))
}

/// Decodes `{"endpoints": [<endpoint>]}` and returns the endpoint.
fn endpoint(fields: serde_json::Value) -> EndpointResp {
    let text = json!({ "endpoints": [fields] }).to_string();
    let mut resp: EndpointListResp = decode(&text);
    let mut endpoints = resp.endpoints.take().expect("endpoints present");
    assert_eq!(endpoints.len(), 1);
    endpoints.remove(0)
}

/// Decoding `{"endpoints": [<endpoint>]}` fails; returns (path, message).
fn endpoint_error(fields: serde_json::Value) -> (String, String) {
    let text = json!({ "endpoints": [fields] }).to_string();
    let err = try_decode::<EndpointListResp>(&text).expect_err("decoding must fail");
    (err.path().to_string(), err.inner().to_string())
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

// --- booleans sent as booleans or strings ------------------------------------------------

#[test]
fn enable_dns_string_true() {
    let e = endpoint(json!({ "enable_dns": "true" }));
    assert_eq!(e.enable_dns, Some(LenientBool(true)));
    assert!(e.enable_dns.unwrap().get());
}

#[test]
fn enable_dns_string_false_is_false() {
    let e = endpoint(json!({ "enable_dns": "false" }));
    assert_eq!(e.enable_dns, Some(LenientBool(false)));
    assert!(!e.enable_dns.unwrap().get());
}

#[test]
fn enable_dns_bool_true() {
    let e = endpoint(json!({ "enable_dns": true }));
    assert_eq!(e.enable_dns, Some(LenientBool(true)));
}

#[test]
fn enable_dns_bool_false() {
    let e = endpoint(json!({ "enable_dns": false }));
    assert_eq!(e.enable_dns, Some(LenientBool(false)));
}

#[test]
fn enable_whitelist_string_true() {
    let e = endpoint(json!({ "enable_whitelist": "true" }));
    assert_eq!(e.enable_whitelist, Some(LenientBool(true)));
}

#[test]
fn enable_whitelist_string_false_is_false() {
    let e = endpoint(json!({ "enable_whitelist": "false" }));
    assert_eq!(e.enable_whitelist, Some(LenientBool(false)));
}

#[test]
fn enable_whitelist_bool_true() {
    let e = endpoint(json!({ "enable_whitelist": true }));
    assert_eq!(e.enable_whitelist, Some(LenientBool(true)));
}

#[test]
fn enable_whitelist_bool_false() {
    let e = endpoint(json!({ "enable_whitelist": false }));
    assert_eq!(e.enable_whitelist, Some(LenientBool(false)));
}

#[test]
fn lenient_bools_reserialize_as_booleans() {
    let e = endpoint(json!({ "enable_dns": "false", "enable_whitelist": "true" }));
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!({ "enable_dns": false, "enable_whitelist": true })
    );
}

// --- lists sent as arrays or single strings ----------------------------------------------

#[test]
fn active_status_as_string() {
    let e = endpoint(json!({ "active_status": "active" }));
    assert_eq!(
        e.active_status,
        Some(ActiveStatusList::from(vec![AccountStatus::Active]))
    );
}

#[test]
fn active_status_as_array() {
    let e = endpoint(json!({ "active_status": ["active", "frozen"] }));
    let statuses = e.active_status.expect("active_status");
    assert_eq!(
        statuses.as_slice(),
        &[AccountStatus::Active, AccountStatus::Frozen]
    );
}

#[test]
fn active_status_unknown_value_is_kept() {
    let e = endpoint(json!({ "active_status": "suspended" }));
    let statuses = e.active_status.expect("active_status");
    assert_eq!(
        statuses.as_slice(),
        &[AccountStatus::Unknown("suspended".to_owned())]
    );
}

#[test]
fn dns_names_as_string() {
    let e = endpoint(json!({ "dns_names": "test123" }));
    assert_eq!(e.dns_names, Some(StringList::from(strings(&["test123"]))));
}

#[test]
fn dns_names_as_array() {
    let e = endpoint(json!({ "dns_names": ["a.example", "b.example"] }));
    assert_eq!(
        e.dns_names.expect("dns_names").into_vec(),
        strings(&["a.example", "b.example"])
    );
}

#[test]
fn dns_names_as_empty_array() {
    let e = endpoint(json!({ "dns_names": [] }));
    assert_eq!(e.dns_names, Some(OneOrMany(Vec::new())));
}

#[test]
fn single_string_lists_reserialize_as_arrays() {
    let e = endpoint(json!({ "active_status": "active", "dns_names": "test123" }));
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!({ "active_status": ["active"], "dns_names": ["test123"] })
    );
}

// --- policy statements -------------------------------------------------------------------

#[test]
fn policy_statement_action_as_string() {
    let e = endpoint(json!({ "policy_statement": [{
        "Effect": "Allow",
        "Action": "obs:object:GetObject",
        "Resource": ["obs:*:*:object:bucket/*"]
    }] }));
    let statements = e.policy_statement.expect("policy_statement");
    assert_eq!(statements.len(), 1);
    let s = &statements[0];
    assert_eq!(s.effect.as_deref(), Some("Allow"));
    assert_eq!(
        s.action.as_deref(),
        Some(&["obs:object:GetObject".to_owned()][..])
    );
    assert_eq!(s.resource, Some(strings(&["obs:*:*:object:bucket/*"])));
}

#[test]
fn policy_statement_action_as_array() {
    let e = endpoint(json!({ "policy_statement": [{
        "Effect": "Deny",
        "Action": ["obs:object:PutObject", "obs:object:DeleteObject"],
        "Resource": ["obs:*:*:object:a/*", "obs:*:*:object:b/*"]
    }] }));
    let statements = e.policy_statement.expect("policy_statement");
    let s = &statements[0];
    assert_eq!(s.effect.as_deref(), Some("Deny"));
    assert_eq!(
        s.action.clone().map(OneOrMany::into_vec),
        Some(strings(&[
            "obs:object:PutObject",
            "obs:object:DeleteObject"
        ]))
    );
    assert_eq!(
        s.resource,
        Some(strings(&["obs:*:*:object:a/*", "obs:*:*:object:b/*"]))
    );
}

#[test]
fn policy_statement_lowercase_names_are_not_the_fields() {
    // The wire names are capitalised; lowercase keys are unknown fields and ignored.
    let e = endpoint(json!({ "policy_statement": [{
        "effect": "Allow", "action": "obs:object:GetObject", "resource": ["x"]
    }] }));
    let s = &e.policy_statement.expect("policy_statement")[0];
    assert_eq!(s.effect, None);
    assert_eq!(s.action, None);
    assert_eq!(s.resource, None);
}

#[test]
fn policy_statement_reserializes_capitalised() {
    let e = endpoint(json!({ "policy_statement": [{
        "Effect": "Allow", "Action": "obs:object:GetObject", "Resource": ["r"]
    }] }));
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!({ "policy_statement": [{
            "Action": ["obs:object:GetObject"], "Effect": "Allow", "Resource": ["r"]
        }] })
    );
}

// --- missing, null and unknown fields ----------------------------------------------------

#[test]
fn missing_optional_fields_are_none() {
    let e = endpoint(json!({ "id": "only-id" }));
    assert_eq!(
        e,
        EndpointResp {
            id: Some("only-id".to_owned()),
            ..EndpointResp::default()
        }
    );
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!({ "id": "only-id" })
    );
}

#[test]
fn null_array_is_none() {
    let e = endpoint(json!({ "whitelist": null, "tags": null, "dns_names": null }));
    assert_eq!(e.whitelist, None);
    assert_eq!(e.tags, None);
    assert_eq!(e.dns_names, None);
}

#[test]
fn null_string_is_none() {
    let e = endpoint(json!({ "description": null, "ip": null }));
    assert_eq!(e.description, None);
    assert_eq!(e.ip, None);
}

#[test]
fn null_lenient_bool_is_none() {
    let e = endpoint(json!({ "enable_dns": null, "enable_whitelist": null }));
    assert_eq!(e.enable_dns, None);
    assert_eq!(e.enable_whitelist, None);
}

#[test]
fn null_enum_is_none() {
    let e = endpoint(json!({ "status": null, "service_type": null, "active_status": null }));
    assert_eq!(e.status, None);
    assert_eq!(e.service_type, None);
    assert_eq!(e.active_status, None);
}

#[test]
fn null_endpoints_and_total_count_are_none() {
    let resp: EndpointListResp = decode(r#"{"endpoints":null,"total_count":null}"#);
    assert_eq!(resp, EndpointListResp::default());
}

#[test]
fn unknown_top_level_fields_are_ignored() {
    let resp: EndpointListResp = decode(
        r#"{"request_id":"abc","page_info":{"next_marker":"x","current_count":1},
            "endpoints":[{"id":"e1"}],"total_count":1,"extra":[1,2,{"a":null}]}"#,
    );
    assert_eq!(resp.total_count, Some(1));
    let endpoints = resp.endpoints.expect("endpoints");
    assert_eq!(endpoints.len(), 1);
    assert_eq!(endpoints[0].id.as_deref(), Some("e1"));
}

/// Since spec 2.0.0 an endpoint keeps the fields the spec does not know in `extra`
/// (decoding still never fails on them), and serializes them back as sent.
#[test]
fn unknown_endpoint_fields_are_kept_in_extra() {
    let e = endpoint(json!({
        "id": "e1",
        "new_scalar": 42,
        "new_object": { "nested": { "deeper": [1, "two", { "three": null }] } },
        "new_array": [{ "k": "v" }, []],
        "status": "accepted"
    }));
    assert_eq!(e.id.as_deref(), Some("e1"));
    assert_eq!(e.status, Some(EndpointStatus::Accepted));
    assert_eq!(
        e.extra.keys().collect::<Vec<_>>(),
        ["new_array", "new_object", "new_scalar"]
    );
    assert_eq!(e.extra["new_scalar"], json!(42));
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!({
            "id": "e1",
            "new_scalar": 42,
            "new_object": { "nested": { "deeper": [1, "two", { "three": null }] } },
            "new_array": [{ "k": "v" }, []],
            "status": "accepted"
        })
    );
    // Known fields never land in `extra`.
    assert!(endpoint(json!({ "id": "e1", "policy_document": {} }))
        .extra
        .is_empty());
}

#[test]
fn policy_document_condition_and_sid_decode() {
    let e = endpoint(json!({
        "policy_document": { "Version": "5.0", "Statement": [{ "Effect": "Allow", "Action": ["*"] }] },
        "policy_statement": [{
            "Sid": "s1", "Effect": "Deny", "Action": "obs:*",
            "Condition": { "StringEquals": { "obs:prefix": ["logs/"] } }
        }]
    }));
    let doc = e.policy_document.as_ref().expect("policy_document");
    assert_eq!(doc["Version"], json!("5.0"));
    let s = &e.policy_statement.as_ref().expect("policy_statement")[0];
    assert_eq!(s.sid.as_deref(), Some("s1"));
    assert_eq!(
        s.condition.as_ref().expect("Condition")["StringEquals"],
        json!({ "obs:prefix": ["logs/"] })
    );
    // Null is None, like every other field.
    let e = endpoint(
        json!({ "policy_document": null, "policy_statement": [{ "Condition": null, "Sid": null }] }),
    );
    assert_eq!(e.policy_document, None);
    assert_eq!(e.policy_statement.unwrap()[0].condition, None);
}

#[test]
fn unknown_fields_inside_nested_objects_are_ignored() {
    let e = endpoint(json!({
        "tags": [{ "key": "k", "value": "v", "created": "2024-01-01" }],
        "error": [{ "error_code": "E1", "error_message": "m", "detail": { "x": 1 } }],
        "policy_statement": [{ "Effect": "Allow", "Sid": "s1", "Condition": { "a": {} } }]
    }));
    let tag = &e.tags.expect("tags")[0];
    assert_eq!(tag.key.as_deref(), Some("k"));
    assert_eq!(tag.value.as_deref(), Some("v"));
    let error = &e.error.expect("error")[0];
    assert_eq!(error.error_code.as_deref(), Some("E1"));
    assert_eq!(error.error_message.as_deref(), Some("m"));
    let s = &e.policy_statement.expect("policy_statement")[0];
    assert_eq!(s.effect.as_deref(), Some("Allow"));
}

// --- open enumerations -------------------------------------------------------------------

#[test]
fn known_statuses_decode_to_variants() {
    for (wire, expected) in [
        ("pendingAcceptance", EndpointStatus::PendingAcceptance),
        ("creating", EndpointStatus::Creating),
        ("accepted", EndpointStatus::Accepted),
        ("rejected", EndpointStatus::Rejected),
        ("failed", EndpointStatus::Failed),
        ("deleting", EndpointStatus::Deleting),
    ] {
        let e = endpoint(json!({ "status": wire }));
        assert_eq!(e.status, Some(expected), "{wire}");
    }
}

#[test]
fn unknown_status_is_kept_verbatim() {
    // `deleting` was the example until spec 2.0.0 listed it; any value not listed works.
    let e = endpoint(json!({ "status": "suspended" }));
    let status = e.status.clone().expect("status");
    assert_eq!(status, EndpointStatus::Unknown("suspended".to_owned()));
    assert_eq!(status.as_str(), "suspended");
    assert!(!status.is_known());
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!({ "status": "suspended" })
    );
}

#[test]
fn status_case_is_not_guessed() {
    let e = endpoint(json!({ "status": "Accepted" }));
    assert_eq!(
        e.status,
        Some(EndpointStatus::Unknown("Accepted".to_owned()))
    );
}

#[test]
fn service_type_known_values() {
    let e = endpoint(json!({ "service_type": "gateway" }));
    assert_eq!(e.service_type, Some(ServiceType::Gateway));
    let e = endpoint(json!({ "service_type": "interface" }));
    assert_eq!(e.service_type, Some(ServiceType::Interface));
}

#[test]
fn service_type_doc_misspelling_gataway_is_unknown_and_kept() {
    let e = endpoint(json!({ "service_type": "gataway" }));
    let service_type = e.service_type.clone().expect("service_type");
    assert_eq!(service_type, ServiceType::Unknown("gataway".to_owned()));
    assert_eq!(service_type.to_string(), "gataway");
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!({ "service_type": "gataway" })
    );
}

#[test]
fn service_type_unknown_value_is_kept() {
    let e = endpoint(json!({ "service_type": "vpc_peering" }));
    let service_type = e.service_type.clone().expect("service_type");
    assert_eq!(service_type, ServiceType::Unknown("vpc_peering".to_owned()));
    assert_eq!(
        serde_json::to_string(&service_type).unwrap(),
        r#""vpc_peering""#
    );
}

#[test]
fn unknown_enum_value_with_escapes_is_kept_exactly() {
    // An escaped string is decoded (not borrowed) by serde_json: the other visitor path.
    let resp: EndpointListResp =
        decode(r#"{"endpoints":[{"status":"del\u00e9ting \"x\"","service_type":"gat\u0061way"}]}"#);
    let e = &resp.endpoints.expect("endpoints")[0];
    assert_eq!(
        e.status,
        Some(EndpointStatus::Unknown("del\u{e9}ting \"x\"".to_owned()))
    );
    assert_eq!(
        e.service_type,
        Some(ServiceType::Unknown("gataway".to_owned()))
    );
}

// --- tags, empty bodies, the doc's example -----------------------------------------------

#[test]
fn tag_with_empty_value() {
    let e = endpoint(json!({ "tags": [{ "key": "env", "value": "" }, { "key": "team" }] }));
    let tags = e.tags.expect("tags");
    assert_eq!(tags.len(), 2);
    assert_eq!(tags[0].key.as_deref(), Some("env"));
    assert_eq!(tags[0].value.as_deref(), Some(""));
    assert_eq!(tags[1].key.as_deref(), Some("team"));
    assert_eq!(tags[1].value, None);
}

#[test]
fn empty_list() {
    let resp: EndpointListResp = decode(r#"{"endpoints":[],"total_count":0}"#);
    assert_eq!(resp.endpoints, Some(Vec::new()));
    assert_eq!(resp.total_count, Some(0));
}

#[test]
fn empty_object() {
    let resp: EndpointListResp = decode("{}");
    assert_eq!(resp.endpoints, None);
    assert_eq!(resp.total_count, None);
    assert_eq!(resp, EndpointListResp::default());
}

#[test]
fn doc_example() {
    let resp: EndpointListResp = decode(DOC_EXAMPLE);
    assert_eq!(resp.total_count, Some(2));
    let endpoints = resp.endpoints.expect("endpoints");
    let ids: Vec<&str> = endpoints.iter().filter_map(|e| e.id.as_deref()).collect();
    assert_eq!(
        ids,
        [
            "03184a04-95d5-4555-86c4-e767a371ff99",
            "43b0e3b0-eec9-49da-866b-6687b75f9fe5"
        ]
    );
    let first = &endpoints[0];
    assert_eq!(first.status, Some(EndpointStatus::Accepted));
    assert_eq!(first.service_type, Some(ServiceType::Interface));
    assert_eq!(first.enable_dns, Some(LenientBool(true)));
    assert_eq!(first.enable_whitelist, Some(LenientBool(true)));
    assert_eq!(
        first.active_status.as_deref(),
        Some(&[AccountStatus::Active][..])
    );
    assert_eq!(
        first.dns_names.as_deref(),
        Some(&["test123".to_owned()][..])
    );
    assert_eq!(first.marker_id, Some(16_777_337));
    assert_eq!(first.whitelist, Some(strings(&["127.0.0.1"])));
    assert_eq!(
        first.public_border_group.as_deref(),
        Some("br-iaas-odin1raa")
    );
    assert_eq!(endpoints[1].public_border_group, None);
    assert_eq!(endpoints[1].marker_id, Some(16_777_322));
}

// --- failures: name what was expected, show the bad value, give the path -----------------

#[test]
fn enable_dns_maybe_is_an_error() {
    let (path, message) = endpoint_error(json!({ "id": "e1", "enable_dns": "maybe" }));
    assert_eq!(path, "endpoints[0].enable_dns");
    assert!(message.contains(r#""maybe""#), "{message}");
    assert!(
        message.contains(r#"expected a boolean or the string "true" or "false""#),
        "{message}"
    );
}

#[test]
fn enable_dns_number_is_an_error() {
    let (path, message) = endpoint_error(json!({ "enable_dns": 1 }));
    assert_eq!(path, "endpoints[0].enable_dns");
    assert!(message.contains("integer `1`"), "{message}");
    assert!(
        message.contains(r#"expected a boolean or the string "true" or "false""#),
        "{message}"
    );
}

#[test]
fn enable_whitelist_wrong_case_is_an_error() {
    // "True" is not guessed at.
    let (path, message) = endpoint_error(json!({ "enable_whitelist": "True" }));
    assert_eq!(path, "endpoints[0].enable_whitelist");
    assert!(message.contains(r#""True""#), "{message}");
}

#[test]
fn dns_names_number_is_an_error() {
    let (path, message) = endpoint_error(json!({ "dns_names": 5 }));
    assert_eq!(path, "endpoints[0].dns_names");
    assert!(message.contains("integer `5`"), "{message}");
    assert!(
        message.contains("expected a string or an array of strings"),
        "{message}"
    );
}

#[test]
fn dns_names_array_with_a_number_is_an_error() {
    let (path, message) = endpoint_error(json!({ "dns_names": ["a", 5] }));
    assert_eq!(path, "endpoints[0].dns_names[1]");
    assert!(message.contains("integer `5`"), "{message}");
    assert!(message.contains("expected a string"), "{message}");
}

#[test]
fn status_number_is_an_error() {
    let (path, message) = endpoint_error(json!({ "status": 3 }));
    assert_eq!(path, "endpoints[0].status");
    assert!(message.contains("integer `3`"), "{message}");
    assert!(message.contains("expected a string"), "{message}");
}

#[test]
fn total_count_string_is_an_error() {
    let err = try_decode::<EndpointListResp>(r#"{"endpoints":[],"total_count":"x"}"#)
        .expect_err("decoding must fail");
    assert_eq!(err.path().to_string(), "total_count");
    let message = err.inner().to_string();
    assert!(message.contains(r#"string "x""#), "{message}");
    assert!(message.contains("expected i64"), "{message}");
}

#[test]
fn error_path_names_the_right_endpoint() {
    let text = json!({ "endpoints": [
        { "enable_dns": "true" },
        { "enable_dns": false },
        { "enable_dns": "maybe" }
    ] })
    .to_string();
    let err = try_decode::<EndpointListResp>(&text).expect_err("decoding must fail");
    assert_eq!(err.path().to_string(), "endpoints[2].enable_dns");
}

// --- error bodies ------------------------------------------------------------------------

#[test]
fn error_body_vpcep_shape() {
    let err: ErrorResponse =
        decode(r#"{"error":{"code":"EndPoint.2001","message":"The endpoint does not exist."}}"#);
    assert_eq!(
        err,
        ErrorResponse {
            error: Some(ErrorDetail {
                code: Some("EndPoint.2001".to_owned()),
                message: Some("The endpoint does not exist.".to_owned()),
            }),
            ..ErrorResponse::default()
        }
    );
}

/// Spec 2.0.0: every error field may be `null` (the nested `error` too), and VPCEP sends
/// the flat shape itself (its error code page: `EndPoint.0002` "Parameter error.").
#[test]
fn error_body_nulls_and_vpceps_flat_shape() {
    let err: ErrorResponse = decode(
        r#"{"error":null,"error_code":"EndPoint.0002","error_msg":"Parameter error.","request_id":null}"#,
    );
    assert_eq!(
        err,
        ErrorResponse {
            error: None,
            error_code: Some("EndPoint.0002".to_owned()),
            error_msg: Some("Parameter error.".to_owned()),
            request_id: None,
        }
    );
    let api = vpcep_client::ApiError::from_body(
        400,
        br#"{"error":{"code":null,"message":null},"error_code":"EndPoint.0006","error_msg":null}"#,
        None,
    );
    assert_eq!(api.code.as_deref(), Some("EndPoint.0006"));
}

#[test]
fn error_body_gateway_flat_shape() {
    let err: ErrorResponse = decode(
        r#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information","request_id":"4c9b2b2c0b7e4f5e"}"#,
    );
    assert_eq!(
        err,
        ErrorResponse {
            error: None,
            error_code: Some("APIGW.0301".to_owned()),
            error_msg: Some("Incorrect IAM authentication information".to_owned()),
            request_id: Some("4c9b2b2c0b7e4f5e".to_owned()),
        }
    );
}

#[test]
fn error_body_with_unknown_fields_and_nulls() {
    let err: ErrorResponse = decode(
        r#"{"error":{"code":"EndPoint.2001","message":null,"trace":"t"},"error_code":null,"encoded_authorization_message":"x"}"#,
    );
    assert_eq!(
        err.error.and_then(|d| d.code).as_deref(),
        Some("EndPoint.2001")
    );
    assert_eq!(err.error_code, None);
}
