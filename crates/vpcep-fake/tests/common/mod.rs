//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
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

/// A plain TCP connection to the fake, reads bounded by 20 s.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
}

/// Reads until the fake closes the connection: `Ok(bytes)` (a reset counts as a close),
/// or the read error (a timeout means the fake kept the connection open for 20 s).
pub fn read_to_close(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    match stream.read_to_end(&mut bytes) {
        Ok(_) => Ok(bytes),
        Err(e) if e.kind() == ErrorKind::ConnectionReset => Ok(bytes),
        Err(e) => Err(e),
    }
}

/// `GET` of the list path with `Connection: close` on a new connection, read to the end;
/// panics unless the fake answers `200`.
pub fn get_list_and_close(addr: SocketAddr) {
    let mut stream = connect(addr);
    write!(
        stream,
        "GET /v1/{PROJECT}/vpc-endpoints HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let bytes = read_to_close(&mut stream).expect("an answer");
    assert!(
        bytes.starts_with(b"HTTP/1.1 200 "),
        "{:?}",
        String::from_utf8_lossy(&bytes)
    );
}
