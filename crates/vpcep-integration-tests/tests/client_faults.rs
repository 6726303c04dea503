//! The client against a scripted fake on 127.0.0.1: retries, timeouts, error bodies,
//! decoding errors, validation before I/O, and authentication headers.

use std::time::{Duration, Instant};

use vpcep_client::auth::CredentialsError;
use vpcep_client::{Client, Error, RetryConfig, TimeoutKind};
use vpcep_fake::{FakeServer, Fault};
use vpcep_integration_tests::{
    client_builder as client, client_builder_at, list_page_error, page_body, page_error, scripted,
    send, PROJECT_ID as PROJECT,
};

fn ok_page() -> Option<Fault> {
    Some(Fault::json(200, page_body(0, 2, 2)))
}

#[tokio::test]
async fn retries_503_then_succeeds() {
    let server = scripted(|n, _| {
        if n == 0 {
            Some(Fault::json(
                503,
                r#"{"error":{"code":"VPCEP.503","message":"busy"}}"#,
            ))
        } else {
            ok_page()
        }
    });
    let page = send(&server).await.unwrap();
    assert_eq!(page.total_count, Some(2));
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn honours_retry_after_on_429() {
    let server = scripted(|n, _| {
        if n == 0 {
            Some(
                Fault::json(
                    429,
                    r#"{"error_code":"APIGW.0308","error_msg":"throttled"}"#,
                )
                .with_header("Retry-After", "1"),
            )
        } else {
            ok_page()
        }
    });
    let started = Instant::now();
    let page = send(&server).await.unwrap();
    assert_eq!(page.endpoints.unwrap().len(), 2);
    assert_eq!(server.requests().len(), 2);
    // The backoff was the server's 1 s, not the configured 10..50 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn server_that_never_answers_times_out_per_attempt() {
    let server = scripted(|_, _| Some(Fault::Hang));
    let err = list_page_error(
        client(&server)
            .attempt_timeout(Duration::from_millis(200))
            .retry(
                RetryConfig::standard()
                    .with_max_attempts(2)
                    .with_initial_backoff(Duration::from_millis(1)),
            ),
    )
    .await;
    match &err {
        Error::Timeout { kind, attempts, .. } => {
            assert_eq!(*kind, TimeoutKind::Attempt);
            assert_eq!(*attempts, 2);
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(err.to_string().contains("per-attempt timeout"), "{err}");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn operation_timeout_bounds_the_whole_call() {
    let server = scripted(|_, _| Some(Fault::Hang));
    let err = list_page_error(
        client(&server)
            .attempt_timeout(Duration::from_secs(30))
            .operation_timeout(Duration::from_millis(300)),
    )
    .await;
    assert!(
        matches!(
            err,
            Error::Timeout {
                kind: TimeoutKind::Operation,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn truncated_body_is_retried_then_reported() {
    let server = scripted(|n, _| {
        if n == 0 {
            Some(Fault::json(200, page_body(0, 2, 2)).truncated())
        } else {
            ok_page()
        }
    });
    let page = send(&server).await.unwrap();
    assert_eq!(page.total_count, Some(2));
    assert_eq!(server.requests().len(), 2);

    // Always truncated: an interrupted transfer (the server was reached, its answer was
    // cut off after the headers), reported as such after the attempts.
    let always = scripted(|_, _| Some(Fault::json(200, page_body(0, 2, 2)).truncated()));
    let err = send(&always).await.unwrap_err();
    match &err {
        Error::Interrupted {
            attempts,
            after_headers,
            ..
        } => assert_eq!((*attempts, *after_headers), (3, true)),
        other => panic!("expected an interrupted transfer, got {other:?}"),
    }
    let message = err.to_string();
    assert!(!message.contains("could not reach"), "{message}");
    assert!(message.contains("interrupted"), "{message}");
    assert_eq!(always.requests().len(), 3);
}

#[tokio::test]
async fn a_slow_body_that_keeps_coming_is_read_to_its_end() {
    // 300 endpoints (~240 KB) over a 0.5 Mbit/s link: ~4 s of body with a 1 s attempt
    // timeout. The attempt waits on the server for its headers and then for each chunk,
    // never a full second: the body is read, not cut off and downloaded again.
    let fake = FakeServer::start(
        vpcep_fake::FakeConfig::new()
            .generate(300, 1)
            .token("t")
            .compression(false)
            .bandwidth_mbps(Some(0.5)),
    )
    .unwrap();
    let page = Client::builder()
        .base_url(fake.url())
        .project_id(vpcep_fake::DEFAULT_PROJECT_ID)
        .token("t")
        .attempt_timeout(Duration::from_secs(1))
        .retry(RetryConfig::disabled())
        .build()
        .unwrap()
        .list_endpoints()
        .limit(300)
        .send()
        .await
        .unwrap();
    assert_eq!(page.endpoints.unwrap().len(), 300);
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_body_that_stops_coming_times_out_per_attempt() {
    let (url, _) = partial_body_server(AfterPart::Stall).await;
    let err = client_builder_at(&url)
        .attempt_timeout(Duration::from_millis(300))
        .retry(RetryConfig::disabled())
        .build()
        .unwrap()
        .list_endpoints()
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                kind: TimeoutKind::Attempt,
                ..
            }
        ),
        "{err:?}"
    );
}

/// What a [`partial_body_server`] does after a response's headers and a third of its body.
#[derive(Clone, Copy)]
enum AfterPart {
    /// Resets the connection (RST: `SO_LINGER` 0).
    Reset,
    /// Sends nothing more; the connection stays open (for 30 s at most).
    Stall,
}

/// A server on 127.0.0.1 that answers every request with the headers of a 200 and a third
/// of its body, then does `then`. Returns its base URL and the number of connections it
/// accepted (8 at most: a test makes a few attempts).
async fn partial_body_server(
    then: AfterPart,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        for _ in 0..8 {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            let body = page_body(0, 50, 50);
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(&body.as_bytes()[..body.len() / 3]).await;
            let _ = socket.flush().await;
            match then {
                AfterPart::Reset => {
                    let _ = socket.set_zero_linger();
                    drop(socket);
                }
                AfterPart::Stall => {
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        drop(socket);
                    });
                }
            }
        }
    });
    (url, accepted)
}

#[tokio::test]
async fn a_connection_reset_mid_body_is_an_interrupted_transfer() {
    let (url, accepted) = partial_body_server(AfterPart::Reset).await;
    let err = client_builder_at(&url)
        .build()
        .unwrap()
        .list_endpoints()
        .send()
        .await
        .unwrap_err();
    match &err {
        Error::Interrupted {
            attempts,
            after_headers,
            ..
        } => assert_eq!((*attempts, *after_headers), (3, true)),
        other => panic!("expected an interrupted transfer, got {other:?}"),
    }
    assert!(!err.to_string().contains("could not reach"), "{err}");
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 3);
}

/// VPCEP's own throttling: `400` with `EndPoint.0022`, in the service's nested error body
/// or the gateway's flat one.
fn endpoint_0022(flat: bool) -> Fault {
    let body = if flat {
        r#"{"error_code":"EndPoint.0022","error_msg":"The number of requests exceeded the limit. Please try later."}"#
    } else {
        r#"{"error":{"code":"EndPoint.0022","message":"The number of requests exceeded the limit. Please try later."}}"#
    };
    Fault::json(400, body)
}

#[tokio::test]
async fn endpoint_0022_is_throttling_retried_like_a_429() {
    for flat in [false, true] {
        let server = scripted(move |n, _| {
            if n == 0 {
                Some(endpoint_0022(flat))
            } else {
                ok_page()
            }
        });
        let page = send(&server).await.unwrap();
        assert_eq!(page.total_count, Some(2), "flat body: {flat}");
        assert_eq!(server.requests().len(), 2, "flat body: {flat}");
    }
    // Still throttled after every attempt: the throttling error, after 3 attempts.
    let server = scripted(|_, _| Some(endpoint_0022(false)));
    let err = send(&server).await.unwrap_err();
    let api = err.as_api().expect("an API error");
    assert_eq!((api.status, api.attempts), (400, 3));
    assert_eq!(api.code.as_deref(), Some("EndPoint.0022"));
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn a_retry_after_beyond_the_operation_timeout_ends_the_call_at_once() {
    for fault in [
        Fault::json(
            429,
            r#"{"error_code":"APIGW.0308","error_msg":"throttled"}"#,
        ),
        endpoint_0022(false),
    ] {
        let fault = fault.with_header("Retry-After", "86400");
        let server = scripted(move |_, _| Some(fault.clone()));
        let err = client(&server)
            .operation_timeout(Duration::from_secs(3))
            .build()
            .unwrap()
            .list_endpoints()
            .send()
            .await
            .unwrap_err();
        // The server answered at once: its throttling error, not "did not answer in time".
        let api = err
            .as_api()
            .unwrap_or_else(|| panic!("expected the throttling error, got {err:?}"));
        assert_eq!(api.retry_after, Some(Duration::from_secs(86400)));
        let message = err.to_string();
        assert!(message.contains("86400 s"), "{message}");
        assert!(message.contains("operation timeout"), "{message}");
        assert_eq!(server.requests().len(), 1, "no second attempt: {message}");
    }
}

#[tokio::test]
async fn dropped_connection_is_retried() {
    let server = scripted(|n, _| if n == 0 { Some(Fault::Drop) } else { ok_page() });
    let page = send(&server).await.unwrap();
    assert_eq!(page.total_count, Some(2));
}

#[tokio::test]
async fn bad_request_nested_body_is_not_retried() {
    let server = scripted(|_, _| {
        Some(Fault::json(
            400,
            r#"{"error":{"code":"EndPoint.2001","message":"Invalid parameter: limit"}}"#,
        ))
    });
    let err = send(&server).await.unwrap_err();
    let api = err.as_api().expect("an API error");
    assert_eq!(api.status, 400);
    assert_eq!(api.code.as_deref(), Some("EndPoint.2001"));
    assert_eq!(api.message, "Invalid parameter: limit");
    // The X-Request-Id the fake sent.
    let request_id = server.requests()[0].request_id.clone();
    assert_eq!(api.request_id.as_deref(), Some(request_id.as_str()));
    assert_eq!(server.requests().len(), 1, "4xx must not be retried");
    assert_eq!(
        err.to_string(),
        format!(
            "VPCEP answered 400 Bad Request [EndPoint.2001]: Invalid parameter: limit (request id {request_id})"
        )
    );
}

#[tokio::test]
async fn bad_request_flat_gateway_body() {
    let server = scripted(|_, _| {
        Some(Fault::json(
            401,
            r#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information","request_id":"gw-1"}"#,
        ))
    });
    let err = send(&server).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("APIGW.0301"));
    let api = err.as_api().unwrap();
    assert_eq!(api.message, "Incorrect IAM authentication information");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn html_502_is_retried_and_reported_readably() {
    let server = scripted(|_, _| {
        Some(Fault::response(
            502,
            "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>",
        ).with_header("Content-Type", "text/html"))
    });
    let err = send(&server).await.unwrap_err();
    let api = err.as_api().expect("an API error");
    assert_eq!(api.status, 502);
    assert_eq!(api.code, None);
    assert_eq!(api.message, "502 Bad Gateway");
    assert_eq!(api.attempts, 3);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn retries_can_be_switched_off() {
    let server = scripted(|_, _| Some(Fault::json(503, "{}")));
    let err = list_page_error(client(&server).retry(RetryConfig::disabled())).await;
    assert_eq!(err.status(), Some(503));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn decoding_error_names_the_field() {
    let server = scripted(|_, _| {
        Some(Fault::json(
            200,
            r#"{"endpoints":[{"id":"a"},{"id":"b","enable_dns":"maybe"}],"total_count":2}"#,
        ))
    });
    let err = send(&server).await.unwrap_err();
    match &err {
        Error::Decode { path, message, .. } => {
            assert_eq!(path, "endpoints[1].enable_dns");
            assert!(message.contains("maybe"), "{message}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert!(err.to_string().contains("endpoints[1].enable_dns"), "{err}");
}

#[tokio::test]
async fn invalid_input_is_rejected_before_any_request() {
    let server = scripted(|_, _| ok_page());
    let c = client(&server).build().unwrap();
    let cases: Vec<(vpcep_client::ListEndpoints, &str)> = vec![
        (c.list_endpoints().limit(0), "limit"),
        (c.list_endpoints().limit(1001), "limit"),
        (c.list_endpoints().offset(-1), "offset"),
        (c.list_endpoints().vpc_id(""), "vpc_id"),
        (c.list_endpoints().id("x".repeat(65)), "id"),
        (
            c.list_endpoints().endpoint_service_name("s".repeat(129)),
            "endpoint_service_name",
        ),
        (
            c.list_endpoints().public_border_group(""),
            "public_border_group",
        ),
        (c.list_endpoints().sort_key("name"), "sort_key"),
        (c.list_endpoints().sort_dir("up"), "sort_dir"),
        (c.list_endpoints().project_id("p".repeat(65)), "project_id"),
    ];
    for (request, parameter) in cases {
        match request.send().await.unwrap_err() {
            Error::Validation(v) => {
                assert_eq!(v.parameter, parameter);
                assert!(
                    v.to_string().starts_with(&format!("invalid {parameter}: ")),
                    "{v}"
                );
            }
            other => panic!("{parameter}: expected a validation error, got {other:?}"),
        }
    }
    assert!(
        server.requests().is_empty(),
        "nothing may be sent for invalid input"
    );
}

#[tokio::test]
async fn query_parameters_reach_the_server() {
    let server = scripted(|_, _| ok_page());
    client(&server)
        .build()
        .unwrap()
        .list_endpoints()
        .endpoint_service_name("my service")
        .vpc_id("vpc-1")
        .limit(50)
        .offset(100)
        .sort_key("update_at")
        .sort_dir(vpcep_client::SortDir::Asc)
        .send()
        .await
        .unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.method, "GET");
    assert!(request
        .target()
        .starts_with(&format!("/v1/{PROJECT}/vpc-endpoints?")));
    assert_eq!(request.query("limit"), Some("50"));
    assert_eq!(request.query("offset"), Some("100"));
    assert_eq!(request.query("sort_key"), Some("update_at"));
    assert_eq!(request.query("sort_dir"), Some("asc"));
    assert_eq!(request.query("vpc_id"), Some("vpc-1"));
    assert_eq!(request.header("x-auth-token"), Some("test-token"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert!(request
        .header("user-agent")
        .unwrap()
        .starts_with("vpcep-client/"));
}

/// `X-Project-Id` names the project of the request (the one in its path), not the
/// client's: a request for another project than the client's carries that project.
#[tokio::test]
async fn x_project_id_is_the_request_project() {
    const OTHER: &str = "fedcba9876543210fedcba9876543210";
    let server = scripted(|_, _| ok_page());
    let client = Client::builder()
        .base_url(server.url())
        .project_id(PROJECT)
        .credentials(vpcep_client::Credentials::aksk("AKEXAMPLE", "SKEXAMPLE"))
        .build()
        .unwrap();
    client
        .list_endpoints()
        .project_id(OTHER)
        .send()
        .await
        .unwrap();
    client.list_endpoints().send().await.unwrap();
    let requests = server.requests();
    for (request, project) in requests.iter().zip([OTHER, PROJECT]) {
        assert!(
            request
                .target()
                .starts_with(&format!("/v1/{project}/vpc-endpoints")),
            "{}",
            request.target()
        );
        assert_eq!(request.header("x-project-id"), Some(project));
    }
    assert_eq!(requests.len(), 2);
}

#[tokio::test]
async fn aksk_requests_are_signed_over_the_url_sent() {
    let server = scripted(|_, _| ok_page());
    Client::builder()
        .base_url(server.url())
        .project_id(PROJECT)
        .credentials(vpcep_client::Credentials::aksk("AKEXAMPLE", "SKEXAMPLE"))
        .build()
        .unwrap()
        .list_endpoints()
        .endpoint_service_name("a b~c")
        .limit(10)
        .send()
        .await
        .unwrap();
    let request = &server.requests()[0];
    assert!(request.header("x-auth-token").is_none());
    assert_eq!(request.header("x-project-id"), Some(PROJECT));
    let authorization = request.header("authorization").unwrap();
    assert!(
        authorization.starts_with("SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders="),
        "{authorization}"
    );
    // The canonical query (sorted, %20 for space, ~ unescaped) is what was sent...
    let (path, query) = request.target().split_once('?').unwrap();
    assert_eq!(query, "endpoint_service_name=a%20b~c&limit=10");
    // ...and the server-side verifier accepts the signature over it.
    let ak = vpcep_client::signer::verify(
        "GET",
        path,
        Some(query),
        &request.headers,
        b"",
        |ak| (ak == "AKEXAMPLE").then(|| secrecy::SecretString::from("SKEXAMPLE")),
        std::time::SystemTime::now(),
        Duration::from_secs(900),
    )
    .expect("signature verifies");
    assert_eq!(ak, "AKEXAMPLE");
}

#[tokio::test]
async fn missing_configuration_is_explained() {
    let err = Client::builder().build().unwrap_err();
    assert!(err.to_string().contains("set a region"), "{err}");
    // A region in no table gets the standard host (issue 22); a malformed ID is refused.
    let unknown = Client::builder().region("xx-nowhere-1").build().unwrap();
    assert_eq!(
        unknown.base_url(),
        "https://vpcep.xx-nowhere-1.myhuaweicloud.com"
    );
    let err = Client::builder()
        .region("xx-nowhere-1/..")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("invalid region"), "{err}");
    let c = Client::builder()
        .base_url("http://127.0.0.1:9")
        .token("t")
        .build()
        .unwrap();
    let err = page_error(&c).await;
    assert!(err.to_string().contains("no project ID"), "{err}");
    let err = Client::builder()
        .region("cn-north-4")
        .token("bad\ntoken")
        .build()
        .unwrap_err();
    // A credential problem (CLI exit 4), naming the key, not a request parameter.
    assert!(
        matches!(
            err,
            Error::Credentials(CredentialsError::Invalid {
                key: "X-Auth-Token",
                ..
            })
        ),
        "{err:?}"
    );
    assert!(!err.to_string().contains("bad"), "{err}");
}

#[tokio::test]
async fn unreachable_server_is_a_transport_error() {
    // Bind and drop to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = list_page_error(
        Client::builder()
            .base_url(format!("http://127.0.0.1:{port}"))
            .project_id(PROJECT)
            .token("t")
            .retry(RetryConfig::standard().with_initial_backoff(Duration::from_millis(1))),
    )
    .await;
    match &err {
        Error::Transport { attempts, .. } => assert_eq!(*attempts, 3),
        other => panic!("expected a transport error, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("could not reach VPCEP"), "{message}");
    assert_eq!(
        message.matches("127.0.0.1").count(),
        1,
        "the URL once: {message}"
    );
}
