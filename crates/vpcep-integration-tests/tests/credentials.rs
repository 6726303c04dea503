//! Credential providers and the default chain against the fake platform (ECS metadata,
//! IAM) and scripted fakes (pod identity, OIDC STS): chain order and fall-through, the
//! metadata session-token flow, refresh under load, refresh failures, the project ID from
//! IAM, and no secret in logs or errors.
//!
//! Providers read an injected environment ([`Env::from_pairs`]), never the process's.

use std::time::Duration;

use secrecy::ExposeSecret;
use vpcep_client::credentials::{
    metadata::MetadataProvider, ChainBuilder, CredentialsProvider, Env,
};
use vpcep_client::{Client, Credentials, Error};
use vpcep_fake::{FakeConfig, FakeServer, Fault, MetadataMode};
use vpcep_integration_tests::{list_page_error, page_error, scripted, LogCapture};

use vpcep_integration_tests::PROJECT_ID as PROJECT;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "vpcep-cred-{name}-{}-{:x}",
        std::process::id(),
        fastrand_u64()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fastrand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(0);
    h.finish()
}

/// A base URL where nothing listens (connection refused at once).
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

fn platform_fake() -> FakeServer {
    FakeServer::start(
        FakeConfig::new()
            .require_auth()
            .generate(2_500, 7)
            .iam_project("cn-north-4", PROJECT),
    )
    .unwrap()
}

/// The environment of CCE pod identity: the agent's URL and the token file.
fn pod_identity_env(uri: &str, token_file: &std::path::Path) -> Env {
    Env::from_pairs([
        ("HOME", "/nonexistent"),
        ("HC_CONTAINER_CREDENTIALS_FULL_URI", uri),
        (
            "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            token_file.to_str().unwrap(),
        ),
    ])
}

/// The environment of OIDC federation through the STS at `sts_url`.
fn oidc_env(sts_url: &str) -> Env {
    Env::from_pairs([
        ("HOME", "/nonexistent"),
        ("HUAWEICLOUD_OIDC_PROVIDER_URN", "urn:provider"),
        ("HUAWEICLOUD_OIDC_AGENCY_URN", "urn:agency"),
        ("HUAWEICLOUD_OIDC_ID_TOKEN", "id-token"),
        ("HUAWEICLOUD_SDK_STS_ENDPOINT", sts_url),
    ])
}

fn chain(env: Env, metadata_url: &str) -> CredentialsProvider {
    ChainBuilder::new()
        .env(env)
        .metadata_url(metadata_url)
        .build()
}

#[tokio::test]
async fn nothing_found_lists_every_provider_and_why() {
    let home = temp_dir("nothing");
    let provider = chain(
        Env::from_pairs([("HOME", home.to_str().unwrap())]),
        &closed_port_url(),
    );
    let err = provider.identity().await.unwrap_err().to_string();
    let (head, tried) = err.split_once(": 1. ").expect("a numbered list");
    assert_eq!(
        head, "chain: no credentials found; tried, in order",
        "{err}"
    );
    let lines: Vec<&str> = tried.split("; ").collect();
    assert_eq!(
        lines[0],
        "oidc-sts: HUAWEICLOUD_OIDC_PROVIDER_URN and HUAWEICLOUD_OIDC_AGENCY_URN unset"
    );
    assert_eq!(
        lines[1],
        "2. env: HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK unset"
    );
    assert!(
        lines[2].starts_with("3. profile: credentials file '"),
        "{err}"
    );
    assert!(lines[2].ends_with("' does not exist"), "{err}");
    assert!(
        lines[3].starts_with("4. metadata: metadata service http://127.0.0.1:"),
        "{err}"
    );
    assert!(lines[3].contains(" unreachable in "), "{err}");
    assert_eq!(
        lines[4],
        "5. pod-identity: HC_CONTAINER_CREDENTIALS_FULL_URI and HC_CONTAINER_AUTHORIZATION_TOKEN_FILE unset"
    );
    assert_eq!(lines.len(), 5, "{err}");

    // Through a client: a credentials error, before anything is sent to VPCEP.
    let vpcep = scripted(|_, _| Some(Fault::json(500, "{}")));
    let client = Client::builder()
        .base_url(vpcep.url())
        .project_id(PROJECT)
        .credentials(Credentials::Provider(provider))
        .build()
        .unwrap();
    let err = page_error(&client).await;
    assert!(matches!(err, Error::Credentials(_)), "{err:?}");
    assert!(err.to_string().contains("no credentials found"), "{err}");
    assert!(vpcep.requests().is_empty(), "nothing may be sent unsigned");
}

#[tokio::test]
async fn an_unreachable_metadata_service_is_remembered() {
    let url = closed_port_url();
    let first = MetadataProvider::new(&url);
    let vpcep_client_err = |p: MetadataProvider| async move {
        CredentialsProvider::new(p)
            .identity()
            .await
            .unwrap_err()
            .to_string()
    };
    let e1 = vpcep_client_err(first).await;
    assert!(e1.contains("unreachable in"), "{e1}");
    // A new provider for the same URL does not try again.
    let e2 = vpcep_client_err(MetadataProvider::new(&url)).await;
    assert!(e2.contains("remembered from"), "{e2}");
}

#[tokio::test]
async fn chain_order_each_provider_wins_over_the_later_ones() {
    let fake = platform_fake();
    let home = temp_dir("order");
    let profile_dir = home.join(".huaweicloud");
    std::fs::create_dir_all(&profile_dir).unwrap();
    std::fs::write(
        profile_dir.join("credentials"),
        "[basic]\nak = AKPROFILE\nsk = SKPROFILE\nproject_id = profileproject\n",
    )
    .unwrap();
    let home_s = home.to_str().unwrap().to_owned();

    // env beats profile and metadata: the metadata service is never asked.
    let p = chain(
        Env::from_pairs([
            ("HOME", home_s.as_str()),
            ("HUAWEICLOUD_SDK_AK", "AKENV"),
            ("HUAWEICLOUD_SDK_SK", "SKENV"),
        ]),
        &fake.url(),
    );
    let id = p.identity().await.unwrap();
    assert_eq!((id.provider(), id.keys().access_key()), ("env", "AKENV"));
    assert_eq!(fake.platform().securitykey_calls(), 0);
    let debug = format!("{:?} {:#?}", Credentials::Provider(p.clone()), id);
    assert!(debug.contains("AKENV"), "{debug}");
    assert!(!debug.contains("SKENV"), "Debug leaks the SK: {debug}");

    // profile beats metadata.
    let id = chain(Env::from_pairs([("HOME", home_s.as_str())]), &fake.url())
        .identity()
        .await
        .unwrap();
    assert_eq!(
        (id.provider(), id.keys().access_key()),
        ("profile", "AKPROFILE")
    );
    assert_eq!(id.project_id(), Some("profileproject"));
    assert_eq!(fake.platform().securitykey_calls(), 0);

    // HUAWEICLOUD_SDK_CREDENTIALS_FILE names another file; missing → falls through.
    let id = chain(
        Env::from_pairs([
            ("HOME", home_s.as_str()),
            (
                "HUAWEICLOUD_SDK_CREDENTIALS_FILE",
                "/nonexistent/credentials",
            ),
        ]),
        &fake.url(),
    )
    .identity()
    .await
    .unwrap();
    assert_eq!(id.provider(), "metadata");
    assert_eq!(
        Some(id.keys().access_key().to_owned()),
        fake.platform().current_access_key()
    );
    assert!(id.keys().security_token().is_some());
    assert!(id.expires_at().is_some());

    // An incomplete env (AK without SK) is reported and the chain moves on.
    let err = chain(
        Env::from_pairs([("HOME", "/nonexistent"), ("HUAWEICLOUD_SDK_AK", "AKONLY")]),
        &closed_port_url(),
    )
    .identity()
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("env: HUAWEICLOUD_SDK_SK unset"), "{err}");
}

#[tokio::test]
async fn pod_identity_posts_the_token_file_and_reads_the_answer() {
    let agent = scripted(|_, _| {
        Some(Fault::json(
            200,
            r#"{"credential":{"access":"AKPOD","secret":"SKPOD","securitytoken":"TOKPOD","expires_at":"2099-01-01T00:00:00.000000Z"}}"#,
        ))
    });
    let dir = temp_dir("pod");
    let token_file = dir.join("token");
    std::fs::write(&token_file, "pod-auth-token\n").unwrap();
    let uri = format!("{}/v1/credentials", agent.url());
    let p = chain(pod_identity_env(&uri, &token_file), &closed_port_url());
    let id = p.identity().await.unwrap();
    assert_eq!(
        (id.provider(), id.keys().access_key()),
        ("pod-identity", "AKPOD")
    );
    let requests = agent.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].target(), "/v1/credentials");
    assert_eq!(requests[0].header("authorization"), Some("pod-auth-token"));
    assert_eq!(requests[0].header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn oidc_sts_comes_first_when_configured() {
    let sts = scripted(|_, _| {
        Some(Fault::json(
            200,
            r#"{"credentials":{"access_key_id":"AKOIDC","secret_access_key":"SKOIDC","security_token":"TOKOIDC","expiration":"2099-01-01T00:00:00.000Z"}}"#,
        ))
    });
    let sts_url = sts.url();
    let p = chain(
        Env::from_pairs([
            ("HUAWEICLOUD_OIDC_PROVIDER_URN", "urn:provider"),
            ("HUAWEICLOUD_OIDC_AGENCY_URN", "urn:agency"),
            ("HUAWEICLOUD_OIDC_ID_TOKEN", "id-token"),
            ("HUAWEICLOUD_SDK_STS_ENDPOINT", sts_url.as_str()),
            ("HUAWEICLOUD_SDK_AK", "AKENV"),
            ("HUAWEICLOUD_SDK_SK", "SKENV"),
        ]),
        &closed_port_url(),
    );
    let id = p.identity().await.unwrap();
    assert_eq!(
        (id.provider(), id.keys().access_key()),
        ("oidc-sts", "AKOIDC")
    );
    let requests = sts.requests();
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].target(), "/v5/agencies/assume-with-oidc");
    assert!(
        requests[0].header("authorization").is_none(),
        "AssumeAgencyWithOIDC is unsigned"
    );
}

#[tokio::test]
async fn metadata_token_flow_with_401_retry() {
    let fake = FakeServer::start(FakeConfig::new().metadata(MetadataMode::TokenRequired)).unwrap();
    let platform = fake.platform();
    // The first token request fails with 503 (an older metadata service): the official
    // flow then asks securitykey without a token, gets 401, asks a token again, retries.
    platform.fail_token_requests(1);
    let provider = MetadataProvider::new(fake.url());
    let p = CredentialsProvider::new(provider);
    let id = p.identity().await.unwrap();
    assert_eq!(
        Some(id.keys().access_key().to_owned()),
        platform.current_access_key()
    );
    assert_eq!(
        (platform.token_calls(), platform.securitykey_calls()),
        (2, 2)
    );

    // The session token is kept: the next fetch asks securitykey only.
    let p = p.with_refresh_margin(Duration::from_secs(2 * 3600)); // always due
    platform.rotate();
    let id2 = p.identity().await.unwrap();
    assert_ne!(
        id2.keys().access_key(),
        id.keys().access_key(),
        "keys rotated"
    );
    assert_eq!(
        (platform.token_calls(), platform.securitykey_calls()),
        (2, 3)
    );

    // A revoked session token: 401, a new token, one retry.
    platform.revoke_session_tokens();
    p.identity().await.unwrap();
    assert_eq!(
        (platform.token_calls(), platform.securitykey_calls()),
        (3, 5)
    );
}

/// The client lists with metadata credentials; the fake accepts them (AK/SK + token).
fn metadata_client(fake: &FakeServer, provider: CredentialsProvider) -> Client {
    Client::builder()
        .base_url(fake.url())
        .region("cn-north-4")
        .iam_endpoint(fake.url())
        .credentials(Credentials::Provider(provider))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refresh_is_single_flight_under_a_concurrent_list_all() {
    let fake = platform_fake();
    let platform = fake.platform();
    // Credentials with 10 minutes left: inside the 40-minute margin, so due for renewal.
    platform.set_credential_lifetime(Duration::from_secs(600));
    let provider = MetadataProvider::new(fake.url());
    let creds = CredentialsProvider::new(provider);
    creds.identity().await.unwrap();
    assert_eq!(platform.securitykey_calls(), 1);
    platform.set_credential_lifetime(Duration::from_secs(4 * 3600));

    // 16 requests at once: one renewal.
    let client = metadata_client(&fake, creds.clone());
    let sends = (0..16).map(|_| {
        let c = client.clone();
        async move {
            c.list_endpoints()
                .project_id(PROJECT)
                .limit(10)
                .send()
                .await
        }
    });
    for r in futures::future::join_all(sends).await {
        r.unwrap();
    }
    assert_eq!(
        platform.securitykey_calls(),
        2,
        "16 concurrent requests, one renewal"
    );

    // A listing of 2,500 endpoints with 16 pages in flight, starting due again.
    platform.set_credential_lifetime(Duration::from_secs(600));
    platform.rotate();
    let creds = CredentialsProvider::new(MetadataProvider::new(fake.url()));
    creds.identity().await.unwrap();
    platform.set_credential_lifetime(Duration::from_secs(4 * 3600));
    let before = platform.securitykey_calls();
    let client = metadata_client(&fake, creds);
    let all = client
        .list_endpoints()
        .limit(100)
        .list_all()
        .concurrency(16)
        .send()
        .await
        .unwrap();
    assert_eq!(all.endpoints.unwrap().len(), 2_500);
    assert_eq!(
        platform.securitykey_calls() - before,
        1,
        "one renewal for 26 pages"
    );
    // The project came from IAM, once.
    assert_eq!(platform.iam_calls(), 1);
    let requests = fake.requests();
    assert!(requests
        .iter()
        .all(|r| r.uri.path() == format!("/v1/{PROJECT}/vpc-endpoints")));
    assert!(requests
        .iter()
        .all(|r| r.headers.contains_key("x-security-token")));
    // Every page of the listing (its project found in IAM) names it in X-Project-Id,
    // also while 16 start at once: the resolved project is read without a lock that
    // could be contended. (The 16 sends above name their project on the request, which
    // the header does not carry: unchanged behaviour.)
    let listing: Vec<_> = requests
        .iter()
        .filter(|r| r.uri.query().is_some_and(|q| q.contains("limit=100")))
        .collect();
    // 2,500 in pages of 100 that overlap by one (list_all's check that pages fit): 26.
    assert_eq!(listing.len(), 26, "the listing's pages");
    for r in listing {
        assert_eq!(
            r.headers.get("x-project-id").and_then(|v| v.to_str().ok()),
            Some(PROJECT),
            "{} without X-Project-Id",
            r.uri
        );
    }
}

#[tokio::test]
async fn refresh_failure_keeps_valid_credentials_and_fails_after_expiry() {
    let capture = LogCapture::default();
    let _guard = capture.install();

    let fake = platform_fake();
    let platform = fake.platform();
    platform.set_credential_lifetime(Duration::from_secs(600)); // due, still valid
    let creds = CredentialsProvider::new(MetadataProvider::new(fake.url()));
    let client = metadata_client(&fake, creds.clone());
    client.list_endpoints().send().await.unwrap();
    let first = creds.cached().unwrap();

    // The metadata service goes away: the valid credentials are kept, with a warning.
    platform.set_metadata_mode(MetadataMode::Off);
    client.list_endpoints().send().await.unwrap();
    assert_eq!(
        creds.cached().unwrap().keys().access_key(),
        first.keys().access_key()
    );
    let logs = capture.text();
    assert!(
        logs.contains("WARN") && logs.contains("could not renew the credentials"),
        "{logs}"
    );

    // Credentials that expire: after expiry, an error naming the provider.
    platform.set_metadata_mode(MetadataMode::Open);
    platform.set_credential_lifetime(Duration::from_secs(1));
    platform.rotate();
    let creds = CredentialsProvider::new(MetadataProvider::new(fake.url()));
    let short = creds.identity().await.unwrap();
    platform.set_metadata_mode(MetadataMode::Off);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let client = metadata_client(&fake, creds);
    let err = client
        .list_endpoints()
        .project_id(PROJECT)
        .send()
        .await
        .unwrap_err();
    let Error::Credentials(e) = &err else {
        panic!("expected a credentials error, got {err:?}")
    };
    let text = e.to_string();
    assert!(
        text.starts_with("the credentials from metadata expired at "),
        "{text}"
    );
    assert!(text.contains("answered 404"), "{text}");

    // And the fake refuses requests signed with the expired credentials.
    let expired = Client::builder()
        .base_url(fake.url())
        .project_id(PROJECT)
        .credentials(Credentials::AkSk(short.keys().clone()))
        .retry(vpcep_client::RetryConfig::standard().with_max_attempts(1))
        .build()
        .unwrap();
    let err = page_error(&expired).await;
    assert!(
        err.to_string().contains("the security token has expired"),
        "{err}"
    );

    let logs = capture.text();
    let all = format!("{logs}\n{err}\n{err:?}\n{text}\n{e:?}\n{first:?}");
    for secret in platform.issued_secrets() {
        assert!(!all.contains(&secret), "a secret leaked: {secret}");
    }
    assert!(!all.contains(short.keys().secret_key().expose_secret()));
}

#[tokio::test]
async fn project_id_from_iam_found_none_several() {
    let fake = FakeServer::start(
        FakeConfig::new()
            .aksk("AKIAM", "SKIAM-secret")
            .iam_project("cn-north-4", PROJECT)
            .iam_project("cn-south-1", "aaaa0000aaaa0000aaaa0000aaaa0000")
            .iam_project("cn-south-1", "bbbb0000bbbb0000bbbb0000bbbb0000"),
    )
    .unwrap();
    let client = |region: &str| {
        Client::builder()
            .base_url(fake.url())
            .region(region)
            .iam_endpoint(fake.url())
            .aksk("AKIAM", "SKIAM-secret")
            .build()
            .unwrap()
    };
    let c = client("cn-north-4");
    c.list_endpoints().send().await.unwrap();
    c.list_endpoints().send().await.unwrap();
    assert_eq!(fake.platform().iam_calls(), 1, "looked up once");
    let iam = fake
        .requests()
        .into_iter()
        .filter(|r| r.uri.path().starts_with("/v1/"))
        .collect::<Vec<_>>();
    assert!(iam
        .iter()
        .all(|r| r.uri.path() == format!("/v1/{PROJECT}/vpc-endpoints")));
    // A second client with the same AK and region uses the process cache.
    client("cn-north-4").list_endpoints().send().await.unwrap();
    assert_eq!(fake.platform().iam_calls(), 1, "cached per AK and region");

    let err = page_error(&client("cn-east-3")).await;
    let text = err.to_string();
    assert!(text.contains("no project named 'cn-east-3'"), "{text}");
    assert!(text.contains("--project-id"), "{text}");
    assert!(text.contains("X-IAM-Trace-Id="), "{text}");

    let err = page_error(&client("cn-south-1")).await;
    let text = err.to_string();
    assert!(
        text.contains("several projects named 'cn-south-1'"),
        "{text}"
    );
    assert!(
        text.contains("aaaa0000aaaa0000aaaa0000aaaa0000, bbbb0000bbbb0000bbbb0000bbbb0000"),
        "{text}"
    );
    assert!(!text.contains("SKIAM-secret"));

    // A token cannot look the project up: the error says how to set one.
    let err = list_page_error(Client::builder().base_url(fake.url()).token("t")).await;
    assert!(err.to_string().contains("no project ID"), "{err}");
}

#[tokio::test]
async fn metadata_without_an_agency_is_not_retried() {
    // The official accessor does not ask a new session token when the 401 says the ECS
    // has no agency: nothing would change.
    // The script answers the fake's metadata paths too (and logs them).
    let server = scripted(|_, r| {
        Some(if r.method == "PUT" {
            Fault::json(200, "session-token")
        } else {
            Fault::json(401, "Please configure Cloud Service Agency first")
        })
    });
    let err = CredentialsProvider::new(MetadataProvider::new(server.url()))
        .identity()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("answered 401: Please configure Cloud Service Agency first"),
        "{err}"
    );
    let requests = server.requests();
    let asked: Vec<(&str, &str)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.target()))
        .collect();
    assert_eq!(
        asked,
        [
            ("PUT", "/meta-data/latest/api/token"),
            ("GET", "/openstack/latest/securitykey")
        ]
    );
    assert_eq!(
        requests[0].header("x-metadata-token-ttl-seconds"),
        Some("21600")
    );
    assert_eq!(
        requests[1].header("x-metadata-token"),
        Some("session-token")
    );
}

#[tokio::test]
async fn no_project_and_no_region_is_named_before_any_request() {
    let vpcep = scripted(|_, _| Some(Fault::json(500, "{}")));
    let err = list_page_error(Client::builder().base_url(vpcep.url()).aksk("AK", "SK")).await;
    assert_eq!(
        err.to_string(),
        "no project ID: set it on the client or the request (CLI --project-id), in \
         HUAWEICLOUD_SDK_PROJECT_ID or project_id in the credentials file, or set a region to \
         look it up in IAM (CLI --region)"
    );
    assert!(vpcep.requests().is_empty());
}

/// A value no request can carry (a `security_token` continued on a second line of the
/// credentials file, a line break in the metadata service's answer, an AK with a control
/// character from pod identity or OIDC) is a credentials error naming the provider and the
/// key, never the value, and nothing is sent (it used to be sent unsigned).
#[tokio::test]
async fn provider_values_that_cannot_be_sent_are_refused_and_nothing_is_sent() {
    let vpcep = platform_fake();
    let list = |provider: CredentialsProvider| {
        let client = Client::builder()
            .base_url(vpcep.url())
            .project_id(PROJECT)
            .credentials(Credentials::Provider(provider))
            .retry(vpcep_client::RetryConfig::disabled())
            .build()
            .unwrap();
        async move { page_error(&client).await }
    };
    let expect = |err: Error, provider: &str, key: &str| {
        match &err {
            Error::Credentials(vpcep_client::auth::CredentialsError::Invalid {
                provider: p,
                key: k,
                ..
            }) => assert_eq!((*p, *k), (provider, key), "{err}"),
            other => panic!("{provider}: expected an Invalid credentials error, got {other:?}"),
        }
        let text = err.to_string();
        for secret in ["TOKEN-FIRST", "continued", "SKBAD"] {
            assert!(!text.contains(secret), "{text}");
        }
    };

    // The profile file: configparser reads an indented line as a continuation.
    let dir = temp_dir("continuation");
    let file = dir.join("credentials");
    std::fs::write(
        &file,
        "[basic]\nak = AKPROFILE\nsk = SKBAD\nsecurity_token = TOKEN-FIRST\n  continued\n",
    )
    .unwrap();
    let env = Env::from_pairs([
        ("HOME", dir.to_str().unwrap()),
        ("HUAWEICLOUD_SDK_CREDENTIALS_FILE", file.to_str().unwrap()),
    ]);
    expect(
        list(chain(env, &closed_port_url())).await,
        "profile",
        "security_token",
    );

    // The metadata service (no session token: 404), a line break in the security token.
    let metadata = scripted(|_, r| {
        Some(if r.method == "PUT" {
            Fault::json(404, "")
        } else {
            Fault::json(
                200,
                r#"{"credential":{"access":"AKMETA","secret":"SKBAD","securitytoken":"TOKEN-FIRST\ncontinued","expires_at":"2099-01-01T00:00:00.000000Z"}}"#,
            )
        })
    });
    let env = Env::from_pairs([("HOME", "/nonexistent")]);
    expect(
        list(chain(env, &metadata.url())).await,
        "metadata",
        "security token",
    );

    // Pod identity, a control character in the access key.
    let agent = scripted(|_, _| {
        Some(Fault::json(
            200,
            r#"{"credential":{"access":"AK\u0007POD","secret":"SKBAD","securitytoken":"T","expires_at":"2099-01-01T00:00:00.000000Z"}}"#,
        ))
    });
    let token_file = dir.join("pod-token");
    std::fs::write(&token_file, "pod-auth-token").unwrap();
    let uri = format!("{}/v1/credentials", agent.url());
    let env = pod_identity_env(&uri, &token_file);
    expect(
        list(chain(env, &closed_port_url())).await,
        "pod-identity",
        "access key",
    );

    // OIDC STS, a secret key with surrounding spaces.
    let sts = scripted(|_, _| {
        Some(Fault::json(
            200,
            r#"{"credentials":{"access_key_id":"AKOIDC","secret_access_key":" SKBAD ","security_token":"T","expiration":"2099-01-01T00:00:00.000Z"}}"#,
        ))
    });
    let env = oidc_env(&sts.url());
    expect(
        list(chain(env, &closed_port_url())).await,
        "oidc-sts",
        "secret key",
    );

    assert!(vpcep.requests().is_empty(), "{:?}", vpcep.requests());
}

/// A credentials file that exists but cannot be used is the user's mistake: the chain
/// stops with an error naming the file and the problem instead of going on to the
/// metadata service and signing as another identity (as the AWS SDKs do with a malformed
/// profile; the official Huawei SDK moves on for a missing section or key, and fails for a
/// syntax error).
#[tokio::test]
async fn an_unusable_credentials_file_stops_the_chain() {
    let metadata = platform_fake();
    let dir = temp_dir("unusable");
    let file = dir.join("credentials");
    for (text, problem) in [
        (
            "[global]\nak = A\nsk = SKSECRET\n",
            "credential type 'basic' does not exist",
        ),
        ("[basic]\nak = A\n", "sk"),
        ("[basic]\nsk = SKSECRET\n", "ak"),
        ("[basic]\nak = A\nak = B\nsk = SKSECRET\n", "line 3"),
        ("ak = A\n", "line 1"),
        (
            "[basic]\nidp_id = idp\nid_token_file = /t\n",
            "not supported",
        ),
    ] {
        std::fs::write(&file, text).unwrap();
        let env = Env::from_pairs([
            ("HOME", dir.to_str().unwrap()),
            ("HUAWEICLOUD_SDK_CREDENTIALS_FILE", file.to_str().unwrap()),
        ]);
        let err = chain(env, &metadata.url()).identity().await.unwrap_err();
        let text_err = err.to_string();
        assert!(text_err.starts_with("profile: "), "{text:?}: {text_err}");
        assert!(
            text_err.contains(file.to_str().unwrap()),
            "{text:?}: {text_err}"
        );
        assert!(text_err.contains(problem), "{text:?}: {text_err}");
        assert!(!text_err.contains("SKSECRET"), "{text_err}");
    }
    assert!(
        metadata.requests().is_empty(),
        "the chain went on to the metadata service: {:?}",
        metadata.requests()
    );
}

/// The providers' own HTTP calls (metadata, pod identity, OIDC STS, the IAM project
/// lookup) follow the rules of VPCEP calls: a redirect is refused, never followed (the
/// metadata token, the pod's authorization, the ID token or the signature would go where
/// `Location` says), and a body stops at the response-size limit (32 MiB by default)
/// instead of filling memory.
#[tokio::test]
async fn providers_refuse_redirects_and_bodies_over_the_limit() {
    let elsewhere = scripted(|_, _| Some(Fault::json(200, "{}")));
    let location = format!("{}/stolen", elsewhere.url());
    let redirect = move |_: usize, _: &vpcep_fake::RecordedRequest| {
        Some(Fault::json(302, "").with_header("Location", &location))
    };
    // Just over the limit: bounded, so that a client without the limit ends too.
    let huge = |_: usize, _: &vpcep_fake::RecordedRequest| {
        Some(Fault::endless(" ".repeat(0x4000), 40 << 20))
    };
    let dir = temp_dir("hostile");
    let pod_token = dir.join("pod-token");
    std::fs::write(&pod_token, "pod-auth-token").unwrap();

    for (name, hostile) in [
        (
            "redirect",
            Box::new(redirect)
                as Box<dyn Fn(usize, &vpcep_fake::RecordedRequest) -> Option<Fault> + Send + Sync>,
        ),
        ("huge", Box::new(huge)),
    ] {
        let server = scripted(hostile);
        let url = server.url();
        let expect = |what: &str, err: String| match name {
            "redirect" => assert!(
                err.contains("302") && err.contains("not followed"),
                "{what}: {err}"
            ),
            _ => assert!(
                err.contains("larger than the limit of 33554432 bytes"),
                "{what}: {err}"
            ),
        };

        let metadata = CredentialsProvider::new(MetadataProvider::new(&url));
        expect(
            "metadata",
            metadata.identity().await.unwrap_err().to_string(),
        );

        let uri = format!("{url}/v1/credentials");
        let pod = chain(pod_identity_env(&uri, &pod_token), &closed_port_url());
        expect(
            "pod identity",
            pod.identity().await.unwrap_err().to_string(),
        );

        let oidc = chain(oidc_env(&url), &closed_port_url());
        expect("oidc", oidc.identity().await.unwrap_err().to_string());

        // The IAM project lookup (no project ID, a region): the VPCEP client's limit.
        let client = Client::builder()
            .base_url(&url)
            .region("cn-north-4")
            .iam_endpoint(&url)
            .aksk(format!("AKIAM{name}"), "SKIAM")
            .build()
            .unwrap();
        expect("iam", client.project_id().await.unwrap_err().to_string());
    }
    assert!(
        elsewhere.requests().is_empty(),
        "a redirect was followed: {:?}",
        elsewhere.requests()
    );
}
