//! Responses are bounded: a body larger than `max_response_bytes` (default 32 MiB) stops
//! being read at the limit, is a typed error naming the limit and the request id, and is
//! not retried. `memory_stays_flat.rs` checks the process's peak memory on an endless
//! body.

use vpcep_client::{Client, Error, DEFAULT_MAX_RESPONSE_BYTES};
use vpcep_fake::Fault;
use vpcep_integration_tests::{page_body, page_error, scripted};

fn client(base_url: &str, limit: Option<u64>) -> Client {
    let mut builder = Client::builder()
        .base_url(base_url)
        .project_id("p")
        .token("t");
    if let Some(limit) = limit {
        builder = builder.max_response_bytes(limit);
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn a_declared_length_above_the_limit_is_refused() {
    let body = page_body(0, 20, 20);
    assert!(body.len() > 1000);
    let server = scripted(move |_, _| Some(Fault::json(200, body.clone())));
    let err = page_error(&client(&server.url(), Some(1000))).await;
    // The X-Request-Id the fake sent.
    let sent_id = server.requests()[0].request_id.clone();
    match &err {
        Error::ResponseTooLarge {
            limit, request_id, ..
        } => {
            assert_eq!(*limit, 1000);
            assert_eq!(request_id.as_deref(), Some(sent_id.as_str()));
        }
        other => panic!("expected ResponseTooLarge, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("1000 bytes"), "{text}");
    assert!(text.contains(&sent_id), "{text}");
    assert!(text.contains("max_response_bytes"), "{text}");
    assert_eq!(server.requests().len(), 1, "not retried");
}

#[tokio::test]
async fn a_body_at_the_limit_is_read() {
    let body = page_body(0, 20, 20);
    let len = body.len() as u64;
    let server = scripted(move |_, _| Some(Fault::json(200, body.clone())));
    let page = client(&server.url(), Some(len))
        .list_endpoints()
        .send()
        .await
        .unwrap();
    assert_eq!(page.endpoints.unwrap().len(), 20);
}

#[tokio::test]
async fn an_endless_chunked_body_stops_at_the_default_limit() {
    // 1 KiB chunks of JSON whitespace, up to 256 MiB: far above the 32 MiB default.
    let server = scripted(|_, _| Some(Fault::endless(" ".repeat(1024), 256 << 20)));
    let err = page_error(&client(&server.url(), None)).await;
    match &err {
        Error::ResponseTooLarge {
            limit, request_id, ..
        } => {
            assert_eq!(*limit, DEFAULT_MAX_RESPONSE_BYTES);
            let sent = &server.requests()[0].request_id;
            assert_eq!(request_id.as_deref(), Some(sent.as_str()));
        }
        other => panic!("expected ResponseTooLarge, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 1, "not retried");
}

#[tokio::test]
async fn the_limit_applies_to_every_page_of_a_listing() {
    let server = scripted(|n, _| match n {
        0 => Some(Fault::json(200, page_body(0, 2, 4))),
        _ => Some(Fault::endless("x".repeat(1024), 64 << 20)),
    });
    let err = client(&server.url(), Some(4096))
        .list_endpoints()
        .limit(2)
        .list_all()
        .concurrency(1)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { limit: 4096, .. }),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 2, "not retried");
}
