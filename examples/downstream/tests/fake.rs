//! The README's example against an in-process `vpcep-fake`: token and AK/SK auth,
//! paging, and an API error.

use downstream::{connect, list};
use vpcep_client::{Credentials, Error};
use vpcep_fake::{FakeConfig, FakeServer, Fault, DEFAULT_PROJECT_ID};

const N: usize = 1_200;
const TOKEN: &str = "downstream-token";
const AK: &str = "DOWNSTREAMAK";
const SK: &str = "downstream-secret-key";

fn fake() -> FakeServer {
    FakeServer::start(FakeConfig::new().generate(N, 7).token(TOKEN).aksk(AK, SK))
        .expect("start vpcep-fake on 127.0.0.1")
}

/// Runs the README's `list` and checks what came back and what was sent.
async fn lists_everything(server: &FakeServer, credentials: Credentials) -> Vec<String> {
    let client = connect(
        "cn-north-4",
        Some(&server.url()),
        DEFAULT_PROJECT_ID,
        credentials,
    )
    .expect("client");
    let vpc_id = server.endpoints()[0].vpc_id.clone().expect("vpc_id");
    let all = list(&client, &vpc_id).await.expect("list");

    let endpoints = all.endpoints.expect("endpoints");
    assert_eq!(endpoints.len(), N);
    assert_eq!(all.total_count, Some(N as i64));
    let mut ids: Vec<_> = endpoints.iter().map(|e| e.id.clone().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), N, "duplicate ids");

    // Paging: more than one request with an offset past the first page.
    let requests = server.requests();
    let offsets: Vec<_> = requests
        .iter()
        .filter_map(|r| r.uri.query())
        .filter(|q| {
            q.split('&')
                .any(|kv| kv.starts_with("offset=") && kv != "offset=0")
        })
        .collect();
    assert!(
        offsets.len() >= 2,
        "no paging seen in {} requests",
        requests.len()
    );
    requests
        .iter()
        .map(|r| {
            let h = |name| r.headers.get(name).map(|v| v.to_str().unwrap().to_owned());
            h("authorization").or(h("x-auth-token")).unwrap_or_default()
        })
        .collect()
}

#[tokio::test]
async fn token() {
    let server = fake();
    let auth = lists_everything(&server, Credentials::token(TOKEN)).await;
    assert!(auth.iter().all(|a| a == TOKEN), "{auth:?}");
    server.stop();
}

#[tokio::test]
async fn aksk() {
    let server = fake();
    let auth = lists_everything(&server, Credentials::aksk(AK, SK)).await;
    assert!(
        auth.iter()
            .all(|a| a.starts_with(&format!("SDK-HMAC-SHA256 Access={AK}"))),
        "{auth:?}"
    );
    server.stop();
}

#[tokio::test]
async fn api_errors_reach_the_caller() {
    let server = fake();
    // A wrong token: 401, not retried.
    let client = connect(
        "cn-north-4",
        Some(&server.url()),
        DEFAULT_PROJECT_ID,
        Credentials::token("wrong"),
    )
    .unwrap();
    let err = list(&client, "any-vpc").await.unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");

    // A server error on every attempt: the retries give up with the 503.
    server
        .faults()
        .extend(std::iter::repeat_n(Fault::unavailable(), 5));
    let client = connect(
        "cn-north-4",
        Some(&server.url()),
        DEFAULT_PROJECT_ID,
        Credentials::token(TOKEN),
    )
    .unwrap();
    let err = list(&client, "any-vpc").await.unwrap_err();
    assert!(matches!(err, Error::Api(ref e) if e.status == 503), "{err}");
    server.stop();
}
