//! What the client puts on the wire and how it reads compressed responses: no
//! `api-version` header, `Accept-Encoding: gzip` by default (signed with AK/SK) and none
//! when switched off, gzip bodies decoded for 200 and error statuses, a truncated gzip
//! body retried like a truncated plain one.

use std::io::Write;
use std::time::Duration;

use vpcep_client::{Client, Error};
use vpcep_fake::{Fault, RecordedRequest};
use vpcep_integration_tests::{
    client_builder as client, list_page, list_page_error, page_body, scripted, send,
    PROJECT_ID as PROJECT,
};

fn gzip(text: &str) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap()
}

/// A gzip-encoded JSON response (only if the request asked for gzip, like a gateway);
/// the fake sends a fault's body as given, never compressing it again.
fn gzip_json(request: &RecordedRequest, status: u16, body: &str) -> Fault {
    if !request
        .header("accept-encoding")
        .is_some_and(|v| v.contains("gzip"))
    {
        return Fault::json(status, body.to_owned());
    }
    Fault::json(status, gzip(body)).with_header("Content-Encoding", "gzip")
}

#[tokio::test]
async fn no_api_version_header_and_gzip_asked_for_by_default() {
    let server = scripted(|_, _| Some(Fault::json(200, page_body(0, 2, 2))));
    list_page(client(&server)).await.unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.header("api-version"), None, "{:?}", request.headers);
    assert_eq!(request.header("accept-encoding"), Some("gzip"));
    // Exactly one Accept-Encoding: ours, not a second one from reqwest.
    let n = request.headers.get_all("accept-encoding").iter().count();
    assert_eq!(n, 1, "{:?}", request.headers);
}

#[tokio::test]
async fn no_accept_encoding_when_compression_is_off() {
    let server = scripted(|_, r| Some(gzip_json(r, 200, &page_body(0, 2, 2))));
    let page = list_page(client(&server).compression(false)).await.unwrap();
    assert_eq!(page.total_count, Some(2));
    let request = &server.requests()[0];
    assert_eq!(
        request.header("accept-encoding"),
        None,
        "{:?}",
        request.headers
    );
}

#[tokio::test]
async fn gzip_page_is_decoded() {
    let body = page_body(0, 500, 500);
    let server = scripted(move |_, r| Some(gzip_json(r, 200, &body)));
    let page = client(&server)
        .build()
        .unwrap()
        .list_endpoints()
        .limit(500)
        .send()
        .await
        .unwrap();
    let endpoints = page.endpoints.unwrap();
    assert_eq!(endpoints.len(), 500);
    assert_eq!(endpoints[499].id.as_deref(), Some("ep-000499"));
}

#[tokio::test]
async fn gzip_error_body_is_decoded() {
    let server = scripted(|_, r| {
        Some(gzip_json(
            r,
            400,
            r#"{"error":{"code":"EndPoint.2001","message":"Invalid parameter: limit"}}"#,
        ))
    });
    let err = list_page_error(client(&server)).await;
    let Error::Api(api) = &err else {
        panic!("expected an API error, got {err:?}");
    };
    assert_eq!(api.status, 400);
    assert_eq!(api.code.as_deref(), Some("EndPoint.2001"));
    assert_eq!(api.message, "Invalid parameter: limit");
    assert_eq!(server.requests().len(), 1, "a 400 is not retried");
}

#[tokio::test]
async fn truncated_gzip_body_is_retried() {
    // The first answer: the gzip body's full Content-Length, half of its bytes, then the
    // connection closes.
    let server = scripted(|n, r| {
        let full = gzip_json(r, 200, &page_body(0, 200, 200));
        Some(if n == 0 { full.truncated() } else { full })
    });
    let page = client(&server)
        .build()
        .unwrap()
        .list_endpoints()
        .limit(200)
        .send()
        .await
        .unwrap();
    assert_eq!(page.endpoints.unwrap().len(), 200);
    assert_eq!(server.requests().len(), 2);

    // Always truncated: reported as a transport error after the attempts.
    let always = scripted(|_, r| Some(gzip_json(r, 200, &page_body(0, 200, 200)).truncated()));
    let err = list_page_error(client(&always)).await;
    assert!(
        matches!(
            err,
            Error::Interrupted {
                attempts: 3,
                after_headers: true,
                ..
            }
        ),
        "{err:?}"
    );
}

/// A gzip body whose bytes were damaged after the header: it does not decompress.
fn corrupt_gzip(request: &RecordedRequest) -> Fault {
    assert!(request
        .header("accept-encoding")
        .is_some_and(|v| v.contains("gzip")));
    let mut bytes = gzip(&page_body(0, 200, 200));
    let end = bytes.len() - 20;
    for b in &mut bytes[20..end] {
        *b ^= 0x5a;
    }
    Fault::json(200, bytes).with_header("Content-Encoding", "gzip")
}

#[tokio::test]
async fn a_corrupt_gzip_body_is_a_decode_error_after_one_retry() {
    // Corrupt once (damaged on the way): the second attempt reads it.
    let server = scripted(|n, r| {
        Some(if n == 0 {
            corrupt_gzip(r)
        } else {
            gzip_json(r, 200, &page_body(0, 200, 200))
        })
    });
    let page = send(&server).await.unwrap();
    assert_eq!(page.endpoints.unwrap().len(), 200);
    assert_eq!(server.requests().len(), 2);

    // Always corrupt: undecodable, after one retry (not three attempts, not "unreachable").
    let always = scripted(|_, r| Some(corrupt_gzip(r)));
    let err = send(&always).await.unwrap_err();
    match &err {
        Error::Decode { path, message, .. } => {
            assert_eq!(path, "(body)");
            assert!(message.contains("gzip"), "{message}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert!(!err.to_string().contains("could not reach"), "{err}");
    assert_eq!(always.requests().len(), 2);
}

#[tokio::test]
async fn aksk_signature_covers_accept_encoding() {
    let server = scripted(|_, r| Some(gzip_json(r, 200, &page_body(0, 2, 2))));
    let page = list_page(
        Client::builder()
            .base_url(server.url())
            .project_id(PROJECT)
            .credentials(vpcep_client::Credentials::aksk("AKEXAMPLE", "SKEXAMPLE")),
    )
    .await
    .unwrap();
    assert_eq!(page.total_count, Some(2));
    let request = &server.requests()[0];
    assert_eq!(request.header("accept-encoding"), Some("gzip"));
    assert_eq!(request.header("api-version"), None);
    let authorization = request.header("authorization").unwrap();
    let signed = authorization
        .split("SignedHeaders=")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap();
    assert!(
        signed.split(';').any(|h| h == "accept-encoding"),
        "{authorization}"
    );
    let (path, query) = match request.target().split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (request.target(), None),
    };
    vpcep_client::signer::verify(
        "GET",
        path,
        query,
        &request.headers,
        b"",
        |ak| (ak == "AKEXAMPLE").then(|| secrecy::SecretString::from("SKEXAMPLE")),
        std::time::SystemTime::now(),
        Duration::from_secs(900),
    )
    .expect("the signature verifies over the headers sent");
}

/// list-all with room for one page's body at a time and 8 requests in flight: every
/// page, in order, each requested once (the next page to yield may always read its body,
/// so a window narrower than the concurrency never deadlocks).
#[tokio::test]
async fn list_all_with_a_one_page_memory_budget_lists_everything_in_order() {
    let server = scripted(|_, request| {
        let offset: u64 = request.query("offset").map_or(0, |v| v.parse().unwrap());
        let n = 10.min(200u64.saturating_sub(offset));
        Some(gzip_json(request, 200, &page_body(offset, n, 200)))
    });
    let listing = client(&server)
        .build()
        .unwrap()
        .list_endpoints()
        .limit(10)
        .list_all()
        .concurrency(8)
        .memory_budget(1)
        .send()
        .await
        .unwrap();
    let ids: Vec<String> = listing
        .endpoints
        .unwrap()
        .into_iter()
        .map(|e| e.id.unwrap())
        .collect();
    let expected: Vec<String> = (0..200).map(|i| format!("ep-{i:06}")).collect();
    assert_eq!(ids, expected);
    // Pages of 10 overlapping by one (list_all's check that they fit): offsets 0, 9, …, 198.
    assert_eq!(server.requests().len(), 23);
}
