//! Hostile response bodies end to end (beyond the decoder's fuzzing): each is a clear
//! typed error or a documented tolerance, never a panic, never unbounded memory (the body
//! is bounded by `max_response_bytes` before decoding starts).

use vpcep_client::{Client, Error};
use vpcep_fake::Fault;
use vpcep_integration_tests::{page_body, page_error, scripted};

fn client(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .project_id("p")
        .token("t")
        .build()
        .unwrap()
}

/// One call against a server answering 200 with `body`: the result, the number of
/// requests, and the request id the server gave the first.
async fn send(
    body: impl Into<String>,
) -> (
    vpcep_client::Result<vpcep_client::EndpointListResp>,
    usize,
    String,
) {
    let body: String = body.into();
    let server = scripted(move |_, _| Some(Fault::json(200, body.clone())));
    let result = client(&server.url()).list_endpoints().send().await;
    let requests = server.requests();
    (result, requests.len(), requests[0].request_id.clone())
}

/// Expects a decode error at `path` whose message contains `needle`, after one request.
async fn decode_error(body: impl Into<String>, path: &str, needle: &str) {
    let (result, requests, sent_id) = send(body).await;
    let err = result.expect_err("a decode error");
    match &err {
        Error::Decode {
            path: p,
            message,
            request_id,
        } => {
            assert_eq!(p, path, "{err}");
            assert!(message.contains(needle), "{path}: {message}");
            assert_eq!(request_id.as_deref(), Some(sent_id.as_str()));
        }
        other => panic!("{path}: expected a decode error, got {other:?}"),
    }
    assert_eq!(requests, 1, "a decode error is not retried");
}

#[tokio::test]
async fn deep_nesting_in_an_unknown_top_level_field_is_skipped() {
    // Tolerated: serde_json skips an unknown value of the page without recursing, so
    // 10,000 levels in a field we do not know cost nothing but their bytes.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let (result, ..) = send(format!(
        r#"{{"endpoints":[{{"id":"x"}}],"total_count":1,"future":{deep}}}"#
    ))
    .await;
    let page = result.unwrap();
    assert_eq!(page.endpoints.unwrap()[0].id.as_deref(), Some("x"));
}

#[tokio::test]
async fn deep_nesting_in_an_unknown_endpoint_field_is_a_decode_error() {
    // An endpoint keeps the fields it does not know (`EndpointResp::extra`, spec 2.0.0),
    // so their values are decoded as JSON values: serde_json's recursion limit (128)
    // bounds them, and 10,000 levels are a decode error naming the field, never a stack
    // overflow. Real fields nest a few levels (`policy_document`).
    let deep_object = format!("{}1{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
    let (result, requests, _) = send(format!(
        r#"{{"endpoints":[{{"id":"x","unknown":{deep_object}}}],"total_count":1}}"#
    ))
    .await;
    match result {
        Err(Error::Decode { path, message, .. }) => {
            assert!(path.starts_with("endpoints[0].unknown.a.a"), "{path}");
            assert!(message.contains("recursion limit exceeded"), "{message}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert_eq!(requests, 1, "a decode error is not retried");
}

#[tokio::test]
async fn deep_nesting_in_a_known_field_is_a_decode_error() {
    // No typed field takes arbitrary nesting: 10,000 levels in `tags` fail where the
    // shape stops matching (serde_json's recursion limit, 128, bounds the rest).
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let (result, requests, _) = send(format!(
        r#"{{"endpoints":[{{"id":"x","tags":{deep}}}],"total_count":1}}"#
    ))
    .await;
    match result {
        Err(Error::Decode { path, message, .. }) => {
            assert!(path.starts_with("endpoints[0].tags"), "{path}");
            assert!(message.contains("invalid type"), "{message}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn a_10_mb_string_is_decoded() {
    // Tolerated: well under the 32 MiB limit, a long string is just data.
    let long = "d".repeat(10 << 20);
    let (result, ..) = send(format!(
        r#"{{"endpoints":[{{"id":"x","description":"{long}"}}],"total_count":1}}"#
    ))
    .await;
    let page = result.unwrap();
    let endpoint = &page.endpoints.unwrap()[0];
    assert_eq!(
        endpoint.description.as_deref().map(str::len),
        Some(10 << 20)
    );
}

#[tokio::test]
async fn invalid_utf8_is_a_decode_error() {
    let server = scripted(|_, _| {
        Some(Fault::json(
            200,
            &b"{\"endpoints\":[{\"id\":\"\xff\xfe\"}],\"total_count\":1}"[..],
        ))
    });
    let err = page_error(&client(&server.url())).await;
    match &err {
        Error::Decode { path, message, .. } => {
            assert_eq!(path, "endpoints[0].id", "{err}");
            assert!(message.contains("invalid unicode"), "{message}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 1);
    // A lone UTF-16 surrogate escape is the JSON spelling of the same problem.
    decode_error(
        r#"{"endpoints":[{"id":"\ud800"}],"total_count":1}"#,
        "endpoints[0].id",
        "escape",
    )
    .await;
}

#[tokio::test]
async fn total_count_out_of_range_or_mistyped_is_a_decode_error() {
    for (value, needle) in [
        ("-1", "negative"),
        ("-9223372036854775808", "negative"),
        ("9223372036854775808", "invalid"),
        ("18446744073709551616", "invalid"),
        ("1e3", "invalid"),
        (r#""5""#, "invalid type"),
    ] {
        decode_error(
            format!(r#"{{"endpoints":[],"total_count":{value}}}"#),
            "total_count",
            needle,
        )
        .await;
    }
}

#[tokio::test]
async fn endpoints_not_an_array_is_a_decode_error() {
    for value in [r#"{}"#, r#""ep-1""#, "1", "true"] {
        decode_error(
            format!(r#"{{"endpoints":{value},"total_count":1}}"#),
            "endpoints",
            "invalid type",
        )
        .await;
    }
}

#[tokio::test]
async fn duplicate_keys_are_a_decode_error() {
    decode_error(
        r#"{"endpoints":[],"total_count":1,"total_count":2}"#,
        "(body)",
        "duplicate field `total_count`",
    )
    .await;
    decode_error(
        r#"{"endpoints":[{"id":"a","id":"b"}],"total_count":1}"#,
        "endpoints[0]",
        "duplicate field `id`",
    )
    .await;
}

#[tokio::test]
async fn a_page_larger_than_limit_is_returned_as_sent_but_fails_a_listing() {
    // Documented tolerance: a page is returned as sent, even with more endpoints than
    // `limit`. A full listing cannot build on such a page (it contradicts the request, so
    // it proves nothing about where the next page starts): read twice, then an error,
    // never a silent partial (issue 20, item 7; a listing used to accept it).
    let server = scripted(|n, request| {
        let offset: u64 = request
            .query("offset")
            .and_then(|o| o.parse().ok())
            .unwrap_or(0);
        let _ = n;
        // Every page carries 5 endpoints from `offset` whatever the limit (2).
        Some(Fault::json(
            200,
            page_body(offset, 5.min(6 - offset.min(6)), 6),
        ))
    });
    let c = client(&server.url());
    let page = c.list_endpoints().limit(2).send().await.unwrap();
    assert_eq!(page.endpoints.unwrap().len(), 5);
    let before = server.requests().len();
    let err = c
        .list_endpoints()
        .limit(2)
        .list_all()
        .send()
        .await
        .unwrap_err();
    match &err {
        Error::InconsistentPage { offset: 0, reason } => {
            assert!(reason.contains("more than the limit of 2"), "{reason}");
        }
        other => panic!("expected an inconsistent page, got {other:?}"),
    }
    assert_eq!(server.requests().len() - before, 2, "read twice");
}
