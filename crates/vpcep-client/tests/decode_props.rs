//! Decoding robustness properties (bounded: 256 cases each, part of plain `cargo test`).
//!
//! - arbitrary bytes, arbitrary JSON trees and mutated valid pages never panic the page
//!   decoder (`serde_json::from_slice::<EndpointListResp>`) nor the error-body decoder
//!   (`ApiError::from_body`); they either decode or return an error;
//! - on all those inputs the client's decoder (`EndpointListResp::from_json` / `EndpointResp::from_json`, one
//!   UTF-8 check then `from_str`) agrees with `serde_json::from_slice`: the same value, or
//!   the same error message;
//! - any valid page round-trips: serialize → decode → equal, also when sent in the
//!   vendor's quirky shapes (`"true"` strings, a single string for a one-element list).

use proptest::prelude::*;
use serde_json::{Map, Value};
use vpcep_client::lenient::{AccountStatus, EndpointStatus, OneOrMany, ServiceType};
use vpcep_client::types::{EndpointListResp, EndpointResp, PolicyStatement, QueryError, TagList};
use vpcep_client::ApiError;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Never panics, and the client's decoder agrees with `serde_json::from_slice`.
fn decode_everything(bytes: &[u8]) {
    agrees_with_from_slice(bytes, EndpointListResp::from_json);
    agrees_with_from_slice(bytes, EndpointResp::from_json);
    for status in [400, 401, 403, 404, 429, 500, 503] {
        let _ = ApiError::from_body(status, bytes, None);
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        prop_oneof![
            Just("true"),
            Just("false"),
            Just("active"),
            Just("accepted"),
            Just("interface"),
            Just(""),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    let keys = prop_oneof![
        any::<String>(),
        prop::sample::select(FIELDS).prop_map(str::to_owned),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

const FIELDS: &[&str] = &[
    "endpoints",
    "total_count",
    "id",
    "status",
    "active_status",
    "enable_dns",
    "enable_whitelist",
    "dns_names",
    "whitelist",
    "tags",
    "policy_statement",
    "Action",
    "marker_id",
    "service_type",
    "error",
    "error_code",
    "error_msg",
    "request_id",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z0-9.:/ -]{0,16}", any::<String>()]
}

fn opt<T: std::fmt::Debug>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Option<T>> {
    prop::option::of(s)
}

fn wire<T: std::str::FromStr + std::fmt::Debug>(
    known: &'static [&'static str],
) -> impl Strategy<Value = T>
where
    T::Err: std::fmt::Debug,
{
    prop_oneof![prop::sample::select(known).prop_map(str::to_owned), text()]
        .prop_map(|s| s.parse::<T>().expect("open enumerations accept any string"))
}

/// A small JSON object with keys matching `keys` and string, number or null values.
fn string_map(keys: &'static str) -> impl Strategy<Value = Map<String, Value>> {
    let value = prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    prop::collection::btree_map(keys, value, 0..3).prop_map(|m| m.into_iter().collect())
}

fn arb_endpoint() -> impl Strategy<Value = EndpointResp> {
    let ids = (
        opt(text()),
        opt(text()),
        opt(text()),
        opt(text()),
        opt(text()),
        opt(text()),
        opt(text()),
        opt(text()),
    );
    let shapes = (
        opt(wire::<EndpointStatus>(EndpointStatus::KNOWN)),
        opt(wire::<ServiceType>(ServiceType::KNOWN)),
        opt(
            prop::collection::vec(wire::<AccountStatus>(AccountStatus::KNOWN), 0..3)
                .prop_map(OneOrMany),
        ),
        opt(prop::collection::vec(text(), 0..3).prop_map(OneOrMany)),
        opt(any::<bool>().prop_map(Into::into)),
        opt(any::<bool>().prop_map(Into::into)),
        opt(any::<i64>()),
    );
    let lists = (
        opt(prop::collection::vec(text(), 0..3)),
        opt(prop::collection::vec(text(), 0..3)),
        opt(prop::collection::vec(
            (opt(text()), opt(text())).prop_map(|(key, value)| TagList { key, value }),
            0..4,
        )),
        opt(prop::collection::vec(
            (
                opt(prop::collection::vec(text(), 0..3).prop_map(OneOrMany)),
                opt(text()),
                opt(prop::collection::vec(text(), 0..3)),
                opt(text()),
                opt(string_map("[A-Z][a-z]{0,8}")),
            )
                .prop_map(|(action, effect, resource, sid, condition)| {
                    PolicyStatement {
                        action,
                        effect,
                        resource,
                        sid,
                        condition,
                    }
                }),
            0..2,
        )),
        opt(prop::collection::vec(
            (opt(text()), opt(text())).prop_map(|(error_code, error_message)| QueryError {
                error_code,
                error_message,
            }),
            0..2,
        )),
        (opt(text()), opt(text()), opt(text())),
        // `policy_document`, and fields the spec does not know (kept in `extra`).
        (
            opt(string_map("[A-Z][a-z]{0,8}")),
            string_map("x_[a-z]{1,8}"),
        ),
    );
    (ids, shapes, lists).prop_map(
        |(
            (id, ip, vpc_id, subnet_id, project_id, created_at, updated_at, description),
            (
                status,
                service_type,
                active_status,
                dns_names,
                enable_dns,
                enable_whitelist,
                marker_id,
            ),
            (
                whitelist,
                routetables,
                tags,
                policy_statement,
                error,
                (svc_id, svc_name, pool),
                (policy_document, extra),
            ),
        )| EndpointResp {
            active_status,
            created_at,
            description,
            dns_names,
            enable_dns,
            enable_whitelist,
            endpoint_pool_id: pool,
            endpoint_service_id: svc_id,
            endpoint_service_name: svc_name,
            error,
            id,
            ip,
            marker_id,
            policy_statement,
            policy_document,
            extra,
            project_id,
            public_border_group: None,
            routetables,
            service_type,
            status,
            subnet_id,
            tags,
            updated_at,
            vpc_id,
            whitelist,
        },
    )
}

fn arb_page() -> impl Strategy<Value = EndpointListResp> {
    (
        opt(prop::collection::vec(arb_endpoint(), 0..8)),
        opt(any::<i64>()),
    )
        .prop_map(|(endpoints, total_count)| EndpointListResp {
            endpoints,
            total_count,
        })
}

/// The page as the vendor's doc shows it: booleans as strings, one-element
/// `active_status`/`dns_names`/`Action` as a single string.
fn quirky(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match (key.as_str(), &*v) {
                    ("enable_dns" | "enable_whitelist", Value::Bool(b)) => {
                        *v = Value::String(b.to_string());
                    }
                    ("active_status" | "dns_names" | "Action", Value::Array(items))
                        if items.len() == 1 && items[0].is_string() =>
                    {
                        *v = items[0].clone();
                    }
                    _ => quirky(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(quirky),
        _ => {}
    }
}

/// Replaces the value at a pseudo-random position of `root` (chosen by `path`) with `new`.
fn replace_somewhere(root: &mut Value, path: &[usize], new: Value) {
    let Some((&step, rest)) = path.split_first() else {
        *root = new;
        return;
    };
    match root {
        Value::Object(map) if !map.is_empty() => {
            let key = map.keys().nth(step % map.len()).expect("in range").clone();
            replace_somewhere(map.get_mut(&key).expect("present"), rest, new);
        }
        Value::Array(items) if !items.is_empty() => {
            let n = items.len();
            replace_somewhere(&mut items[step % n], rest, new);
        }
        _ => *root = new,
    }
}

fn agrees_with_from_slice<T>(bytes: &[u8], ours: fn(&[u8]) -> Result<T, serde_json::Error>)
where
    T: serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    match (ours(bytes), serde_json::from_slice::<T>(bytes)) {
        (Ok(ours), Ok(theirs)) => assert_eq!(ours, theirs),
        (Err(ours), Err(theirs)) => assert_eq!(ours.to_string(), theirs.to_string()),
        (ours, theirs) => panic!("decoders disagree: {ours:?} vs {theirs:?}"),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_everything(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics(value in arb_json()) {
        decode_everything(&serde_json::to_vec(&value).expect("serializes"));
        let wrapped = serde_json::json!({"endpoints": [value.clone()], "total_count": 1});
        decode_everything(&serde_json::to_vec(&wrapped).expect("serializes"));
        let fields = serde_json::json!({"endpoints": [{"enable_dns": value.clone(), "dns_names": value.clone(), "active_status": value.clone(), "status": value.clone(), "tags": value.clone(), "policy_statement": value}]});
        decode_everything(&serde_json::to_vec(&fields).expect("serializes"));
    }

    #[test]
    fn mutated_pages_never_panic(
        page in arb_page(),
        path in prop::collection::vec(any::<usize>(), 0..6),
        new in arb_json(),
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        cut in any::<usize>(),
    ) {
        let mut value = serde_json::to_value(&page).expect("serializes");
        quirky(&mut value);
        replace_somewhere(&mut value, &path, new);
        let bytes = serde_json::to_vec(&value).expect("serializes");
        decode_everything(&bytes);

        // Byte-level mutations of the same page, and every truncation point style.
        let mut flipped = bytes.clone();
        if !flipped.is_empty() {
            for (at, byte) in flips {
                let n = flipped.len();
                flipped[at % n] = byte;
            }
        }
        decode_everything(&flipped);
        decode_everything(&bytes[..cut % (bytes.len() + 1)]);
    }

    #[test]
    fn valid_pages_round_trip(page in arb_page()) {
        let bytes = serde_json::to_vec(&page).expect("serializes");
        let decoded = EndpointListResp::from_json(&bytes).expect("decodes");
        prop_assert_eq!(&decoded, &page);

        // The same page in the vendor's quirky shapes decodes to the same value.
        let mut value = serde_json::to_value(&page).expect("serializes");
        quirky(&mut value);
        let quirky_bytes = serde_json::to_vec(&value).expect("serializes");
        let decoded: EndpointListResp = serde_json::from_slice(&quirky_bytes).expect("decodes");
        prop_assert_eq!(&decoded, &page);
    }
}
