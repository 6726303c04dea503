//! The client's side of the one contract (issue 12):
//!
//! - the generated table `vpcep_client::contract::LIST_ENDPOINTS` says what the spec says
//!   (read here from the committed bundle `openapi/vpcep.json`, independently of the
//!   generator);
//! - completeness: every path and query parameter of the spec is held by
//!   `ListEndpointsQuery`, has a setter on the `ListEndpoints` builder, and reaches the
//!   wire. A parameter added to the spec makes these tests fail naming it and the layer;
//! - the rules progenitor cannot express (`limit`'s maximum, `offset`'s minimum) and the
//!   token's length are enforced.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vpcep_client::contract::{self, Kind, Location, Parameter, LIST_ENDPOINTS};
use vpcep_client::{Client, ListEndpointsQuery};

fn spec() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/vpcep.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The operation's parameters in the bundle, `$ref`s resolved, schemas too.
fn spec_parameters(spec: &Value) -> Vec<Value> {
    let resolve = |v: &Value| -> Value {
        match v["$ref"].as_str() {
            Some(r) => {
                let path = r.trim_start_matches("#/").split('/');
                path.fold(spec, |node, key| &node[key]).clone()
            }
            None => v.clone(),
        }
    };
    spec["paths"]["/v1/{project_id}/vpc-endpoints"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let mut p = resolve(p);
            p["schema"] = resolve(&p["schema"]);
            p
        })
        .collect()
}

#[test]
fn the_table_says_what_the_spec_says() {
    let spec = spec();
    let from_spec = spec_parameters(&spec);
    let names = |ps: &mut dyn Iterator<Item = String>| ps.collect::<Vec<_>>();
    assert_eq!(
        names(&mut LIST_ENDPOINTS.iter().map(|p| p.name.to_owned())),
        names(
            &mut from_spec
                .iter()
                .map(|p| p["name"].as_str().unwrap().to_owned())
        ),
        "the generated table is stale: run `cargo xtask codegen`"
    );
    for (p, s) in LIST_ENDPOINTS.iter().zip(&from_spec) {
        let schema = &s["schema"];
        let location = match s["in"].as_str().unwrap() {
            "path" => Location::Path,
            "query" => Location::Query,
            "header" => Location::Header,
            other => panic!("{other}"),
        };
        let usize_of = |v: &Value| v.as_u64().map(|n| n as usize);
        let allowed: Vec<&str> = schema["enum"]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap()).collect())
            .unwrap_or_default();
        let default = match &schema["default"] {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        };
        assert_eq!(p.location, location, "{}", p.name);
        assert_eq!(p.required, s["required"] == true, "{}", p.name);
        assert_eq!(
            p.kind,
            match schema["type"].as_str() {
                Some("integer") => Kind::Integer,
                _ => Kind::String,
            },
            "{}",
            p.name
        );
        assert_eq!(p.min_length, usize_of(&schema["minLength"]), "{}", p.name);
        assert_eq!(p.max_length, usize_of(&schema["maxLength"]), "{}", p.name);
        assert_eq!(p.minimum, schema["minimum"].as_i64(), "{}", p.name);
        assert_eq!(p.maximum, schema["maximum"].as_i64(), "{}", p.name);
        let format = match schema["type"].as_str() {
            Some("integer") => schema["format"].as_str(),
            _ => None,
        };
        assert_eq!(p.format, format, "{}", p.name);
        assert_eq!(p.allowed, allowed.as_slice(), "{}", p.name);
        assert_eq!(p.default.map(str::to_owned), default, "{}", p.name);
    }
}

fn request_parameters() -> impl Iterator<Item = &'static Parameter> {
    LIST_ENDPOINTS.iter().filter(|p| p.is_request_parameter())
}

#[test]
fn every_parameter_is_held_by_list_endpoints_query() {
    for p in request_parameters() {
        let value = p.example();
        let mut query = ListEndpointsQuery::default();
        assert_eq!(
            query.set(p.name, &value),
            Ok(true),
            "vpcep-client: `ListEndpointsQuery::set` (src/contract.rs) does not handle the \
             spec's parameter `{}`",
            p.name
        );
        assert_eq!(
            query.get(p.name).as_deref(),
            Some(value.as_str()),
            "vpcep-client: `ListEndpointsQuery::get` (src/contract.rs) does not return `{}`",
            p.name
        );
        if p.location == Location::Query {
            assert!(
                query.query_pairs().contains(&(p.name, value.clone())),
                "vpcep-client: `ListEndpointsQuery::query_pairs` leaves out `{}`",
                p.name
            );
        }
    }
}

/// The builder's setters, read from the source (`cargo xtask codegen` writes them in
/// `src/request/setters.rs`): one per path/query parameter, named after it.
#[test]
fn every_parameter_has_a_builder_setter() {
    let mut setters = Vec::new();
    for source in [
        include_str!("../src/request.rs"),
        include_str!("../src/request/setters.rs"),
    ] {
        setters.extend(public_methods_of_list_endpoints(source));
    }
    for p in request_parameters() {
        assert!(
            setters.iter().any(|s| s == p.name),
            "vpcep-client: the `ListEndpoints` builder (src/request/setters.rs) has no setter \
             for the spec's {:?} parameter `{}`: run `cargo xtask codegen`",
            p.location,
            p.name
        );
    }
}

/// The public methods of every `impl ListEndpoints` (or `impl super::ListEndpoints`) of a
/// source file.
fn public_methods_of_list_endpoints(source: &str) -> Vec<String> {
    let file = syn::parse_file(source).unwrap();
    let mut setters = Vec::new();
    for item in &file.items {
        if let syn::Item::Impl(imp) = item {
            let names_the_builder = matches!(&*imp.self_ty, syn::Type::Path(t)
                if t.path.segments.last().is_some_and(|s| s.ident == "ListEndpoints"));
            if names_the_builder {
                for item in &imp.items {
                    if let syn::ImplItem::Fn(f) = item {
                        if matches!(f.vis, syn::Visibility::Public(_)) {
                            setters.push(f.sig.ident.to_string());
                        }
                    }
                }
            }
        }
    }
    setters
}

/// Answers one request with an empty page; returns its request line
/// (`GET /path?query HTTP/1.1`).
async fn serve_one(listener: tokio::net::TcpListener) -> String {
    let (mut socket, _) = listener.accept().await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed before the request ended");
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = r#"{"endpoints":[],"total_count":0}"#;
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(answer.as_bytes()).await.unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    text.lines().next().unwrap().to_owned()
}

#[tokio::test(flavor = "current_thread")]
async fn every_parameter_set_on_the_builder_reaches_the_wire() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = Client::builder()
        .base_url(format!("http://{}", listener.local_addr().unwrap()))
        .token("t")
        .build()
        .unwrap();
    // By wire name: each typed setter keeps what its parameter set by name keeps (the
    // unit test `request::tests::every_setter_keeps_what_its_parameter_by_name_keeps`).
    let mut request = client.list_endpoints();
    let mut expected = BTreeMap::new();
    for p in request_parameters() {
        let value = p.example();
        request = request.parameter(p.name, value.as_str());
        expected.insert(p.name, value);
    }
    let (line, sent) = tokio::time::timeout(Duration::from_secs(10), async {
        tokio::join!(serve_one(listener), request.send())
    })
    .await
    .expect("the request did not arrive within 10 s");
    sent.unwrap();
    let target = line.split(' ').nth(1).unwrap();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let sent: BTreeMap<String, String> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    for p in request_parameters() {
        let value = &expected[p.name];
        match p.location {
            Location::Path => assert!(
                path.contains(&format!("/{value}/")),
                "vpcep-client: path parameter `{}` = {value:?} is not in the path {path}",
                p.name
            ),
            _ => assert_eq!(
                sent.get(p.name),
                Some(value),
                "vpcep-client: query parameter `{}` did not reach the wire ({line})",
                p.name
            ),
        }
    }
}

#[test]
fn rules_progenitor_cannot_express_are_enforced() {
    // progenitor gives `limit` a NonZeroU32 and `offset` an i32: neither says 1000 or 0.
    let limit = contract::parameter("limit").unwrap();
    assert_eq!((limit.minimum, limit.maximum), (Some(1), Some(1000)));
    let mut q = ListEndpointsQuery::default();
    assert!(q.set("limit", "1000").is_ok());
    assert_eq!(q.set("limit", "1001").unwrap_err().parameter, "limit");
    assert_eq!(q.set("offset", "-1").unwrap_err().parameter, "offset");
    assert!(q.set("offset", &i32::MAX.to_string()).is_ok());
    assert_eq!(
        q.set("offset", &(i64::from(i32::MAX) + 1).to_string())
            .unwrap_err()
            .parameter,
        "offset"
    );
}

#[test]
fn auth_token_length_is_documented_and_enforced() {
    let spec = spec();
    let description = spec["components"]["securitySchemes"]["iamToken"]["description"]
        .as_str()
        .unwrap();
    assert!(description.contains("Length 1..2048"), "{description}");
    let build = |token: String| {
        Client::builder()
            .base_url("http://127.0.0.1:1")
            .project_id("p")
            .token(token)
            .build()
    };
    assert!(build("t".repeat(2048)).is_ok());
    let e = build("t".repeat(2049)).unwrap_err().to_string();
    assert!(e.contains("X-Auth-Token") && e.contains("1 to 2048"), "{e}");
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
    let keys: Vec<String> = [
        vpcep_client::SortKey::CreateAt,
        vpcep_client::SortKey::UpdateAt,
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(values("SortKey"), keys);
    let dirs: Vec<String> = [vpcep_client::SortDir::Desc, vpcep_client::SortDir::Asc]
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(values("SortDir"), dirs);
    assert_eq!(
        contract::parameter("sort_key").unwrap().allowed,
        ["create_at", "update_at"]
    );
}
