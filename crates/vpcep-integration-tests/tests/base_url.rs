//! A base URL is a scheme, a host, an optional port and an optional path prefix; nothing
//! else. A user name or password, a query or a fragment is a configuration error at
//! `build()`, before any I/O, and the message never shows the password.

use vpcep_client::{Client, Error};
use vpcep_integration_tests::scripted;

const PASSWORD: &str = "Pa55w0rdInTheUrl";

#[test]
fn userinfo_query_and_fragment_are_refused_before_any_io() {
    let fake = scripted(|_, _| None);
    let host = fake.url().trim_start_matches("http://").to_owned();
    let cases = [
        (
            format!("http://user:{PASSWORD}@{host}"),
            "user name or password",
        ),
        (format!("http://user@{host}"), "user name or password"),
        (
            format!("http://:{PASSWORD}@{host}/prefix"),
            "user name or password",
        ),
        (
            format!("https://user:{PASSWORD}@vpcep.example.com"),
            "user name or password",
        ),
        (format!("http://{host}?x=1"), "query"),
        (format!("http://{host}/?"), "query"),
        (format!("http://{host}/#frag"), "fragment"),
        (format!("http://{host}#"), "fragment"),
    ];
    for (url, what) in &cases {
        let err = Client::builder()
            .base_url(url)
            .project_id("p")
            .token("t")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{url}: {err:?}");
        let text = err.to_string();
        assert!(text.contains("invalid base URL"), "{url}: {text}");
        assert!(text.contains(what), "{url}: {text}");
        assert!(
            !text.contains(PASSWORD),
            "{url}: the password leaked: {text}"
        );
        assert!(!format!("{err:?}").contains(PASSWORD), "{url}: {err:?}");
    }
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

#[test]
fn a_url_that_does_not_parse_hides_its_password_too() {
    let err = Client::builder()
        .base_url(format!("http://user:{PASSWORD}@[::1"))
        .project_id("p")
        .token("t")
        .build()
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("invalid base URL"), "{text}");
    assert!(!text.contains(PASSWORD), "the password leaked: {text}");
}

#[test]
fn a_path_prefix_is_kept() {
    let client = Client::builder()
        .base_url("http://127.0.0.1:8080/gateway/vpcep/")
        .project_id("p")
        .token("t")
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "http://127.0.0.1:8080/gateway/vpcep");
}
