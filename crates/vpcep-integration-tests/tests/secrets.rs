//! Secrets (IAM token, SK, security token) never appear in Debug, Display, errors or
//! tracing output at any level.

use std::time::Duration;

use vpcep_client::{Client, Credentials, RetryConfig};
use vpcep_fake::Fault;
use vpcep_integration_tests::{page_body, page_error, scripted, LogCapture};

const TOKEN: &str = "MIIToken-SECRET-0123456789";
const SK: &str = "SecretKey-SECRET-abcdefghij";
const SECURITY_TOKEN: &str = "SecurityToken-SECRET-xyz";

fn assert_no_secret(text: &str, what: &str) {
    for secret in [TOKEN, SK, SECURITY_TOKEN] {
        assert!(!text.contains(secret), "{what} leaks a secret:\n{text}");
    }
}

#[tokio::test]
async fn no_secret_in_debug_errors_or_traces() {
    let capture = LogCapture::default();
    let _guard = capture.install();

    let server = scripted(|n, _| {
        Some(match n {
            0 => Fault::json(503, "{}"),
            1 => Fault::json(200, page_body(0, 1, 1)),
            _ => Fault::json(401, r#"{"error":{"code":"401","message":"bad token"}}"#),
        })
    });
    let retry = RetryConfig::standard().with_initial_backoff(Duration::from_millis(1));
    let token_client = Client::builder()
        .base_url(server.url())
        .project_id("p")
        .token(TOKEN)
        .retry(retry.clone())
        .build()
        .unwrap();
    token_client.list_endpoints().send().await.unwrap();
    let err = page_error(&token_client).await;
    assert_no_secret(&format!("{err} {err:?}"), "an API error");

    let aksk_client = Client::builder()
        .base_url(server.url())
        .project_id("p")
        .credentials(Credentials::AkSk(
            vpcep_client::auth::AkSk::new("AK", SK).with_security_token(SECURITY_TOKEN),
        ))
        .retry(retry)
        .build()
        .unwrap();
    let _ = aksk_client.list_endpoints().send().await;

    assert_no_secret(
        &format!("{token_client:?} {aksk_client:?}"),
        "Client's Debug",
    );
    assert_no_secret(
        &format!("{:?}", token_client.list_endpoints()),
        "the request builder",
    );
    let bad = Client::builder()
        .region("cn-north-4")
        .token(format!("{TOKEN}\n"))
        .build()
        .unwrap_err();
    assert_no_secret(&format!("{bad} {bad:?}"), "a validation error");

    let traces = capture.text();
    assert!(
        traces.contains("vpcep.request"),
        "spans were recorded:\n{traces}"
    );
    assert!(traces.contains("attempt"), "{traces}");
    assert_no_secret(&traces, "tracing output");
    // The token really was sent (so the test would catch a leak of it).
    assert_eq!(server.requests()[0].header("x-auth-token"), Some(TOKEN));
}
