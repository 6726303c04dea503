//! Redirects are never followed: a 3xx is a typed error naming the status and `Location`,
//! not retried, and no request (so no credential) ever reaches the redirect's target —
//! whether it is another origin or the same one, with a token or with AK/SK.

use vpcep_client::{Client, Credentials, Error, RetryConfig};
use vpcep_fake::Fault;
use vpcep_integration_tests::{page_body, page_error, scripted};

const TOKEN: &str = "MIIToken-SECRET-redirect";
const SK: &str = "SecretKey-SECRET-redirect";
const SECURITY_TOKEN: &str = "SecurityToken-SECRET-redirect";

fn redirect(status: u16, location: &str) -> Option<Fault> {
    Some(Fault::response(status, "").with_header("Location", location))
}

fn token_client(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .project_id("p")
        .token(TOKEN)
        .build()
        .unwrap()
}

fn aksk_client(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .project_id("p")
        .credentials(Credentials::AkSk(
            vpcep_client::auth::AkSk::new("AK", SK).with_security_token(SECURITY_TOKEN),
        ))
        .build()
        .unwrap()
}

/// Runs one call against a server answering `status` with `Location: target(other)`,
/// and checks the error, that it was not retried, and that the other server saw nothing.
async fn check(status: u16, same_origin: bool, aksk: bool) {
    let other = scripted(|_, _| Some(Fault::json(200, page_body(0, 1, 1))));
    let other_url = format!("{}/v1/p/vpc-endpoints", other.url());
    let location = if same_origin {
        "/v1/p/vpc-endpoints?moved=1".to_owned()
    } else {
        other_url.clone()
    };
    let loc = location.clone();
    let origin = scripted(move |_, _| redirect(status, &loc));
    let client = if aksk {
        aksk_client(&origin.url())
    } else {
        token_client(&origin.url())
    };
    let what = format!("{status} same_origin={same_origin} aksk={aksk}");
    let err = page_error(&client).await;
    match &err {
        Error::Redirect {
            status: s,
            location: l,
            request_id,
            followed,
            ..
        } => {
            assert_eq!(*s, status, "{what}");
            assert_eq!(l.as_deref(), Some(location.as_str()), "{what}");
            let sent = origin.requests()[0].request_id.clone();
            assert_eq!(request_id.as_deref(), Some(sent.as_str()), "{what}");
            assert!(!followed, "{what}");
        }
        other => panic!("{what}: expected a redirect error, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains(&status.to_string()), "{what}: {text}");
    assert!(text.contains(&location), "{what}: {text}");
    assert!(text.contains("not followed"), "{what}: {text}");
    for secret in [TOKEN, SK, SECURITY_TOKEN] {
        assert!(!text.contains(secret) && !format!("{err:?}").contains(secret));
    }
    // Exactly one request, carrying the credentials to the configured origin only.
    let seen = origin.requests();
    assert_eq!(
        seen.len(),
        1,
        "{what}: a redirect is not retried nor followed"
    );
    if aksk {
        assert!(seen[0].header("authorization").is_some(), "{what}");
        assert_eq!(seen[0].header("x-security-token"), Some(SECURITY_TOKEN));
    } else {
        assert_eq!(seen[0].header("x-auth-token"), Some(TOKEN), "{what}");
    }
    assert!(
        other.requests().is_empty(),
        "{what}: the redirect target received {:?}",
        other.requests()
    );
}

#[tokio::test]
async fn no_redirect_is_followed() {
    for status in [301, 302, 303, 307, 308] {
        for same_origin in [false, true] {
            for aksk in [false, true] {
                check(status, same_origin, aksk).await;
            }
        }
    }
}

#[tokio::test]
async fn a_redirect_without_location_is_an_error_too() {
    let origin = scripted(|_, _| Some(Fault::json(302, "")));
    let err = page_error(&token_client(&origin.url())).await;
    assert!(
        matches!(
            err,
            Error::Redirect {
                status: 302,
                location: None,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("no Location header"), "{err}");
}

#[tokio::test]
async fn a_supplied_client_that_follows_redirects_is_refused() {
    // The caller's reqwest client follows redirects (reqwest's default): the request is
    // replayed before we can see it, but the answer is refused and the error says how to
    // build the client.
    let other = scripted(|_, _| Some(Fault::json(200, page_body(0, 1, 1))));
    let target = format!("{}/v1/p/vpc-endpoints", other.url());
    let t = target.clone();
    let origin = scripted(move |_, _| redirect(307, &t));
    let client = Client::builder()
        .base_url(origin.url())
        .project_id("p")
        .token(TOKEN)
        .retry(RetryConfig::standard())
        .http_client(reqwest::Client::new())
        .build()
        .unwrap();
    let err = page_error(&client).await;
    match &err {
        Error::Redirect {
            followed: true,
            location: Some(l),
            status: 200,
            ..
        } => assert!(l.starts_with(&target), "{l}"),
        other => panic!("expected a followed redirect, got {other:?}"),
    }
    assert!(err.to_string().contains("Policy::none()"), "{err}");
    assert_eq!(origin.requests().len(), 1, "not retried");
    // A client built with Policy::none() keeps the credentials home.
    let client = Client::builder()
        .base_url(origin.url())
        .project_id("p")
        .token(TOKEN)
        .http_client(
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let err = page_error(&client).await;
    assert!(
        matches!(
            err,
            Error::Redirect {
                status: 307,
                followed: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(other.requests().len(), 1, "only the first client's replay");
}
