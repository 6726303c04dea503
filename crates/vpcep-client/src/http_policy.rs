//! The HTTP rules every request of this crate follows, VPCEP's and those of the credential
//! providers and the IAM project lookup alike, in one place:
//!
//! - redirects are never followed: reqwest would replay the credential headers
//!   (`X-Auth-Token`, `X-Security-Token`, `Authorization`) to whatever host `Location`
//!   names, so a 3xx is an answer (and an error for the caller);
//! - a plain `http://` destination on this machine never goes through a proxy: such a
//!   URL needs no `allow_http` because its bytes stay on the machine, and a proxy from the
//!   environment (`HTTP_PROXY`, `ALL_PROXY`) would carry them, credentials in clear, to
//!   another host (whose own "localhost" is not ours anyway; Go's `net/http` never proxies
//!   loopback for the same reason). `https://` destinations honour the proxy variables:
//!   the TLS session runs end to end through the tunnel;
//! - bodies are read within a size limit, counted after decompression ([`read_body`]):
//!   a larger `Content-Length` stops before reading, an endless body at the limit.
//! - a header value is header text ([`is_header_text`]: printable ASCII, no line break,
//!   no surrounding space), checked before anything is sent.
//!
//! And how an HTTP failure reads in a message: the error with its causes
//! ([`error_chain`]), without its URL ([`without_url`]), an error body's start
//! ([`excerpt`]).

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::HeaderMap;
use reqwest::Url;

use crate::terminal::printable;

/// The default [`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes),
/// and the limit of the credential providers' answers: 32 MiB. A page of 1000 endpoints
/// (the API's largest) is about 1 MB.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 32 * 1024 * 1024;

/// Whether `url`'s host is this machine: 127.0.0.0/8, `::1` or `localhost`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// A reqwest client builder for requests to `destination` (its scheme and host decide;
/// one client may serve other paths of the same origin), with the rules above.
pub(crate) fn client_builder(destination: &Url) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    if destination.scheme() == "http" && is_loopback(destination) {
        builder.no_proxy()
    } else {
        builder
    }
}

/// How the client builds its HTTP clients: one for VPCEP, one for the IAM project lookup
/// (whose destination may need another proxy rule). Root certificates stay PEM and are
/// parsed for each client (errors are reported by the first, at `ClientBuilder::build`).
/// Clones share the clients built so far, one per proxy rule (`Client::for_region` and
/// the IAM lookups of many targets reuse one connection pool and TLS configuration
/// instead of building one each: a few MB and milliseconds apiece).
#[derive(Clone, Debug, Default)]
pub(crate) struct HttpSettings {
    pub connect_timeout: Option<Duration>,
    pub root_certificates: Vec<Vec<u8>>,
    pub gzip: bool,
    /// The clients built so far: [direct (plain HTTP to loopback), the others].
    pub built: std::sync::Arc<std::sync::Mutex<[Option<reqwest::Client>; 2]>>,
}

impl HttpSettings {
    /// A client for requests to `destination` (the one built before for a destination of
    /// the same rules, if any); or why not, for an `Error::Config`.
    pub(crate) fn client_for(&self, destination: &Url) -> Result<reqwest::Client, String> {
        let slot = usize::from(!(destination.scheme() == "http" && is_loopback(destination)));
        if let Some(client) = &self.built.lock().unwrap_or_else(|e| e.into_inner())[slot] {
            return Ok(client.clone());
        }
        let client = self.build_for(destination)?;
        self.built.lock().unwrap_or_else(|e| e.into_inner())[slot] = Some(client.clone());
        Ok(client)
    }

    fn build_for(&self, destination: &Url) -> Result<reqwest::Client, String> {
        let mut builder = client_builder(destination).gzip(self.gzip);
        if let Some(t) = self.connect_timeout {
            builder = builder.connect_timeout(t);
        }
        builder = add_root_certificates(builder, &self.root_certificates)?;
        let with_roots = if self.root_certificates.is_empty() {
            ""
        } else {
            " (check the root certificates given)"
        };
        builder.build().map_err(|e| {
            format!(
                "could not build the HTTP client{with_roots}: {}",
                error_chain(&e)
            )
        })
    }
}

/// Adds the PEM bundles to the HTTP client's trusted roots, next to the platform's.
#[cfg(any(feature = "rustls", feature = "native-tls"))]
fn add_root_certificates(
    mut builder: reqwest::ClientBuilder,
    bundles: &[Vec<u8>],
) -> Result<reqwest::ClientBuilder, String> {
    for pem in bundles {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| format!("invalid root certificate (PEM): {e}"))?;
        if certs.is_empty() {
            return Err(
                "invalid root certificate: no PEM certificate (-----BEGIN CERTIFICATE-----) found"
                    .to_owned(),
            );
        }
        builder = builder.tls_certs_merge(certs);
    }
    Ok(builder)
}

#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
fn add_root_certificates(
    builder: reqwest::ClientBuilder,
    bundles: &[Vec<u8>],
) -> Result<reqwest::ClientBuilder, String> {
    if bundles.is_empty() {
        Ok(builder)
    } else {
        Err("root certificates need a TLS feature (rustls or native-tls)".to_owned())
    }
}

/// Reads `response`'s body, never holding more than `limit` bytes of it: returns the body,
/// or an empty one and `Some(limit)` when it is (declared or found) larger.
pub(crate) async fn read_body(
    response: &mut reqwest::Response,
    limit: u64,
) -> reqwest::Result<(Bytes, Option<u64>)> {
    match read_body_unless_idle(response, limit, None).await {
        Ok(body) => Ok(body),
        Err(BodyError::Http(e)) => Err(e),
        Err(BodyError::Idle) => unreachable!("no idle limit"),
    }
}

/// Why a body was not read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// The HTTP stack failed (connection reset, body cut short, does not decompress).
    Http(reqwest::Error),
    /// No byte of it came for the idle limit.
    Idle,
}

/// [`read_body`], giving up when no chunk of the body comes for `idle` (a body that
/// keeps coming, however slowly, is read to its end).
///
/// With a `Content-Length` the buffer is reserved once at that size; without one (chunked,
/// or decoded from gzip) the chunks are kept as they come and joined at the end, so a
/// body that turns out too large never costs more than the limit (no doubling buffer).
pub(crate) async fn read_body_unless_idle(
    response: &mut reqwest::Response,
    limit: u64,
    idle: Option<std::time::Duration>,
) -> Result<(Bytes, Option<u64>), BodyError> {
    let too_large = Ok((Bytes::new(), Some(limit)));
    let declared = response.content_length();
    let mut next_chunk = async || -> Result<Option<Bytes>, BodyError> {
        let chunk = response.chunk();
        match idle {
            Some(idle) => match tokio::time::timeout(idle, chunk).await {
                Ok(chunk) => chunk.map_err(BodyError::Http),
                Err(_) => Err(BodyError::Idle),
            },
            None => chunk.await.map_err(BodyError::Http),
        }
    };
    match declared {
        Some(declared) if declared > limit => too_large,
        Some(declared) => {
            let mut body = BytesMut::with_capacity(declared as usize);
            while let Some(chunk) = next_chunk().await? {
                if (body.len() + chunk.len()) as u64 > limit {
                    return too_large;
                }
                body.extend_from_slice(&chunk);
            }
            Ok((body.freeze(), None))
        }
        None => {
            let mut chunks: Vec<Bytes> = Vec::new();
            let mut len = 0u64;
            while let Some(chunk) = next_chunk().await? {
                len += chunk.len() as u64;
                if len > limit {
                    return too_large;
                }
                chunks.push(chunk);
            }
            Ok(match chunks.len() {
                0 => (Bytes::new(), None),
                1 => (chunks.pop().expect("one chunk"), None),
                _ => {
                    let mut body = BytesMut::with_capacity(len as usize);
                    for chunk in chunks {
                        body.extend_from_slice(&chunk);
                    }
                    (body.freeze(), None)
                }
            })
        }
    }
}

/// An answer read by the rules: its status, headers and whole body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Why a request got no answer that may be used. Shows no secret (and no body).
#[derive(Debug)]
pub(crate) enum Failure {
    /// The request failed: connection, timeout, a body cut short.
    Http(reqwest::Error),
    /// A redirect (3xx), not followed; or one a caller-supplied client followed (`to`).
    Redirect {
        status: u16,
        location: Option<String>,
        followed: bool,
    },
    /// The body is larger than the limit; reading stopped there.
    TooLarge { limit: u64 },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Http(e) => f.write_str(&error_chain(e)),
            Failure::Redirect {
                status,
                location,
                followed,
            } => {
                let to = location
                    .as_deref()
                    .map_or(Cow::Borrowed("(no Location)"), printable);
                if *followed {
                    write!(
                        f,
                        "the HTTP client followed a redirect to {to} (status {status}); refused"
                    )
                } else {
                    write!(
                        f,
                        "answered {status} redirecting to {to}; redirects are not followed"
                    )
                }
            }
            Failure::TooLarge { limit } => write!(
                f,
                "the answer is larger than the limit of {limit} bytes; reading stopped there"
            ),
        }
    }
}

/// Sends `request` and reads the answer by the rules above, for the credential providers
/// and the IAM lookup (VPCEP calls read theirs in `transport.rs`, with [`read_body`] too):
/// a redirect is a [`Failure::Redirect`], a body over `limit` bytes (after decoding) a
/// [`Failure::TooLarge`].
pub(crate) async fn fetch(
    http: &reqwest::Client,
    request: reqwest::Request,
    limit: u64,
) -> Result<Answer, Failure> {
    let requested = request.url().clone();
    let mut response = http.execute(request).await.map_err(Failure::Http)?;
    let status = response.status().as_u16();
    let location = || {
        response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    if response.url() != &requested {
        return Err(Failure::Redirect {
            status,
            location: Some(response.url().to_string()),
            followed: true,
        });
    }
    if (300..400).contains(&status) {
        return Err(Failure::Redirect {
            status,
            location: location(),
            followed: false,
        });
    }
    let headers = response.headers().clone();
    match read_body(&mut response, limit)
        .await
        .map_err(Failure::Http)?
    {
        (_, Some(limit)) => Err(Failure::TooLarge { limit }),
        (body, None) => Ok(Answer {
            status,
            headers,
            body,
        }),
    }
}

/// [`fetch`] for a request still being built (`http.post(url).header(…)`).
pub(crate) async fn send(request: reqwest::RequestBuilder, limit: u64) -> Result<Answer, Failure> {
    let (http, request) = request.build_split();
    fetch(&http, request.map_err(Failure::Http)?, limit).await
}

/// An error and its causes on one line (reqwest's Display alone hides the cause).
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The rule of a value sent in an HTTP header, as messages state it.
pub(crate) const HEADER_TEXT_RULE: &str =
    "must be printable ASCII without line breaks, control characters or surrounding spaces";

/// Whether `value` follows [`HEADER_TEXT_RULE`]: visible ASCII, spaces and tabs only (no
/// CR, LF, other control characters or non-ASCII), no leading or trailing space or tab.
pub(crate) fn is_header_text(value: &str) -> bool {
    let visible = value
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b));
    visible && !value.starts_with([' ', '\t']) && !value.ends_with([' ', '\t'])
}

/// A failure of a request by a credential provider or the IAM lookup, for its message: a
/// reqwest error without its URL (the message names it once).
pub(crate) fn without_url(failure: Failure) -> Failure {
    match failure {
        Failure::Http(e) => Failure::Http(e.without_url()),
        other => other,
    }
}

/// The start of an error body, on one line, for messages (error bodies carry no secret;
/// success bodies are never quoted).
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let start: String = text.chars().take(200).collect();
    printable(&start).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for url in [
            "http://127.0.0.1:1",
            "http://127.9.9.9",
            "http://[::1]:8",
            "http://LocalHost",
        ] {
            assert!(is_loopback(&Url::parse(url).unwrap()), "{url}");
        }
        for url in [
            "http://10.0.0.1",
            "http://[::2]",
            "http://localhost.example.com",
            "http://0.0.0.0",
        ] {
            assert!(!is_loopback(&Url::parse(url).unwrap()), "{url}");
        }
    }
}
