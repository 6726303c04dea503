//! TLS end to end: the client against the fake serving HTTPS with a throw-away CA.
//! Trusted CA works; an unknown CA or a certificate for another name is Error::Tls (clear,
//! not retried); a bad PEM is a configuration error.

use vpcep_client::{Client, ClientBuilder, Error, RetryConfig};
use vpcep_fake::pki::Pki;
use vpcep_fake::{FakeConfig, FakeServer, TlsConfig};
use vpcep_integration_tests::{list_page_error, page_error};

const TOKEN: &str = "tls-token-SECRET";

fn https_fake(pki: &Pki) -> FakeServer {
    let tls = TlsConfig::from_pem(pki.cert_pem.as_bytes(), pki.key_pem.as_bytes()).unwrap();
    FakeServer::start(FakeConfig::new().token(TOKEN).tls(tls)).unwrap()
}

fn builder(url: &str, root: Option<&str>) -> ClientBuilder {
    let builder = Client::builder()
        .base_url(url)
        .project_id("p")
        .token(TOKEN)
        .retry(RetryConfig::standard().with_initial_backoff(std::time::Duration::from_millis(1)));
    match root {
        Some(pem) => builder.add_root_certificate(pem),
        None => builder,
    }
}

fn client(url: &str, root: Option<&str>) -> Result<Client, Error> {
    builder(url, root).build()
}

#[tokio::test]
async fn a_trusted_ca_works() {
    let pki = Pki::localhost();
    let fake = https_fake(&pki);
    assert!(
        fake.url().starts_with("https://127.0.0.1:"),
        "{}",
        fake.url()
    );
    for url in [
        fake.url(),
        format!("https://localhost:{}", fake.addr().port()),
    ] {
        let page = client(&url, Some(&pki.ca_pem))
            .unwrap()
            .list_endpoints()
            .send()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(page.total_count, Some(2));
    }
    assert_eq!(fake.requests().len(), 2);
    let sent = fake.requests()[0].headers.get("x-auth-token").cloned();
    assert_eq!(sent.as_ref().and_then(|v| v.to_str().ok()), Some(TOKEN));
}

#[tokio::test]
async fn an_unknown_ca_is_rejected_clearly() {
    let pki = Pki::localhost();
    let fake = https_fake(&pki);
    let other_ca = Pki::localhost().ca_pem;
    for root in [None, Some(other_ca.as_str())] {
        let err = page_error(&client(&fake.url(), root).unwrap()).await;
        let text = err.to_string();
        assert!(matches!(err, Error::Tls { .. }), "{err:?}");
        assert!(text.contains("certificate"), "{text}");
        assert!(text.contains("add_root_certificate"), "{text}");
        assert!(!text.contains(TOKEN), "{text}");
    }
    assert!(fake.requests().is_empty(), "no request got through");
}

#[tokio::test]
async fn a_certificate_for_another_name_is_rejected() {
    let pki = Pki::new("vpcep test CA", &["vpcep.example.com"]);
    let fake = https_fake(&pki);
    let err = page_error(&client(&fake.url(), Some(&pki.ca_pem)).unwrap()).await;
    let text = err.to_string();
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    assert!(text.contains("not valid for name"), "{text}");
    assert!(fake.requests().is_empty());
}

#[test]
fn a_bad_root_certificate_is_a_configuration_error() {
    for pem in [
        "",
        "not a certificate",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    ] {
        let err = client("https://127.0.0.1:1", Some(pem)).unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{pem:?}: {err:?}");
        assert!(err.to_string().contains("root certificate"), "{err}");
    }
    let err = Client::builder()
        .base_url("https://127.0.0.1:1")
        .add_root_certificate(Pki::localhost().ca_pem)
        .http_client(reqwest::Client::new())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("http_client"), "{err}");
}

/// A server that accepts the connection and never answers the TLS handshake: the connect
/// timeout (which covers TCP and TLS) fires, and the error names it, not the per-attempt
/// timeout that did not fire.
#[tokio::test]
async fn a_stalled_handshake_names_the_connect_timeout() {
    // The kernel completes the TCP handshake; nobody ever reads the ClientHello.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://127.0.0.1:{}", silent.local_addr().unwrap().port());
    let err = list_page_error(
        builder(&url, None)
            .retry(RetryConfig::disabled())
            .connect_timeout(std::time::Duration::from_millis(300))
            .attempt_timeout(std::time::Duration::from_secs(30)),
    )
    .await;
    let text = err.to_string();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(text.contains("connect timeout of 300ms"), "{text}");
    assert!(!text.contains("per-attempt"), "{text}");
    drop(silent);
}
