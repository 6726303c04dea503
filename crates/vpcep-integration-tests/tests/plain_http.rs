//! Plain HTTP carries credentials only to this machine unless explicitly allowed: any
//! other `http://` base URL is a configuration error at `build()`, before any I/O.

use vpcep_client::{Client, Error};

fn build(url: &str, allow_http: bool) -> Result<Client, Error> {
    Client::builder()
        .base_url(url)
        .project_id("p")
        .token("t")
        .allow_http(allow_http)
        .build()
}

#[test]
fn http_to_loopback_is_allowed() {
    for url in [
        "http://127.0.0.1:8080",
        "http://127.1.2.3",
        "http://[::1]:8080",
        "http://localhost:8080",
        "http://LOCALHOST",
        "https://vpcep.cn-north-4.myhuaweicloud.com",
        "https://10.0.0.1",
    ] {
        build(url, false).unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}

#[test]
fn http_elsewhere_is_refused_with_the_reason() {
    for url in [
        "http://vpcep.cn-north-4.myhuaweicloud.com",
        "http://10.0.0.1:8080",
        "http://[::2]",
        "http://localhost.example.com",
        "http://0.0.0.0:8080",
    ] {
        let err = build(url, false).unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{url}: {err:?}");
        let text = err.to_string();
        assert!(text.contains(url), "{text}");
        assert!(text.contains("unencrypted"), "{text}");
        assert!(text.contains("allow_http"), "{text}");
        // With the explicit opt-in, the same URL builds.
        build(url, true).unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}
