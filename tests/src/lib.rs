//! A scripted HTTP/1.1 server on 127.0.0.1 for fault-injection tests of the client.
//!
//! Each accepted connection reads one request and asks the script what to do with it:
//! answer, send a truncated body, never answer, or close the connection. It speaks just
//! enough HTTP to be exact about these faults, which a full server framework hides.

pub mod pki;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One request as the server received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// `GET`.
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Header names (lower-cased) and values, in order.
    pub headers: Vec<(String, String)>,
}

impl Recorded {
    /// The value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value of a query parameter (not decoded).
    pub fn query(&self, name: &str) -> Option<&str> {
        let query = self.target.split_once('?')?.1;
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }
}

/// What to do with a request.
#[derive(Clone, Debug)]
pub enum Action {
    /// Answer with this status, extra headers and body.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Promise a longer body than is sent, then close.
    Truncate { status: u16, body: String },
    /// Answer with this status, extra headers and binary body (e.g. gzip); with
    /// `truncate`, promise twice the body's length, send it, then close.
    Bytes {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        truncate: bool,
    },
    /// Never answer (the connection stays open until the client gives up).
    Hang,
    /// Answer 200 with a chunked body that repeats `chunk` until the client hangs up (or
    /// `max_bytes` have been sent, a bound for the test's sake).
    Endless { chunk: String, max_bytes: u64 },
    /// Close the connection without answering.
    Close,
}

impl Action {
    /// A JSON response.
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Action::Respond {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.into(),
        }
    }

    /// Adds a header to a `Respond` action.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let Action::Respond { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }
}

type Script = dyn Fn(usize, &Recorded) -> Action + Send + Sync;

/// A running scripted server; stops when dropped.
pub struct ScriptedServer {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    log: Arc<Mutex<Vec<Recorded>>>,
    task: JoinHandle<()>,
}

impl ScriptedServer {
    /// Starts a server whose `script` gets the 0-based request number and the request.
    pub async fn start(
        script: impl Fn(usize, &Recorded) -> Action + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let base_url = format!("http://{}", listener.local_addr().expect("local addr"));
        let log: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let script: Arc<Script> = Arc::new(script);
        let task_log = log.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let log = task_log.clone();
                let script = script.clone();
                tokio::spawn(async move {
                    // Keep-alive: serve requests on this connection until it closes.
                    let mut buf = Vec::new();
                    loop {
                        let Some(request) = read_request(&mut socket, &mut buf).await else {
                            return;
                        };
                        let n = {
                            let mut log = log.lock().unwrap();
                            log.push(request.clone());
                            log.len() - 1
                        };
                        match script(n, &request) {
                            Action::Respond {
                                status,
                                headers,
                                body,
                            } => {
                                let mut head = format!(
                                    "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\nX-Request-Id: req-{n}\r\n",
                                    reason(status),
                                    body.len()
                                );
                                for (k, v) in headers {
                                    head.push_str(&format!("{k}: {v}\r\n"));
                                }
                                head.push_str("\r\n");
                                if socket.write_all(head.as_bytes()).await.is_err()
                                    || socket.write_all(body.as_bytes()).await.is_err()
                                {
                                    return;
                                }
                            }
                            Action::Truncate { status, body } => {
                                let head = format!(
                                    "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                                    reason(status),
                                    body.len() * 2 + 10
                                );
                                let _ = socket.write_all(head.as_bytes()).await;
                                let _ = socket.write_all(body.as_bytes()).await;
                                let _ = socket.shutdown().await;
                                return;
                            }
                            Action::Endless { chunk, max_bytes } => {
                                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nX-Request-Id: req-endless\r\n\r\n";
                                if socket.write_all(head.as_bytes()).await.is_err() {
                                    return;
                                }
                                let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
                                let mut sent = 0u64;
                                while sent < max_bytes {
                                    if socket.write_all(framed.as_bytes()).await.is_err() {
                                        return;
                                    }
                                    sent += chunk.len() as u64;
                                }
                                let _ = socket.write_all(b"0\r\n\r\n").await;
                                return;
                            }
                            Action::Bytes {
                                status,
                                headers,
                                body,
                                truncate,
                            } => {
                                let promised = if truncate {
                                    body.len() * 2 + 10
                                } else {
                                    body.len()
                                };
                                let mut head = format!(
                                    "HTTP/1.1 {status} {}\r\nContent-Length: {promised}\r\nX-Request-Id: req-{n}\r\n",
                                    reason(status),
                                );
                                for (k, v) in headers {
                                    head.push_str(&format!("{k}: {v}\r\n"));
                                }
                                head.push_str("\r\n");
                                if socket.write_all(head.as_bytes()).await.is_err()
                                    || socket.write_all(&body).await.is_err()
                                {
                                    return;
                                }
                                if truncate {
                                    let _ = socket.shutdown().await;
                                    return;
                                }
                            }
                            Action::Hang => {
                                // Bounded: long enough for any client timeout in the tests.
                                tokio::time::sleep(Duration::from_secs(60)).await;
                                return;
                            }
                            Action::Close => return,
                        }
                    }
                });
            }
        });
        ScriptedServer {
            base_url,
            log,
            task,
        }
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> Option<Recorded> {
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    buf.drain(..end + 4);
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(Recorded {
        method,
        target,
        headers,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// What a TRACE-level tracing subscriber writes, for tests that read the logs (e.g. that
/// no secret appears in them).
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    /// Captures this thread's tracing, every level, until the guard is dropped.
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        let writer = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    /// What was written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// The project ID of the scripted-server tests.
pub const PROJECT_ID: &str = "0123456789abcdef0123456789abcdef";

/// A client for `server`: the test project, token authentication, fast retries.
pub fn client_builder(server: &ScriptedServer) -> vpcep_client::ClientBuilder {
    vpcep_client::Client::builder()
        .base_url(&server.base_url)
        .project_id(PROJECT_ID)
        .token("test-token")
        .retry(
            vpcep_client::RetryConfig::standard()
                .with_initial_backoff(Duration::from_millis(10))
                .with_max_backoff(Duration::from_millis(50)),
        )
}

/// A page body of `n` synthetic endpoints numbered from `start`, with `total`.
pub fn page_body(start: u64, n: u64, total: u64) -> String {
    let endpoints: Vec<serde_json::Value> = (start..start + n)
        .map(|i| {
            serde_json::json!({
                "id": format!("ep-{i:06}"),
                "status": "accepted",
                "service_type": "interface",
                "enable_dns": "true",
                "dns_names": format!("ep-{i}.example"),
                "active_status": "active",
            })
        })
        .collect();
    serde_json::json!({ "endpoints": endpoints, "total_count": total }).to_string()
}
