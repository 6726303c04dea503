//! The client against a scripted fake on 127.0.0.1: retries, timeouts, error bodies,
//! decoding errors, validation before I/O, and authentication headers.

use std::time::{Duration, Instant};

use vpcep_client::auth::CredentialsError;
use vpcep_client::{Client, Error, RetryConfig, TimeoutKind};
use vpcep_fake::{FakeServer, Fault};
use vpcep_tests::{client_builder as client, page_body, scripted, PROJECT_ID as PROJECT};

/// One ListEndpoints call with the default test client.
async fn send(server: &FakeServer) -> vpcep_client::Result<vpcep_client::EndpointListResp> {
    client(server)
        .build()
        .unwrap()
        .list_endpoints()
        .send()
        .await
}

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
    let err = client(&server)
        .attempt_timeout(Duration::from_millis(200))
        .retry(
            RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(1)),
        )
        .build()
        .unwrap()
        .list_endpoints()
        .send()
        .await
        .unwrap_err();
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
    let err = client(&server)
        .attempt_timeout(Duration::from_secs(30))
        .operation_timeout(Duration::from_millis(300))
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

    let always = scripted(|_, _| Some(Fault::json(200, page_body(0, 2, 2)).truncated()));
    let err = send(&always).await.unwrap_err();
    match &err {
        Error::Transport { attempts, .. } => assert_eq!(*attempts, 3),
        other => panic!("expected a transport error, got {other:?}"),
    }
    assert_eq!(always.requests().len(), 3);
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
    let err = client(&server)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap()
        .list_endpoints()
        .send()
        .await
        .unwrap_err();
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
    let err = Client::builder()
        .region("xx-nowhere-1")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("unknown region"), "{err}");
    let c = Client::builder()
        .base_url("http://127.0.0.1:9")
        .token("t")
        .build()
        .unwrap();
    let err = c.list_endpoints().send().await.unwrap_err();
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
    let err = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .project_id(PROJECT)
        .token("t")
        .retry(RetryConfig::standard().with_initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap()
        .list_endpoints()
        .send()
        .await
        .unwrap_err();
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
