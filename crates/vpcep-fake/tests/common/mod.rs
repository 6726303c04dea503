//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

pub const PROJECT: &str = "295dacf46a4842fcbf7844dc2dc2489d";

pub fn client() -> reqwest::Client {
    // Plain bodies, as the fake sends when not asked for gzip (tests/link.rs covers that).
    reqwest::Client::builder()
        .gzip(false)
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

pub fn list_url(base: &str) -> String {
    format!("{base}/v1/{PROJECT}/vpc-endpoints")
}

/// GET `url` with the query pairs; returns status, headers and the JSON body.
pub async fn get(
    client: &reqwest::Client,
    url: &str,
    query: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> (u16, HeaderMap, Value) {
    let mut req = client.get(url).query(query);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}

pub fn ids(body: &Value) -> Vec<String> {
    body["endpoints"]
        .as_array()
        .expect("endpoints array")
        .iter()
        .map(|e| e["id"].as_str().expect("id").to_owned())
        .collect()
}
