//! The fake as a link: gzip only when asked, truncation of compressed bodies, the bytes
//! sent, and the shared bandwidth limit.

mod common;

use std::time::{Duration, Instant};

use common::{list_url, PROJECT};
use vpcep_fake::{FakeConfig, FakeServer, Fault};

/// A client that neither asks for nor decodes compression: the bytes as sent.
fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .gzip(false)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn fetch(
    client: &reqwest::Client,
    url: &str,
    accept_encoding: Option<&str>,
) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = client.get(url).query(&[("limit", "1000")]);
    if let Some(v) = accept_encoding {
        req = req.header("accept-encoding", v);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    (headers, resp.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn compresses_only_when_asked() {
    let fake = FakeServer::start(FakeConfig::new().generate(1000, 7)).unwrap();
    let url = list_url(&fake.url());
    let c = raw_client();

    let (headers, plain) = fetch(&c, &url, None).await;
    assert!(!headers.contains_key("content-encoding"), "{headers:?}");
    assert_eq!(headers["content-length"], plain.len().to_string().as_str());
    let page: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(page["endpoints"].as_array().unwrap().len(), 1000);

    let (headers, _) = fetch(&c, &url, Some("identity")).await;
    assert!(!headers.contains_key("content-encoding"), "{headers:?}");

    let (headers, gz) = fetch(&c, &url, Some("gzip, deflate")).await;
    assert_eq!(headers["content-encoding"], "gzip");
    assert_eq!(&gz[..2], b"\x1f\x8b", "a gzip stream");
    assert!(
        gz.len() * 4 < plain.len(),
        "{} vs {}",
        gz.len(),
        plain.len()
    );
    let mut decoded = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut decoded).unwrap();
    assert_eq!(decoded, plain, "same page, compressed");

    // Switched off: never compressed.
    let fake = FakeServer::start(FakeConfig::new().generate(10, 7).compression(false)).unwrap();
    let (headers, body) = fetch(&c, &list_url(&fake.url()), Some("gzip")).await;
    assert!(!headers.contains_key("content-encoding"), "{headers:?}");
    serde_json::from_slice::<serde_json::Value>(&body).unwrap();
}

#[tokio::test]
async fn truncated_compressed_body_is_cut_short() {
    let fake = FakeServer::start(FakeConfig::new().generate(200, 3)).unwrap();
    fake.faults().extend([Fault::Truncate]);
    let resp = raw_client()
        .get(list_url(&fake.url()))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-encoding"], "gzip");
    let announced = resp.content_length().expect("Content-Length");
    let err = resp.bytes().await.expect_err("body cut short");
    assert!(err.is_body() || err.is_decode(), "{err:?} ({announced})");
}

#[tokio::test]
async fn counts_the_bytes_sent() {
    let fake = FakeServer::start(FakeConfig::new().generate(1000, 7)).unwrap();
    let url = list_url(&fake.url());
    assert_eq!(fake.bytes_sent(), 0);
    let (_, plain) = fetch(&raw_client(), &url, None).await;
    let after_plain = fake.bytes_sent();
    // The body and a status line and headers, no more than a few hundred bytes of them.
    assert!(after_plain > plain.len() as u64, "{after_plain}");
    assert!(after_plain < plain.len() as u64 + 1000, "{after_plain}");
    let (_, gz) = fetch(&raw_client(), &url, Some("gzip")).await;
    let compressed = fake.bytes_sent() - after_plain;
    assert!(compressed > gz.len() as u64, "{compressed}");
    assert!(compressed < gz.len() as u64 + 1000, "{compressed}");
}

/// 10 MB through a 40 Mbit/s (5 MB/s) link over 4 connections at once: the measured
/// rate (bytes the fake sent ÷ wall time) is within 10 % of the limit. The limit is the
/// bottleneck by far (loopback moves GB/s), so scheduling noise is small against ~2 s;
/// a first, unmeasured pass keeps connection set-up and page rendering out of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bandwidth_limit_holds_on_a_10_mb_transfer() {
    const MBPS: f64 = 40.0;
    let fake = FakeServer::start(
        FakeConfig::new()
            .generate(13_000, 5)
            .compression(false)
            .bandwidth_mbps(Some(MBPS)),
    )
    .unwrap();
    let url = format!("{}/v1/{PROJECT}/vpc-endpoints", fake.url());
    let c = raw_client();
    let pass = || {
        let fetches = (0..13).map(|page| {
            let c = c.clone();
            let url = url.clone();
            async move {
                let offset = (page * 1000).to_string();
                let resp = c
                    .get(&url)
                    .query(&[("limit", "1000"), ("offset", offset.as_str())])
                    .send()
                    .await
                    .unwrap();
                resp.bytes().await.unwrap().len()
            }
        });
        futures::StreamExt::collect::<Vec<usize>>(futures::StreamExt::buffer_unordered(
            futures::stream::iter(fetches),
            4,
        ))
    };
    // A first pass opens the connections and lets the fake make its page text, so the
    // measured pass is only the link's work.
    pass().await;
    let before = fake.bytes_sent();
    let started = Instant::now();
    let received: usize = pass().await.into_iter().sum();
    let elapsed = started.elapsed().as_secs_f64();
    let sent = fake.bytes_sent() - before;
    assert!(received >= 10_000_000, "{received} bytes is not 10 MB");
    let rate_mbps = sent as f64 * 8.0 / elapsed / 1e6;
    println!("{sent} bytes in {elapsed:.3} s = {rate_mbps:.2} Mbit/s (limit {MBPS})");
    assert!(
        (MBPS * 0.9..=MBPS * 1.1).contains(&rate_mbps),
        "{sent} bytes in {elapsed:.3} s = {rate_mbps:.1} Mbit/s, limit {MBPS}"
    );
}
