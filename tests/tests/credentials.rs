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
use vpcep_tests::{scripted, LogCapture};

use vpcep_tests::PROJECT_ID as PROJECT;

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
    let err = client.list_endpoints().send().await.unwrap_err();
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
    let p = chain(
        Env::from_pairs([
            ("HOME", "/nonexistent"),
            ("HC_CONTAINER_CREDENTIALS_FULL_URI", uri.as_str()),
            (
                "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                token_file.to_str().unwrap(),
            ),
        ]),
        &closed_port_url(),
    );
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
    let err = expired.list_endpoints().send().await.unwrap_err();
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

    let err = client("cn-east-3")
        .list_endpoints()
        .send()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("no project named 'cn-east-3'"), "{text}");
    assert!(text.contains("--project-id"), "{text}");
    assert!(text.contains("X-IAM-Trace-Id="), "{text}");

    let err = client("cn-south-1")
        .list_endpoints()
        .send()
        .await
        .unwrap_err();
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
    let err = Client::builder()
        .base_url(fake.url())
        .token("t")
        .build()
        .unwrap()
        .list_endpoints()
        .send()
        .await
        .unwrap_err();
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
    let err = Client::builder()
        .base_url(vpcep.url())
        .aksk("AK", "SK")
        .build()
        .unwrap()
        .list_endpoints()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no project ID: set it on the client or the request, or in HUAWEICLOUD_SDK_PROJECT_ID, \
         or set a region to look it up in IAM"
    );
    assert!(vpcep.requests().is_empty());
}
